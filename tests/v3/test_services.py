"""GET /v3/services/*: the bank codes, ID types and documents lists (no auth) and id_status (token)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from openkyc.services.documents import valid_documents
from openkyc.services.id_types import ID_NUMBER_TYPES, id_number_type
from tests.server import PartnerCreds

pytestmark = pytest.mark.usefixtures("conforming")

BAD_COUNTRY = {
    "error": "Country Code must be a valid ISO 3166-1 alpha-2 country code consisting of exactly two "
    "uppercase letters.",
    "code": "2413",
}


def test_bank_codes_need_no_token_and_list_none_as_openkyc_holds_none(client: TestClient) -> None:
    for query in ("", "?country=NG", "?country=ng"):
        answer = client.get(f"/v3/services/bank_codes{query}")
        assert answer.status_code == 200
        assert answer.json() == {"bank_codes": []}
        assert answer.headers["cache-control"] == "public, max-age=3600"
    # The same (empty) list as the v1 catalogue's.
    assert client.get("/v1/services").json()["bank_codes"] == []


def test_supported_id_types_are_the_catalogue_the_look_ups_use(client: TestClient) -> None:
    answer = client.get("/v3/services/supported_id_types")
    assert answer.status_code == 200
    listed = answer.json()["id_types"]
    assert len(listed) == sum(len(types) for types in ID_NUMBER_TYPES.values())
    for entry in listed:
        assert set(entry) == {"country", "type", "label", "regex", "required_fields"}
        re.compile(entry["regex"])
        known = id_number_type(entry["country"], entry["type"])
        assert known is not None and entry["label"] == known.label
        assert entry["regex"] == (known.regex or r"^.{1,100}$")
    bvn = next(e for e in listed if (e["country"], e["type"]) == ("NG", "BVN"))
    assert bvn == {
        "country": "NG",
        "type": "BVN",
        "label": "BVN",
        "regex": "^[0-9]{11}$",
        "required_fields": ["id_number"],
    }
    account = next(e for e in listed if (e["country"], e["type"]) == ("NG", "BANK_ACCOUNT"))
    assert account["required_fields"] == ["id_number", "bank_code"] and "bank_code" not in account


def test_supported_id_types_filter_by_country(client: TestClient) -> None:
    za = client.get("/v3/services/supported_id_types", params={"country": "ZA"}).json()["id_types"]
    assert {e["type"] for e in za} == {"NATIONAL_ID", "NATIONAL_ID_NO_PHOTO", "PHONE_NUMBER"}
    assert {e["country"] for e in za} == {"ZA"}
    # A filter that is no country matches nothing (the spec documents no 400 here).
    for country in ("XX", "za", "ZAF"):
        answer = client.get("/v3/services/supported_id_types", params={"country": country})
        assert answer.status_code == 200 and answer.json() == {"id_types": []}


def test_supported_documents_are_the_v1_document_list_in_the_spec_shape(client: TestClient) -> None:
    answer = client.get("/v3/services/supported_documents")
    assert answer.status_code == 200
    listed = answer.json()["valid_documents"]
    assert [e["country"]["code"] for e in listed] == [e["country"]["code"] for e in valid_documents()]
    nigeria = client.get("/v3/services/supported_documents", params={"country_code": "NG"}).json()
    (entry,) = nigeria["valid_documents"]
    assert entry["country"] == {"code": "NG", "name": "Nigeria", "continent": "AFRICA"}
    passport = next(doc for doc in entry["id_types"] if doc["code"] == "PASSPORT")
    assert set(passport) == {"code", "name", "example", "has_back"} and passport["has_back"] is False


def test_supported_documents_filters_and_locales(client: TestClient) -> None:
    africa = client.get("/v3/services/supported_documents", params={"continent": "AFRICA"}).json()
    assert len(africa["valid_documents"]) == len(valid_documents())
    asia = client.get("/v3/services/supported_documents", params={"continent": "ASIA"}).json()
    assert asia == {"valid_documents": []}
    both = client.get(
        "/v3/services/supported_documents", params={"continent": "AFRICA", "country_code": "KE"}
    ).json()
    assert [e["country"]["code"] for e in both["valid_documents"]] == ["KE"]
    # Every documented locale is accepted; the names stay English (openkyc has no translations).
    english = client.get("/v3/services/supported_documents", params={"country_code": "GH"}).json()
    for locale in ("en-GB", "fr-FR", "ar-EG"):
        localised = client.get(
            "/v3/services/supported_documents", params={"country_code": "GH", "locale": locale}
        )
        assert localised.json() == english


@pytest.mark.parametrize(
    ("params", "body"),
    [
        ({"country_code": "ng"}, BAD_COUNTRY),
        ({"country_code": "NGA"}, BAD_COUNTRY),
        ({"country_code": ""}, BAD_COUNTRY),
        (
            {"continent": "Africa"},
            {
                "error": "Continent must be one of AFRICA, ASIA, EUROPE, NORTH AMERICA, OCEANIA, SOUTH AMERICA.",
                "code": "2413",
            },
        ),
        ({"locale": "de-DE"}, {"error": "Locale must be one of en-GB, fr-FR, ar-EG.", "code": "2413"}),
    ],
)
def test_supported_documents_refuses_bad_filters_in_the_service_shape(
    client: TestClient, params: dict[str, str], body: dict[str, str]
) -> None:
    answer = client.get("/v3/services/supported_documents", params=params)
    assert answer.status_code == 400
    assert answer.json() == body


def test_the_valid_documents_aliases_answer_the_same(client: TestClient) -> None:
    wanted = client.get("/v3/services/supported_documents", params={"country_code": "ZA"}).json()
    for path in ("/v3/valid-documents", "/v1/valid_documents"):
        answer = client.get(path, params={"country_code": "ZA"})
        assert answer.status_code == 200 and answer.json() == wanted
    assert client.get("/v3/valid-documents", params={"country_code": "za"}).json() == BAD_COUNTRY


# --- id_status --------------------------------------------------------------------------------------


def _look_up(client: TestClient, partner: PartnerCreds, job_id: str, digit: int) -> None:
    """An Enhanced KYC look-up through /v1/id_verification: the sandbox test number's last digit
    chooses what the sandbox authority answers (0 a record, 1 none, 3 unreachable)."""
    answer = client.post(
        "/v1/id_verification",
        json=partner.signed(
            partner_params={"user_id": "status-user", "job_id": job_id, "job_type": 5},
            country="NG",
            id_type="BVN",
            id_number=f"0000000000{digit}",
        ),
    )
    assert answer.status_code == 200, answer.text


def test_id_status_needs_a_token(client: TestClient) -> None:
    answer = client.get("/v3/services/id_status", params={"country": "NG", "id_type": "BVN"})
    assert answer.status_code == 401
    assert answer.json() == {"status": "Unauthorized", "message": "Invalid token"}
    bad = client.get(
        "/v3/services/id_status",
        params={"country": "NG", "id_type": "BVN"},
        headers={"SmileID-Token": "not.a.token"},
    )
    assert bad.status_code == 401 and bad.json()["message"] == "Invalid token"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"id_type": "BVN"}, '"country" is required'),
        ({"country": " ", "id_type": "BVN"}, '"country" is required'),
        ({"country": "Atlantis", "id_type": "BVN"}, "Invalid country"),
        ({"country": "NG"}, '"id_type" is required'),
        ({"country": "NG", "id_type": "SSNIT"}, "Invalid id_type for the given country"),
        ({"country": "DZ", "id_type": "PASSPORT"}, "Invalid id_type for the given country"),
        ({"country": "NG", "id_type": "BVN"}, "No data found. Check that NG and BVN are valid inputs"),
    ],
)
def test_id_status_bad_requests(
    client: TestClient, auth: dict[str, str], params: dict[str, str], message: str
) -> None:
    answer = client.get("/v3/services/id_status", params=params, headers=auth)
    assert answer.status_code == 400
    assert answer.json() == {"message": message, "status": "Bad Request"}


def test_id_status_reports_the_last_hours_look_ups(
    client: TestClient, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    _look_up(client, partner, "found", 0)
    _look_up(client, partner, "not-found", 1)  # the authority answered: no record
    _look_up(client, partner, "down", 3)  # the authority could not be reached
    answer = client.get(
        "/v3/services/id_status", params={"country": "Nigeria", "id_type": "bvn"}, headers=auth
    )
    assert answer.status_code == 200, answer.text
    status = answer.json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", status.pop("last_checked"))
    assert status == {
        "last_check_status": "failure",
        "last_hour_success_rate": "66%",
        "last_known_status": "offline",
        "last_check_success_rate": "0%",
    }
    _look_up(client, partner, "up-again", 0)
    again = client.get("/v3/services/id_status", params={"country": "NG", "id_type": "BVN"}, headers=auth)
    assert again.json()["last_hour_success_rate"] == "75%"
    assert again.json()["last_known_status"] == "online" and again.json()["last_check_status"] == "success"
    # Another ID type of the same country has had no look-ups.
    nin = client.get("/v3/services/id_status", params={"country": "NG", "id_type": "NIN"}, headers=auth)
    assert nin.status_code == 400


def test_a_malformed_number_is_no_check_of_the_authority(
    client: TestClient, partner: PartnerCreds, auth: dict[str, str]
) -> None:
    answer = client.post(
        "/v1/id_verification",
        json=partner.signed(
            partner_params={"user_id": "u", "job_id": "malformed", "job_type": 5},
            country="NG",
            id_type="BVN",
            id_number="12AB",
        ),
    )
    assert answer.json()["ResultCode"] == "1014"
    status = client.get("/v3/services/id_status", params={"country": "NG", "id_type": "BVN"}, headers=auth)
    assert status.status_code == 400 and status.json()["message"].startswith("No data found.")
