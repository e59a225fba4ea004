"""File names from untrusted zips and info.json: basenames, traversal checks, safe display.

SDKs zip images under the basename of the caller's path (§5), and info.json refers to them by
that basename (JS/Ruby may put a whole path in ``image``), so both sides are reduced to basenames
the same way. Backslashes count as separators because zips made on Windows use them.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\\/]+")
_DRIVE = re.compile(r"^[A-Za-z]:")
_DISPLAY_LIMIT = 48


def basename(name: str) -> str:
    """The last path component of ``name`` ("" for a directory or an empty name)."""
    return _SEPARATORS.split(name)[-1]


def unsafe_name_reason(name: str) -> str | None:
    """Why a zip entry name must be refused, or ``None`` when it is acceptable.

    Nothing is ever extracted to disk, but a name that tries to climb out of the archive is an
    attack, not a client quirk: no SDK writes one, so the whole upload is refused.
    """
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in name):
        return "contains control characters"
    if name.startswith(("/", "\\")):
        return "is an absolute path"
    if _DRIVE.match(name):
        return "starts with a drive letter"
    if ".." in _SEPARATORS.split(name):
        return "climbs out of the archive"
    return None


def display_name(name: str) -> str:
    """A short, printable rendering of a partner-supplied name for error messages."""
    printable = "".join(char if char.isprintable() else "?" for char in basename(name) or name)
    if len(printable) > _DISPLAY_LIMIT:
        printable = printable[: _DISPLAY_LIMIT - 1] + "…"
    return repr(printable)
