"""The look-up-with-limit flow: counted first, a blocked number never reaches the source, a source
that is down (or broken) gives the count back, a refusal by the source keeps it."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from openkyc.api_errors import ApiError
from openkyc.db import transaction
from openkyc.products.authority import AuthorityUnavailable, LookupFailure, RecordNotFound
from openkyc.ratelimit import service
from openkyc.ratelimit.lookup import LimitedLookup
from openkyc.ratelimit.models import IdNumberRequests
from openkyc.runtime import Runtime
from tests.server import PartnerCreds

NUMBER = "00000000001"


def limited(partner: PartnerCreds) -> LimitedLookup:
    return LimitedLookup(
        partner_id=partner.partner_id, environment="sandbox", country="NG", id_type="BVN", id_number=NUMBER
    )


def counted(runtime: Runtime) -> int:
    with transaction(runtime.sessions) as session:
        return sum(session.scalars(select(IdNumberRequests.count)))


def test_an_answer_keeps_the_count(runtime: Runtime, partner: PartnerCreds) -> None:
    lookup = limited(partner)
    lookup.count(runtime)
    assert lookup.run(runtime, "authority test", lambda: "record") == "record"
    assert counted(runtime) == 1


def test_a_refusal_by_the_source_keeps_the_count(runtime: Runtime, partner: PartnerCreds) -> None:
    lookup = limited(partner)
    lookup.count(runtime)

    def not_found() -> str:
        raise RecordNotFound("no such number")

    answer = lookup.run(runtime, "authority test", not_found)
    assert isinstance(answer, RecordNotFound)
    assert counted(runtime) == 1  # the partner's look-up was made


def test_a_source_that_is_down_gives_the_count_back(runtime: Runtime, partner: PartnerCreds) -> None:
    lookup = limited(partner)
    lookup.count(runtime)

    def down() -> str:
        raise AuthorityUnavailable("timeout")

    answer = lookup.run(runtime, "authority test", down)
    assert isinstance(answer, LookupFailure) and answer.retryable
    assert counted(runtime) == 0


def test_an_adapters_bug_becomes_a_retryable_failure_logged_without_its_message(
    runtime: Runtime, partner: PartnerCreds, caplog: pytest.LogCaptureFixture
) -> None:
    lookup = limited(partner)
    lookup.count(runtime)

    def broken() -> str:
        raise KeyError(f"no field for {NUMBER}")  # an adapter's error may quote the number

    with caplog.at_level(logging.ERROR, logger="openkyc.ratelimit.lookup"):
        answer = lookup.run(runtime, "authority test", broken)
    assert isinstance(answer, AuthorityUnavailable) and answer.retryable
    assert counted(runtime) == 0
    assert "authority test failed unexpectedly: KeyError" in caplog.text
    assert NUMBER not in caplog.text


def test_a_blocked_number_raises_2222_before_the_source_is_asked(
    runtime: Runtime, partner: PartnerCreds
) -> None:
    lookup = limited(partner)
    for _ in range(service.LIMIT):
        lookup.count(runtime)
    with pytest.raises(ApiError) as blocked:
        lookup.count(runtime)
    assert (blocked.value.spec.code, blocked.value.http_status) == ("2222", 429)
