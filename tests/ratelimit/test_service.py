from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from openkyc.api_errors import ApiError
from openkyc.blind_index import number_digest
from openkyc.db import transaction
from openkyc.ratelimit import service
from openkyc.ratelimit.models import IdNumberRequests
from openkyc.runtime import Runtime
from tests.server import PartnerCreds

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
NUMBER = "00000000000"


def lookup(runtime: Runtime, partner: PartnerCreds, now: datetime, **overrides: Any) -> service.Decision:
    where: dict[str, Any] = {
        "partner_id": partner.partner_id,
        "environment": "sandbox",
        "country": "NG",
        "id_type": "BVN",
        "id_number": NUMBER,
        **overrides,
    }
    return service.check_and_record(runtime, now=now, **where)


def fill(runtime: Runtime, partner: PartnerCreds, start: datetime, step: timedelta, n: int) -> datetime:
    """``n`` allowed look-ups ``step`` apart from ``start``; the time of the last."""
    at = start
    for i in range(n):
        at = start + i * step
        assert lookup(runtime, partner, at).allowed
    return at


def test_thirty_requests_pass_and_the_thirty_first_is_2222_429(
    runtime: Runtime, partner: PartnerCreds
) -> None:
    last = fill(runtime, partner, T0, timedelta(minutes=1), service.LIMIT)
    with pytest.raises(ApiError) as blocked:
        lookup(runtime, partner, last + timedelta(minutes=1))
    assert blocked.value.http_status == 429
    assert blocked.value.body() == {
        "code": "2222",
        "error": "This ID number has been blocked due to multiple submissions. "
        "Please use the designated endpoint to reactivate it.",
        "success": False,
    }


def test_a_streak_continues_while_each_request_is_within_three_days(
    runtime: Runtime, partner: PartnerCreds
) -> None:
    # 30 requests spread over ~87 days: no 3-day gap, so the 31st is still blocked.
    last = fill(runtime, partner, T0, timedelta(days=3) - timedelta(seconds=1), service.LIMIT)
    with pytest.raises(ApiError):
        lookup(runtime, partner, last + timedelta(days=3) - timedelta(seconds=1))


def test_three_days_after_the_last_request_the_limit_resets(runtime: Runtime, partner: PartnerCreds) -> None:
    last = fill(runtime, partner, T0, timedelta(hours=1), service.LIMIT)
    decision = lookup(runtime, partner, last + timedelta(days=3))
    assert decision.allowed and decision.count == 1


def test_blocked_requests_keep_the_block_alive(runtime: Runtime, partner: PartnerCreds) -> None:
    last = fill(runtime, partner, T0, timedelta(hours=1), service.LIMIT)
    retry = last + timedelta(days=2)
    with pytest.raises(ApiError):
        lookup(runtime, partner, retry)
    with pytest.raises(ApiError):  # 3 days after the 30th, but only 2 after the blocked retry
        lookup(runtime, partner, last + timedelta(days=3, hours=1))


def test_counts_are_per_partner_environment_country_type_and_number(
    runtime: Runtime, partner: PartnerCreds
) -> None:
    from tests.server import make_partner

    last = fill(runtime, partner, T0, timedelta(minutes=1), service.LIMIT)
    at = last + timedelta(minutes=1)
    other = make_partner(runtime, "Other")
    assert lookup(runtime, other, at).allowed
    assert lookup(runtime, partner, at, environment="production").allowed
    assert lookup(runtime, partner, at, country="GH").allowed
    assert lookup(runtime, partner, at, id_type="NIN_V2").allowed
    assert lookup(runtime, partner, at, id_number="00000000001").allowed
    with pytest.raises(ApiError):  # the same number, spelt differently, is the same number
        lookup(runtime, partner, at, id_number=f"  {NUMBER} ", id_type="bvn", country="ng")


def test_the_raw_id_number_is_never_stored(runtime: Runtime, partner: PartnerCreds) -> None:
    lookup(runtime, partner, T0, id_number="A12345678")
    with transaction(runtime.sessions) as session:
        row = session.scalars(select(IdNumberRequests)).one()
        stored = " ".join(str(v) for v in vars(row).values())
    assert "12345678" not in stored
    assert row.id_number_digest == number_digest(service.digest_key(runtime.box), "a12345678")


def test_reset_clears_the_block_at_once(runtime: Runtime, partner: PartnerCreds) -> None:
    last = fill(runtime, partner, T0, timedelta(minutes=1), service.LIMIT)
    key = service.digest_key(runtime.box)
    with transaction(runtime.sessions) as session:
        removed = service.reset(
            db_session=session,
            key=key,
            partner_id=partner.partner_id,
            environment="sandbox",
            id_type="BVN",
            id_number=NUMBER,
        )
    assert removed == 1
    assert lookup(runtime, partner, last + timedelta(minutes=1)).count == 1


def test_a_concurrent_first_insert_is_absorbed(runtime: Runtime, partner: PartnerCreds) -> None:
    """Two first requests racing: the loser's insert fails on the unique key and it counts on."""
    key = service.digest_key(runtime.box)
    fields: dict[str, Any] = {
        "key": key,
        "partner_id": partner.partner_id,
        "environment": "sandbox",
        "country": "NG",
        "id_type": "BVN",
        "id_number": NUMBER,
    }
    with transaction(runtime.sessions) as session:
        service.record_request(db_session=session, now=T0, **fields)
    with transaction(runtime.sessions) as session:
        real_scalars = session.scalars
        calls = iter([True])

        def first_sees_nothing(statement: Any, *args: Any, **kwargs: Any) -> Any:
            if next(calls, False):  # the racing request's row is not yet visible to this one
                statement = statement.where(IdNumberRequests.id < 0)
            return real_scalars(statement, *args, **kwargs)

        session.scalars = first_sees_nothing  # type: ignore[method-assign]
        decision = service.record_request(db_session=session, now=T0, **fields)
    assert decision == service.Decision(allowed=True, count=2)
