"""Products: the decision layer between the engine's evidence and the partner's result.

One module per product, each with one pure ``decide`` function from engine evidence to a
:class:`ProductResult` (no database, no HTTP); :func:`resolve_review` turns a provisional result
into the final one a reviewer's decision gives. Codes and texts come from :mod:`.codes` only (one
module per product's table); :mod:`.catalogue` says which rows each product answers with.
"""

from openkyc.products import (
    biometric_kyc,
    document_verification,
    enhanced_document_verification,
    smart_selfie_authentication,
    smart_selfie_compare,
    smart_selfie_registration,
)
from openkyc.products.catalogue import (
    ACTION_KEYS,
    CATALOGUE,
    JOB_TYPES,
    NOT_AVAILABLE,
    RESULT_TYPES,
    Action,
    ActionValue,
    IdField,
    Product,
    find_entry,
)
from openkyc.products.codes.document_verification import DocvRejection, DocvUnverified
from openkyc.products.codes.rows import Outcome, ResultEntry
from openkyc.products.failures import intake_failure, product_for_job_type
from openkyc.products.result import ProductResult, V2Status
from openkyc.products.review import (
    ReviewCheck,
    ReviewReason,
    resolve_review,
    resolve_review_per_action,
    review_checks,
    review_reasons,
)
from openkyc.products.sandbox import SandboxResult, parse_sandbox_result

__all__ = [
    "ACTION_KEYS",
    "CATALOGUE",
    "JOB_TYPES",
    "NOT_AVAILABLE",
    "RESULT_TYPES",
    "Action",
    "ActionValue",
    "DocvRejection",
    "DocvUnverified",
    "IdField",
    "Outcome",
    "Product",
    "ProductResult",
    "ResultEntry",
    "ReviewCheck",
    "ReviewReason",
    "SandboxResult",
    "V2Status",
    "biometric_kyc",
    "document_verification",
    "enhanced_document_verification",
    "find_entry",
    "intake_failure",
    "parse_sandbox_result",
    "product_for_job_type",
    "resolve_review",
    "resolve_review_per_action",
    "review_checks",
    "review_reasons",
    "smart_selfie_authentication",
    "smart_selfie_compare",
    "smart_selfie_registration",
]
