from __future__ import annotations

import base64
import json

import httpx
import pytest

from openkyc.authorities.base import LookupRequest
from openkyc.authorities.http import GatewayAuthority, HttpAuthority
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


def gateway_answering(
    status: int, body: object = None, *, seen: list[httpx.Request] | None = None, token: str = "t0ken"
) -> GatewayAuthority:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return httpx.Response(status, json=body)

    client = httpx.Client(transport=httpx.MockTransport(handler))
    return GatewayAuthority("https://gateway.internal/v1/lookup", token=token, client=client)


def test_the_gateway_gets_the_lookup_as_json_with_the_bearer_token() -> None:
    seen: list[httpx.Request] = []
    request = LookupRequest(
        country="KE",
        id_type="NATIONAL_ID",
        id_number="12345678",
        environment="production",
        first_name="Ada",
        dob="1815-12-10",
        partner_params={"user_id": "partner-secret"},
    )
    gateway_answering(200, {"full_name": "Ada Lovelace"}, seen=seen).lookup(request)
    sent = seen[0]
    assert (sent.method, str(sent.url)) == ("POST", "https://gateway.internal/v1/lookup")
    assert sent.headers["Authorization"] == "Bearer t0ken"
    # What the partner said about the person, never its partner_params or the key's environment.
    assert json.loads(sent.content) == {
        "country": "KE",
        "id_type": "NATIONAL_ID",
        "id_number": "12345678",
        "first_name": "Ada",
        "dob": "1815-12-10",
    }


def test_without_a_token_no_authorization_is_sent() -> None:
    seen: list[httpx.Request] = []
    gateway_answering(200, {}, seen=seen, token="").lookup(REQUEST)
    assert "Authorization" not in seen[0].headers


def test_the_gateway_record_is_read_by_the_record_field_names() -> None:
    photo = b"\xff\xd8\xff\xe0 a jpeg"
    body = {
        "full_name": "Ada Lovelace",
        "dob": "1815-12-10",
        "phone_number": 254700000000,  # a number where text was meant is written out
        "address": "",
        "photo": base64.b64encode(photo).decode(),
        "registry_extra": {"district": "Nairobi"},
    }
    record = gateway_answering(200, body).lookup(REQUEST)
    assert (record.full_name, record.dob, record.phone_number) == (
        "Ada Lovelace",
        "1815-12-10",
        "254700000000",
    )
    assert record.address is None and record.gender is None and record.photo == photo
    assert record.full_data == {key: value for key, value in body.items() if key != "photo"}


@pytest.mark.parametrize(
    "body",
    [["not", "an", "object"], {"photo": "not base64!"}, {"photo": 12}, {"full_name": {"nested": 1}}],
)
def test_an_unreadable_gateway_answer_is_the_authority_unavailable(body: object) -> None:
    with pytest.raises(AuthorityUnavailable, match="unreadable answer"):
        gateway_answering(200, body).lookup(REQUEST)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("ftp://gateway.internal/lookup", "URL with a host"),
        ("gateway.internal/lookup", "URL with a host"),
        ("https://user:pw@gateway.internal/lookup", "not in its URL"),
    ],
)
def test_a_gateway_url_that_is_not_usable_is_refused(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        GatewayAuthority(url)


def test_the_token_is_in_no_repr_nor_failure() -> None:
    gateway = gateway_answering(503, {}, token="s3cret-token")
    with pytest.raises(AuthorityUnavailable) as failure:
        gateway.lookup(REQUEST)
    assert "s3cret-token" not in repr(gateway) and "s3cret-token" not in str(failure.value)
