from __future__ import annotations

import pytest

from openkyc.products import Outcome, Product, intake_failure, product_for_job_type
from tests.products.factories import assert_well_formed


def test_job_types() -> None:
    assert product_for_job_type(4) is Product.SMART_SELFIE_REGISTRATION
    assert product_for_job_type("2") is Product.SMART_SELFIE_AUTHENTICATION
    assert product_for_job_type(6) is Product.DOCUMENT_VERIFICATION
    assert product_for_job_type(1) is Product.BIOMETRIC_KYC
    assert product_for_job_type(11) is Product.ENHANCED_DOCUMENT_VERIFICATION
    with pytest.raises(ValueError, match="no product decides job_type 5"):
        product_for_job_type(5)  # a look-up job: no product here decides it


def test_documented_text_is_kept() -> None:
    result = intake_failure(6, code="0001", text="ID Card image not provided")
    assert_well_formed(result)
    assert (result.result_code, result.result_text) == ("0001", "ID Card image not provided")
    assert result.outcome is Outcome.REJECTED and result.is_final and result.failed
    assert not result.approved and not result.enrols_selfie
    assert set(result.actions.values()) == {"Not Applicable"}
    assert result.reasons == ["intake.0001"]


def test_the_products_own_words_win() -> None:
    # Registration documents no "Images corrupt" row for 0001: its first 0001 row answers.
    result = intake_failure(4, code="0001", text="Data Invalid - Images corrupt or not present")
    assert_well_formed(result)
    assert result.result_text == "Data Invalid"


def test_zip_corrupt() -> None:
    result = intake_failure(6, code="0903", text="whatever the intake said")
    assert result.result_text == "Zip Corrupt"


def test_request_errors_are_not_job_results() -> None:
    with pytest.raises(ValueError, match="not a smart_selfie_enrollment job result"):
        intake_failure(4, code="2212", text="Error - Invalid job type")
    with pytest.raises(ValueError, match="no product decides job_type 5"):
        intake_failure(5, code="0001", text="Data Invalid")
