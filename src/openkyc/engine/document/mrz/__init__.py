"""Machine-readable zone: ICAO 9303 check digits, parsing, and reading it from a document image."""

from openkyc.engine.document.mrz.checksum import check_digit, is_valid
from openkyc.engine.document.mrz.parse import (
    MRZ_SHAPES,
    MrzFields,
    MrzFormatError,
    MrzResult,
    MrzType,
    parse_mrz,
)
from openkyc.engine.document.mrz.read import MrzReading, normalise_text, read_mrz

__all__ = [
    "MRZ_SHAPES",
    "MrzFields",
    "MrzFormatError",
    "MrzReading",
    "MrzResult",
    "MrzType",
    "check_digit",
    "is_valid",
    "normalise_text",
    "parse_mrz",
    "read_mrz",
]
