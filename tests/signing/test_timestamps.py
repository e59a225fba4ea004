from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from openkyc.signing.timestamps import (
    DEFAULT_FRESHNESS,
    StaleTimestamp,
    TimestampError,
    check_freshness,
    parse_timestamp,
)

MOMENT = datetime(2026, 11, 21, 23, 52, 10, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-21T23:52:10.123456+00:00", MOMENT),
        ("2026-11-21T23:52:10+00:00", MOMENT.replace(microsecond=0)),
        ("2026-11-21T23:52:10.123456", MOMENT),  # naive = UTC
        ("2026-11-21T23:52:10.123Z", MOMENT.replace(microsecond=123000)),
        ("2026-11-21T23:52:10Z", MOMENT.replace(microsecond=0)),
        ("2026-11-21T23:52:10.123456Z", MOMENT),
        ("2026-11-21T23:52:10.123456999Z", MOMENT),  # nanoseconds truncated, not rounded
        ("2026-11-21T23:52:10.999999999Z", datetime(2026, 11, 21, 23, 52, 10, 999999, tzinfo=UTC)),
        ("2026-11-22 00:52:10 +0100", MOMENT.replace(microsecond=0)),  # Ruby Time#to_s
        ("2026-11-21 23:52:10 UTC", MOMENT.replace(microsecond=0)),  # Ruby Time#to_s in UTC mode
        ("2026-11-22T00:52:10+01:00", MOMENT.replace(microsecond=0)),  # PHP ATOM
        ("2026-11-21T18:22:10.123456-0530", MOMENT),
        ("2026-11-22T04:52:10.123456+05", MOMENT),
        ("  2026-11-21T23:52:10.123456Z \n", MOMENT),
        ("2026-11-21t23:52:10.123456z", MOMENT),
    ],
)
def test_iso_family(raw: str, expected: datetime) -> None:
    parsed = parse_timestamp(raw)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_epoch_milliseconds_and_seconds_are_told_apart_by_magnitude() -> None:
    seconds = int(MOMENT.timestamp())
    millis = seconds * 1000 + 123
    assert parse_timestamp(millis) == datetime.fromtimestamp(seconds, UTC) + timedelta(milliseconds=123)
    assert parse_timestamp(str(millis)) == parse_timestamp(millis)
    assert parse_timestamp(seconds) == datetime.fromtimestamp(seconds, UTC)
    assert parse_timestamp(str(seconds)) == datetime.fromtimestamp(seconds, UTC)
    assert parse_timestamp(seconds + 0.5) == datetime.fromtimestamp(seconds, UTC) + timedelta(
        milliseconds=500
    )
    assert parse_timestamp(f"{seconds}.25") == datetime.fromtimestamp(seconds, UTC) + timedelta(
        milliseconds=250
    )
    assert parse_timestamp(millis).tzinfo is UTC


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "garbage",
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-11-21T25:00:00Z",
        "2026-11-21T23:52:10+24:00",
        "2026-11-21T23:52:10 +01:60",
        "2026-11-21",
        "21/11/2026 23:52:10",
        "2026-11-21T23:52:10.Z",
        "-1732233130",
        "1e12",
        "9" * 30,
        True,
        -5,
        float("nan"),
        float("inf"),
        10**30,
    ],
)
def test_garbage_raises_timestamp_error(raw: str | int | float) -> None:
    with pytest.raises(TimestampError) as info:
        parse_timestamp(raw)
    assert info.value.raw is raw


def test_a_non_string_non_number_is_refused() -> None:
    with pytest.raises(TimestampError):
        parse_timestamp(None)  # type: ignore[arg-type]


def test_freshness_allows_the_window_inclusive_in_both_directions() -> None:
    window = timedelta(minutes=5)
    check_freshness(MOMENT, MOMENT + window, window)
    check_freshness(MOMENT, MOMENT - window, window)
    check_freshness(MOMENT, MOMENT, window)


def test_an_old_timestamp_is_stale_with_its_age() -> None:
    now = MOMENT + timedelta(hours=30)
    with pytest.raises(StaleTimestamp) as info:
        check_freshness(MOMENT, now, DEFAULT_FRESHNESS)
    assert info.value.age == timedelta(hours=30)
    assert info.value.window == DEFAULT_FRESHNESS
    assert not info.value.in_future
    assert "1 day 6 hours old" in str(info.value)


def test_a_future_timestamp_is_stale_and_says_so() -> None:
    now = MOMENT - timedelta(minutes=10, seconds=1)
    with pytest.raises(StaleTimestamp) as info:
        check_freshness(MOMENT, now, timedelta(minutes=10))
    assert info.value.in_future
    assert info.value.age == -timedelta(minutes=10, seconds=1)
    assert "in the future" in str(info.value)


def test_freshness_compares_instants_not_wall_clocks() -> None:
    lagos_now = (MOMENT + timedelta(minutes=1)).astimezone(timezone(timedelta(hours=1)))
    check_freshness(MOMENT, lagos_now, timedelta(minutes=2))


def test_freshness_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check_freshness(MOMENT.replace(tzinfo=None), MOMENT, DEFAULT_FRESHNESS)


def test_an_absurdly_long_epoch_is_a_format_error_not_an_overflow() -> None:
    with pytest.raises(TimestampError):
        parse_timestamp("9" * 400)


@pytest.mark.parametrize(
    "raw",
    ["9" * 5000, " " + "1" * 5000, "1" * 5000 + ".5", "2026-11-21T23:52:10." + "1" * 5000 + "Z", 10**5000],
    ids=["digits", "padded", "fraction", "iso-fraction", "huge-int"],
)
def test_a_5000_digit_timestamp_is_a_format_error_not_a_crash(raw: str | int) -> None:
    # int() refuses strings of more than 4,300 digits (a ValueError that is not a TimestampError),
    # and repr() of such an int raises too: both used to escape as a 500.
    with pytest.raises(TimestampError) as caught:
        parse_timestamp(raw)
    assert len(str(caught.value)) < 200
