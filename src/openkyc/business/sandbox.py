"""The sandbox business registry: the documented sample business and simulated failures.

Documented (compatibility §10.2, SDK fixtures): NG ``BUSINESS_REGISTRATION`` ``0000000`` with
``business_type`` ``co`` is the sample business; §10.2 also lists the NG sandbox numbers of the
registries themselves, CAC ``0000000`` and TIN ``00000000-0000``, which serve the registration and
tax ID types here. The docs give no outcome digits for KYB; as an openkyc extension the person
sandbox's convention applies so partners can exercise their failure handling: the test number with
its final digit 1 is not found, 2 an invalid number, 3 the registry unavailable. Any other number
is not found in the sandbox; in production the test numbers are refused as an invalid format.
"""

from __future__ import annotations

from openkyc.business.base import (
    AuthorityUnavailable,
    BusinessLookup,
    BusinessRecord,
    CompanyInformation,
    InvalidIdNumber,
    Party,
    RecordNotFound,
)
from openkyc.business.supported import (
    BASIC_BUSINESS_REGISTRATION,
    BUSINESS_REGISTRATION,
    TAX_INFORMATION,
)

TEST_NUMBERS: dict[tuple[str, str], str] = {
    ("NG", BUSINESS_REGISTRATION): "0000000",
    ("NG", BASIC_BUSINESS_REGISTRATION): "0000000",
    ("NG", TAX_INFORMATION): "00000000-0000",
}

SAMPLE_COMPANY = CompanyInformation(
    legal_name="SANDBOX TEST COMPANY LIMITED",
    company_type="PRIVATE_COMPANY_LIMITED_BY_SHARES",
    country="Nigeria",
    address="1 Sandbox Street, Victoria Island, Lagos",
    registration_number="0000000",
    search_number="0000000",
    authorized_shared_capital="10000000",
    industry="Technology",
    tax_id="00000000-0000",
    registration_date="2015-01-01T00:00:00.000Z",
    phone="+2340000000000",
    state="LAGOS",
    email="info@sandbox-company.example.com",
    status="ACTIVE",
)
SAMPLE_DIRECTORS = (
    Party(
        name="JOE LEO DOE",
        id_number="A00000000",
        id_type="Passport",
        address="1 Sandbox Street, Lagos",
        gender="Male",
        nationality="Nigerian",
        date_of_birth="1990-01-01",
        occupation="Director",
        phone_number="+2340000000001",
        shareholdings="5000000",
    ),
    Party(
        name="JANE ANN DOE",
        id_number="A00000001",
        id_type="Passport",
        address="2 Sandbox Street, Lagos",
        gender="Female",
        nationality="Nigerian",
        date_of_birth="1991-01-01",
        occupation="Director",
        phone_number="+2340000000002",
        shareholdings="5000000",
    ),
)
SAMPLE_BENEFICIAL_OWNERS = (
    Party(
        name="JOE LEO DOE",
        address="1 Sandbox Street, Lagos",
        gender="Male",
        nationality="Nigerian",
        phone_number="+2340000000001",
        shareholdings="50%",
        shareholder_type="Individual",
    ),
    Party(
        name="JANE ANN DOE",
        address="2 Sandbox Street, Lagos",
        gender="Female",
        nationality="Nigerian",
        phone_number="+2340000000002",
        shareholdings="50%",
        shareholder_type="Individual",
    ),
)
SAMPLE_FIDUCIARIES = (
    Party(
        name="SANDBOX SECRETARIES LIMITED",
        fiduciary_type="Company Secretary",
        address="3 Sandbox Street, Lagos",
        registration_number="0000001",
        status="ACTIVE",
    ),
)


def sample_record(request: BusinessLookup) -> BusinessRecord:
    """The sample business; a basic registration search returns the company without its officers."""
    if request.id_type == BASIC_BUSINESS_REGISTRATION:
        return BusinessRecord(company=SAMPLE_COMPANY)
    return BusinessRecord(
        company=SAMPLE_COMPANY,
        directors=SAMPLE_DIRECTORS,
        beneficial_owners=SAMPLE_BENEFICIAL_OWNERS,
        fiduciaries=SAMPLE_FIDUCIARIES,
    )


def outcome_digit(request: BusinessLookup) -> int | None:
    """0-3 when the number is the type's test number with its final digit replaced, else None."""
    test = TEST_NUMBERS.get((request.country, request.id_type))
    number = request.id_number.strip()
    if test is None or len(number) != len(test) or number[:-1] != test[:-1] or number[-1] not in "0123":
        return None
    return int(number[-1])


class SandboxBusinessRegistry:
    name = "sandbox"

    def lookup(self, request: BusinessLookup) -> BusinessRecord:
        digit = outcome_digit(request)
        if request.environment != "sandbox":
            if digit is not None:
                raise InvalidIdNumber("Sandbox test numbers are not valid in production")
            raise RecordNotFound("The sandbox registry has no production records")
        if digit is None or digit == 1:
            raise RecordNotFound("Business not found")
        if digit == 2:
            raise InvalidIdNumber("Invalid business registration number")
        if digit == 3:
            raise AuthorityUnavailable("Business registry unavailable")
        return sample_record(request)
