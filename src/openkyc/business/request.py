"""The business-verification request body: validated fields, or the documented 2204/2213/2413."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import Field, InstanceOf, model_validator
from pydantic.json_schema import SkipJsonSchema

from openkyc.api_errors import INVALID_JOB_TYPE, INVALID_VALUE, MISSING_PARAMETER, WRONG_DATA_TYPE, ApiError
from openkyc.business.supported import BUSINESS_TYPES, is_supported, needs_business_type
from openkyc.http import SignedBody
from openkyc.job_types import JobType
from openkyc.partner_input import PartnerParams, WirePartnerParams, parse_partner_params

UNSUPPORTED_BUSINESS_TYPE = "Unsupported business type"  # the SDK fixture's text (compatibility §4.5)


@dataclass(frozen=True)
class BusinessRequest:
    params: PartnerParams
    country: str
    id_type: str
    id_number: str
    business_type: str | None
    callback_url: str | None


def _optional_text(body: dict[str, Any], name: str, limit: int = 200) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # registration numbers are digits; some clients send them as numbers
    if not isinstance(value, str) or len(value) > limit:
        raise ApiError(WRONG_DATA_TYPE, f"{name} must be a string")
    return value.strip()


def _required_text(body: dict[str, Any], name: str) -> str:
    value = _optional_text(body, name)
    if not value:
        raise ApiError(MISSING_PARAMETER, f"{name} is required")
    return value


def parse_business_request(body: dict[str, Any]) -> BusinessRequest:
    """The fields of a job_type 7 request; unsupported values are 2413, as the SDK fixture shows."""
    params = parse_partner_params(body.get("partner_params"))
    if params.job_type != JobType.BUSINESS_VERIFICATION:
        raise ApiError(INVALID_JOB_TYPE, "partner_params.job_type must be 7 for business verification")
    country = _required_text(body, "country").upper()
    id_type = _required_text(body, "id_type").upper()
    id_number = _required_text(body, "id_number")
    business_type = _optional_text(body, "business_type")
    if not is_supported(country, id_type):
        raise ApiError(INVALID_VALUE, f"Unsupported id_type for country {country}")
    if business_type is None:
        if needs_business_type(country, id_type):
            raise ApiError(MISSING_PARAMETER, "business_type is required")
    elif business_type.lower() not in BUSINESS_TYPES:
        raise ApiError(INVALID_VALUE, UNSUPPORTED_BUSINESS_TYPE)
    return BusinessRequest(
        params=params,
        country=country,
        id_type=id_type,
        id_number=id_number,
        business_type=business_type.lower() if business_type else None,
        callback_url=_optional_text(body, "callback_url", limit=2048),
    )


class BusinessVerificationRequest(SignedBody):
    """A business look-up (KYB, job_type 7), sync or async; registration numbers may be JSON numbers."""

    parsed: SkipJsonSchema[InstanceOf[BusinessRequest]] = Field(exclude=True)
    partner_params: WirePartnerParams = Field(
        description="job_type 7.", examples=[{"user_id": "user-1", "job_id": "kyb-1", "job_type": 7}]
    )
    country: str = Field(max_length=200, examples=["NG"])
    id_type: str = Field(
        max_length=200, description="The registry's identifier kind.", examples=["BUSINESS_REGISTRATION"]
    )
    id_number: str = Field(max_length=200, examples=["0000000"])
    business_type: str | None = Field(
        default=None,
        max_length=200,
        description=f"One of {', '.join(sorted(BUSINESS_TYPES))}; required where the registry needs it.",
        examples=["co"],
    )
    callback_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Where the result is POSTed (async: else your default callback URL).",
        examples=["https://partner.example.com/callback"],
    )

    @model_validator(mode="before")
    @classmethod
    def _documented_errors(cls, body: Any) -> Any:
        parsed = parse_business_request(body)
        return {
            "parsed": parsed,
            "partner_params": parsed.params,
            "country": parsed.country,
            "id_type": parsed.id_type,
            "id_number": parsed.id_number,
            "business_type": parsed.business_type,
            "callback_url": parsed.callback_url,
        }
