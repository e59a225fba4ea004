"""The job types of ``partner_params.job_type``: the one place their numbers and names live.

Numbers and names are the SDKs' constants (compatibility §3.1). An IntEnum, so a member is the
very int the wire carries: it is stored, signed, compared and serialised (``"job_type": 4``,
``str(JobType.AML) == "10"``) exactly as the bare number. This module imports nothing of
openkyc, so every layer (products, the domain packages, jobs, the views) may use it.
"""

from __future__ import annotations

from enum import IntEnum


class JobType(IntEnum):
    BIOMETRIC_KYC = 1
    SMART_SELFIE_AUTHENTICATION = 2
    # Unnamed in the SDKs; the docs' SmartSelfie Compare examples send "3".
    SMART_SELFIE_COMPARE = 3
    SMART_SELFIE_REGISTRATION = 4  # enrolment
    ENHANCED_KYC = 5
    # Same number in every SDK (Python's IntEnum makes it an alias too): one look-up endpoint.
    BASIC_KYC = 5
    DOCUMENT_VERIFICATION = 6
    BUSINESS_VERIFICATION = 7
    UPDATE_PHOTO = 8
    COMPARE_USER_INFO = 9
    AML = 10  # Ruby only
    ENHANCED_DOCUMENT_VERIFICATION = 11
    ADDRESS_VERIFICATION = 12  # Ruby only


# Every documented job type: any other number is refused with 2212 (Invalid job type).
KNOWN_JOB_TYPES = frozenset(JobType)
# Those this server runs through /v1/upload + zip; another known one there is 2214 (not activated).
UPLOAD_JOB_TYPES = frozenset(
    {
        JobType.BIOMETRIC_KYC,
        JobType.SMART_SELFIE_AUTHENTICATION,
        JobType.SMART_SELFIE_REGISTRATION,
        JobType.DOCUMENT_VERIFICATION,
        JobType.ENHANCED_DOCUMENT_VERIFICATION,
    }
)
# The queued products that look an ID number up before deciding.
LOOKUP_JOB_TYPES = frozenset({JobType.BIOMETRIC_KYC, JobType.ENHANCED_DOCUMENT_VERIFICATION})
# Those whose completed jobs have a KYC receipt, a PDF without personal data (openkyc.receipts).
RECEIPT_JOB_TYPES = frozenset(
    {JobType.BIOMETRIC_KYC, JobType.DOCUMENT_VERIFICATION, JobType.ENHANCED_DOCUMENT_VERIFICATION}
)

# Each job type's name as people read it (the portal, KYC receipts), spelled as Smile ID's
# documentation spells its products. Enhanced and Basic KYC share job_type 5.
JOB_TYPE_NAMES: dict[int, str] = {
    JobType.BIOMETRIC_KYC: "Biometric KYC",
    JobType.SMART_SELFIE_AUTHENTICATION: "SmartSelfie Authentication",
    JobType.SMART_SELFIE_COMPARE: "SmartSelfie Compare",
    JobType.SMART_SELFIE_REGISTRATION: "SmartSelfie Registration",
    JobType.ENHANCED_KYC: "Enhanced / Basic KYC",
    JobType.DOCUMENT_VERIFICATION: "Document Verification",
    JobType.BUSINESS_VERIFICATION: "Business Verification",
    JobType.UPDATE_PHOTO: "Update Photo",
    JobType.COMPARE_USER_INFO: "Compare User Info",
    JobType.AML: "AML Check",
    JobType.ENHANCED_DOCUMENT_VERIFICATION: "Enhanced Document Verification",
    JobType.ADDRESS_VERIFICATION: "Address Verification",
}
