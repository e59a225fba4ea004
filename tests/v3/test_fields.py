"""openkyc.v3.fields' readers on their own: what a request's text gives them, and no exception
but a V3Error (the spec's 400) for any text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openkyc.v3.errors import V3Error
from openkyc.v3.fields import consent, parse_time

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CONSENT = {
    "granted": True,
    "granted_at": "2026-03-10T12:00:00.000Z",
    "notice_language": "EN",
    "notice_privacy_policy_url": "https://example.com/privacy",
}


def test_parse_time_reads_iso_times_in_utc() -> None:
    assert parse_time("2026-03-10T13:00:00+01:00") == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert parse_time("2026-03-10T12:00:00") == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert parse_time("2026-03-10T12:00:00Z") == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert parse_time("yesterday") is None


@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_time_its_offset_takes_out_of_range_is_no_time(stamp: str) -> None:
    # In UTC these fall before year 1 or after 9999: once an OverflowError, a 500.
    assert parse_time(stamp) is None
    with pytest.raises(V3Error) as refused:
        consent({**CONSENT, "granted_at": stamp}, now=NOW)
    assert refused.value.http_status == 400
    assert refused.value.message == "Required field 'consent.granted_at' is missing or invalid."
