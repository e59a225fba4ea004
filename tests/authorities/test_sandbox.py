from __future__ import annotations

import base64

import pytest

from openkyc.authorities.base import LookupRequest, split_full_name
from openkyc.authorities.sandbox import SANDBOX_RECORD, SandboxAuthority, outcome_digit
from openkyc.products.authority import AuthorityUnavailable, InvalidIdNumber, LookupFailure, RecordNotFound

authority = SandboxAuthority()


def request(number: str, *, country: str = "NG", id_type: str = "BVN", **params: str) -> LookupRequest:
    return LookupRequest(country=country, id_type=id_type, id_number=number, partner_params=dict(params))


def test_final_digit_0_is_the_standard_record() -> None:
    assert authority.lookup(request("00000000000")) == SANDBOX_RECORD


@pytest.mark.parametrize(
    ("number", "failure", "retryable"),
    [
        ("00000000001", RecordNotFound, False),
        ("00000000002", InvalidIdNumber, False),
        ("00000000003", AuthorityUnavailable, True),
        ("12345678901", RecordNotFound, False),  # not a test number
    ],
)
def test_final_digits_select_the_documented_failures(
    number: str, failure: type[LookupFailure], retryable: bool
) -> None:
    with pytest.raises(failure) as raised:
        authority.lookup(request(number))
    assert raised.value.retryable is retryable


def test_final_digit_4_returns_custom_data_from_partner_params() -> None:
    record = authority.lookup(request("00000000004", FullName="Nelson Rolihlahla Mandela", DOB="1918-07-18"))
    assert record.full_name == "Nelson Rolihlahla Mandela"
    assert (record.first_name, record.middle_name, record.last_name) == ("Nelson", "Rolihlahla", "Mandela")
    assert record.dob == "1918-07-18" and record.gender == SANDBOX_RECORD.gender


def test_a_custom_photo_is_the_photo_on_record() -> None:
    photo = b"\xff\xd8\xff\xe0 a jpeg"
    record = authority.lookup(request("00000000004", Photo=base64.b64encode(photo).decode()))
    assert record.photo == photo
    assert authority.lookup(request("00000000004", Photo="not base64 !")).photo is None
    assert authority.lookup(request("00000000000")).photo is None  # the standard record has none


def test_test_numbers_follow_each_types_own_shape() -> None:
    assert outcome_digit(request("GHA-000000000-3", country="GH", id_type="GHANA_CARD")) == 3
    assert outcome_digit(request("0000000000", country="NG", id_type="BVN")) is None  # one digit short
    assert outcome_digit(request("00000000000", country="XX", id_type="BVN")) is None


def test_test_numbers_are_refused_in_production() -> None:
    production = LookupRequest(country="NG", id_type="BVN", id_number="00000000000", environment="production")
    with pytest.raises(InvalidIdNumber, match="Unsupported ID number format"):
        authority.lookup(production)


def test_full_names_split_into_first_middle_last() -> None:
    assert split_full_name("Joe Leo Doe") == ("Joe", "Leo", "Doe")
    assert split_full_name("Cher") == ("Cher", None, "")
    assert split_full_name("A B C D") == ("A", "B C", "D")
