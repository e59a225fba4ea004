from __future__ import annotations

import re

from fastapi.testclient import TestClient

from openkyc.services.id_types import ID_NUMBER_TYPES
from tests.server import PartnerCreds

PRODUCTS = {
    "basic_kyc",
    "biometric_kyc",
    "enhanced_kyc",
    "doc_verification",
    "ekyc_smartselfie",
    "enhanced_document_verification",
}
# The tokens the Android and iOS SDKs can decode (compatibility §4.7).
REQUIRED_FIELD_TOKENS = {
    "id_number",
    "first_name",
    "last_name",
    "dob",
    "day",
    "month",
    "year",
    "bank_code",
    "citizenship",
    "country",
    "id_type",
    "user_id",
    "job_id",
}


def test_services_needs_no_signature_and_has_the_documented_keys(client: TestClient) -> None:
    response = client.get("/v1/services")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"bank_codes", "id_types", "hosted_web"}
    assert body["bank_codes"] == []
    assert set(body["hosted_web"]) == PRODUCTS
    assert body["id_types"]["NG"]["BVN"] == ["country", "id_type", "id_number", "user_id", "job_id"]
    assert "bank_code" in body["id_types"]["NG"]["BANK_ACCOUNT"]


def test_hosted_web_entries_have_label_fields_test_data_and_regex(client: TestClient) -> None:
    hosted = client.get("/v1/services").json()["hosted_web"]
    ghana_card = hosted["enhanced_kyc"]["GH"]["id_types"]["GHANA_CARD"]
    assert hosted["enhanced_kyc"]["GH"]["name"] == "Ghana"
    assert ghana_card == {
        "label": "Ghana Card",
        "required_fields": ["country", "id_type", "id_number", "user_id", "job_id"],
        "test_data": "GHA-000000000-0",
        "id_number_regex": r"^[A-Z]{3}(-\d{9}-\d|\d{9}\d)$",
    }
    for product in hosted.values():
        for country in product.values():
            for entry in country["id_types"].values():
                assert set(entry) == {"label", "required_fields", "test_data", "id_number_regex"}
                assert set(entry["required_fields"]) <= REQUIRED_FIELD_TOKENS


def test_biometric_products_offer_only_types_with_an_authority_photo(client: TestClient) -> None:
    hosted = client.get("/v1/services").json()["hosted_web"]
    for product in ("biometric_kyc", "ekyc_smartselfie"):
        offered = {t for country in hosted[product].values() for t in country["id_types"]}
        assert not any(t.endswith("_NO_PHOTO") for t in offered)
        assert "BANK_ACCOUNT" not in offered and "BVN" in offered
    assert "UG" not in hosted["biometric_kyc"]  # its only type has no photo
    assert "NATIONAL_ID_NO_PHOTO" in hosted["basic_kyc"]["UG"]["id_types"]


def test_document_products_list_document_types(client: TestClient) -> None:
    hosted = client.get("/v1/services").json()["hosted_web"]
    assert len(hosted["doc_verification"]) == 56
    assert "PASSPORT" in hosted["doc_verification"]["DZ"]["id_types"]
    assert set(hosted["enhanced_document_verification"]) == set(ID_NUMBER_TYPES)


def test_sandbox_test_numbers_match_their_regex() -> None:
    # NG VOTER_ID's published test number is 19 zeros, which the current regex accepts.
    for types in ID_NUMBER_TYPES.values():
        for id_type in types:
            if id_type.test_data and id_type.regex:
                assert re.match(id_type.regex, id_type.test_data), id_type


def test_valid_documents_is_signed_and_lists_countries(client: TestClient, partner: PartnerCreds) -> None:
    response = client.post("/v1/valid_documents", json=partner.signed())
    assert response.status_code == 200
    documents = response.json()["valid_documents"]
    nigeria = next(d for d in documents if d["country"]["code"] == "NG")
    assert nigeria["country"] == {"code": "NG", "continent": "Africa", "name": "Nigeria"}
    passport = next(t for t in nigeria["id_types"] if t["code"] == "PASSPORT")
    assert passport == {"code": "PASSPORT", "name": "Passport", "example": ["Passports"], "has_back": False}
    licence = next(t for t in nigeria["id_types"] if t["code"] == "DRIVERS_LICENSE")
    assert licence["has_back"] is True


def test_valid_documents_refuses_a_bad_signature(client: TestClient, partner: PartnerCreds) -> None:
    body = partner.signed(key="not-the-key")
    response = client.post("/v1/valid_documents", json=body)
    assert response.status_code == 400 and response.json()["code"] == "2205"
