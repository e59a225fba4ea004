"""Lenient parsing of the timestamps Smile ID clients send, and the freshness check.

The HMAC is always computed over the exact string received (see ``sid_request``); parsing here is
only for the freshness window, so it accepts every format a real SDK emits (compatibility §2.1):

* ISO 8601 with ``T`` or a space, ``Z``/``±HH:MM``/``±HHMM``/``±HH`` or no offset (naive = UTC,
  which is what Python SDKs before 3.0.1 effectively meant to send), any number of fraction digits
  (Java emits 0/3/6/9; digits beyond microseconds are truncated);
* Ruby ``Time#to_s`` ``2026-11-21 23:52:10 +0000`` (and ``UTC``/``GMT`` for UTC-mode times);
* PHP ``DATE_ATOM`` ``2026-11-21T23:52:10+00:00``;
* Unix epoch seconds or milliseconds as a number or a digit string.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone

from openkyc.signing.errors import describe_duration

# The Python SDK's WebApi signs once in its constructor and reuses that timestamp for every upload
# and job_status poll made with the object (compatibility §2.1), so a partner that keeps one
# WebApi for the life of its process sends timestamps as old as the process. A day keeps such
# daily-restarted workers working while still refusing captured requests replayed days later.
DEFAULT_FRESHNESS = timedelta(hours=24)

# Epoch values at or above this are milliseconds: 1e11 seconds is the year 5138, while 1e11
# milliseconds is March 1973, before any signed request could have been made.
_MILLISECONDS_THRESHOLD = 100_000_000_000

_ISO = re.compile(
    r"""
    (?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})
    [Tt\ ]
    (?P<hour>\d{2}):(?P<minute>\d{2})
    (?: :(?P<second>\d{2}) (?: [.,](?P<fraction>\d+) )? )?
    \ ?
    (?P<zone> [Zz] | UTC | GMT | [+-]\d{2}(?::?\d{2})? )?
    """,
    re.VERBOSE,
)
_EPOCH = re.compile(r"(?P<whole>\d+)(?:\.(?P<fraction>\d+))?")


# The longest timestamp a real client sends is ISO 8601 with nanoseconds and an offset (35
# characters); anything far longer is refused before a regex or int() looks at it.
MAX_TIMESTAMP_LENGTH = 64


class TimestampError(ValueError):
    """The value is not a timestamp in any format a Smile ID client sends."""

    def __init__(self, raw: object, reason: str) -> None:
        super().__init__(f"unrecognised timestamp {_describe(raw)}: {reason}")
        self.raw = raw
        self.reason = reason


def _describe(raw: object) -> str:
    # repr() of an int of more than 4,300 digits raises, and a huge value does not belong in a
    # message anyway: long values are described by their size.
    if isinstance(raw, int) and not isinstance(raw, bool) and raw.bit_length() > 64:
        return f"<integer of {raw.bit_length()} bits>"
    if isinstance(raw, str) and len(raw) > MAX_TIMESTAMP_LENGTH:
        return f"<string of {len(raw)} characters>"
    return repr(raw)


class StaleTimestamp(ValueError):
    """The timestamp is outside the freshness window.

    ``age`` is ``now - timestamp``: positive when the timestamp is in the past, negative when it is
    in the future.
    """

    def __init__(self, age: timedelta, window: timedelta) -> None:
        where = "in the future" if age < timedelta(0) else "old"
        super().__init__(
            f"timestamp is {describe_duration(age)} {where}, outside the window of {describe_duration(window)}"
        )
        self.age = age
        self.window = window

    @property
    def in_future(self) -> bool:
        return self.age < timedelta(0)


def parse_timestamp(raw: str | int | float) -> datetime:
    """Parse ``raw`` into an aware UTC datetime, or raise ``TimestampError``."""
    # bool is an int subclass; ``true`` in a JSON body is garbage, not 1970-01-01T00:00:00.001.
    if isinstance(raw, bool):
        raise TimestampError(raw, "a boolean is not a timestamp")
    if isinstance(raw, int | float):
        return _from_epoch(raw, raw)
    if not isinstance(raw, str):
        raise TimestampError(raw, f"expected a string or a number, got {type(raw).__name__}")
    text = raw.strip()
    if len(text) > MAX_TIMESTAMP_LENGTH:
        raise TimestampError(raw, f"longer than {MAX_TIMESTAMP_LENGTH} characters")
    epoch = _EPOCH.fullmatch(text)
    if epoch:
        # A float keeps ~16 significant digits, which is microseconds for epoch seconds.
        return _from_epoch(float(text) if epoch["fraction"] else int(text), raw)
    iso = _ISO.fullmatch(text)
    if iso:
        return _from_iso(iso, raw)
    raise TimestampError(raw, "neither ISO 8601 nor a Unix epoch")


def check_freshness(ts: datetime, now: datetime, window: timedelta) -> None:
    """Raise ``StaleTimestamp`` when ``ts`` is more than ``window`` before or after ``now``.

    The bound is inclusive. Both datetimes must be aware; a naive one is a programming error.
    """
    if ts.tzinfo is None or now.tzinfo is None:
        raise ValueError("check_freshness needs timezone-aware datetimes")
    age = now - ts
    if abs(age) > window:
        raise StaleTimestamp(age, window)


def _from_epoch(value: int | float, raw: object) -> datetime:
    if isinstance(value, float) and not math.isfinite(value):
        raise TimestampError(raw, "not a finite number")
    if value < 0:
        raise TimestampError(raw, "negative epoch")
    try:
        seconds = value / 1000 if value >= _MILLISECONDS_THRESHOLD else value
        # Integer milliseconds go through timedelta so no float rounding touches them.
        if isinstance(value, int) and value >= _MILLISECONDS_THRESHOLD:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=value)
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise TimestampError(raw, "epoch out of range") from exc


def _from_iso(match: re.Match[str], raw: object) -> datetime:
    fraction = match["fraction"] or ""
    # Truncate (not round) beyond microseconds: Java's nanoseconds must not roll into the next second.
    microsecond = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        return datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            microsecond,
            tzinfo=_zone(match["zone"], raw),
        ).astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise TimestampError(raw, str(exc)) from exc


def _zone(zone: str | None, raw: object) -> timezone:
    if zone is None or zone in {"Z", "z", "UTC", "GMT"}:
        return UTC
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise TimestampError(raw, f"UTC offset {zone} out of range")
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if zone[0] == "-" else offset)
