"""The sandbox business registry: the sample business, simulated failures, production refusals."""

from __future__ import annotations

import pytest

from openkyc.business.base import (
    AuthorityUnavailable,
    BusinessLookup,
    InvalidIdNumber,
    LookupFailure,
    RecordNotFound,
)
from openkyc.business.sandbox import SandboxBusinessRegistry

REGISTRY = SandboxBusinessRegistry()


def lookup(
    id_number: str, id_type: str = "BUSINESS_REGISTRATION", environment: str = "sandbox"
) -> BusinessLookup:
    return BusinessLookup("NG", id_type, id_number, business_type="co", environment=environment)


def test_sample_business_has_company_directors_and_owners() -> None:
    record = REGISTRY.lookup(lookup("0000000"))
    assert record.company.registration_number == "0000000"
    assert record.directors and record.beneficial_owners and record.fiduciaries


def test_basic_search_returns_the_company_without_officers() -> None:
    record = REGISTRY.lookup(lookup("0000000", "BASIC_BUSINESS_REGISTRATION"))
    assert record.company.legal_name and not record.directors and not record.beneficial_owners


def test_tax_information_test_number() -> None:
    assert REGISTRY.lookup(lookup("00000000-0000", "TAX_INFORMATION")).company.tax_id == "00000000-0000"


@pytest.mark.parametrize(
    ("number", "failure"),
    [
        ("0000001", RecordNotFound),
        ("0000002", InvalidIdNumber),
        ("0000003", AuthorityUnavailable),
        ("1234567", RecordNotFound),
        ("0000009", RecordNotFound),
    ],
)
def test_final_digit_selects_the_failure(number: str, failure: type[LookupFailure]) -> None:
    with pytest.raises(failure):
        REGISTRY.lookup(lookup(number))


def test_unavailable_is_retryable_and_not_found_is_not() -> None:
    assert AuthorityUnavailable.retryable and not RecordNotFound.retryable


def test_production_refuses_sandbox_numbers() -> None:
    with pytest.raises(InvalidIdNumber):
        REGISTRY.lookup(lookup("0000000", environment="production"))
    with pytest.raises(RecordNotFound):
        REGISTRY.lookup(lookup("1234567", environment="production"))
