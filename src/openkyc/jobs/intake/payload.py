"""The job payload a partner PUTs to its upload URL (§4.2): zip → info.json → decoded images."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openkyc.engine.images.decode import ImageLimits
from openkyc.jobs.intake import codes
from openkyc.jobs.intake.errors import IntakeError
from openkyc.jobs.intake.images import JobImages, resolve_images
from openkyc.jobs.intake.info_json import InfoJson, parse_info_json
from openkyc.jobs.intake.zip_reader import ZipContents, ZipLimits, read_zip

INFO_JSON = "info.json"


@dataclass(frozen=True)
class IntakeLimits:
    """Everything intake bounds: the zip, each image, and the job's images together."""

    zip: ZipLimits = field(default_factory=ZipLimits)
    image: ImageLimits = field(default_factory=ImageLimits)
    # The web SDK sends 8 liveness frames; Android a few more. Far above any real job.
    max_images: int = 48
    # Decoded BGR bitmaps held at once (3 bytes a pixel): ~450 MB at the default.
    max_total_pixels: int = 150_000_000


@dataclass(frozen=True)
class JobPayload:
    """What a job zip carries, normalised across SDKs.

    ``partner_params`` is ``None`` only for Android's minimal info.json, which has no
    ``misc_information``: the caller then relies on the partner params given at ``/upload``.
    """

    partner_params: dict[str, Any] | None  # user_id, job_id: str; job_type: int; extra keys in order
    # As sent, "entered" normalised to bool when present; {} when absent. Personal data, so it is
    # kept out of repr (as is consent) for a logged payload not to leak it.
    id_info: dict[str, Any] = field(repr=False)
    callback_url: str | None
    retry: bool
    use_enrolled_image: bool | None  # None when info.json does not say
    smile_client_id: str | None
    sdk_language: str | None  # package_information.language
    consent_information: dict[str, Any] | None = field(repr=False)  # Android's top-level consent block
    images: JobImages = field(repr=False)
    info: InfoJson = field(repr=False)  # the parsed document, for anything not lifted out above

    @property
    def job_type(self) -> int | None:
        return None if self.partner_params is None else int(self.partner_params["job_type"])


def read_job_payload(
    zip_bytes: bytes | bytearray | memoryview | None, limits: IntakeLimits | None = None
) -> JobPayload:
    """Read, check and decode an uploaded job zip; raise :class:`IntakeError` when unusable."""
    limits = limits or IntakeLimits()
    if not zip_bytes:
        raise IntakeError(codes.NO_ZIP_FILE, "No zip file received", reason="zip.empty_body")
    contents = read_zip(zip_bytes, limits.zip)
    info = parse_info_json(_info_json_bytes(contents))
    images = resolve_images(
        info.images,
        contents,
        limits.image,
        max_images=limits.max_images,
        max_total_pixels=limits.max_total_pixels,
    )
    misc = info.misc_information
    use_enrolled_image = misc.use_enrolled_image if misc else None
    if use_enrolled_image is None:
        use_enrolled_image = info.use_enrolled_image
    return JobPayload(
        partner_params=misc.partner_params.as_dict() if misc else None,
        id_info=info.id_info.as_dict() if info.id_info else {},
        callback_url=misc.callback_url if misc else None,
        retry=bool(misc and misc.retry),
        use_enrolled_image=use_enrolled_image,
        smile_client_id=misc.smile_client_id if misc else None,
        sdk_language=info.sdk_language,
        consent_information=info.consent_information,
        images=images,
        info=info,
    )


def _info_json_bytes(contents: ZipContents) -> bytes:
    if INFO_JSON in contents.duplicate_names:
        raise IntakeError(
            codes.DATA_INVALID, "zip holds more than one info.json", reason="zip.duplicate_info_json"
        )
    data = contents.entries.get(INFO_JSON)
    if data is None:
        raise IntakeError(codes.DATA_INVALID, "zip has no info.json", reason="zip.missing_info_json")
    return data
