from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from openkyc.aml.entries import ListSource
from openkyc.aml.parsers import parse_ofac_xml, parse_opensanctions
from openkyc.aml.service import load_entries
from openkyc.runtime import Runtime
from openkyc.signing import compute_signature
from tests.aml.samples import OFAC_XML, opensanctions_lines
from tests.server import PartnerCreds

RESPONSE_KEYS = {
    "SmileJobID",
    "PartnerParams",
    "people",
    "ResultText",
    "ResultCode",
    "Actions",
    "signature",
    "StrictMatch",
    "timestamp",
    "no_of_persons_found",
}
PERSON_KEYS = {
    "name",
    "aliases",
    "addresses",
    "dates_of_birth",
    "nationalities",
    "adverse_media",
    "associations",
    "pep",
    "sanctions",
}


@pytest.fixture
def loaded(runtime: Runtime) -> Runtime:
    load_entries(runtime.sessions, ListSource.OFAC_XML, parse_ofac_xml(OFAC_XML))
    load_entries(runtime.sessions, ListSource.OPENSANCTIONS, parse_opensanctions(opensanctions_lines()))
    return runtime


def aml_body(partner: PartnerCreds, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "job_type": 10,
        "user_id": "user-1",
        "job_id": "job-1",
        "full_name": "Vladimir Putin",
        "birth_year": "1952",
        "countries": ["RU"],
        "search_existing_user": False,
        "strict_match": True,
        "optional_info": {"ref": "abc"},
        **overrides,
    }
    return partner.signed(**fields)


def test_a_listed_person_is_found_with_the_documented_keys(
    loaded: Runtime, partner: PartnerCreds, client: TestClient
) -> None:
    response = client.post("/v1/aml", json=aml_body(partner))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == RESPONSE_KEYS
    assert body["ResultCode"] == "1030" and body["ResultText"] == "Found on list"
    assert body["Actions"] == {"Listed": "Listed"}
    assert body["StrictMatch"] is True and body["no_of_persons_found"] == 1
    assert body["PartnerParams"] == {"user_id": "user-1", "job_id": "job-1", "job_type": 10, "ref": "abc"}
    assert body["signature"] == compute_signature(partner.sandbox_key, partner.partner_id, body["timestamp"])
    (person,) = body["people"]
    assert set(person) == PERSON_KEYS
    assert person["name"] == "Vladimir Vladimirovich Putin"
    assert person["pep"]["pep_level"] == 1
    assert person["pep"]["political_positions"][0]["position"] == "President of the Russian Federation"
    assert person["sanctions"][0]["source_details"]["source_name"] == "OpenSanctions"
    assert person["adverse_media"] == []


def test_the_job_is_recorded_for_job_status(
    loaded: Runtime, partner: PartnerCreds, client: TestClient
) -> None:
    smile_job_id = client.post("/v1/aml", json=aml_body(partner)).json()["SmileJobID"]
    status = client.post("/v1/job_status", json=partner.signed(user_id="user-1", job_id="job-1"))
    assert status.status_code == 200, status.text
    assert status.json()["result"]["SmileJobID"] == smile_job_id
    again = client.post("/v1/aml", json=aml_body(partner))
    assert again.status_code == 400 and again.json()["code"] == "2215"


def test_a_transliterated_arabic_alias_query_matches_the_ofac_entry(
    loaded: Runtime, partner: PartnerCreds, client: TestClient
) -> None:
    body = client.post(
        "/v1/aml",
        json=aml_body(partner, full_name="Ali Hasan al-Majeed", countries=["IQ"], birth_year="1941"),
    ).json()
    assert body["no_of_persons_found"] == 1
    person = body["people"][0]
    assert person["name"] == "Ali Hassan AL-MAJID" and person["nationalities"] == ["IQ"]
    assert person["sanctions"][0]["source_details"]["source_link"][0].endswith("id=7390")


def test_nobody_found_is_1031_not_listed(loaded: Runtime, partner: PartnerCreds, client: TestClient) -> None:
    body = client.post("/v1/aml", json=aml_body(partner, full_name="Chidi Okonkwo", countries=[])).json()
    assert set(body) == RESPONSE_KEYS
    assert body["ResultCode"] == "1031" and body["Actions"] == {"Listed": "Not Listed"}
    assert body["people"] == [] and body["no_of_persons_found"] == 0


def test_a_list_loaded_later_is_screened(runtime: Runtime, partner: PartnerCreds, client: TestClient) -> None:
    assert client.post("/v1/aml", json=aml_body(partner)).json()["no_of_persons_found"] == 0
    load_entries(runtime.sessions, ListSource.OPENSANCTIONS, parse_opensanctions(opensanctions_lines()))
    assert client.post("/v1/aml", json=aml_body(partner, job_id="job-2")).json()["no_of_persons_found"] == 1


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"full_name": None}, "2213"),
        ({"full_name": ""}, "2213"),
        ({"user_id": None}, "2213"),
        ({"job_id": ""}, "2213"),
        ({"full_name": ["x"]}, "2413"),
        ({"birth_year": "52"}, "2413"),
        ({"birth_year": "19x2"}, "2413"),
        ({"countries": "RU"}, "2413"),
        ({"countries": ["Russia"]}, "2413"),
        ({"strict_match": "maybe"}, "2413"),
        ({"aliases": [1, 2]}, "2413"),
        ({"job_type": 5}, "2413"),
        ({"optional_info": "x"}, "2413"),
    ],
)
def test_bad_input_is_a_400_with_its_code(
    loaded: Runtime, partner: PartnerCreds, client: TestClient, overrides: dict[str, Any], code: str
) -> None:
    response = client.post("/v1/aml", json=aml_body(partner, **overrides))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code and body["success"] is False and body["error"]


def test_a_bad_signature_is_refused(loaded: Runtime, partner: PartnerCreds, client: TestClient) -> None:
    body = {**aml_body(partner), "signature": "AAAA"}
    response = client.post("/v1/aml", json=body)
    assert response.status_code == 400 and response.json()["code"] == "2205"
