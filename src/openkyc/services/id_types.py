"""ID types that can be checked by number against an ID authority, per country.

Sources: the docs' "Using ID Number" list (docs-map.txt) for which types exist and their labels,
compatibility §10.2 for sandbox test numbers and §10.3 for the ID-number regexes. Types the
reference gives sandbox numbers for but the current docs no longer list (GH ``DRIVERS_LICENSE``,
``SSNIT``, ``NEW_VOTER_ID``; NG ``NIN``, ``PASSPORT``, ``DRIVERS_LICENSE``, ``NATIONAL_ID``) are kept:
SDKs and integrations still send them. Business registry types (NG ``CAC``, ``TIN``) are KYB, not
listed here. Where no number or regex is documented the value is None (clients treat both as
optional; Android's model says test_data is null only for BANK_ACCOUNT, which holds here too
except for types with nothing documented).
"""

from __future__ import annotations

from dataclasses import dataclass

# What every ID-number look-up needs; the SDKs render a form from these tokens (Android enum).
BASE_FIELDS = ("country", "id_type", "id_number", "user_id", "job_id")


@dataclass(frozen=True)
class IdNumberType:
    code: str
    label: str
    test_data: str | None
    regex: str | None
    # Whether the authority returns a photo: Biometric KYC compares the selfie with it.
    has_photo: bool = True
    extra_fields: tuple[str, ...] = ()

    @property
    def required_fields(self) -> list[str]:
        return [*BASE_FIELDS, *self.extra_fields]


def _t(
    code: str,
    label: str,
    test_data: str | None,
    regex: str | None,
    *,
    photo: bool = True,
    extra: tuple[str, ...] = (),
) -> IdNumberType:
    return IdNumberType(code, label, test_data, regex, has_photo=photo, extra_fields=extra)


_NIN = r"^[0-9]{11}$"
_KE_NUMBER = r"^[0-9]{1,9}$"
_ZA_ID = r"^[0-9]{13}$"
_GHANA_CARD = r"^[A-Z]{3}(-\d{9}-\d|\d{9}\d)$"

ID_NUMBER_TYPES: dict[str, tuple[IdNumberType, ...]] = {
    "CI": (
        _t("NATIONAL_ID_NO_PHOTO", "National ID (without Photo)", None, None, photo=False),
        _t("RESIDENT_ID_NO_PHOTO", "Resident ID (without Photo)", None, None, photo=False),
    ),
    "GH": (
        _t("DRIVERS_LICENSE", "Driver's License", "B0000000", r"^[a-zA-Z0-9!-]{6,18}$"),
        _t("GHANA_CARD", "Ghana Card", "GHA-000000000-0", _GHANA_CARD),
        _t("GHANA_CARD_NO_PHOTO", "Ghana Card (without Photo)", "GHA-000000000-0", _GHANA_CARD, photo=False),
        _t("NEW_VOTER_ID", "New Voter's ID", "0000000000", r"^[0-9]{10,12}$"),
        _t("PASSPORT", "Passport", "G0000000", r"^[A-Z][0-9]{7,9}$"),
        _t("SSNIT", "SSNIT", "C000000000000", r"^[a-zA-Z]{1}[a-zA-Z0-9]{12,14}$"),
        _t("VOTER_ID", "Voter's ID", "0000000000", r"^[0-9]{10,12}$"),
    ),
    "KE": (
        _t("ALIEN_CARD", "Alien Card", "000000", r"^[0-9]{6,9}$"),
        _t("KRA_PIN", "KRA Pin", None, _KE_NUMBER, photo=False),
        _t("NATIONAL_ID", "National ID", "00000000", _KE_NUMBER),
        _t("NATIONAL_ID_NO_PHOTO", "National ID (without Photo)", "00000000", _KE_NUMBER, photo=False),
        _t("PASSPORT", "Passport", "A00000000", r"^[A-Z0-9]{7,9}$"),
        _t("TAX_INFORMATION", "Tax Information", None, r"^[Aa]\d{9}[a-zA-Z]$", photo=False),
    ),
    "NG": (
        _t("BANK_ACCOUNT", "Bank Account", None, r"^[0-9]{10}$", photo=False, extra=("bank_code",)),
        _t("BVN", "BVN", "00000000000", _NIN),
        _t("DRIVERS_LICENSE", "Driver's License", "ABC000000000", r"^[a-zA-Z]{3}([ -]{1})?[A-Z0-9]{6,12}$"),
        _t("NATIONAL_ID", "National ID", "0000000000", None),
        _t("NIN", "NIN", "00000000000", _NIN),
        _t("NIN_SLIP", "NIN Slip", "00000000000", _NIN),
        _t("NIN_V2", "NIN V2", "00000000000", _NIN),
        _t("PASSPORT", "Passport", "A00000000", None),
        _t("PHONE_NUMBER", "Phone Number", "00000000000", _NIN, photo=False),
        _t("V_NIN", "V_NIN (Virtual NIN)", None, None),
        _t("VOTER_ID", "Voter's ID", "0000000000000000000", r"^(INC[A-Za-z0-9]{17}|[A-Za-z0-9]{19,20})$"),
    ),
    "UG": (
        # The docs' regex is case-insensitive; written out so that an HTML pattern attribute agrees.
        _t(
            "NATIONAL_ID_NO_PHOTO",
            "National ID (without Photo)",
            "00000000000000",
            r"^[A-Za-z0-9]{14}$",
            photo=False,
        ),
    ),
    "ZA": (
        _t("NATIONAL_ID", "National ID", "0000000000000", _ZA_ID),
        _t("NATIONAL_ID_NO_PHOTO", "National ID (without Photo)", "0000000000000", _ZA_ID, photo=False),
        _t("PHONE_NUMBER", "Phone Number", None, r"^[0-9]{10}$", photo=False),
    ),
    "ZM": (
        _t("BANK_ACCOUNT", "Bank Account", None, None, photo=False, extra=("bank_code",)),
        _t("TPIN", "TPIN", None, r"^[0-9]{10}$", photo=False),
    ),
    "ZW": (_t("NATIONAL_ID_NO_PHOTO", "National ID (without Photo)", None, None, photo=False),),
}


def id_number_type(country: str, id_type: str) -> IdNumberType | None:
    """The catalogue entry for ``country``/``id_type``, or None when it is not supported."""
    return next((t for t in ID_NUMBER_TYPES.get(country, ()) if t.code == id_type), None)
