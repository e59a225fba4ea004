"""Scrubbing secrets and PII out of log text: defense in depth behind code that never logs them.

Only free text is scrubbed (messages, their arguments, tracebacks); the fields the log formatter
adds itself (job, request and partner ids) are ours and kept. Patterns are deliberately broad: a
log line that loses an innocent long number is cheaper than one that keeps an ID number.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection

from openkyc.observability.context import current_job

REDACTED = "[redacted]"

# Inline images and zips (data URIs, then any long base64 run: a JPEG's base64 has no breaks).
_DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+;base64,[A-Za-z0-9+/=]*")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{64,}={0,2}")
# SQLAlchemy puts a failed statement's bound values in its error text: names, ID numbers, images.
_SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")
# key=value / "key": "value" / Authorization: Bearer … — the value goes, the key stays readable.
_SECRET_FIELD = re.compile(
    r"""(?ix)
    (?P<key>["']?\b(?:sec_key|signature|smile[_-]?signature|api[_-]?key|x-api-key|secret(?:_key)?
        |auth[_-]?token|access[_-]?token|token|password|passwd|authorization)\b["']?\s*[=:]\s*)
    (?P<quote>["']?)(?:(?:bearer|basic|ksig1)\s+)?[^\s"'&,;}]+
    """
)
# user:password@ in URLs (database and broker URLs).
_URL_PASSWORD = re.compile(r"(?P<prefix>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+@", re.IGNORECASE)
# Capability tokens, API keys (UUIDs), signatures (standard base64: '+' and '/'): long runs mixing
# kinds of characters. snake_case names and lowercase paths in tracebacks survive.
_TOKEN_CANDIDATE = re.compile(r"(?<![A-Za-z0-9_+/=-])[A-Za-z0-9_+/=-]{24,}")
# Exception class names (PydanticSerializationError in "unhandled ..." lines and tracebacks):
# letters only, capitalised, ending in Error/Exception/Warning. 24 random base64url characters are
# all letters about once in 150 tries, and then end in one of those words below once in 10^8.
_EXCEPTION_NAME = re.compile(r"[A-Z][A-Za-z]*(?:Error|Exception|Warning)")
_EMAIL = re.compile(r"[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Dates without a time of day are what a DOB looks like; timestamps with a time are kept.
_DATE = re.compile(
    r"\b(?:(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])(?![T ]?\d{1,2}:)"
    r"|(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)\d\d)\b"
)
# ID numbers, BVNs, phone numbers: seven digits or more (not the decimals of a duration).
_DIGITS = re.compile(r"(?<![\d.])\d{7,}")
# Our own messages name a job as "job 0123456789": those 10-digit ids are not PII.
_JOB_REFERENCE = re.compile(r"(?:smile_job_id|SmileJobID|job)[\s:=#\"']{1,3}$", re.IGNORECASE)
SMILE_JOB_ID_LENGTH = 10


def redact(text: str, keep: Collection[str] = ()) -> str:
    """``text`` with secrets and PII-looking fragments replaced; strings in ``keep`` survive."""
    text = _DATA_URI.sub("[redacted:data-uri]", text)
    text = _SQL_PARAMETERS.sub("[parameters: redacted]", text)
    text = _SECRET_FIELD.sub(lambda m: f"{m.group('key')}{m.group('quote')}{REDACTED}", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group('prefix')}{REDACTED}@", text)
    text = _BASE64_RUN.sub("[redacted:base64]", text)
    text = _TOKEN_CANDIDATE.sub(_token, text)
    text = _EMAIL.sub("[redacted:email]", text)
    text = _DATE.sub("[redacted:date]", text)
    return _DIGITS.sub(lambda m: _digits(m, keep), text)


def _token(match: re.Match[str]) -> str:
    run = match.group()
    if _EXCEPTION_NAME.fullmatch(run):
        return run
    upper, lower = any(c.isupper() for c in run), any(c.islower() for c in run)
    if "/" in run or "+" in run:
        # A path has slashes too: only mixed-case runs (base64) count as tokens then.
        secret = upper and lower
    else:
        secret = upper + lower + any(c.isdigit() for c in run) >= 2
    return "[redacted:token]" if secret else run


def _digits(match: re.Match[str], keep: Collection[str]) -> str:
    run = match.group()
    if run in keep:
        return run
    before = match.string[max(0, match.start() - 16) : match.start()]
    if len(run) == SMILE_JOB_ID_LENGTH and _JOB_REFERENCE.search(before):
        return run
    return "[redacted:number]"


class RedactionFilter(logging.Filter):
    """Rewrites a record's message, arguments and traceback through :func:`redact` (once)."""

    _formatter = logging.Formatter()

    def __init__(self, keep: Collection[str] = ()) -> None:
        super().__init__()
        self.keep = tuple(keep)

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_openkyc_redacted", False):
            return True
        job = current_job()
        keep = (*self.keep, job) if job else self.keep
        record.msg = redact(_message(record), keep)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, keep)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, keep)
        record._openkyc_redacted = True
        return True


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:
        # A bad format string must not lose the line (nor raise inside logging).
        return f"{record.msg!s} {record.args!r}"
