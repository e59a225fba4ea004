"""The visual inspection zone: the printed fields a person reads, from the shared OCR pass.

Fields are found by their labels, in several languages and often bilingual ("Surname / Nom"); the
value is on the same line after the label, on the line just below it (passports and most ID
cards), or just to its right. EU driving licences number their fields instead of labelling them
("1. SURNAME", "4b. EXPIRY"), which is read too. Every date anywhere in the zone is also kept, so
that a date can be checked even when its label was not read.

The labelled dates (birth, issue, expiry) are given their meaning jointly
(:func:`openkyc.engine.document.dates.resolve_dates`): a field keeps only the readings that fit
the others and today, best first, and a field none of whose readings fits has none, with a note.

Lines are expected in upright document coordinates; MRZ lines are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict, Field

from openkyc.engine.document.dates import Reading, Role, find_dates, resolve_dates
from openkyc.engine.document.ocr import OcrLine
from openkyc.engine.document.text import compact, fold, words

FIELD_NAMES = (
    "surname",
    "full_name",
    "given_names",
    "birth_date",
    "expiry_date",
    "issue_date",
    "document_number",
    "sex",
    "nationality",
)
DATE_FIELDS = frozenset({"birth_date", "expiry_date", "issue_date"})
_ROLE_OF: dict[str, Role] = {"birth_date": "birth", "issue_date": "issue", "expiry_date": "expiry"}

# Labels, folded and compacted (OCR drops spaces: "DATEOFBIRTH").
LABELS: dict[str, tuple[str, ...]] = {
    "surname": (
        "SURNAME",
        "SURNAMES",
        "LASTNAME",
        "FAMILYNAME",
        "NOM",
        "NOMDEFAMILLE",
        "NACHNAME",
        "FAMILIENNAME",
        "APELLIDOS",
        "APELLIDO",
        "PRIMERAPELLIDO",
        "COGNOME",
        "SOBRENOME",
        "APELIDOS",
        "ACHTERNAAM",
        "NAZWISKO",
    ),
    # A bare "Name" is the whole name on many cards, not the surname.
    "full_name": ("NAME", "FULLNAME", "NAMES", "NOMBRECOMPLETO", "NOMCOMPLET", "NAMEANDSURNAME"),
    "given_names": (
        "GIVENNAMES",
        "GIVENNAME",
        "FIRSTNAMES",
        "FIRSTNAME",
        "FORENAMES",
        "FORENAME",
        "PRENOMS",
        "PRENOM",
        "VORNAMEN",
        "VORNAME",
        "NOMBRES",
        "NOMBRE",
        "NOME",
        "NOMI",
        "NOMES",
        "VOORNAMEN",
        "IMIONA",
        "IMIE",
    ),
    "birth_date": (
        "DATEOFBIRTH",
        "BIRTHDATE",
        "DOB",
        "DATEDENAISSANCE",
        "NELE",
        "GEBURTSDATUM",
        "GEBURTSTAG",
        "FECHADENACIMIENTO",
        "FECHANACIMIENTO",
        "DATADINASCITA",
        "DATADENASCIMENTO",
        "GEBOORTEDATUM",
        "DATAURODZENIA",
        "BORN",
    ),
    "expiry_date": (
        "DATEOFEXPIRY",
        "DATEOFEXPIRATION",
        "EXPIRYDATE",
        "EXPIRATIONDATE",
        "EXPIRES",
        "EXPIRY",
        "EXP",
        "DATEDEXPIRATION",
        "DATEDEXPIRATIONDATEOFEXPIRY",
        "VALIDUNTIL",
        "VALIDTHRU",
        "VALIDITE",
        "GULTIGBIS",
        "FECHADECADUCIDAD",
        "FECHADEEXPIRACION",
        "FECHADEVENCIMIENTO",
        "VALIDOHASTA",
        "VALIDEZ",
        "SCADENZA",
        "DATADISCADENZA",
        "DATADEVALIDADE",
        "VALIDOATE",
        "GELDIGTOT",
        "TERMINWAZNOSCI",
    ),
    "issue_date": (
        "DATEOFISSUE",
        "ISSUEDATE",
        "ISSUED",
        "ISS",
        "DATEDEDELIVRANCE",
        "AUSSTELLUNGSDATUM",
        "FECHADEEXPEDICION",
        "FECHADEEMISION",
        "DATADIRILASCIO",
        "DATADEEMISSAO",
        "DATUMVANAFGIFTE",
        "DATAWYDANIA",
    ),
    "document_number": (
        "DOCUMENTNO",
        "DOCUMENTNUMBER",
        "DOCUMENTNR",
        "DOCNO",
        "PASSPORTNO",
        "PASSPORTNUMBER",
        "PASSPORTNR",
        "CARDNO",
        "CARDNUMBER",
        "IDNO",
        "IDNUMBER",
        "LICENCENO",
        "LICENSENO",
        "LICENCENUMBER",
        "LICENSENUMBER",
        "DLNO",
        "DLN",
        "NDUPASSEPORT",
        "NODUPASSEPORT",
        "NDUDOCUMENT",
        "NODUDOCUMENT",
        "NUMERODUDOCUMENT",
        "PASSNR",
        "PASSNUMMER",
        "AUSWEISNR",
        "AUSWEISNUMMER",
        "DOKUMENTENNUMMER",
        "NUMERODEDOCUMENTO",
        "NUMDOCUMENTO",
        "NUMERODOCUMENTO",
        "NDEDOCUMENTO",
        "NUMERODEPASAPORTE",
        "NUMERODOPASSAPORTE",
        "DOCUMENTNUMMER",
        "PASPOORTNUMMER",
        "NUMERDOKUMENTU",
        "NUMERPASZPORTU",
        "NO",
    ),
    "sex": ("SEX", "SEXE", "GESCHLECHT", "SEXO", "SESSO", "GESLACHT", "PLEC", "GENDER"),
    "nationality": (
        "NATIONALITY",
        "NATIONALITE",
        "STAATSANGEHORIGKEIT",
        "NACIONALIDAD",
        "NAZIONALITA",
        "NACIONALIDADE",
        "NATIONALITEIT",
        "OBYWATELSTWO",
        "CITIZENSHIP",
    ),
}
# Every label with its field, longest first, so "GIVENNAMES" wins over "NAME" and "NOMBRES" over "NOM".
_ALL_LABELS = sorted(
    ((label, name) for name, labels in LABELS.items() for label in labels), key=lambda p: -len(p[0])
)
# Short labels could be the start of a value ("NOMURA", "NOEL"): they must stand alone as a word.
_SHORT_LABEL = 4

# EU driving-licence field numbers (Directive 2006/126/EC, Annex I).
_NUMBERED = {
    "1": "surname",
    "2": "given_names",
    "3": "birth_date",
    "4A": "issue_date",
    "4B": "expiry_date",
    "5": "document_number",
}
_NUMBERED_LINE = re.compile(r"^\s*(1|2|3|4\s*[AaBb]|5)\s*[.,:]\s*(\S.*)$")
_MIN_NUMBERED_LINES = 3

_SEX_WORDS = {
    "M": "M",
    "MALE": "M",
    "MASCULIN": "M",
    "MASCULINO": "M",
    "MANNLICH": "M",
    "H": "M",
    "HOMBRE": "M",
    "F": "F",
    "FEMALE": "F",
    "FEMININ": "F",
    "FEMENINO": "F",
    "FEMININO": "F",
    "WEIBLICH": "F",
    "W": "F",
    "MUJER": "F",
    "K": "F",
    "V": "F",
    "X": "X",
}
_MRZ_LIKE = re.compile(r"<.*<|^[A-Z0-9<]{28,}$")


class VizField(BaseModel):
    """One field read from the visual zone."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: str
    label: str | None = None
    # "inline" (after the label), "below", "right" or "numbered" (EU licence layout).
    method: str
    # Date fields: the calendar dates the printed value can mean that fit the zone's other dates
    # and today, most likely first (ISO); empty when none does (``note`` says why).
    dates: list[str] = Field(default_factory=list)
    # Date fields: every calendar date the printed value can mean, plausible or not (ISO).
    printed: list[str] = Field(default_factory=list)
    note: str | None = None


class VisualZone(BaseModel):
    """What the visual zone says: labelled fields, and every date printed anywhere in it."""

    model_config = ConfigDict(frozen=True)

    fields: dict[str, VizField] = Field(default_factory=dict)
    # Every printed date's readings, label or not.
    dates: list[list[str]] = Field(default_factory=list)
    # The zone's text lines (MRZ lines excluded), top to bottom, for searching.
    lines: list[str] = Field(default_factory=list)

    def value(self, name: str) -> str | None:
        found = self.fields.get(name)
        return found.value if found else None


@dataclass(frozen=True)
class _Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def h(self) -> float:
        return max(1.0, self.y1 - self.y0)

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(frozen=True)
class _Label:
    field: str
    label: str
    # What follows the label on the same line (original spelling), maybe empty.
    rest: str


def is_mrz_line(text: str) -> bool:
    """True for text that looks like an MRZ line (fillers, or a long run of MRZ characters)."""
    squeezed = text.replace(" ", "").upper()
    return bool(_MRZ_LIKE.search(squeezed))


def match_label(text: str) -> _Label | None:
    """The field a line labels, if it starts with a label (in any of several languages, maybe
    several: "Surname / Nom / Apellidos"), and what follows the label on the line."""
    folded = fold(text)
    # Map each kept (alphanumeric) character back to its position in the folded text.
    kept = [(i, char) for i, char in enumerate(folded) if char.isascii() and char.isalnum()]
    squeezed = "".join(char for _, char in kept)
    position = 0
    # Field numbers printed before labels ("1. Surname", "4b Date of expiry").
    numbering = re.match(r"^\d{1,2}[A-Z]?(?=[A-Z]{3})", squeezed)
    if numbering and re.match(r"^\s*\d{1,2}[A-Za-z]?\s*[.):]", folded):
        position = numbering.end()
    field: str | None = None
    label_text: list[str] = []
    while position < len(squeezed):
        for label, name in _ALL_LABELS:
            if not squeezed.startswith(label, position):
                continue
            if field is not None and name != field:
                continue  # a second label for another field ends this one
            end = position + len(label)
            if len(label) < _SHORT_LABEL and not _stands_alone(folded, kept, position, end):
                continue
            field = name
            label_text.append(label)
            position = end
            break
        else:
            break
    if field is None:
        return None
    rest = folded[kept[position][0] :] if position < len(kept) else ""
    rest = rest.lstrip(" :/.-,;|")
    # A trailing footnote number ("Surname (1)") is not a value.
    if re.fullmatch(r"[\s()\[\]]*\d{0,2}[\s()\[\]]*", rest):
        rest = ""
    return _Label(field=field, label="/".join(label_text), rest=rest.strip())


def _stands_alone(folded: str, kept: list[tuple[int, str]], start: int, end: int) -> bool:
    """The label at kept[start:end] is a whole word in the original text."""
    before = folded[kept[start][0] - 1] if kept[start][0] > 0 else " "
    after_index = kept[end - 1][0] + 1
    after = folded[after_index] if after_index < len(folded) else " "
    return not before.isalnum() and not after.isalnum()


def _box(line: OcrLine) -> _Line:
    xs, ys = line.box[:, 0], line.box[:, 1]
    return _Line(line.text, float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max()))


def _clean(field: str, raw: str) -> tuple[str, tuple[Reading, ...]] | None:
    """The value of ``field`` in ``raw`` text, with date readings for date fields; None if the text
    cannot be such a value."""
    text = raw.strip()
    if not text:
        return None
    if field in DATE_FIELDS:
        dates = find_dates(text, allow_compact=True)
        if not dates:
            return None
        return dates[0].text, dates[0].readings
    if field == "document_number":
        tokens = [compact(token) for token in re.split(r"[\s/|]+", fold(text)) if compact(token)]
        # Numbers are printed with spaces ("AB 123 456"): join the tokens that hold digits.
        joined = "".join(t for t in tokens if any(c.isdigit() for c in t) or len(t) <= 3)
        if len(joined) < 5 or not any(c.isdigit() for c in joined):
            return None
        return joined, ()
    if field == "sex":
        for token in re.split(r"[\s/|,.]+", fold(text)):
            if token in _SEX_WORDS:
                return _SEX_WORDS[token], ()
        return None
    value = words(text)
    if not value or any(c.isdigit() for c in value):
        return None
    return value, ()


def _field(name: str, cleaned: tuple[str, tuple[Reading, ...]], label: str | None, method: str) -> VizField:
    printed = [r.value.isoformat() for r in cleaned[1]]
    return VizField(name=name, value=cleaned[0], label=label, method=method, dates=printed, printed=printed)


def read_visual_zone(
    lines: Sequence[OcrLine], *, today: date | None = None, kind: str | None = None
) -> VisualZone:
    """Read the labelled fields and every date from OCR lines of an upright document.

    ``today`` (default: today) and the document ``kind`` (a :class:`DocumentKind` value, if
    known) bound what the dates can mean.
    """
    boxes = [_box(line) for line in lines if line.text.strip() and not is_mrz_line(line.text)]
    labels = [match_label(b.text) for b in boxes]
    fields: dict[str, VizField] = {}
    readings: dict[str, tuple[Reading, ...]] = {}

    for index, label in enumerate(labels):
        if label is None or label.field in fields:
            continue
        found: VizField | None = None
        cleaned = _clean(label.field, label.rest) if label.rest else None
        if cleaned is not None:
            found = _field(label.field, cleaned, label.label, "inline")
        else:
            for method, candidate in _neighbours(index, boxes, labels):
                cleaned = _clean(label.field, candidate.text)
                if cleaned is not None:
                    found = _field(label.field, cleaned, label.label, method)
                    break
        if found is not None and cleaned is not None:
            fields[label.field] = found
            readings[label.field] = cleaned[1]

    for name, (field, cleaned) in _numbered_fields(boxes).items():
        if name not in fields:
            fields[name] = field
            readings[name] = cleaned[1]

    fields = _resolve_dates(fields, readings, today=today or datetime.now(UTC).date(), kind=kind)
    dates = [list(d.candidates) for b in boxes for d in find_dates(b.text)]
    return VisualZone(fields=fields, dates=dates, lines=[b.text for b in boxes])


def _resolve_dates(
    fields: dict[str, VizField], readings: dict[str, tuple[Reading, ...]], *, today: date, kind: str | None
) -> dict[str, VizField]:
    """The date fields with only the readings that fit each other and today, best first."""
    named = {_ROLE_OF[name]: readings[name] for name in DATE_FIELDS if name in fields}
    if not named:
        return fields
    resolved = resolve_dates(
        birth=named.get("birth", ()),
        issue=named.get("issue", ()),
        expiry=named.get("expiry", ()),
        today=today,
        kind=None if kind == "unknown" else kind,
    )
    out = dict(fields)
    for name, role in _ROLE_OF.items():
        if name not in fields:
            continue
        plausible = [value.isoformat() for value in resolved.plausible.get(role, ())]
        out[name] = fields[name].model_copy(update={"dates": plausible, "note": resolved.notes.get(role)})
    return out


def _neighbours(index: int, boxes: list[_Line], labels: list[_Label | None]) -> list[tuple[str, _Line]]:
    """Lines that could hold the value of the label at ``index``: below it first, then right."""
    label = boxes[index]
    below: list[tuple[float, _Line]] = []
    right: list[tuple[float, _Line]] = []
    for other_index, other in enumerate(boxes):
        if other_index == index or labels[other_index] is not None:
            continue
        gap = other.y0 - label.y1
        overlaps = other.x0 < label.x1 + label.h and other.x1 > label.x0 - label.h
        if other.cy > label.cy and gap < 1.8 * max(label.h, other.h) and overlaps:
            below.append((other.y0, other))
        elif abs(other.cy - label.cy) < 0.6 * max(label.h, other.h) and other.x0 >= label.x1 - label.h * 0.5:
            right.append((other.x0, other))
    below.sort(key=lambda p: p[0])
    right.sort(key=lambda p: p[0])
    return [("below", b) for _, b in below[:2]] + [("right", r) for _, r in right[:1]]


def _numbered_fields(boxes: list[_Line]) -> dict[str, tuple[VizField, tuple[str, tuple[Reading, ...]]]]:
    found: dict[str, tuple[VizField, tuple[str, tuple[Reading, ...]]]] = {}
    for box in boxes:
        match = _NUMBERED_LINE.match(fold(box.text))
        if match is None:
            continue
        name = _NUMBERED[match[1].replace(" ", "").upper()]
        cleaned = _clean(name, match[2])
        if cleaned is not None and name not in found:
            found[name] = (_field(name, cleaned, match[1], "numbered"), cleaned)
    return found if len(found) >= _MIN_NUMBERED_LINES else {}
