"""Weak surface cues combined: two suspicious cues together are an attack, either alone is not.

Each surface cue (a periodic pattern, fine colour detail, straight edges framing the face) fails
the check by itself only far above what genuine photos show. A screen or print that is blurred,
out of focus or cropped tightly can stay below every one of those thresholds while still raising
two of them above their genuine range: a faint grid *and* a bezel on two sides. The cues have
different physical causes (the display's pixel grid or the print's halftone; the prop's outline),
so on a genuine selfie they are suspicious independently and rarely together: on the genuine shared
photos each suspicion level below is reached by 3-12% of photos, two of them by 4%.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SuspicionLevels:
    """Levels above which a surface cue is suspicious (below the levels at which it fails alone).

    Set on the 104 genuine shared photos (sharp, native resolution, as a real selfie camera
    gives; the smooth upscaled video crops would set them too low): periodic pattern 1.2 (about
    their p97), chroma moiré 0.25 (p88), straight edges on 2 sides of the face (p93).
    """

    periodic_pattern: float = 1.2
    chroma_moire: float = 0.25
    enclosing_sides: float = 2.0


def suspicious_cues(
    periodic_pattern: float, chroma_moire: float, enclosing_sides: float, levels: SuspicionLevels
) -> int:
    """How many of the three surface cues reach their suspicion level (0-3)."""
    return (
        int(periodic_pattern >= levels.periodic_pattern)
        + int(chroma_moire >= levels.chroma_moire)
        + int(enclosing_sides >= levels.enclosing_sides)
    )
