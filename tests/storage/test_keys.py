from __future__ import annotations

import pytest

from openkyc.storage.keys import (
    UPLOADS_PREFIX,
    check_blob_key,
    check_upload_key,
    direct_upload_job,
    direct_upload_key,
    enrolled_selfie_key,
    enrolment_prefix,
    job_image_key,
    job_prefix,
    liveness_frame_key,
    payload_key,
)


def test_blob_layout_is_the_one_stored_blobs_already_use() -> None:
    # Installations hold blobs under these names: retention and purges find them by them.
    assert payload_key("0000000001") == "jobs/0000000001/payload.zip"
    assert job_image_key("0000000001", "id_front") == "jobs/0000000001/id_front"
    assert liveness_frame_key("0000000001", 3) == "jobs/0000000001/liveness/3"
    assert enrolled_selfie_key("042", "0000000001") == "users/042/0000000001/selfie"
    assert direct_upload_key("0000000001") == "uploads/0000000001.zip"


def test_a_jobs_own_blobs_are_under_its_prefix_and_its_enrolled_copy_is_not() -> None:
    own = [payload_key("7"), job_image_key("7", "selfie"), liveness_frame_key("7", 0)]
    assert all(key.startswith(job_prefix("7")) for key in own)
    assert enrolled_selfie_key("p", "7").startswith(enrolment_prefix("p", "7"))
    assert not enrolled_selfie_key("p", "7").startswith(job_prefix("7"))
    # "jobs/7/" must not list job 70's blobs.
    assert not job_image_key("70", "selfie").startswith(job_prefix("7"))


def test_encrypted_blob_keys_stay_out_of_the_direct_upload_namespace() -> None:
    for key in (payload_key("1"), job_image_key("1", "selfie"), enrolled_selfie_key("p", "1")):
        assert check_blob_key(key) == key
    assert check_upload_key(direct_upload_key("1")).startswith(UPLOADS_PREFIX)


@pytest.mark.parametrize(
    ("key", "smile_job_id"),
    [
        ("uploads/0000000001.zip", "0000000001"),
        ("uploads/0000000001", None),
        ("jobs/0000000001/payload.zip", None),
    ],
)
def test_direct_upload_job_reads_back_only_the_names_handed_out(key: str, smile_job_id: str | None) -> None:
    assert direct_upload_job(key) == smile_job_id
