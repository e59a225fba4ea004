"""The receipt PDF: what it says, in an embedded font, the same bytes every time."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta, timezone

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from openkyc.receipts.pdf import NO_PERSONAL_DATA, Receipt, render, utc_text

RECEIPT = Receipt(
    partner_id="1077",
    partner_name="Kestrel Microfinance",
    smile_job_id="0000012345",
    job_id="order-5521",
    product="Enhanced Document Verification",
    environment="production",
    completed_at=datetime(2026, 3, 1, 14, 5, 9, tzinfo=UTC),
    result_code="0810",
    result_text="Document Verified",
    actions=(("Liveness_Check", "Passed"), ("Selfie_To_ID_Card_Compare", "Completed")),
)


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def lines_of(pdf: bytes) -> list[str]:
    return [line.strip() for line in text_of(pdf).splitlines() if line.strip()]


def test_the_receipt_names_the_partner_the_job_and_each_check() -> None:
    pdf = render(RECEIPT)
    assert pdf.startswith(b"%PDF-") and len(PdfReader(io.BytesIO(pdf)).pages) == 1
    lines = lines_of(pdf)
    # Label, then value, in the order of the summary table.
    assert lines[:17] == [
        "KYC receipt",
        "Partner",
        "Kestrel Microfinance (partner ID 1077)",
        "Product",
        "Enhanced Document Verification",
        "Environment",
        "production",
        "Smile job ID",
        "0000012345",
        "Partner job ID",
        "order-5521",
        "Date (UTC)",
        "2026-03-01 14:05:09 UTC",
        "Result code",
        "0810",
        "Result",
        "Document Verified",
    ]
    checks = lines[lines.index("Checks") :]
    assert checks[1:7] == [
        "Check",
        "Outcome",
        "Liveness Check",
        "Passed",
        "Selfie To ID Card Compare",
        "Completed",
    ]
    assert " ".join(checks[7:]) == NO_PERSONAL_DATA


def test_the_same_receipt_is_the_same_bytes() -> None:
    assert render(RECEIPT) == render(RECEIPT)


def test_the_font_is_embedded_and_no_other_is_used() -> None:
    pdf = render(RECEIPT)
    reader = PdfReader(io.BytesIO(pdf))
    resources = reader.pages[0]["/Resources"]
    assert isinstance(resources, DictionaryObject)
    fonts = resources["/Font"]
    assert isinstance(fonts, DictionaryObject)
    names = set()
    for reference in fonts.values():
        font = reference.get_object()
        assert isinstance(font, DictionaryObject)
        descriptor = font["/FontDescriptor"]
        assert isinstance(descriptor, DictionaryObject)
        assert "/FontFile2" in descriptor, font  # the TrueType program itself is in the file
        names.add(re.sub(r"^/[A-Z]{6}\+", "/", str(font["/BaseFont"])))
    # Subsets of the Vera faces reportlab ships; no PDF standard font (Helvetica...) a viewer substitutes.
    assert names == {"/BitstreamVeraSans-Roman", "/BitstreamVeraSans-Bold"}, names


def test_page_text_is_not_compressed_so_a_byte_search_sees_it() -> None:
    # What the leak tests rely on: ASCII text is in the file's bytes as written.
    assert b"(Kestrel Microfinance \\(partner ID 1077\\)) Tj" in render(RECEIPT)


def test_the_date_is_shown_in_utc() -> None:
    assert (
        utc_text(datetime(2026, 3, 1, 16, 5, 9, tzinfo=timezone(timedelta(hours=2))))
        == "2026-03-01 14:05:09 UTC"
    )


def test_metadata_names_the_job_not_a_person() -> None:
    metadata = PdfReader(io.BytesIO(render(RECEIPT))).metadata
    assert metadata is not None
    assert metadata.title == "KYC receipt 0000012345"
    assert metadata.author == "openkyc"
    assert metadata.subject == "Enhanced Document Verification result"


def test_markup_and_control_characters_in_partner_text_are_shown_not_interpreted() -> None:
    odd = Receipt(
        **{
            **RECEIPT.__dict__,
            "partner_name": "A&B <b>Bank</b>",
            "job_id": "job\x00-\ud800-<br/>-\u00e9",
            "actions": (),
        }
    )
    lines = lines_of(render(odd))
    assert "A&B <b>Bank</b> (partner ID 1077)" in lines
    job_line = lines[lines.index("Partner job ID") + 1]
    assert job_line.startswith("job") and "<br/>-\u00e9" in job_line and "\x00" not in job_line
    assert any(line.startswith("No check was run") for line in lines)
