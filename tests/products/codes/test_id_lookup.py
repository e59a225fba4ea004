"""The ID look-up's codes have one home: every product and endpoint that looks an ID number up
answers with the same rows, and the wire codes and texts stay what partners match on."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import openkyc.idverification
from openkyc.idverification.results import failure_code
from openkyc.products._lookup import failure_entry
from openkyc.products.authority import AuthorityUnavailable, InvalidIdNumber, RecordNotFound
from openkyc.products.codes.biometric_kyc import BiometricKyc
from openkyc.products.codes.enhanced_document_verification import EnhancedDocumentVerification
from openkyc.products.codes.id_lookup import IdLookup
from openkyc.products.codes.rows import ResultEntry

IDVERIFICATION_DIR = Path(openkyc.idverification.__file__).parent


def rows() -> list[ResultEntry]:
    return [value for value in vars(IdLookup).values() if isinstance(value, ResultEntry)]


def test_the_family_keeps_its_wire_codes_and_texts() -> None:
    assert {(row.code, row.text) for row in rows()} == {
        ("1012", "ID Number Validated"),
        ("1013", "ID Number Not Found"),
        ("1014", "Unsupported ID number format"),
        ("1015", "ID Authority Unavailable"),
        ("1020", "Exact Match"),
        ("1021", "Partial Match"),
        ("1022", "No Match"),
        ("2222", "Error - ID number rate limited"),
    }
    assert all(row.origin for row in rows())  # no seed table prints them: each says where it comes from


def test_the_look_up_products_answer_with_the_family_s_rows() -> None:
    for product in (BiometricKyc, EnhancedDocumentVerification):
        assert product.ID_NOT_FOUND is IdLookup.ID_NOT_FOUND
        assert product.INVALID_ID_NUMBER is IdLookup.INVALID_ID_NUMBER
        assert product.AUTHORITY_UNAVAILABLE is IdLookup.AUTHORITY_UNAVAILABLE
        assert product.RATE_LIMITED is IdLookup.RATE_LIMITED


def test_id_verification_and_the_products_read_a_failed_look_up_alike() -> None:
    for failure, row in (
        (RecordNotFound("no record"), IdLookup.ID_NOT_FOUND),
        (InvalidIdNumber("not a number of this type"), IdLookup.INVALID_ID_NUMBER),
        (AuthorityUnavailable("down"), IdLookup.AUTHORITY_UNAVAILABLE),
    ):
        assert failure_code(failure) is row
        assert failure_entry(failure) is row


def test_id_verification_writes_no_code_or_text_of_its_own() -> None:
    # The Basic KYC texts are also the ID_Verification Action's values (products.matching).
    texts = {row.text for row in rows() if row.code not in {"1020", "1021", "1022"}}
    modules = sorted(IDVERIFICATION_DIR.glob("*.py"))
    assert {p.name for p in modules} >= {"results.py", "basic_kyc.py", "enhanced_kyc.py"}
    for module in modules:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not re.fullmatch(r"\d{4}", node.value), f"{module.name}: result code {node.value!r}"
                assert node.value not in texts, f"{module.name}: result text {node.value!r}"
