"""Checks on what the document says and how it was captured: what its dates mean, expiry, the
holder's age, whether it is a photocopy, and whether the image meets the partner-facing capture
specification.

Each returns evidence with its own decision; :mod:`openkyc.engine.document.analyse` combines them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from openkyc.engine.document.dates import (
    MAX_AGE_YEARS,
    ROLES,
    Reading,
    Role,
    add_years,
    as_readings,
    other_centuries,
    resolve_dates,
    years_between,
)
from openkyc.engine.document.mrz.parse import MrzResult
from openkyc.engine.document.visual_zone import VisualZone
from openkyc.engine.evidence import Decision, Evidence, Reason, Signal
from openkyc.engine.images.quality import colourfulness, downscale

MINIMUM_AGE = 18

# Document images: the capture specification of the Smile ID document-verification docs.
CARD_MIN_LONG_SIDE = 1500  # credit-card-sized (ID-1) documents
PASSPORT_MIN_LONG_SIDE = 2200
MIN_FILE_BYTES = 600 * 1000
MAX_FILE_BYTES = 10 * 1000 * 1000

# Hasler-Süsstrunk colourfulness of the cropped document below which it counts as grey. Printed
# documents carry coloured security print; a photocopy or a grey scan measures ~0-3.
MIN_DOCUMENT_COLOURFULNESS = 6.0
# Share of spectral energy in isolated periodic peaks above which the print is a halftone screen.
MAX_HALFTONE_PEAK = 0.10
# Share of the document that is flat, blown-out white (toner copies lose the tinted background).
MAX_WASHED_OUT = 0.35
# Photocopy cues are measured at this long side (halftone dots survive it at ID-1 capture sizes).
_PHOTOCOPY_LONG_SIDE = 1200


class ExpiryEvidence(Evidence):
    expiry_date: date | None = None
    expired: bool | None = None
    days_to_expiry: int | None = None
    source: str | None = None
    # The day the document was judged on.
    on: date | None = None


class AgeEvidence(Evidence):
    birth_date: date | None = None
    age: int | None = None
    minimum_age: int = MINIMUM_AGE
    under_age: bool | None = None
    source: str | None = None
    # The day the age was judged on.
    on: date | None = None


class DocumentDates(BaseModel):
    """What the document's dates mean, from the MRZ and the visual zone together.

    ``sources``: per date, where it came from: "mrz" (check digit holds; century by meaning),
    "mrz+visual_zone" (check digit holds and the print gives the century), "visual_zone" or
    "mrz_unchecked". ``notes``: per date read but not reported, why.
    """

    model_config = ConfigDict(frozen=True)

    birth: date | None = None
    issue: date | None = None
    expiry: date | None = None
    sources: dict[str, str] = Field(default_factory=dict)
    notes: dict[str, str] = Field(default_factory=dict)


_VIZ_PREFERENCE = 0.05  # the zone's own order among its plausible readings, weaker than meaning


def _candidates(
    role: Role, mrz: MrzResult | None, zone: VisualZone
) -> tuple[list[Reading], str | None, str | None]:
    """Readings of one date, where they come from, and a note when there are none."""
    name = f"{role}_date"
    printed = zone.fields.get(name)
    viz = as_readings(printed.dates, step=_VIZ_PREFERENCE) if printed is not None else []
    mrz_value: str | None = getattr(mrz.fields, name, None) if mrz is not None and role != "issue" else None
    checked = mrz is not None and mrz.checks.get(role, False)
    if mrz_value and checked:
        # The check digit vouches for the digits; a plausible printed four-digit year for the century.
        same = [r for r in viz if r.value.isoformat()[2:] == mrz_value[2:]]
        if same:
            return same, "mrz+visual_zone", None
        return other_centuries(mrz_value), "mrz", None
    if viz:
        return viz, "visual_zone", None
    if mrz_value:
        return other_centuries(mrz_value), "mrz_unchecked", None
    notes = [note for note in (mrz.fields.date_notes.get(name) if mrz is not None else None,) if note]
    if printed is not None and printed.note:
        notes.append(printed.note)
    return [], None, "; ".join(notes) or None


def judge_dates(
    mrz: MrzResult | None, zone: VisualZone, *, today: date, kind: str | None = None
) -> DocumentDates:
    """Birth, issue and expiry dates as the document means them.

    Each date comes from the MRZ where its check digit holds (else from the print, else from the
    unchecked MRZ); the MRZ's two-digit years take their century from a plausible printed date
    with the same digits, and otherwise all three dates choose their readings jointly by meaning
    (:func:`openkyc.engine.document.dates.resolve_dates`); where they contradict each other, the
    dates a check digit vouches for are kept first. ``kind``: a :class:`DocumentKind` value.
    """
    found = {role: _candidates(role, mrz, zone) for role in ROLES}
    resolved = resolve_dates(
        birth=found["birth"][0],
        issue=found["issue"][0],
        expiry=found["expiry"][0],
        today=today,
        kind=None if kind == "unknown" else kind,
        trusted=[role for role, (_, source, _) in found.items() if source in ("mrz", "mrz+visual_zone")],
    )
    notes: dict[str, str] = {role: note for role, (_, _, note) in found.items() if note}
    notes.update({str(role): note for role, note in resolved.notes.items()})
    return DocumentDates(
        birth=resolved.birth,
        issue=resolved.issue,
        expiry=resolved.expiry,
        sources={
            role: str(source) for role, (_, source, _) in found.items() if source and resolved.get(role)
        },
        notes=notes,
    )


class PhotocopyEvidence(Evidence):
    photocopy: bool
    colourfulness: float
    stored_grayscale: bool
    halftone: float
    washed_out: float


class ImageSpecEvidence(Evidence):
    """The capture specification, reported for the partner and reviewers; not a rejection."""

    meets_spec: bool
    long_side: int
    min_long_side: int
    byte_size: int


def check_expiry(expiry: date | None, today: date, *, source: str | None = None) -> ExpiryEvidence:
    """Expired documents need attention (review); an unknown expiry date too."""
    if expiry is None:
        return ExpiryEvidence(
            decision=Decision.REVIEW,
            reasons=[Reason(code="document.expiry_unknown", message="the expiry date could not be read")],
            on=today,
        )
    days = (expiry - today).days
    # A document is valid through its expiry date.
    expired = days < 0
    return ExpiryEvidence(
        decision=Decision.REVIEW if expired else Decision.PASS,
        reasons=[Reason(code="document.expired", message="the document has expired")] if expired else [],
        signals={"days_to_expiry": Signal.measure(days, 0, detail="days from today to the expiry date")},
        expiry_date=expiry,
        expired=expired,
        days_to_expiry=days,
        source=source,
        on=today,
    )


def age_on(birth: date, today: date) -> int:
    """Whole years between ``birth`` and ``today`` (a 29 February birthday falls on 1 March)."""
    return years_between(birth, today)


def check_age(
    birth: date | None, today: date, *, minimum_age: int = MINIMUM_AGE, source: str | None = None
) -> AgeEvidence:
    """A holder under ``minimum_age`` is rejected; an unreadable birth date needs review."""
    if birth is None:
        return AgeEvidence(
            decision=Decision.REVIEW,
            reasons=[
                Reason(code="document.birth_date_unknown", message="the date of birth could not be read")
            ],
            minimum_age=minimum_age,
            on=today,
        )
    age = age_on(birth, today)
    reasons = []
    decision = Decision.PASS
    if birth > today:
        reasons.append(
            Reason(code="document.birth_date_invalid", message="the date of birth is in the future")
        )
        decision = Decision.REVIEW
    elif birth < add_years(today, -MAX_AGE_YEARS):
        reasons.append(
            Reason(
                code="document.birth_date_invalid",
                message=f"the date of birth is more than {MAX_AGE_YEARS} years ago",
            )
        )
        decision = Decision.REVIEW
    elif age < minimum_age:
        reasons.append(
            Reason(code=f"document.under_{minimum_age}", message=f"the holder is under {minimum_age}")
        )
        decision = Decision.FAIL
    return AgeEvidence(
        decision=decision,
        reasons=reasons,
        signals={"age": Signal.measure(age, minimum_age, detail="age in whole years on the given day")},
        birth_date=birth,
        age=age,
        minimum_age=minimum_age,
        under_age=age < minimum_age,
        source=source,
        on=today,
    )


def halftone_score(gray: NDArray[Any]) -> float:
    """How much of the image's fine detail is a periodic dot screen (printers, copiers).

    A halftone puts its energy into a few sharp peaks of the spectrum at the screen frequency;
    text, photos and paper grain spread theirs. The score is the energy share of the strongest
    peaks among high frequencies (periods of 2.5 to 10 pixels).
    """
    size = 256
    height, width = gray.shape[:2]
    if min(height, width) < size:
        return 0.0
    # Several tiles, as the screen is everywhere but text and the portrait are not.
    scores = []
    for fy, fx in ((0.3, 0.3), (0.3, 0.7), (0.7, 0.3), (0.7, 0.7), (0.5, 0.5)):
        y0 = min(height - size, max(0, int(height * fy) - size // 2))
        x0 = min(width - size, max(0, int(width * fx) - size // 2))
        tile = gray[y0 : y0 + size, x0 : x0 + size].astype(np.float32)
        tile = tile - cv2.GaussianBlur(tile, (0, 0), 3.0)
        window = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
        power = np.abs(np.fft.fftshift(np.fft.fft2(tile * window))) ** 2
        yy, xx = np.mgrid[-size // 2 : size // 2, -size // 2 : size // 2]
        radius = np.hypot(yy, xx)
        band = (radius >= size / 10) & (radius <= size / 2.5)
        energy = power[band]
        total = float(energy.sum())
        if total <= 1e-6:
            continue
        top = np.sort(energy)[-12:]  # a screen's fundamental peaks and their mirrors
        scores.append(float(top.sum()) / total)
    return float(np.median(scores)) if scores else 0.0


def washed_out_fraction(gray: NDArray[Any]) -> float:
    """Share of the image that is flat, clipped white in 16-pixel blocks (no paper texture left)."""
    block = 16
    height, width = (gray.shape[0] // block) * block, (gray.shape[1] // block) * block
    if height == 0 or width == 0:
        return 0.0
    tiles = gray[:height, :width].reshape(height // block, block, width // block, block).astype(np.float32)
    means = tiles.mean(axis=(1, 3))
    stds = tiles.std(axis=(1, 3))
    return float(np.count_nonzero((means >= 250) & (stds < 1.5))) / float(means.size)


def check_photocopy(document_bgr: NDArray[Any], *, stored_grayscale: bool = False) -> PhotocopyEvidence:
    """Whether the (cropped) document looks like a photocopy or a print rather than the original.

    Cues: no colour (measured on the document, not the desk around it), a file that stored no
    colour at all, a halftone screen, and large flat blown-out areas where an original has tinted
    security print. Grey alone decides; the texture cues decide together with weak colour.
    """
    small = downscale(document_bgr, _PHOTOCOPY_LONG_SIDE)
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    colour = 0.0 if stored_grayscale else colourfulness(small)
    halftone = halftone_score(gray)
    washed = washed_out_fraction(gray)
    signals = {
        "colourfulness": Signal.measure(
            colour, MIN_DOCUMENT_COLOURFULNESS, detail="Hasler-Süsstrunk, on the document"
        ),
        "halftone": Signal.measure(
            halftone, MAX_HALFTONE_PEAK, higher_is_better=False, detail="periodic-peak energy share"
        ),
        "washed_out": Signal.measure(
            washed, MAX_WASHED_OUT, higher_is_better=False, detail="flat clipped-white share"
        ),
    }
    grey = stored_grayscale or not signals["colourfulness"].passed
    weak_colour = colour < 2 * MIN_DOCUMENT_COLOURFULNESS
    texture = not signals["halftone"].passed or (not signals["washed_out"].passed and weak_colour)
    photocopy = grey or texture
    reasons = []
    if photocopy:
        why = "has no colour" if grey else "shows a print screen or a washed-out copy"
        reasons.append(
            Reason(code="document.photocopy", message=f"the document looks like a photocopy or print ({why})")
        )
    return PhotocopyEvidence(
        decision=Decision.REVIEW if photocopy else Decision.PASS,
        reasons=reasons,
        signals=signals,
        photocopy=photocopy,
        colourfulness=round(colour, 3),
        stored_grayscale=stored_grayscale,
        halftone=round(halftone, 5),
        washed_out=round(washed, 5),
    )


def check_image_spec(width: int, height: int, byte_size: int, *, passport: bool) -> ImageSpecEvidence:
    """The document-image specification: long side >= 1500 px for ID-1 cards and >= 2200 px for
    passports, file size 600 KB to 10 MB. Reported as evidence; callers do not reject on it alone."""
    long_side = max(width, height)
    minimum = PASSPORT_MIN_LONG_SIDE if passport else CARD_MIN_LONG_SIDE
    signals = {
        "long_side": Signal.measure(long_side, minimum, detail="pixels on the longer side"),
        "file_size_min": Signal.measure(byte_size, MIN_FILE_BYTES, detail="bytes"),
        "file_size_max": Signal.measure(
            byte_size, MAX_FILE_BYTES + 1, higher_is_better=False, detail="bytes"
        ),
    }
    reasons = []
    if not signals["long_side"].passed:
        reasons.append(
            Reason(
                code="document.image_resolution_below_spec",
                message=f"long side {long_side} px; the spec asks {minimum} px",
            )
        )
    if not (signals["file_size_min"].passed and signals["file_size_max"].passed):
        reasons.append(
            Reason(code="document.image_size_outside_spec", message="file size outside 600 KB to 10 MB")
        )
    return ImageSpecEvidence(
        decision=Decision.REVIEW if reasons else Decision.PASS,
        reasons=reasons,
        signals=signals,
        meets_spec=not reasons,
        long_side=long_side,
        min_long_side=minimum,
        byte_size=byte_size,
    )
