"""A base for adapters to a real authority's HTTP API.

A concrete adapter says how to build the request and read the answer; the base sends it with a
timeout and maps transport failures and 5xx answers to :class:`AuthorityUnavailable` (retryable,
not charged), 404 to :class:`RecordNotFound` and 400/422 to :class:`InvalidIdNumber`. Credentials
stay in the adapter's headers; nothing of the request or answer is logged.
"""

from __future__ import annotations

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
