from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from openkyc.jobs.intake import (
    ImageRole,
    IntakeError,
    IntakeLimits,
    JobImage,
    codes,
    read_job_payload,
)
from tests.jobs.intake.builders import (
    build_zip,
    info_document,
    info_json_bytes,
    misc_information,
    python_sdk_zip,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def assert_image(image: JobImage | None, data: bytes, role: ImageRole, source: str) -> None:
    assert image is not None
    assert image.role is role
    assert image.source == source
    assert image.data == data
    assert (image.decoded.width, image.decoded.height) == size_of(data)
    assert image.decoded.bgr.shape == (image.decoded.height, image.decoded.width, 3)


def refused(data: bytes | None, limits: IntakeLimits | None = None) -> IntakeError:
    with pytest.raises(IntakeError) as caught:
        read_job_payload(data, limits)
    return caught.value


def zip_with_info(document: dict[str, Any], files: dict[str, bytes], **kwargs: Any) -> bytes:
    return build_zip([("info.json", info_json_bytes(document)), *files.items()], **kwargs)


# --- Zips built by the official Python SDK (smile-id-core 3.0.1) -------------------------------


def test_python_sdk_selfie_and_liveness_files(
    image_paths: dict[str, Path], image_bytes: dict[str, bytes]
) -> None:
    data = python_sdk_zip(
        [
            {"image_type_id": 0, "file_name": str(image_paths["selfie"])},
            {"image_type_id": 4, "file_name": str(image_paths["frame_1"])},
            {"image_type_id": 4, "file_name": str(image_paths["frame_2"])},
            {"image_type_id": 4, "file_name": str(image_paths["frame_3"])},
        ],
        partner_params={"user_id": "user-1", "job_id": "job-1", "job_type": 4, "app_name": "kyc"},
    )
    payload = read_job_payload(data)
    assert payload.partner_params == {
        "user_id": "user-1",
        "job_id": "job-1",
        "job_type": 4,
        "app_name": "kyc",
    }
    assert payload.job_type == 4
    assert payload.callback_url == "https://partner.example/callback"
    assert payload.retry is False
    assert payload.smile_client_id == "2343"
    assert payload.sdk_language == "python"
    assert_image(payload.images.selfie, image_bytes["selfie"], ImageRole.SELFIE, "zip")
    assert payload.images.selfie is not None and payload.images.selfie.file_name == "adams.png"
    assert [image.data for image in payload.images.liveness] == [
        image_bytes["frame_1"],
        image_bytes["frame_2"],
        image_bytes["frame_3"],
    ]
    assert payload.images.id_front is None and payload.images.id_back is None


def test_python_sdk_base64_images(image_bytes: dict[str, bytes]) -> None:
    # The SDK also writes one junk "base64imgString" entry per image: duplicates to be ignored.
    data = python_sdk_zip(
        [
            {"image_type_id": 2, "image": b64(image_bytes["selfie"])},
            {"image_type_id": 6, "image": b64(image_bytes["frame_1"])},
            {"image_type_id": 6, "image": b64(image_bytes["frame_2"])},
        ],
        partner_params={"user_id": "user-1", "job_id": "job-2", "job_type": 2},
    )
    assert (
        len([name for name in zipfile.ZipFile(io.BytesIO(data)).namelist() if name == "base64imgString"]) == 3
    )
    payload = read_job_payload(data)
    assert_image(payload.images.selfie, image_bytes["selfie"], ImageRole.SELFIE, "base64")
    assert [image.data for image in payload.images.liveness] == [
        image_bytes["frame_1"],
        image_bytes["frame_2"],
    ]
    assert all(image.source == "base64" for image in payload.images.liveness)


def test_python_sdk_document_verification_front_and_back(
    image_paths: dict[str, Path], image_bytes: dict[str, bytes]
) -> None:
    data = python_sdk_zip(
        [
            {"image_type_id": 0, "file_name": str(image_paths["selfie"])},
            {"image_type_id": 1, "file_name": str(image_paths["id_front"])},
            {"image_type_id": 5, "file_name": str(image_paths["id_back"])},
        ],
        partner_params={"user_id": "user-1", "job_id": "job-3", "job_type": 6},
        id_info={"country": "NG", "id_type": "PASSPORT", "entered": True},
    )
    payload = read_job_payload(data)
    assert payload.job_type == 6
    assert payload.id_info == {"country": "NG", "id_type": "PASSPORT", "entered": True}
    assert_image(payload.images.id_front, image_bytes["id_front"], ImageRole.ID_FRONT, "zip")
    assert_image(payload.images.id_back, image_bytes["id_back"], ImageRole.ID_BACK, "zip")
    assert payload.images.id_front is not None and payload.images.id_front.decoded.format == "JPEG"


def test_python_sdk_document_verification_in_base64(image_bytes: dict[str, bytes]) -> None:
    data = python_sdk_zip(
        [
            {"image_type_id": 2, "image": b64(image_bytes["selfie"])},
            {"image_type_id": 3, "image": b64(image_bytes["id_front"])},
            {"image_type_id": 7, "image": b64(image_bytes["id_back"])},
        ],
        partner_params={"user_id": "user-1", "job_id": "job-4", "job_type": 11},
        id_info={"country": "NG", "id_type": "PASSPORT", "entered": "true"},
    )
    payload = read_job_payload(data)
    assert payload.id_info["entered"] is True
    assert_image(payload.images.id_front, image_bytes["id_front"], ImageRole.ID_FRONT, "base64")
    assert_image(payload.images.id_back, image_bytes["id_back"], ImageRole.ID_BACK, "base64")


def test_python_sdk_biometric_kyc_all_null_id_info(image_paths: dict[str, Path]) -> None:
    # What WebApi.submit_job substitutes for an empty id_info on job type 1.
    null_id_info: dict[str, Any] = dict.fromkeys(
        ["first_name", "middle_name", "last_name", "country", "id_type", "id_number", "dob", "phone_number"]
    )
    null_id_info["entered"] = False
    data = python_sdk_zip(
        [{"image_type_id": 0, "file_name": str(image_paths["selfie"])}],
        partner_params={"user_id": "user-1", "job_id": "job-5", "job_type": 1},
        id_info=null_id_info,
    )
    assert read_job_payload(data).id_info == null_id_info


def test_python_sdk_base64_type_given_a_path_has_no_file_in_the_zip(image_paths: dict[str, Path]) -> None:
    # The SDK lists the basename as file_name but zips only its junk entry: the file is missing.
    data = python_sdk_zip([{"image_type_id": 2, "image": str(image_paths["selfie"])}])
    error = refused(data)
    assert (error.code, error.reason) == (codes.DATA_INVALID, "images.missing")
    assert error.message == "images[0] (selfie): file 'adams.png' is not in the zip"


# --- Hand-built variants of the other SDKs ------------------------------------------------------


def test_javascript_zip(image_bytes: dict[str, bytes]) -> None:
    # JSZip stores; no signature; entered "false"; server_information is the prep-upload answer;
    # for type 5 the path goes in `image` (here the file was zipped by hand under its basename).
    document = info_document(
        [
            {"image_type_id": 0, "image": "", "file_name": "selfie.png"},
            {"image_type_id": 4, "image": "", "file_name": "frame_1.png"},
            {"image_type_id": 1, "image": "", "file_name": "front.jpg"},
            {"image_type_id": 5, "image": "/srv/app/uploads/back.png", "file_name": ""},
        ],
        misc_information=misc_information(omit=["signature"]),
    )
    files = {
        "selfie.png": image_bytes["selfie"],
        "frame_1.png": image_bytes["frame_1"],
        "front.jpg": image_bytes["id_front"],
        "back.png": image_bytes["id_back"],
    }
    data = zip_with_info(document, files, compression=zipfile.ZIP_STORED)
    assert {info.compress_type for info in zipfile.ZipFile(io.BytesIO(data)).infolist()} == {
        zipfile.ZIP_STORED
    }
    payload = read_job_payload(data)
    assert payload.id_info == {"entered": False}
    assert payload.sdk_language == "javascript"
    assert_image(payload.images.selfie, image_bytes["selfie"], ImageRole.SELFIE, "zip")
    assert_image(payload.images.id_back, image_bytes["id_back"], ImageRole.ID_BACK, "zip")
    assert payload.images.id_back is not None and payload.images.id_back.file_name == "back.png"


def test_javascript_liveness_path_that_was_never_zipped(image_bytes: dict[str, bytes]) -> None:
    document = info_document(
        [
            {"image_type_id": 0, "image": "", "file_name": "selfie.png"},
            {"image_type_id": 4, "image": "/srv/app/uploads/frame_7.jpg", "file_name": ""},
        ]
    )
    error = refused(zip_with_info(document, {"selfie.png": image_bytes["selfie"]}))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "images.missing")
    assert error.message == "images[1] (liveness frame): file 'frame_7.jpg' is not in the zip"
    assert "/srv/app" not in error.message


def test_ruby_zip_with_pretty_json(image_bytes: dict[str, bytes]) -> None:
    document = info_document(
        [{"image_type_id": 0, "image": "", "file_name": "selfie.png"}],
        package_information={"language": "ruby"},
        misc_information=misc_information(retry="true", callback_url="https://ruby.example/cb"),
        id_info={"country": "KE", "id_type": "NATIONAL_ID", "id_number": "12345678", "entered": "true"},
    )
    data = build_zip(
        [("info.json", info_json_bytes(document, pretty=True)), ("selfie.png", image_bytes["selfie"])]
    )
    payload = read_job_payload(data)
    assert payload.retry is True
    assert payload.callback_url == "https://ruby.example/cb"
    assert payload.id_info["entered"] is True
    assert payload.sdk_language == "ruby"


def test_android_minimal_zip(image_bytes: dict[str, bytes]) -> None:
    document = {
        "images": [
            {"image_type_id": "0", "file_name": "si_selfie_1.jpg"},
            {"image_type_id": "4", "file_name": "si_liveness_1.jpg"},
            {"image_type_id": "4", "file_name": "si_liveness_2.jpg"},
        ],
        "consent_information": {"consented": {"personal_details": True}},
    }
    files = {
        "si_selfie_1.jpg": image_bytes["selfie"],
        "si_liveness_1.jpg": image_bytes["frame_1"],
        "si_liveness_2.jpg": image_bytes["frame_2"],
    }
    payload = read_job_payload(zip_with_info(document, files))
    assert payload.partner_params is None and payload.job_type is None
    assert payload.id_info == {}
    assert payload.callback_url is None and payload.retry is False
    assert payload.consent_information == {"consented": {"personal_details": True}}
    assert [image.image_type_id for image in payload.images.all] == [0, 4, 4]
    assert [image.data for image in payload.images.liveness] == [
        image_bytes["frame_1"],
        image_bytes["frame_2"],
    ]


def test_transport_follows_what_the_entry_holds(image_bytes: dict[str, bytes]) -> None:
    # A base64 type pointing at a file and a file type carrying base64 (PHP/Java decide by extension).
    document = info_document(
        [
            {"image_type_id": 2, "image": "", "file_name": "selfie.png"},
            {"image_type_id": 4, "image": b64(image_bytes["frame_1"]), "file_name": ""},
            {"image_type_id": 6, "image": "frame_2.png", "file_name": ""},
        ]
    )
    files = {"selfie.png": image_bytes["selfie"], "frame_2.png": image_bytes["frame_2"]}
    payload = read_job_payload(zip_with_info(document, files))
    assert_image(payload.images.selfie, image_bytes["selfie"], ImageRole.SELFIE, "zip")
    assert [(image.source, image.data) for image in payload.images.liveness] == [
        ("base64", image_bytes["frame_1"]),
        ("zip", image_bytes["frame_2"]),
    ]


def test_first_selfie_wins_and_every_image_is_kept(image_bytes: dict[str, bytes]) -> None:
    document = info_document(
        [
            {"image_type_id": 4, "image": "", "file_name": "frame_1.png"},
            {"image_type_id": 2, "image": b64(image_bytes["selfie"])},
            {"image_type_id": 0, "image": "", "file_name": "frame_2.png"},
        ]
    )
    files = {"frame_1.png": image_bytes["frame_1"], "frame_2.png": image_bytes["frame_2"]}
    payload = read_job_payload(zip_with_info(document, files))
    assert payload.images.selfie is not None and payload.images.selfie.index == 1
    assert [image.index for image in payload.images.all] == [0, 1, 2]


def test_data_url_base64_and_unreferenced_entries(image_bytes: dict[str, bytes]) -> None:
    document = info_document(
        [{"image_type_id": 2, "image": "data:image/png;base64," + b64(image_bytes["selfie"])}],
        misc_information=misc_information(use_enrolled_image=True),
    )
    data = zip_with_info(document, {"notes.txt": b"not an image", "nested.zip": build_zip([("x", b"y")])})
    payload = read_job_payload(data)
    assert payload.images.selfie is not None and payload.images.selfie.data == image_bytes["selfie"]
    assert payload.use_enrolled_image is True


# --- Refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", None, bytearray()])
def test_empty_body_is_2314(body: bytes | None) -> None:
    error = refused(body)
    assert (error.code, error.http_status) == (codes.NO_ZIP_FILE, 400)
    assert error.to_body() == {"code": "2314", "error": "No zip file received"}


def test_info_json_missing(image_bytes: dict[str, bytes]) -> None:
    error = refused(build_zip([("selfie.png", image_bytes["selfie"])]))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.missing_info_json")


def test_two_info_json_files_are_ambiguous() -> None:
    error = refused(build_zip([("info.json", b'{"images": []}'), ("job/info.json", b'{"images": []}')]))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.duplicate_info_json")


def test_info_json_invalid_json_is_2203(image_bytes: dict[str, bytes]) -> None:
    error = refused(
        build_zip([("info.json", b'{"images": [{"image_type_id": 0,'), ("a.png", image_bytes["selfie"])])
    )
    assert error.code == codes.INVALID_JSON


def test_info_json_missing_partner_params_is_2213() -> None:
    document = info_document([], misc_information=misc_information(omit=["partner_params"]))
    assert refused(zip_with_info(document, {})).code == codes.MISSING_PARAMETER


def test_referenced_file_missing_is_0001(image_bytes: dict[str, bytes]) -> None:
    document = info_document(
        [
            {"image_type_id": 0, "image": "", "file_name": "selfie.png"},
            {"image_type_id": 4, "image": "", "file_name": "frame_9.png"},
        ]
    )
    error = refused(zip_with_info(document, {"selfie.png": image_bytes["selfie"]}))
    assert (error.code, error.reason, error.http_status) == (codes.DATA_INVALID, "images.missing", 400)
    assert error.message == "images[1] (liveness frame): file 'frame_9.png' is not in the zip"


def test_image_with_neither_file_nor_data_is_0001() -> None:
    error = refused(zip_with_info(info_document([{"image_type_id": 0, "image": "", "file_name": ""}]), {}))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "images.missing")
    assert error.message == "images[0] (selfie): neither a file name nor image data was given"


def test_corrupt_image_file_is_0001(image_bytes: dict[str, bytes]) -> None:
    document = info_document(
        [
            {"image_type_id": 0, "image": "", "file_name": "selfie.png"},
            {"image_type_id": 1, "image": "", "file_name": "front.jpg"},
        ]
    )
    files = {"selfie.png": image_bytes["selfie"], "front.jpg": b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4}
    error = refused(zip_with_info(document, files))
    assert error.code == codes.DATA_INVALID
    assert error.reason.startswith("image.")
    assert error.message.startswith("images[1] (ID card front), file 'front.jpg', is not a usable image: ")


def test_truncated_image_is_0001(image_bytes: dict[str, bytes]) -> None:
    truncated = image_bytes["id_front"][: len(image_bytes["id_front"]) // 2]
    document = info_document([{"image_type_id": 0, "image": "", "file_name": "selfie.jpg"}])
    error = refused(zip_with_info(document, {"selfie.jpg": truncated}))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "image.truncated")
    assert "images[0] (selfie)" in error.message


def test_invalid_base64_is_0001_and_not_echoed() -> None:
    garbage = "!!not*base64!!" * 100
    document = info_document([{"image_type_id": 2, "image": garbage, "file_name": ""}])
    error = refused(zip_with_info(document, {}))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "images.missing")
    assert error.message.startswith("images[0] (selfie): the image is neither base64 nor a file in the zip")
    assert "!!not" not in error.message


def test_base64_that_is_not_an_image_is_0001() -> None:
    document = info_document([{"image_type_id": 6, "image": b64(b"GIF89a" + bytes(100)), "file_name": ""}])
    error = refused(zip_with_info(document, {}))
    assert error.code == codes.DATA_INVALID
    assert error.message.startswith("images[0] (liveness frame), base64 image, is not a usable image")


def test_a_referenced_name_that_occurs_twice_is_ambiguous(image_bytes: dict[str, bytes]) -> None:
    document = info_document([{"image_type_id": 0, "image": "", "file_name": "selfie.png"}])
    data = build_zip(
        [
            ("info.json", info_json_bytes(document)),
            ("selfie.png", image_bytes["selfie"]),
            ("other/selfie.png", image_bytes["frame_1"]),
        ]
    )
    error = refused(data)
    assert (error.code, error.reason) == (codes.DATA_INVALID, "images.ambiguous_file")


def test_too_many_images(image_bytes: dict[str, bytes]) -> None:
    images = [{"image_type_id": 4, "image": "", "file_name": "frame.png"}] * 4
    data = zip_with_info(info_document(images), {"frame.png": image_bytes["frame_1"]})
    assert len(read_job_payload(data).images.liveness) == 4
    error = refused(data, IntakeLimits(max_images=3))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "images.too_many")


def test_total_decoded_pixels_are_bounded(image_bytes: dict[str, bytes]) -> None:
    width, height = size_of(image_bytes["frame_1"])
    images = [{"image_type_id": 4, "image": "", "file_name": "frame.png"}] * 3
    data = zip_with_info(info_document(images), {"frame.png": image_bytes["frame_1"]})
    error = refused(data, IntakeLimits(max_total_pixels=2 * width * height + 1))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "images.too_many_pixels")


def test_zip_attacks_surface_before_info_json_is_read() -> None:
    error = refused(build_zip([("info.json", b"not json"), ("../../etc/cron.d/x", b"x")]))
    assert (error.code, error.reason) == (codes.DATA_INVALID, "zip.unsafe_name")
    assert error.message == "zip entry 'x' climbs out of the archive"
