"""Is the ID number well formed for its type? Decided before any look-up or rate-limit count.

A malformed number is answered with the job result 1014 (not an HTTP error): Smile ID's documentation makes 1014
the ID API's "invalid/unsupported ID number format" *result*, SDKs surface a non-2xx answer as an
exception, and the partner gets a job it can find in job_status like any other outcome.

In the sandbox the documented test numbers are always well formed: the sandbox selects outcomes by
their final digit, and some test numbers do not satisfy their type's regex (compatibility §10.3).
In production those same test numbers are refused as an unsupported format (§10.2).
"""

from __future__ import annotations

import re

from openkyc.authorities.base import LookupRequest
from openkyc.authorities.sandbox import outcome_digit
from openkyc.services.id_types import IdNumberType
from openkyc.signing.environment import Environment


def is_well_formed(known: IdNumberType, country: str, id_number: str, environment: str) -> bool:
    probe = LookupRequest(country=country, id_type=known.code, id_number=id_number, environment=environment)
    is_test_number = outcome_digit(probe) is not None
    if is_test_number:
        return environment == Environment.SANDBOX.value
    return known.regex is None or re.match(known.regex, id_number.strip()) is not None
