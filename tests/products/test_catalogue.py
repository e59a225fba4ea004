"""The catalogue quotes Smile ID's documentation exactly; its tables (products/codes) are the only place
codes and texts are written."""

from __future__ import annotations

import ast
import itertools
import json
import re
from pathlib import Path

import pytest

import openkyc.products
from openkyc.products import (
    ACTION_KEYS,
    CATALOGUE,
    RESULT_TYPES,
    Action,
    DocvRejection,
    DocvUnverified,
    Outcome,
    Product,
    find_entry,
)
from openkyc.products.codes.biometric_kyc import BiometricKyc
from openkyc.products.codes.document_verification import DocumentVerification
from openkyc.products.codes.fraud import FraudReported
from openkyc.products.codes.rows import ResultEntry
from tests.conftest import REPO_ROOT

PRODUCTS_DIR = Path(openkyc.products.__file__).parent


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    seeds = sorted((REPO_ROOT.parent / "shared" / "spec" / "seeds").glob("001_*.txt"))
    if not seeds:
        pytest.fail("Smile ID's documentation (the product docs) not found beside the checkout")
    return seeds[0].read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def seed_text(seed_lines: list[str]) -> str:
    return " ".join(" ".join(seed_lines).split())


def nonblank(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip()]


def all_entries() -> list[tuple[Product, ResultEntry]]:
    return [(product, entry) for product, entries in CATALOGUE.items() for entry in entries]


def entry_id(item: tuple[Product, ResultEntry]) -> str:
    return f"{item[0].value}:{item[1].code}:{item[1].text}"


@pytest.mark.parametrize("item", all_entries(), ids=entry_id)
def test_every_row_is_quoted_from_the_seed(item: tuple[Product, ResultEntry], seed_lines: list[str]) -> None:
    _, entry = item
    lines = nonblank(seed_lines)
    if entry is DocumentVerification.UNDER_REVIEW or (entry.origin or "").startswith(HISTORY_SAMPLE):
        # Not in a table: the job_status history sample.
        pairs = itertools.pairwise(lines)
        assert (f'"ResultCode": "{entry.code}",', f'"ResultText": "{entry.text}",') in set(pairs)
        return
    if entry.origin is not None:
        return  # not a seed row: test_rows_not_in_a_seed_table_say_where_they_come_from
    # The code's row: its text is the next line (a footnote "*" aside), its judgement the one after.
    rows = [i for i, line in enumerate(lines) if line.split(" ")[0] == entry.code]
    texts = {entry.text, f"{entry.text} *"}
    quoted = [i for i in rows if lines[i + 1] in texts]
    assert quoted, f"{entry.code} {entry.text!r} is not a row of the seed"
    if entry.judgement is not None and entry.judgement != entry.text:
        assert any(lines[i + 2] == entry.judgement for i in quoted)
    if entry.deprecated:
        assert any("deprecated" in lines[i].lower() for i in quoted)


@pytest.mark.parametrize("item", all_entries(), ids=entry_id)
def test_every_description_is_quoted_from_the_seed(item: tuple[Product, ResultEntry], seed_text: str) -> None:
    _, entry = item
    if entry is DocumentVerification.UNDER_REVIEW or not entry.description or entry.origin is not None:
        return
    assert entry.description in seed_text


HISTORY_SAMPLE = "Smile ID's documentation, job_status history sample"


def test_rows_not_in_a_seed_table_say_where_they_come_from() -> None:
    """Only the products Smile ID's documentation prints no table for have such rows, and each names its source."""
    documented = {Product.BIOMETRIC_KYC, Product.ENHANCED_DOCUMENT_VERIFICATION}
    fraud = set(vars(FraudReported).values())  # openkyc's own rows, answered by every product
    for product, entry in all_entries():
        if entry.origin is None:
            continue
        assert product in documented or entry in fraud, (
            f"{product.value} {entry.code} must be quoted from the seed"
        )
        assert entry.origin.strip() and entry.description, entry


def test_biometric_kyc_history_rows_are_the_sample_s() -> None:
    """The three rows the documentation's job_type 1 history shows keep its codes and texts."""
    sample = {("1210", "Enroll User"), ("0814", "Provisional Enroll - Under Review")}
    rows = {(entry.code, entry.text) for entry in CATALOGUE[Product.BIOMETRIC_KYC]}
    assert sample <= rows


def test_reasons_filling_a_text_are_quoted_from_its_description(
    seed_lines: list[str], seed_text: str
) -> None:
    lines = nonblank(seed_lines)
    for reason in DocvRejection:
        assert f"- {reason.value}" in lines
    for fragment in DocvUnverified:
        assert fragment.value[0].lower() + fragment.value[1:] in seed_text


def test_product_result_codes() -> None:
    def job_codes(product: Product) -> set[str]:
        # Every product also answers with openkyc's fraud rows (products/codes/fraud.py).
        codes = {entry.code for entry in CATALOGUE[product] if entry.outcome is not None}
        assert {"0871", "0881"} <= codes
        return codes - {"0871", "0881"}

    assert job_codes(Product.SMART_SELFIE_REGISTRATION) == {
        "0001", "0840", "0841", "0844", "0846", "0941", "0942", "1240", "1241", "1242",
    }  # fmt: skip
    assert job_codes(Product.SMART_SELFIE_AUTHENTICATION) == {
        "0001", "0820", "0821", "0822", "0823", "0824", "0825", "0921", "0922", "1220", "1221", "1222",
    }  # fmt: skip
    assert job_codes(Product.SMART_SELFIE_COMPARE) == {"0001", "0840", "0841", "0941"}
    assert job_codes(Product.DOCUMENT_VERIFICATION) == {
        "0001", "0810", "0811", "0812", "0814", "0816", "0817", "0903", "1014",
    }  # fmt: skip
    assert job_codes(Product.BIOMETRIC_KYC) == {
        "0001", "0810", "0811", "0814", "0911", "0912", "1013", "1014", "1015", "1210", "1211", "1212", "2222",
    }  # fmt: skip
    # Document Verification's, and the ID look-up's failures.
    assert job_codes(Product.ENHANCED_DOCUMENT_VERIFICATION) == job_codes(Product.DOCUMENT_VERIFICATION) | {
        "1013", "1014", "1015", "2222",
    }  # fmt: skip
    human = {e.code for _, e in all_entries() if e.human_review}
    assert human == {"0811", "1210", "1211", "1212", "1220", "1221", "1222", "1240", "1241", "1242"}


def test_finality_follows_the_seeds_categories() -> None:
    provisional = {(p, e.code) for p, e in all_entries() if e.outcome is Outcome.PROVISIONAL}
    assert provisional == {
        (Product.SMART_SELFIE_AUTHENTICATION, "0822"),
        (Product.SMART_SELFIE_AUTHENTICATION, "0824"),
        (Product.SMART_SELFIE_AUTHENTICATION, "0825"),
        (Product.SMART_SELFIE_REGISTRATION, "0844"),
        (Product.SMART_SELFIE_REGISTRATION, "0846"),
        (Product.DOCUMENT_VERIFICATION, "0814"),
        (Product.ENHANCED_DOCUMENT_VERIFICATION, "0814"),
        (Product.BIOMETRIC_KYC, "0814"),
    }
    # Request errors are never job results, but for a queued job's look-up the rate limit refused
    # (there is no request left to answer by then).
    for _, entry in all_entries():
        if entry.code.startswith(("22", "23", "24")) and entry is not BiometricKyc.RATE_LIMITED:
            assert entry.outcome is None


def test_placeholder_texts() -> None:
    rejected = DocumentVerification.REJECTED
    assert rejected.text == "Unable to Verify Document - reason"
    assert (
        rejected.text_with(DocvRejection.LIVENESS)
        == "Unable to Verify Document - Selfie failed liveness checks"
    )
    with pytest.raises(ValueError, match="not a documented reason"):
        rejected.text_with("because")
    with pytest.raises(ValueError, match="takes no reason"):
        DocumentVerification.VERIFIED.text_with(DocvRejection.LIVENESS)
    assert (
        find_entry(Product.DOCUMENT_VERIFICATION, "0811", rejected.text_with(DocvRejection.UNDER_18))
        is rejected
    )
    with pytest.raises(KeyError):
        find_entry(Product.DOCUMENT_VERIFICATION, "0811", "Unable to Verify Document - because")


def sample_response(seed_lines: list[str], code: str) -> list[tuple[str, object]]:
    """The sample JSON response that carries ``"ResultCode": code``, as ordered key/value pairs."""
    at = next(i for i, line in enumerate(seed_lines) if line.strip() == f'"ResultCode": "{code}",')
    start = max(i for i in range(at) if seed_lines[i] == "{")
    end = next(i for i in range(at, len(seed_lines)) if seed_lines[i] == "}")
    pairs: list[tuple[str, object]] = json.loads(
        "\n".join(seed_lines[start : end + 1]), object_pairs_hook=lambda items: items
    )
    return pairs


def action_keys_of(pairs: list[tuple[str, object]]) -> list[str]:
    actions = dict(pairs)["Actions"]
    assert isinstance(actions, list)
    return [key for key, _ in actions]


def test_action_keys_follow_the_sample_responses(seed_lines: list[str]) -> None:
    docv = action_keys_of(sample_response(seed_lines, "0810"))
    assert [key.value for key in ACTION_KEYS[Product.DOCUMENT_VERIFICATION]] == docv
    authentication = action_keys_of(sample_response(seed_lines, "1220"))
    assert [key.value for key in ACTION_KEYS[Product.SMART_SELFIE_AUTHENTICATION]] == authentication
    registration = action_keys_of(sample_response(seed_lines, "0840"))
    # The registration sample repeats Human_Review_Liveness_Check where the others have the selfie's.
    assert registration.count("Human_Review_Liveness_Check") == 2
    registration[registration.index("Human_Review_Liveness_Check", 2)] = (
        Action.HUMAN_REVIEW_SELFIE_CHECK.value
    )
    assert [key.value for key in ACTION_KEYS[Product.SMART_SELFIE_REGISTRATION]] == registration


def test_result_types() -> None:
    assert RESULT_TYPES == {
        Product.SMART_SELFIE_AUTHENTICATION: "SAIA",
        Product.SMART_SELFIE_REGISTRATION: "SAIA",
        Product.SMART_SELFIE_COMPARE: "SAIA",
        Product.DOCUMENT_VERIFICATION: "Document Verification",
        Product.BIOMETRIC_KYC: "DIVA",
        Product.ENHANCED_DOCUMENT_VERIFICATION: "Document Verification",
    }


def string_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_codes_and_texts_are_written_only_in_the_codes_tables() -> None:
    modules = sorted(PRODUCTS_DIR.glob("*.py"))
    assert {p.name for p in modules} >= {
        "catalogue.py",
        "result.py",
        "review.py",
        "smart_selfie_registration.py",
        "smart_selfie_authentication.py",
        "smart_selfie_compare.py",
        "document_verification.py",
    }
    texts = {text for _, entry in all_entries() for text in (entry.text, *entry.texts())}
    texts |= {reason.value for reason in (*DocvRejection, *DocvUnverified)}
    for module in modules:
        for literal in string_literals(module):
            assert not re.fullmatch(r"\d{4}", literal), (
                f"{module.name}: result code {literal!r} outside the codes tables"
            )
            assert literal not in texts, f"{module.name}: result text {literal!r} outside the codes tables"


def test_the_scan_sees_literals() -> None:
    # The scan above must be able to fail: it finds the codes the tables themselves write.
    assert "0840" in string_literals(PRODUCTS_DIR / "codes" / "smart_selfie_registration.py")
