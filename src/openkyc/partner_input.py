"""What partners send, read in one place: JSON with bounds, text without unstorable characters.

Every JSON document a partner controls (v1 bodies, v2 ``partner_params``, a zip's ``info.json``)
is parsed by :func:`parse_json`, and every free-text form part or header is checked by
:func:`check_text`, so that nothing downstream has to cope with input that breaks it:

* numbers are bounded in length (Python refuses to convert integers of more than 4,300 digits,
  and an overflowing float becomes ``inf``, which is not JSON and cannot be stored as JSON);
* nesting is bounded in depth, counted before parsing (the C decoder recurses once per level);
* strings, keys included, may not hold an unpaired surrogate (``"\\ud800"`` is legal JSON text but
  not Unicode: it cannot be encoded as UTF-8 for SQLite, PostgreSQL, the HMAC or the response) nor
  NUL (PostgreSQL's ``text`` and ``jsonb`` refuse it).

Callers turn :class:`PartnerInputError` into the code their endpoint documents (2203 for JSON).
Every job's ``partner_params`` pass :func:`parse_partner_params`, which answers with the documented
codes itself (2213/2204/2212).
Messages name the problem, never the value.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import InstanceOf, WithJsonSchema

from openkyc.api_errors import INVALID_JOB_TYPE, MISSING_PARAMETER, WRONG_DATA_TYPE, ApiError
from openkyc.job_types import KNOWN_JOB_TYPES

# The API's documents are a few levels deep (a body, its partner_params or id_info, a list in
# them); 32 leaves room for partners' own nested partner_params and stops pathological nesting.
MAX_DEPTH = 32
# Characters of a number literal (sign, digits, fraction and exponent): epoch milliseconds have 13
# digits and a double's shortest form at most 24 characters; 64 refuses only the absurd.
MAX_NUMBER_LENGTH = 64

# A JSON string (skipped whole, so brackets inside it do not count) or a bracket.
_STRUCTURE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
# Python keeps a valid surrogate pair as one astral character, so any surrogate left is unpaired.
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


class PartnerInputError(ValueError):
    """Partner input this server refuses to process; the message says why, without the value."""


def parse_json(data: bytes | str) -> Any:
    """``data`` as JSON, within the bounds above; raises :class:`PartnerInputError` otherwise.

    Bytes must be UTF-8 (a leading BOM is tolerated: some Windows tooling writes one). ``NaN`` and
    ``Infinity`` are refused: they are not JSON.
    """
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise PartnerInputError("the text is not UTF-8") from None
    _check_depth(text)
    try:
        value = json.loads(
            text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_refuse_constant
        )
    except PartnerInputError:
        raise
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError; RecursionError cannot happen within MAX_DEPTH, but a
        # caller deep in its own stack must still get an answer rather than a crash.
        raise PartnerInputError("the text is not valid JSON") from None
    check_strings(value)
    return value


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be accepted (a NUL or an unpaired surrogate in it), or None when it can."""
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    return "contains a NUL character" if found.group() == "\x00" else "contains an unpaired surrogate"


def check_text(text: str, what: str) -> str:
    """``text`` itself when acceptable; otherwise :class:`PartnerInputError` naming ``what``."""
    problem = text_problem(text)
    if problem is not None:
        raise PartnerInputError(f"{what} {problem}")
    return text


def _check_depth(text: str) -> None:
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise PartnerInputError(f"the JSON is nested more than {MAX_DEPTH} levels deep")
        elif token in ("]", "}"):
            # Unbalanced closers are the decoder's to refuse; only the depth matters here.
            depth = max(depth - 1, 0)


def _parse_int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise PartnerInputError(f"a number is longer than {MAX_NUMBER_LENGTH} characters")
    return int(literal)


def _parse_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise PartnerInputError(f"a number is longer than {MAX_NUMBER_LENGTH} characters")
    value = float(literal)
    if not math.isfinite(value):
        raise PartnerInputError("a number is out of range")
    return value


def _refuse_constant(name: str) -> Any:
    raise PartnerInputError(f"{name} is not valid JSON")


def check_strings(value: Any) -> None:
    """Raise :class:`PartnerInputError` when a string in ``value`` (a parsed document) is unacceptable.

    Iterative: documents from :func:`parse_json` are shallow, but others need not be.
    """
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is not None:
                raise PartnerInputError(f"a string {problem}")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


@dataclass(frozen=True)
class PartnerParams:
    user_id: str
    job_id: str
    job_type: int
    raw: dict[str, Any]  # every key the partner sent, echoed back in results and callbacks


def parse_partner_params(value: Any) -> PartnerParams:
    """``partner_params`` with non-empty user_id and job_id and an integer job_type (2213/2204/2212)."""
    if not isinstance(value, dict):
        raise ApiError(
            MISSING_PARAMETER if value is None else WRONG_DATA_TYPE, "partner_params must be an object"
        )
    for name in ("user_id", "job_id", "job_type"):
        if value.get(name) in (None, ""):
            raise ApiError(MISSING_PARAMETER, f"partner_params.{name} is required")
    user_id, job_id, job_type = value["user_id"], value["job_id"], value["job_type"]
    if not isinstance(user_id, str | int) or not isinstance(job_id, str | int) or isinstance(user_id, bool):
        raise ApiError(WRONG_DATA_TYPE, "partner_params.user_id and job_id must be strings")
    if isinstance(job_type, bool) or not (
        isinstance(job_type, int) or (isinstance(job_type, str) and job_type.isdigit())
    ):
        raise ApiError(WRONG_DATA_TYPE, "partner_params.job_type must be an integer")
    if int(job_type) not in KNOWN_JOB_TYPES:
        raise ApiError(INVALID_JOB_TYPE)
    if len(str(user_id)) > 200 or len(str(job_id)) > 200:
        raise ApiError(WRONG_DATA_TYPE, "partner_params.user_id and job_id must be at most 200 characters")
    try:
        # Parsed bodies were checked already; this keeps every job's stored params encodable
        # (SQLite, PostgreSQL's jsonb, the UTF-8 job_status answer) whatever built them.
        check_strings(value)
    except PartnerInputError as error:
        raise ApiError(WRONG_DATA_TYPE, f"partner_params: {error}") from None
    return PartnerParams(user_id=str(user_id), job_id=str(job_id), job_type=int(job_type), raw=dict(value))


# partner_params as the documents show it; a model field of this type holds the PartnerParams
# that parse_partner_params made of it.
PARTNER_PARAMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Your identifiers for the job, echoed back in its result and callback. Other keys "
    "you add are kept and echoed too.",
    "required": ["user_id", "job_id", "job_type"],
    "properties": {
        "user_id": {"type": "string", "maxLength": 200, "description": "Your id of the person."},
        "job_id": {
            "type": "string",
            "maxLength": 200,
            "description": "Your id of this job, unique per partner.",
        },
        "job_type": {
            "type": "integer",
            "enum": sorted(int(t) for t in KNOWN_JOB_TYPES),
            "description": "The product: "
            + ", ".join(f"{int(t)} {t.name.lower().replace('_', ' ')}" for t in sorted(KNOWN_JOB_TYPES)),
        },
    },
    "additionalProperties": True,
    "examples": [{"user_id": "user-1", "job_id": "job-1", "job_type": 5}],
}
WirePartnerParams = Annotated[InstanceOf[PartnerParams], WithJsonSchema(PARTNER_PARAMS_SCHEMA)]
