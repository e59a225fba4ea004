from __future__ import annotations

import httpx
import pytest

from openkyc.authorities.base import LookupRequest
from openkyc.authorities.http import HttpAuthority
from openkyc.products.authority import (
    AuthorityRecord,
    AuthorityUnavailable,
    InvalidIdNumber,
    LookupFailure,
    RecordNotFound,
)


class ExampleAuthority(HttpAuthority):
    name = "example"

    def build_request(self, request: LookupRequest) -> httpx.Request:
        return httpx.Request("GET", f"https://authority.example/v1/persons/{request.id_number}")

    def parse_record(self, response: httpx.Response) -> AuthorityRecord:
        body = response.json()
        return AuthorityRecord(full_name=body["name"], dob=body["birth_date"], full_data=body)


def authority_answering(status: int, body: object = None, *, fail: bool = False) -> ExampleAuthority:
    def handler(request: httpx.Request) -> httpx.Response:
        if fail:
            raise httpx.ConnectTimeout("timed out", request=request)
        return httpx.Response(status, json=body)

    return ExampleAuthority(client=httpx.Client(transport=httpx.MockTransport(handler)))


REQUEST = LookupRequest(country="KE", id_type="NATIONAL_ID", id_number="12345678", environment="production")


def test_a_record_is_parsed() -> None:
    record = authority_answering(200, {"name": "Ada Lovelace", "birth_date": "1815-12-10"}).lookup(REQUEST)
    assert record.full_name == "Ada Lovelace" and record.dob == "1815-12-10"


@pytest.mark.parametrize(
    ("status", "body", "fail", "failure"),
    [
        (404, {}, False, RecordNotFound),
        (422, {}, False, InvalidIdNumber),
        (503, {}, False, AuthorityUnavailable),
        (200, {"unexpected": True}, False, AuthorityUnavailable),
        (200, None, True, AuthorityUnavailable),
    ],
)
def test_answers_map_to_typed_failures(
    status: int, body: object, fail: bool, failure: type[LookupFailure]
) -> None:
    with pytest.raises(failure):
        authority_answering(status, body, fail=fail).lookup(REQUEST)
