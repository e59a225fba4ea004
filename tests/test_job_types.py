from __future__ import annotations

import json

from openkyc.job_types import KNOWN_JOB_TYPES, LOOKUP_JOB_TYPES, UPLOAD_JOB_TYPES, JobType
from openkyc.products import JOB_TYPES, Product


def test_job_type_numbers_are_the_documented_ones() -> None:
    # compatibility §3.1, the SDKs' constants.
    assert {member.name: member.value for member in JobType} == {
        "BIOMETRIC_KYC": 1,
        "SMART_SELFIE_AUTHENTICATION": 2,
        "SMART_SELFIE_COMPARE": 3,
        "SMART_SELFIE_REGISTRATION": 4,
        "ENHANCED_KYC": 5,
        "DOCUMENT_VERIFICATION": 6,
        "BUSINESS_VERIFICATION": 7,
        "UPDATE_PHOTO": 8,
        "COMPARE_USER_INFO": 9,
        "AML": 10,
        "ENHANCED_DOCUMENT_VERIFICATION": 11,
        "ADDRESS_VERIFICATION": 12,
    }
    assert JobType["BASIC_KYC"] is JobType["ENHANCED_KYC"]  # by name: one member, two names


def test_job_type_goes_on_the_wire_as_the_bare_number() -> None:
    assert json.dumps({"job_type": JobType.AML}) == '{"job_type": 10}'
    assert str(JobType.SMART_SELFIE_REGISTRATION) == "4"
    assert f"{JobType.ENHANCED_DOCUMENT_VERIFICATION}" == "11"
    assert JobType(int("6")) is JobType.DOCUMENT_VERIFICATION


def test_job_type_sets_are_what_the_server_runs() -> None:
    assert frozenset(range(1, 13)) == KNOWN_JOB_TYPES
    assert {1, 2, 4, 6, 11} == UPLOAD_JOB_TYPES
    assert {1, 11} == LOOKUP_JOB_TYPES
    assert LOOKUP_JOB_TYPES <= UPLOAD_JOB_TYPES


def test_each_product_has_its_own_job_type() -> None:
    assert JOB_TYPES[Product.SMART_SELFIE_COMPARE] is JobType.SMART_SELFIE_COMPARE
    assert len(set(JOB_TYPES.values())) == len(JOB_TYPES) == len(Product)
