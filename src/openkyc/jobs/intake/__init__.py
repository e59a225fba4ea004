"""Intake of the job zip a partner PUTs to its upload URL: safe unzipping, info.json, images.

Pure functions: no database, no web framework. Every failure is an :class:`IntakeError` carrying
the Smile ID code and HTTP status to answer with.
"""

from openkyc.jobs.intake import codes
from openkyc.jobs.intake.errors import IntakeError
from openkyc.jobs.intake.images import ImageRole, JobImage, JobImages
from openkyc.jobs.intake.info_json import InfoJson, parse_info_json
from openkyc.jobs.intake.payload import IntakeLimits, JobPayload, read_job_payload
from openkyc.jobs.intake.zip_reader import ZipContents, ZipLimits, read_zip

__all__ = [
    "ImageRole",
    "InfoJson",
    "IntakeError",
    "IntakeLimits",
    "JobImage",
    "JobImages",
    "JobPayload",
    "ZipContents",
    "ZipLimits",
    "codes",
    "parse_info_json",
    "read_job_payload",
    "read_zip",
]
