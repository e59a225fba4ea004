"""The request objects every V3 entry endpoint shares (``notes.md`` §1, the spec's schemas):
``consent``, ``user_details``, ``partner_params``, ``metadata``, ``callback_url``, the user id
(``User-ID`` header, body or token) and the ID fields, each checked with the spec's messages.

A scoped token (signing.v3_tokens) binds fields: its values replace the body's, which makes
those fields optional on the call (``TokenScope.payload``), and its user id must agree with the
header's and the body's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from openkyc.services.id_types import id_number_type
from openkyc.signing.v3_tokens import TokenScope
from openkyc.typeid import new as new_typeid
from openkyc.v3.errors import V3Error, bad_request, invalid, missing
from openkyc.v3.forms import V3Form

_LANGUAGE = re.compile(r"^[A-Z]{2}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# Clocks differ: a consent stamped up to a minute ahead is taken as now.
CONSENT_CLOCK_SKEW = timedelta(minutes=1)
MAX_USER_ID = 200
MAX_URL = 2048
MAX_NAME = 200
MAX_PARTNER_PARAMS = 50
MAX_METADATA = 50
# partner_params keys the platform uses itself: never taken from a partner, never echoed.
INTERNAL_PARAMS = frozenset({"job_id", "job_type", "user_id", "_sandbox_v3"})

TRUE_WORDS = {"true", "1"}
FALSE_WORDS = {"false", "0"}


# The spec's 403 for a user id that the token (bound to another user) does not cover.
NOT_THIS_USER = "Token is not authorized for this user ID."


def boolean(value: str | None, name: str, *, default: bool = False) -> bool:
    """A scalar boolean part ("true"/"false"; absent: ``default``)."""
    if value is None or value == "":
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise invalid(name)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 date-time in UTC (no zone: UTC), or None when it is not one (also one whose
    offset takes it out of the calendar's range, such as 0001-01-01T00:00+05:00)."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def consent(
    value: Any, *, now: datetime, strict: bool = True, absent_message: str | None = None
) -> dict[str, Any]:
    """The ``consent`` object: all four fields, granted, not stamped in the future.

    ``strict`` (entry endpoints): an upper-case language and an https policy URL. A token's
    payload (``strict=False``) may give a lower-case language (upper-cased) and an http URL.
    ``absent_message``: an operation's own text for no consent at all (Enhanced KYC sync's).
    """
    if value is None and absent_message is not None:
        raise bad_request(absent_message)
    if not isinstance(value, dict):
        raise missing("consent")
    if value.get("granted") is not True:
        raise missing("consent.granted")
    granted_at = parse_time(value.get("granted_at"))
    if granted_at is None:
        raise missing("consent.granted_at")
    if granted_at > now + CONSENT_CLOCK_SKEW:
        raise bad_request("Required field 'consent.granted_at' cannot be set in the future.")
    language = value.get("notice_language")
    if not isinstance(language, str) or not _LANGUAGE.match(language if strict else language.upper()):
        raise missing("consent.notice_language")
    policy = value.get("notice_privacy_policy_url")
    schemes = ("https://",) if strict else ("https://", "http://")
    if not isinstance(policy, str) or not policy.startswith(schemes) or len(policy) > MAX_URL:
        raise missing("consent.notice_privacy_policy_url")
    return {
        "granted": True,
        "granted_at": granted_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "notice_language": language.upper(),
        "notice_privacy_policy_url": policy,
    }


def user_details(value: Any, *, prefix: str = "") -> dict[str, Any]:
    """``user_details``: given names and last name, and an e-mail address or a phone number.

    ``prefix`` ("user_details.") is how the AML endpoints name its fields in their messages.
    """
    if not isinstance(value, dict):
        raise missing("user_details")
    details: dict[str, Any] = {}
    for name in ("given_names", "last_name"):
        text = value.get(name)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_NAME:
            raise missing(f"{prefix}{name}")
        details[name] = text.strip()
    email, phone = value.get("email"), value.get("phone_number")
    if email is not None and (not isinstance(email, str) or not _EMAIL.match(email)):
        raise invalid("email")
    if phone is not None and (not isinstance(phone, str) or not _PHONE.match(phone)):
        raise invalid("phone_number")
    if not email and not phone:
        raise bad_request(
            f"Either {prefix}email or {prefix}phone_number is required."
            if prefix
            else "Either email or phone_number is required."
        )
    details["email"] = email
    details["phone_number"] = phone
    return details


def partner_params(value: Any) -> dict[str, str]:
    """``partner_params``: an object of short strings (numbers and booleans read as text)."""
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_PARTNER_PARAMS:
        raise invalid("partner_params")
    params: dict[str, str] = {}
    for key, item in value.items():
        if key in INTERNAL_PARAMS or len(key) > 100:
            continue
        if isinstance(item, bool):
            params[key] = "true" if item else "false"
        elif isinstance(item, str | int | float) and len(str(item)) <= 1000:
            params[key] = str(item)
        else:
            raise invalid("partner_params")
    return params


def metadata(value: Any) -> list[dict[str, str]]:
    """``metadata``: a list of ``{name, value}`` (names at most 100 characters, values 1000)."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_METADATA:
        raise invalid("metadata")
    entries: list[dict[str, str]] = []
    for entry in value:
        if not isinstance(entry, dict):
            raise invalid("metadata")
        name, text = entry.get("name"), entry.get("value")
        if not isinstance(name, str) or not name or len(name) > 100:
            raise invalid("metadata")
        if isinstance(text, bool | int | float):
            text = str(text)
        if not isinstance(text, str) or len(text) > 1000:
            raise invalid("metadata")
        entries.append({"name": name, "value": text})
    return entries


def https_url(value: Any, name: str) -> str | None:
    """An absolute https URL (the V3 API accepts no other), None when absent."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_URL or not re.match(r"^https://[^\s/?#]+", value):
        raise invalid(name)
    if any(ord(char) < 0x21 for char in value):
        raise invalid(name)
    return value


def resolve_user_id(*, header: str | None, body: str | None, scope: TokenScope) -> str:
    """The job's user: ``User-ID`` header, body ``user_id`` and the token's must agree (403);
    none given, a fresh ``user_…`` TypeID."""
    given = {value.strip() for value in (header, body, scope.user_id) if value is not None and value.strip()}
    if len(given) > 1:
        raise V3Error(403, NOT_THIS_USER)
    if not given:
        return new_typeid("user")
    (user_id,) = given
    if len(user_id) > MAX_USER_ID or any(ord(char) < 0x20 for char in user_id):
        raise invalid("user_id")
    return user_id


def country(value: str | None, *, required: bool = True) -> str | None:
    if value is None or not value.strip():
        if required:
            raise missing("country")
        return None
    code = value.strip()
    if not _COUNTRY.match(code):
        raise invalid("country")
    return code


def id_type(value: str | None, *, required: bool = True) -> str | None:
    if value is None or not value.strip():
        if required:
            raise missing("id_type")
        return None
    text = value.strip()
    if len(text) > 64 or not re.match(r"^[A-Za-z0-9_]+$", text):
        raise invalid("id_type")
    return text


def id_number(value: str | None, *, country_code: str, type_code: str, required: bool = True) -> str | None:
    """The ID number, checked against its type's documented format where there is one."""
    if value is None or not value.strip():
        if required:
            raise missing("id_number")
        return None
    number = value.strip()
    if len(number) > 100:
        raise invalid("id_number")
    known = id_number_type(country_code, type_code)
    if known is not None and known.regex and not re.fullmatch(known.regex, number):
        raise bad_request("Invalid ID number format for the specified country and ID type.")
    return number


@dataclass(frozen=True)
class Common:
    """The parts every entry endpoint takes, checked, with the token's bound fields applied."""

    user_id: str
    user_details: dict[str, Any]
    consent: dict[str, Any]
    partner_params: dict[str, str]
    metadata: list[dict[str, str]]
    callback_url: str | None

    def record(self, product: str) -> dict[str, Any]:
        """What a V3 job keeps of its request (jobs.v3_request, sealed)."""
        return {
            "product": product,
            "user_details": self.user_details,
            "consent": self.consent,
            "metadata": self.metadata,
        }


def _bound(scope: TokenScope, name: str, sent: Any) -> Any:
    """The token's value of a payload field where it binds one, else what the request sent."""
    return scope.payload.get(name, sent)


def common(
    form: V3Form,
    *,
    scope: TokenScope,
    user_header: str | None,
    now: datetime,
    details_prefix: str = "",
    consent_absent: str | None = None,
) -> Common:
    """Read and check the shared parts of an entry request (400/403 with the spec's texts;
    ``consent_absent``: the operation's own text for a request without consent)."""
    sent_details = form.json("user_details")
    bound = {
        name: scope.payload[name]
        for name in ("given_names", "last_name", "email", "phone_number")
        if name in scope.payload
    }
    if bound:
        sent_details = {**(sent_details if isinstance(sent_details, dict) else {}), **bound}
    sent_consent = _bound(scope, "consent", form.json("consent"))
    params = partner_params(form.json("partner_params"))
    if scope.partner_params:
        params = {**params, **partner_params(scope.partner_params)}
    return Common(
        user_id=resolve_user_id(header=user_header, body=form.text("user_id"), scope=scope),
        consent=consent(sent_consent, now=now, absent_message=consent_absent),
        user_details=user_details(sent_details, prefix=details_prefix),
        partner_params=params,
        metadata=metadata(form.json("metadata")),
        callback_url=https_url(_bound(scope, "callback_url", form.text("callback_url")), "callback_url"),
    )
