"""The result of a job whose payload could not be processed (zip, info.json, images)."""

from __future__ import annotations

from openkyc.products.catalogue import CATALOGUE, JOB_TYPES, Product
from openkyc.products.codes.rows import ResultEntry
from openkyc.products.result import ProductResult, build_result

PRODUCTS_BY_JOB_TYPE: dict[int, Product] = {job_type: product for product, job_type in JOB_TYPES.items()}


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
