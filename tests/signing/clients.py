"""The timestamp strings each official client sends (compatibility §2.1), rebuilt independently.

These formatters deliberately do not use ``openkyc.signing`` so the tests compare our parser with
an independent rendering of each SDK's output.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

# A partner in Lagos (+01:00) for the clients that write local time with an offset.
LAGOS = timezone(timedelta(hours=1))


def python_new(moment: datetime) -> str:
    # smile-id-core >= 3.0.1: datetime.now(timezone.utc).isoformat()
    return moment.astimezone(UTC).isoformat()


def python_old(moment: datetime) -> str:
    # smile-id-core < 3.0.1: naive datetime.now().isoformat() on a server whose clock is UTC.
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def javascript(moment: datetime) -> str:
    # new Date().toISOString(); Android's yyyy-MM-dd'T'HH:mm:ss.SSS'Z' and Ruby's headers are the same.
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def ruby(moment: datetime) -> str:
    # Time.now.to_s in the partner's local zone.
    return moment.astimezone(LAGOS).strftime("%Y-%m-%d %H:%M:%S %z")


def php_atom(moment: datetime) -> str:
    # date(DATE_ATOM) in the partner's default zone, no fraction.
    return moment.astimezone(LAGOS).isoformat(timespec="seconds")


def java(digits: int) -> Callable[[datetime], str]:
    # Instant.now().toString(): as many fraction digits as needed, 0/3/6/9, then Z.
    def render(moment: datetime) -> str:
        utc = moment.astimezone(UTC)
        base = utc.strftime("%Y-%m-%dT%H:%M:%S")
        nanos = f"{utc.microsecond:06d}789"
        return base + (f".{nanos[:digits]}" if digits else "") + "Z"

    return render


CLIENT_FORMATS: dict[str, Callable[[datetime], str]] = {
    "python>=3.0.1": python_new,
    "python<3.0.1": python_old,
    "javascript": javascript,
    "ruby": ruby,
    "php": php_atom,
    "java-0": java(0),
    "java-3": java(3),
    "java-6": java(6),
    "java-9": java(9),
    "android": javascript,
}
