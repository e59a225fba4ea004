from __future__ import annotations

import json
from typing import Any

import pytest
from smile_id_core.image_upload import prepare_info_json

from openkyc.jobs.intake import codes
from openkyc.jobs.intake.errors import IntakeError
from openkyc.jobs.intake.info_json import InfoJson, parse_info_json
from tests.jobs.intake.builders import info_document, info_json_bytes, misc_information

SELFIE = {"image_type_id": 0, "image": "", "file_name": "selfie.jpg"}


def parsed(document: dict[str, Any], *, pretty: bool = False) -> InfoJson:
    return parse_info_json(info_json_bytes(document, pretty=pretty))


def refused(data: bytes | dict[str, Any]) -> IntakeError:
    with pytest.raises(IntakeError) as caught:
        parse_info_json(data if isinstance(data, bytes) else info_json_bytes(data))
    return caught.value


def test_python_sdk_info_json() -> None:
    document = prepare_info_json(
        "2343",
        "https://partner.example/callback",
        "http://localhost/upload",
        {"user_id": "user-1", "job_id": "job-1", "job_type": 1, "app_name": "kyc", "ref": 7},
        [{"image_type_id": 0, "file_name": "/tmp/selfie.jpg"}, {"image_type_id": 2, "image": "aGVsbG8="}],
        {"first_name": None, "country": None, "entered": False},
        {"timestamp": "t", "signature": "s"},
    )
    info = parsed(document)
    assert info.misc_information is not None
    params = info.misc_information.partner_params.as_dict()
    assert params == {"user_id": "user-1", "job_id": "job-1", "job_type": 1, "app_name": "kyc", "ref": 7}
    assert list(params) == ["user_id", "job_id", "job_type", "app_name", "ref"]
    assert info.misc_information.retry is False
    assert info.misc_information.callback_url == "https://partner.example/callback"
    assert info.misc_information.smile_client_id == "2343"
    assert info.server_information == "http://localhost/upload"
    assert info.sdk_language == "python"
    assert info.id_info is not None
    assert info.id_info.as_dict() == {"first_name": None, "country": None, "entered": False}
    assert [(image.image_type_id, image.image, image.file_name) for image in info.images] == [
        (0, "", "selfie.jpg"),
        (2, "aGVsbG8=", ""),
    ]


def test_extra_partner_params_keep_the_partners_order() -> None:
    params = {"app_name": "kyc", "user_id": "u", "z": 1, "job_type": "6", "job_id": "j", "a": [1]}
    info = parsed(info_document([SELFIE], misc_information=misc_information(partner_params=params)))
    assert info.misc_information is not None
    result = info.misc_information.partner_params.as_dict()
    assert list(result.items()) == [
        ("app_name", "kyc"),
        ("user_id", "u"),
        ("z", 1),
        ("job_type", 6),
        ("job_id", "j"),
        ("a", [1]),
    ]


def test_javascript_variant() -> None:
    # No signature, string flags, the prep-upload response as server_information, STORE'd elsewhere.
    document = info_document(
        [SELFIE, {"image_type_id": 4, "image": "/home/app/frame.jpg", "file_name": ""}],
        misc_information=misc_information(omit=["signature"], retry="true"),
        id_info={"country": "NG", "id_type": "BVN", "id_number": "00000000000", "entered": "false"},
    )
    info = parsed(document)
    assert info.misc_information is not None
    assert info.misc_information.signature is None
    assert info.misc_information.retry is True
    assert info.id_info is not None
    assert info.id_info.entered is False
    assert info.id_info.as_dict() == {
        "country": "NG",
        "id_type": "BVN",
        "id_number": "00000000000",
        "entered": False,
    }
    assert isinstance(info.server_information, dict)
    assert info.images[1].image == "/home/app/frame.jpg"


def test_ruby_pretty_json_with_trailing_newline() -> None:
    document = info_document([SELFIE], id_info={"entered": "true", "country": "KE"})
    data = info_json_bytes(document, pretty=True)
    assert data.endswith(b"}\n") and b"\n  " in data
    info = parse_info_json(data)
    assert info.id_info is not None and info.id_info.entered is True


def test_android_minimal_form_with_string_image_types() -> None:
    document = {
        "images": [
            {"image_type_id": "0", "file_name": "si_selfie.jpg"},
            {"image_type_id": "4", "file_name": "si_liveness_1.jpg"},
            {"image_type_id": "1", "file_name": "si_document_front.jpg"},
        ],
        "consent_information": {"consented": {"personal_details": True}},
    }
    info = parsed(document)
    assert [image.image_type_id for image in info.images] == [0, 4, 1]
    assert all(image.image == "" for image in info.images)
    assert info.misc_information is None
    assert info.id_info is None
    assert info.consent_information == {"consented": {"personal_details": True}}


def test_bom_and_whitespace_are_accepted() -> None:
    data = b"\xef\xbb\xbf\n  " + info_json_bytes({"images": [SELFIE]}) + b"\r\n\n"
    assert parse_info_json(data).images[0].file_name == "selfie.jpg"


def test_php_empty_id_info_array_and_null_image_fields() -> None:
    info = parsed({"images": [{"image_type_id": 2, "image": "aGVsbG8=", "file_name": None}], "id_info": []})
    assert info.id_info is None
    assert info.images[0].file_name == ""


def test_use_enrolled_image_and_numeric_partner_id() -> None:
    misc = misc_information(use_enrolled_image="true", smile_client_id=2343)
    info = parsed(info_document([SELFIE], misc_information=misc))
    assert info.misc_information is not None
    assert info.misc_information.use_enrolled_image is True
    assert info.misc_information.smile_client_id == "2343"


def test_integer_user_and_job_ids_become_strings() -> None:
    params = {"user_id": 17, "job_id": 18, "job_type": 4}
    info = parsed(info_document([SELFIE], misc_information=misc_information(partner_params=params)))
    assert info.misc_information is not None
    assert info.misc_information.partner_params.as_dict() == {"user_id": "17", "job_id": "18", "job_type": 4}


@pytest.mark.parametrize(
    "data",
    [
        b'{"images": [',
        b"not json",
        b"",
        b"\xff\xfe{}",  # not UTF-8
        b'[{"images": []}]',  # JSON, but not an object
        b'"images"',
        b'{"images": [], "x": NaN}',
        b'{"images": [], "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"images": [], "x": ' + b"9" * 10_000 + b"}",
    ],
    ids=["truncated", "text", "empty", "utf16", "array", "string", "nan", "deep", "huge-int"],
)
def test_invalid_json_is_2203(data: bytes) -> None:
    error = refused(data)
    assert (error.code, error.http_status) == (codes.INVALID_JSON, 400)
    assert error.message.startswith("Invalid JSON")


@pytest.mark.parametrize(
    "partner_params",
    [
        '{"user_id": "u", "job_id": "j", "job_type": 4, "extra": "\\ud800"}',
        '{"user_id": "\\udfff", "job_id": "j", "job_type": 4}',
        '{"user_id": "u", "job_id": "j\\u0000", "job_type": 4}',
        '{"user_id": "u", "job_id": "j", "job_type": 4, "\\u0000": "key"}',
    ],
    ids=["surrogate-extra", "surrogate-user-id", "nul-job-id", "nul-key"],
)
def test_a_lone_surrogate_or_nul_in_info_json_is_2203(partner_params: str) -> None:
    # Stored, these made the job's job_status a 500 forever (and PostgreSQL refuses them outright).
    data = (
        '{"package_information": {"apiVersion": {"buildNumber": 0, "majorVersion": 2, "minorVersion": 0}},'
        ' "misc_information": {"partner_params": ' + partner_params + "},"
        ' "images": [{"image_type_id": 0, "image": "", "file_name": "selfie.jpg"}]}'
    ).encode()
    error = refused(data)
    assert (error.code, error.http_status) == (codes.INVALID_JSON, 400)


def _with_params(**params: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"user_id": "u", "job_id": "j", "job_type": 4}
    base.update(params)
    return info_document([SELFIE], misc_information=misc_information(partner_params=base))


def _without_param(name: str) -> dict[str, Any]:
    base = {"user_id": "u", "job_id": "j", "job_type": 4}
    del base[name]
    return info_document([SELFIE], misc_information=misc_information(partner_params=base))


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (_without_param("user_id"), "misc_information.partner_params.user_id"),
        (_without_param("job_type"), "misc_information.partner_params.job_type"),
        (_with_params(job_id=""), "misc_information.partner_params.job_id"),
        (_with_params(user_id="   "), "misc_information.partner_params.user_id"),
        (_with_params(job_type=None), "misc_information.partner_params.job_type"),
        (
            info_document([SELFIE], misc_information=misc_information(omit=["partner_params"])),
            "misc_information.partner_params",
        ),
        (
            info_document([SELFIE], misc_information=misc_information(partner_params=None)),
            "misc_information.partner_params",
        ),
        ({"misc_information": misc_information()}, "images"),
        ({"images": None}, "images"),
        ({"images": [{"file_name": "selfie.jpg"}]}, "images[0].image_type_id"),
    ],
)
def test_missing_required_fields_are_2213(document: dict[str, Any], field: str) -> None:
    error = refused(document)
    assert error.code == codes.MISSING_PARAMETER
    assert error.message == f"Required parameter missing: {field}"


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (_with_params(job_type="four"), "misc_information.partner_params.job_type"),
        (_with_params(job_type=1.5), "misc_information.partner_params.job_type"),
        (_with_params(job_type=True), "misc_information.partner_params.job_type"),
        (_with_params(job_type="٤"), "misc_information.partner_params.job_type"),  # non-ASCII digit
        (_with_params(user_id={"id": 1}), "misc_information.partner_params.user_id"),
        (_with_params(job_id=False), "misc_information.partner_params.job_id"),
        ({"images": [{"image_type_id": 9, "file_name": "x.jpg"}]}, "images[0].image_type_id"),
        ({"images": [{"image_type_id": "8", "file_name": "x.jpg"}]}, "images[0].image_type_id"),
        ({"images": [{"image_type_id": 0, "file_name": ["x.jpg"]}]}, "images[0].file_name"),
        ({"images": {"image_type_id": 0}}, "images"),
        ({"images": [], "misc_information": "selfie.zip"}, "misc_information"),
        ({"images": [], "id_info": "NG"}, "id_info"),
        (info_document([SELFIE], misc_information=misc_information(retry="maybe")), "misc_information.retry"),
        (info_document([SELFIE], id_info={"entered": "yes please"}), "id_info.entered"),
        (
            info_document([SELFIE], misc_information=misc_information(callback_url={"u": 1})),
            "misc_information.callback_url",
        ),
    ],
)
def test_wrong_types_are_2204(document: dict[str, Any], field: str) -> None:
    error = refused(document)
    assert error.code == codes.WRONG_DATA_TYPE
    assert error.message.startswith(f"Wrong data type for {field}: ")


def test_a_missing_field_is_reported_before_a_wrong_type() -> None:
    document = {
        "misc_information": misc_information(partner_params={"user_id": "u", "job_type": "x"}),
        "images": [],
    }
    error = refused(document)
    assert error.code == codes.MISSING_PARAMETER
    assert error.message.endswith("partner_params.job_id")


def test_messages_never_echo_the_values_sent() -> None:
    secret = "A12345678-private"
    for document in (
        _with_params(job_type=secret),
        _with_params(user_id={"national_id": secret}),
        info_document([SELFIE], id_info={"entered": secret}),
    ):
        error = refused(document)
        assert secret not in error.message
        assert secret not in json.dumps(error.to_body())
