"""Product names for metric labels, by job_type: a fixed, small set (never partner data)."""

from __future__ import annotations

from openkyc.job_types import JobType
from openkyc.products.failures import PRODUCTS_BY_JOB_TYPE

PRODUCT_NAMES: dict[int, str] = {
    **{job_type: product.value for job_type, product in PRODUCTS_BY_JOB_TYPE.items()},
    # Enhanced and Basic KYC share job_type 5 (compatibility §3.1).
    JobType.ENHANCED_KYC: "id_verification",
    JobType.BUSINESS_VERIFICATION: "business_verification",
}


def product_name(job_type: object) -> str:
    """The product of ``job_type``; ``job_type_N`` for other small integers, else ``other``."""
    try:
        number = int(str(job_type))
    except ValueError:
        return "other"
    if number in PRODUCT_NAMES:
        return PRODUCT_NAMES[number]
    return f"job_type_{number}" if 0 <= number < 100 else "other"
