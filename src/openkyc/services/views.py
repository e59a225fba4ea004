"""GET /v1/services (public) and POST /v1/valid_documents (signed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from openkyc.api_errors import SIGNED_BODY_ERRORS, error_responses
from openkyc.http import SignedBody, json_body, read_json_object
from openkyc.partners.auth import authenticate
from openkyc.services.catalogue import services_body
from openkyc.services.documents import valid_documents
from openkyc.webdeps import RuntimeDep

router = APIRouter(prefix="/v1", tags=["services"])


class ValidDocumentsRequest(SignedBody):
    """Only the credentials: authenticate reads them, and there is nothing else to read."""


class DocumentCountry(BaseModel):
    code: str = Field(examples=["DZ"])
    continent: str = Field(examples=["Africa"])
    name: str = Field(examples=["Algeria"])


class DocumentType(BaseModel):
    code: str = Field(examples=["PASSPORT"])
    name: str = Field(examples=["Passport"])
    example: list[str] = Field(examples=[["Passports"]])
    has_back: bool = Field(description="Whether the back of the document is photographed too.")


class CountryDocuments(BaseModel):
    country: DocumentCountry
    id_types: list[DocumentType]


class ValidDocumentsAnswer(BaseModel):
    valid_documents: list[CountryDocuments]


class ServicesAnswer(BaseModel):
    """The ID types per country of each product, as the SDKs read them."""

    bank_codes: list[Any] = Field(description="Banks of the bank-account ID types.")
    id_types: dict[str, dict[str, list[str]]] = Field(
        description="Per country, per ID type, the fields an Enhanced KYC request needs.",
        examples=[{"GH": {"PASSPORT": ["country", "id_type", "id_number", "user_id", "job_id"]}}],
    )
    hosted_web: dict[str, Any] = Field(description="The hosted-web products' countries and ID types.")


@router.get(
    "/services",
    response_model=None,
    responses={200: {"model": ServicesAnswer, "description": "The catalogue (cacheable for an hour)."}},
)
async def services() -> JSONResponse:
    """Supported ID types per country and per hosted-web product (compatibility §4.7); no auth,
    as the PHP and Java SDKs and the mobile SDKs call it before they hold any signature."""
    # JSONResponse directly: the body is large and already JSON-ready, so skip re-validation.
    return JSONResponse(services_body(), headers={"Cache-Control": "public, max-age=3600"})


@router.post(
    "/valid_documents",
    response_model=None,
    openapi_extra=json_body(ValidDocumentsRequest),
    responses={
        200: {"model": ValidDocumentsAnswer, "description": "Every country's documents."},
        **error_responses(*SIGNED_BODY_ERRORS),
    },
)
async def documents(request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """Document types accepted for Document Verification, per country (compatibility §4.8)."""
    body = await read_json_object(request, runtime.settings.max_json_body)
    authenticate(runtime, headers=request.headers, body=body)
    return {"valid_documents": list(valid_documents())}
