"""The sandbox authority: the documented test numbers and their simulated outcomes.

compatibility §10.2: each (country, id_type) has a test number; its final digit selects the
outcome — 0 a record, 1 no record, 2 an invalid number, 3 the authority unavailable, 4 a record
whose fields come from ``partner_params`` (any standard result key, e.g. ``"FullName"``; first,
middle and last names derived from it). Any other number is "not found" in the sandbox; in
production the sandbox's numbers are refused as an unsupported format.
"""

from __future__ import annotations

from typing import Any

from openkyc.authorities.base import LookupRequest, split_full_name
from openkyc.engine.errors import ImageError
from openkyc.engine.images.decode import ImageLimits, decode_base64
from openkyc.products.authority import AuthorityRecord, AuthorityUnavailable, InvalidIdNumber, RecordNotFound
from openkyc.services.id_types import id_number_type

# The sandbox's standard record (the documentation's own examples use "Joe Leo Doe").
SANDBOX_RECORD = AuthorityRecord(
    full_name="Joe Leo Doe",
    first_name="Joe",
    middle_name="Leo",
    last_name="Doe",
    dob="1990-01-01",
    gender="M",
    phone_number="+0000000000",
    address="1 Sandbox Street",
    expiration_date="2030-01-01",
    issuance_date="2020-01-01",
)

# Result keys of the partner_params that digit 4 copies into the record, and the field they fill.
_CUSTOM_KEYS = {
    "FullName": "full_name",
    "FirstName": "first_name",
    "MiddleName": "middle_name",
    "LastName": "last_name",
    "DOB": "dob",
    "Gender": "gender",
    "PhoneNumber": "phone_number",
    "PhoneNumber2": "phone_number2",
    "Address": "address",
    "ExpirationDate": "expiration_date",
    "IssuanceDate": "issuance_date",
    "SecondaryIDNumber": "secondary_id_number",
}


def outcome_digit(request: LookupRequest) -> int | None:
    """The outcome digit when ``request.id_number`` is the type's test number with its last digit
    replaced by 0-4, else None."""
    known = id_number_type(request.country, request.id_type)
    if known is None or known.test_data is None:
        return None
    test, number = known.test_data, request.id_number.strip()
    if len(number) != len(test) or number[:-1] != test[:-1] or number[-1] not in "01234":
        return None
    return int(number[-1])


class SandboxAuthority:
    name = "sandbox"

    def lookup(self, request: LookupRequest) -> AuthorityRecord:
        digit = outcome_digit(request)
        if request.environment != "sandbox":
            if digit is not None:
                raise InvalidIdNumber("Unsupported ID number format")
            raise RecordNotFound("The sandbox authority has no production records")
        if digit is None or digit == 1:
            raise RecordNotFound("ID number not found")
        if digit == 2:
            raise InvalidIdNumber("Invalid ID number format")
        if digit == 3:
            raise AuthorityUnavailable("ID authority unavailable")
        if digit == 4:
            return custom_record(request.partner_params)
        return SANDBOX_RECORD


# A custom "Photo" (base64, as Enhanced KYC returns it) is the holder's photo on record, which
# Biometric KYC compares the selfie with; bounded like any partner image.
PHOTO_KEY = "Photo"
MAX_PHOTO_BYTES = 2 * 1024 * 1024


def custom_record(partner_params: dict[str, Any]) -> AuthorityRecord:
    """The standard record with every standard result key found in ``partner_params`` applied
    (and ``Photo``: the sandbox's only way to hold a photograph of someone)."""
    values: dict[str, Any] = {
        field_name: str(partner_params[key])
        for key, field_name in _CUSTOM_KEYS.items()
        if key in partner_params
    }
    if "full_name" in values:
        first, middle, last = split_full_name(values["full_name"])
        values.setdefault("first_name", first)
        values.setdefault("middle_name", middle)
        values.setdefault("last_name", last)
    base = {name: getattr(SANDBOX_RECORD, name) for name in _CUSTOM_KEYS.values()}
    base.update(values)
    return AuthorityRecord(
        **base,
        photo=_custom_photo(partner_params.get(PHOTO_KEY)),
        full_data={k: partner_params[k] for k in _CUSTOM_KEYS if k in partner_params},
    )


def _custom_photo(value: Any) -> bytes | None:
    """The decoded ``Photo`` when it is base64 of at most MAX_PHOTO_BYTES, else None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return decode_base64(value, limits=ImageLimits(max_bytes=MAX_PHOTO_BYTES))
    except ImageError:
        return None
