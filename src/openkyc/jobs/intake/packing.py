"""Writing a job zip from images in hand, as the SDKs write theirs (§5): for the portal's SmartCheck,
whose jobs then go through the same intake, queue and worker as a partner's upload.

Each image is a zip file entry listed in info.json with the file type of its role (0 selfie,
1 document front, 4 liveness frame, 5 document back); nothing is read back here: intake checks
the zip like any other.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

from openkyc.jobs.intake.images import ImageRole
from openkyc.jobs.intake.payload import INFO_JSON

# The file (not base64) image_type_id of each role (§3.2).
FILE_IMAGE_TYPES = {
    ImageRole.SELFIE: 0,
    ImageRole.ID_FRONT: 1,
    ImageRole.LIVENESS: 4,
    ImageRole.ID_BACK: 5,
}


def pack_job_zip(
    *,
    partner_params: Mapping[str, Any],
    images: Sequence[tuple[ImageRole, bytes]],
    id_info: Mapping[str, Any] | None = None,
) -> bytes:
    """A job zip: info.json (partner params, ID info, the images in order) and the image files.

    Images are stored, not deflated: JPEG and PNG do not compress further.
    """
    entries = []
    files: list[tuple[str, bytes]] = []
    for index, (role, data) in enumerate(images):
        name = f"{index:02d}-{role.value}"
        entries.append({"image_type_id": FILE_IMAGE_TYPES[role], "image": "", "file_name": name})
        files.append((name, data))
    info: dict[str, Any] = {
        "misc_information": {"partner_params": dict(partner_params), "retry": False},
        "images": entries,
    }
    if id_info:
        info["id_info"] = dict(id_info)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(INFO_JSON, json.dumps(info, ensure_ascii=False))
        for name, data in files:
            archive.writestr(name, data)
    return buffer.getvalue()
