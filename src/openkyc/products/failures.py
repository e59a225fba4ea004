"""The result of a job whose payload could not be processed (zip, info.json, images), and which
ResultCodes say that a job was not verified at all."""

from __future__ import annotations

from openkyc.products.catalogue import CATALOGUE, JOB_TYPES, Product
from openkyc.products.codes.document_verification import DocumentVerification
from openkyc.products.codes.id_lookup import IdLookup
from openkyc.products.codes.rows import ResultEntry
from openkyc.products.result import ProductResult, build_result

PRODUCTS_BY_JOB_TYPE: dict[int, Product] = {job_type: product for product, job_type in JOB_TYPES.items()}

# ResultCodes that say a job was not verified at all, as opposed to verified and rejected: nothing
# was judged about the person. Every table's general failures (0001: data invalid, images
# unusable, system error; 0903: zip corrupt), the ID authority or registry out of reach (1015),
# a look-up not made (2222), and the request errors (22xx-24xx, rows without an outcome) that a
# refused direct upload or an interrupted look-up records as its job's result.
NOT_VERIFIED_CODES = frozenset(
    {
        DocumentVerification.SYSTEM_ERROR.code,
        DocumentVerification.ZIP_CORRUPT.code,
        IdLookup.AUTHORITY_UNAVAILABLE.code,
        IdLookup.RATE_LIMITED.code,
        *(entry.code for rows in CATALOGUE.values() for entry in rows if entry.outcome is None),
    }
)


def is_not_verified(result_code: str | None) -> bool:
    """Whether a job's ResultCode says the job could not be verified (no code at all included)."""
    return result_code is None or result_code in NOT_VERIFIED_CODES


def product_for_job_type(job_type: int | str) -> Product:
    try:
        return PRODUCTS_BY_JOB_TYPE[int(job_type)]
    except (KeyError, ValueError):
        raise ValueError(f"no product decides job_type {job_type!r}") from None


def intake_failure(job_type: int | str, *, code: str, text: str) -> ProductResult:
    """The final, rejected result of a job its intake refused, in the product's documented words.

    ``code`` must be one of the product's job-result rows (the "0001" family, 0903, ...); of its
    rows, the one whose text is ``text`` answers, else the first (the product's documented text
    wins over the intake's). A request error (22xx) answers the request, not the job: ValueError,
    as for a job_type no product decides.
    """
    product = product_for_job_type(job_type)
    rows = [entry for entry in CATALOGUE[product] if entry.code == code and entry.outcome is not None]
    if not rows:
        raise ValueError(f"{code} is not a {product.value} job result")
    entry, reason = _row_for(rows, text)
    return build_result(product, entry, actions={}, reasons=[f"intake.{code}"], reason_text=reason)


def _row_for(rows: list[ResultEntry], text: str) -> tuple[ResultEntry, str | None]:
    for entry in rows:
        if text == entry.text and not entry.takes_reason:
            return entry, None
        for reason in entry.reasons:
            if entry.takes_reason and text == entry.text_with(reason):
                return entry, reason
    fallback = next((entry for entry in rows if not entry.takes_reason), None)
    if fallback is None:
        raise ValueError(f"{text!r} is not a documented text of {rows[0].code}")
    return fallback, None
