"""Which (country, id_type) pairs and business types Business Verification accepts.

Sources: compatibility §3.4 (the three ``id_type`` values the SDKs validate, and the business types
``bn`` business name, ``co`` limited company, ``it`` incorporated trustees), the docs' KYB
"Supported Countries" (docs-map: NG business registration and tax information, KE and ZA business
registration) and the KE ``TAX_INFORMATION`` regex of §10.3. BASIC_BUSINESS_REGISTRATION is the
registration search without officers, so it goes wherever BUSINESS_REGISTRATION goes.
"""

from __future__ import annotations

BASIC_BUSINESS_REGISTRATION = "BASIC_BUSINESS_REGISTRATION"
BUSINESS_REGISTRATION = "BUSINESS_REGISTRATION"
TAX_INFORMATION = "TAX_INFORMATION"
ID_TYPES = frozenset({BASIC_BUSINESS_REGISTRATION, BUSINESS_REGISTRATION, TAX_INFORMATION})

SUPPORTED: dict[str, frozenset[str]] = {
    "NG": ID_TYPES,
    "KE": ID_TYPES,
    "ZA": frozenset({BASIC_BUSINESS_REGISTRATION, BUSINESS_REGISTRATION}),
}

BUSINESS_TYPES = frozenset({"bn", "co", "it"})
# Nigeria's registry (CAC) keeps separate registers per business type, so a registration search
# there cannot run without one; tax look-ups and the other countries' registries need none.
BUSINESS_TYPE_REQUIRED = {("NG", BUSINESS_REGISTRATION), ("NG", BASIC_BUSINESS_REGISTRATION)}


def is_supported(country: str, id_type: str) -> bool:
    return id_type in SUPPORTED.get(country, frozenset())


def needs_business_type(country: str, id_type: str) -> bool:
    return (country, id_type) in BUSINESS_TYPE_REQUIRED
