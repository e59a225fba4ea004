"""Request signing: Smile ID's ``signature`` scheme for partner requests and responses, and
KSig1-HMAC-SHA256 for the management API.

Pure functions over strings, bytes and mappings: no database, no web framework. Callers look up
keys and turn the typed exceptions into HTTP answers (``SidRequestError.body()`` with
``http_status``; ``KSig1Error.body()`` with 401).
"""

from openkyc.signing.credentials import (
    SIGNATURE_HEADERS,
    SignedCredentials,
    credentials_from_body,
    credentials_from_headers,
    credentials_from_request,
    has_signature_headers,
)
from openkyc.signing.environment import Environment
from openkyc.signing.errors import (
    BadTimestampFormat,
    KSig1Error,
    MissingCredential,
    SidRequestError,
    SignatureMismatch,
    StaleRequest,
    UnknownPartner,
    WrongDataType,
)
from openkyc.signing.ksig1 import (
    DEFAULT_TIMESTAMP_WINDOW,
    MUTATING_METHODS,
    MUTATION_ELEMENTS,
    sign_ksig1,
    verify_ksig1,
)
from openkyc.signing.management_keys import ManagementKey, generate_management_key
from openkyc.signing.nonces import InMemoryNonceStore, NonceStore
from openkyc.signing.sid_request import (
    ResponseSignature,
    compute_signature,
    sign_response,
    signature_matches,
)
from openkyc.signing.timestamps import (
    DEFAULT_FRESHNESS,
    StaleTimestamp,
    TimestampError,
    check_freshness,
    parse_timestamp,
)
from openkyc.signing.verify import CandidateKey, CandidateKeyLike, MatchedKey, verify_sid_request

__all__ = [
    "DEFAULT_FRESHNESS",
    "DEFAULT_TIMESTAMP_WINDOW",
    "MUTATING_METHODS",
    "MUTATION_ELEMENTS",
    "SIGNATURE_HEADERS",
    "BadTimestampFormat",
    "CandidateKey",
    "CandidateKeyLike",
    "Environment",
    "InMemoryNonceStore",
    "KSig1Error",
    "ManagementKey",
    "MatchedKey",
    "MissingCredential",
    "NonceStore",
    "ResponseSignature",
    "SidRequestError",
    "SignatureMismatch",
    "SignedCredentials",
    "StaleRequest",
    "StaleTimestamp",
    "TimestampError",
    "UnknownPartner",
    "WrongDataType",
    "check_freshness",
    "compute_signature",
    "credentials_from_body",
    "credentials_from_headers",
    "credentials_from_request",
    "generate_management_key",
    "has_signature_headers",
    "parse_timestamp",
    "sign_ksig1",
    "sign_response",
    "signature_matches",
    "verify_ksig1",
    "verify_sid_request",
]
