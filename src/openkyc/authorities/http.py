"""A base for adapters to a real authority's HTTP API.

A concrete adapter says how to build the request and read the answer; the base sends it with a
timeout and maps transport failures and 5xx answers to :class:`AuthorityUnavailable` (retryable,
not charged), 404 to :class:`RecordNotFound` and 400/422 to :class:`InvalidIdNumber`. Credentials
stay in the adapter's headers; nothing of the request or answer is logged.
"""

from __future__ import annotations

import base64
from abc import ABC, abstractmethod

import httpx

from openkyc.authorities.base import LookupRequest
from openkyc.products.authority import AuthorityRecord, AuthorityUnavailable, InvalidIdNumber, RecordNotFound

DEFAULT_TIMEOUT_S = 15.0


class HttpAuthority(ABC):
    name = "http"

    def __init__(self, client: httpx.Client | None = None, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._client = client or httpx.Client(timeout=timeout_s, follow_redirects=False)

    @abstractmethod
    def build_request(self, request: LookupRequest) -> httpx.Request:
        """The authority's request for this look-up."""

    @abstractmethod
    def parse_record(self, response: httpx.Response) -> AuthorityRecord:
        """The record in a successful (2xx) answer; raise a LookupFailure for a 2xx 'not found'."""

    def lookup(self, request: LookupRequest) -> AuthorityRecord:
        try:
            response = self._client.send(self.build_request(request))
        except httpx.HTTPError as error:
            raise AuthorityUnavailable(f"{self.name}: {type(error).__name__}") from error
        if response.status_code == 404:
            raise RecordNotFound(f"{self.name}: no record")
        if response.status_code in (400, 422):
            raise InvalidIdNumber(f"{self.name}: the authority refused the ID number")
        if not response.is_success:
            raise AuthorityUnavailable(f"{self.name}: HTTP {response.status_code}")
        try:
            return self.parse_record(response)
        except (ValueError, KeyError) as error:
            raise AuthorityUnavailable(f"{self.name}: unreadable answer") from error


# The fields a gateway may answer with: the record's own names (photo is base64, read apart).
_RECORD_TEXT_FIELDS = tuple(
    name for name in AuthorityRecord.__dataclass_fields__ if name not in ("photo", "full_data")
)
_REQUEST_FIELDS = (
    "country", "id_type", "id_number", "first_name", "middle_name", "last_name", "dob", "gender", "phone_number",
)  # fmt: skip


class GatewayAuthority(HttpAuthority):
    """A JSON gateway in front of one or more national authorities (the built-in ``http`` provider).

    National databases each have their own API, contract and network path, so an installation
    puts a small gateway of its own (or an aggregator's) in front of them and this adapter speaks
    one documented contract to it: ``POST <url>`` with ``{"country", "id_type", "id_number"}`` and
    whichever of ``first_name``, ``middle_name``, ``last_name``, ``dob``, ``gender``,
    ``phone_number`` the partner sent (never its ``partner_params``), ``Authorization: Bearer
    <token>`` when a token is set. A record answers 2xx with a JSON object using
    :class:`AuthorityRecord`'s field names (``photo`` base64); 404 is no record, 400/422 an invalid
    number, anything else the authority unavailable (see :class:`HttpAuthority`).
    """

    name = "gateway"

    def __init__(
        self,
        url: str,
        *,
        token: str = "",
        client: httpx.Client | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        parsed = httpx.URL(url)
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError("the gateway URL must be an http(s) URL with a host")
        if parsed.userinfo:
            # A URL is logged by HTTP libraries and shown in errors; a token is not.
            raise ValueError("put the gateway's credentials in the token setting, not in its URL")
        super().__init__(client, timeout_s)
        self._url = parsed
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def __repr__(self) -> str:  # never the token
        return f"GatewayAuthority({str(self._url)!r})"

    def build_request(self, request: LookupRequest) -> httpx.Request:
        body = {name: value for name in _REQUEST_FIELDS if (value := getattr(request, name)) is not None}
        return self._client.build_request("POST", self._url, json=body, headers=self._headers)

    def parse_record(self, response: httpx.Response) -> AuthorityRecord:
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError("the gateway's answer is not a JSON object")
        texts = {name: _text(body.get(name)) for name in _RECORD_TEXT_FIELDS}
        photo = body.get("photo")
        if photo is not None and not isinstance(photo, str):
            raise ValueError("photo is not base64 text")
        return AuthorityRecord(
            **texts,
            photo=base64.b64decode(photo, validate=True) if photo else None,
            full_data={key: value for key, value in body.items() if key != "photo"},
        )


def _text(value: object) -> str | None:
    """A field's text; numbers (a phone number sent as one) are written out, empty text is none."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        return str(value) or None
    raise ValueError("a record field is not text")
