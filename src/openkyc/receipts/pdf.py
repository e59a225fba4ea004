"""A KYC receipt as a PDF: who asked, which job, what was decided, and nothing about the person.

The PDF is drawn with ReportLab (BSD) in Bitstream Vera, the TrueType font that ships inside the
reportlab wheel, embedded (subset) in every file: no system font is read, so the receipt looks the
same on every server. ReportLab's invariant mode fixes the creation date and the document id, so
one receipt always renders to the same bytes.
"""

from __future__ import annotations

import io
import threading
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

FONT = "OpenKYCVera"
FONT_BOLD = "OpenKYCVeraBold"
_FONT_FILES = {FONT: "Vera.ttf", FONT_BOLD: "VeraBd.ttf"}
_fonts_lock = threading.Lock()

NO_PERSONAL_DATA = (
    "This receipt records that the verification above was run and what it decided. It holds no "
    "personal data of the person verified: no name, ID number, date of birth, address, phone "
    "number, image or user ID."
)


@dataclass(frozen=True)
class Receipt:
    """What a receipt shows. Built only from the job's bookkeeping and its decision, never from
    the person's data (see :func:`openkyc.receipts.service.receipt_for`)."""

    partner_id: str
    partner_name: str
    smile_job_id: str
    job_id: str  # the partner's own job id (partner_params.job_id)
    product: str
    environment: str
    completed_at: datetime
    result_code: str
    result_text: str
    # (Action name, value) in the order of the result, e.g. ("Liveness_Check", "Passed").
    actions: tuple[tuple[str, str], ...]


def _register_fonts() -> None:
    # Registration is process-wide in ReportLab; once, under a lock (receipts render on a pool).
    with _fonts_lock:
        registered = set(pdfmetrics.getRegisteredFontNames())
        folder = Path(reportlab.__file__).parent / "fonts"
        for name, file in _FONT_FILES.items():
            if name not in registered:
                pdfmetrics.registerFont(TTFont(name, str(folder / file)))


def utc_text(moment: datetime) -> str:
    """``2026-03-01 14:05:09 UTC`` (a naive datetime is taken as UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def check_label(action: str) -> str:
    """``Selfie_To_ID_Card_Compare`` -> ``Selfie To ID Card Compare``."""
    return action.replace("_", " ")


def render(receipt: Receipt) -> bytes:
    """The receipt as a one-page (A4) PDF."""
    _register_fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=f"KYC receipt {receipt.smile_job_id}",
        author="openkyc",
        subject=f"{receipt.product} result",
        creator="openkyc",
        producer="openkyc",
        invariant=1,
        # Uncompressed: a receipt is a few kB of text, and a plain byte search of the file (the
        # tests' search for leaked personal data) sees that text as written.
        pageCompression=0,
        # Else each page starts in Helvetica, a font left to the viewer (never drawn with, but named).
        initialFontName=FONT,
    )
    document.build(_story(receipt))
    return buffer.getvalue()


def _story(receipt: Receipt) -> list[Flowable]:
    title = ParagraphStyle("title", fontName=FONT_BOLD, fontSize=18, leading=22, spaceAfter=4 * mm)
    heading = ParagraphStyle("heading", fontName=FONT_BOLD, fontSize=12, leading=15, spaceAfter=2 * mm)
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13)
    note = ParagraphStyle("note", fontName=FONT, fontSize=8, leading=10, textColor=colors.HexColor("#555555"))

    def cell(text: str, style: ParagraphStyle = body) -> Paragraph:
        # Paragraph markup is XML: partner names and ids are escaped, never interpreted.
        return Paragraph(_escape(text), style)

    summary = [
        ("Partner", f"{receipt.partner_name} (partner ID {receipt.partner_id})"),
        ("Product", receipt.product),
        ("Environment", receipt.environment),
        ("Smile job ID", receipt.smile_job_id),
        ("Partner job ID", receipt.job_id),
        ("Date (UTC)", utc_text(receipt.completed_at)),
        ("Result code", receipt.result_code),
        ("Result", receipt.result_text),
    ]
    checks = [(check_label(name), value) for name, value in receipt.actions]
    story: list[Flowable] = [
        Paragraph("KYC receipt", title),
        _table([(cell(label), cell(value)) for label, value in summary], widths=(45 * mm, 125 * mm)),
        Spacer(1, 8 * mm),
        Paragraph("Checks", heading),
    ]
    if checks:
        strong = ParagraphStyle("strong", parent=body, fontName=FONT_BOLD)
        rows = [(cell("Check", strong), cell("Outcome", strong))]
        rows += [(cell(label), cell(value)) for label, value in checks]
        story.append(_table(rows, widths=(95 * mm, 75 * mm), header=True))
    else:
        story.append(cell("No check was run: the job ended before its checks (see the result)."))
    story += [Spacer(1, 10 * mm), Paragraph(_escape(NO_PERSONAL_DATA), note)]
    return story


def _table(
    rows: list[tuple[Paragraph, Paragraph]], *, widths: tuple[float, float], header: bool = False
) -> Table:
    table = Table(rows, colWidths=list(widths), hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), FONT),  # the table's own default is Helvetica
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#cccccc")),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(style))
    return table


def _escape(text: str) -> str:
    # A partner's job id may hold anything JSON does: control characters, lone surrogates. Those
    # are shown as "?" (a glyph Vera has) rather than handed to the PDF writer.
    shown = "".join("?" if unicodedata.category(char).startswith("C") else char for char in text)
    return shown.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
