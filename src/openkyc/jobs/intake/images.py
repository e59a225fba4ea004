"""Turning info.json's ``images`` list into decoded images, whatever transport each SDK chose.

§3.2: types 0/1/4/5 are meant to be zip files and 2/3/6/7 base64, but SDKs disagree (JS and Ruby
put a *path* in ``image`` for 4/5; PHP and Java decide by file extension), so each entry is resolved
by what it actually holds: a name that matches a zip entry wins, otherwise ``image`` is decoded as
base64. Whatever cannot be resolved or decoded is a ``0001`` error naming the image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from openkyc.engine.errors import ImageError
from openkyc.engine.images.decode import DecodedImage, ImageLimits, decode_base64, load_image
from openkyc.jobs.intake import codes
from openkyc.jobs.intake.errors import IntakeError
from openkyc.jobs.intake.info_json import ImageEntry
from openkyc.jobs.intake.names import basename, display_name
from openkyc.jobs.intake.zip_reader import ZipContents

# Longer than any file name; keeps base64 text from being looked up or shown as a name.
_MAX_NAME_LENGTH = 255


class ImageRole(StrEnum):
    SELFIE = "selfie"
    ID_FRONT = "id_front"
    LIVENESS = "liveness"
    ID_BACK = "id_back"


_ROLES = {
    0: ImageRole.SELFIE,
    2: ImageRole.SELFIE,
    1: ImageRole.ID_FRONT,
    3: ImageRole.ID_FRONT,
    4: ImageRole.LIVENESS,
    6: ImageRole.LIVENESS,
    5: ImageRole.ID_BACK,
    7: ImageRole.ID_BACK,
}

_ROLE_WORDS = {
    ImageRole.SELFIE: "selfie",
    ImageRole.ID_FRONT: "ID card front",
    ImageRole.LIVENESS: "liveness frame",
    ImageRole.ID_BACK: "ID card back",
}


@dataclass(frozen=True)
class JobImage:
    """One image of the job: its bytes as sent and the decoded, upright picture."""

    index: int  # position in info.json's images list
    image_type_id: int
    role: ImageRole
    source: Literal["zip", "base64"]
    file_name: str | None  # the zip entry it was read from
    data: bytes = field(repr=False)
    decoded: DecodedImage = field(repr=False)


@dataclass(frozen=True)
class JobImages:
    """The job's images by role. Which roles a job needs is the product's decision, not intake's."""

    selfie: JobImage | None = None  # the first of type 0/2
    liveness: tuple[JobImage, ...] = ()  # types 4/6, in info.json order
    id_front: JobImage | None = None  # the first of type 1/3
    id_back: JobImage | None = None  # the first of type 5/7
    all: tuple[JobImage, ...] = field(
        default=(), repr=False
    )  # every image, in info.json order, extra selfies included

    @classmethod
    def from_images(cls, images: Sequence[JobImage]) -> JobImages:
        def first(role: ImageRole) -> JobImage | None:
            return next((image for image in images if image.role is role), None)

        return cls(
            selfie=first(ImageRole.SELFIE),
            liveness=tuple(image for image in images if image.role is ImageRole.LIVENESS),
            id_front=first(ImageRole.ID_FRONT),
            id_back=first(ImageRole.ID_BACK),
            all=tuple(images),
        )


def resolve_images(
    entries: Sequence[ImageEntry],
    contents: ZipContents,
    limits: ImageLimits,
    *,
    max_images: int,
    max_total_pixels: int,
) -> JobImages:
    """Read and decode every listed image; raise a ``0001`` :class:`IntakeError` naming the bad one."""
    if len(entries) > max_images:
        raise IntakeError(
            codes.DATA_INVALID,
            f"info.json lists more than {max_images} images",
            reason="images.too_many",
        )
    images: list[JobImage] = []
    total_pixels = 0
    for index, entry in enumerate(entries):
        image = _resolve(index, entry, contents, limits)
        total_pixels += image.decoded.width * image.decoded.height
        # Small PNGs can decode to huge bitmaps; bound the job's memory, not just each image's.
        if total_pixels > max_total_pixels:
            raise IntakeError(
                codes.DATA_INVALID,
                f"images total more than {max_total_pixels} pixels",
                reason="images.too_many_pixels",
            )
        images.append(image)
    return JobImages.from_images(images)


def _resolve(index: int, entry: ImageEntry, contents: ZipContents, limits: ImageLimits) -> JobImage:
    role = _ROLES[entry.image_type_id]
    label = f"images[{index}] ({_ROLE_WORDS[role]})"
    source: Literal["zip", "base64"]
    name = _zip_entry_name(entry, contents, label)
    if name is not None:
        source, data = "zip", contents.entries[name]
    elif entry.image:
        source = "base64"
        try:
            data = decode_base64(entry.image, limits=limits)
        except ImageError as exc:
            raise _unresolved(entry, label, exc) from None
    else:
        raise _unresolved(entry, label, None)
    try:
        decoded = load_image(data, limits=limits)
    except ImageError as exc:
        where = f"file {display_name(name)}" if name else "base64 image"
        raise IntakeError(
            codes.DATA_INVALID,
            f"{label}, {where}, is not a usable image: {exc.message}",
            reason=exc.code,
            image_index=index,
        ) from None
    return JobImage(
        index=index,
        image_type_id=entry.image_type_id,
        role=role,
        source=source,
        file_name=name,
        data=data,
        decoded=decoded,
    )


def _zip_entry_name(entry: ImageEntry, contents: ZipContents, label: str) -> str | None:
    """The zip entry ``file_name`` (or a path in ``image``, as JS/Ruby send for 4/5) refers to."""
    for reference in (entry.file_name, entry.image):
        if not reference or len(reference) > _MAX_NAME_LENGTH:
            continue
        name = basename(reference)
        if name in contents.duplicate_names:
            raise IntakeError(
                codes.DATA_INVALID,
                f"{label}: the zip holds more than one file named {display_name(name)}",
                reason="images.ambiguous_file",
            )
        if name in contents.entries:
            return name
    return None


def _unresolved(entry: ImageEntry, label: str, base64_error: ImageError | None) -> IntakeError:
    if entry.file_name:
        message = f"{label}: file {display_name(entry.file_name)} is not in the zip"
    elif base64_error is None:
        message = f"{label}: neither a file name nor image data was given"
    elif _looks_like_file_name(entry.image):
        # A path that names no zip entry (JS/Ruby do this for types 4/5 and do not zip the file).
        message = f"{label}: file {display_name(entry.image)} is not in the zip"
    else:
        message = f"{label}: the image is neither base64 nor a file in the zip ({base64_error.message})"
    return IntakeError(codes.DATA_INVALID, message, reason="images.missing")


def _looks_like_file_name(text: str) -> bool:
    # "." and "\\" never occur in base64, while image file names have an extension.
    return len(text) <= _MAX_NAME_LENGTH and ("." in text or "\\" in text)
