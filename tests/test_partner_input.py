"""The one parser of partner JSON: bounded numbers and depth, no NUL or lone surrogate anywhere;
the gate every job's partner_params pass before they are stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openkyc.api_errors import ApiError
from openkyc.partner_input import (
    MAX_DEPTH,
    MAX_NUMBER_LENGTH,
    PartnerInputError,
    check_strings,
    check_text,
    parse_json,
    parse_partner_params,
    text_problem,
)


@pytest.mark.parametrize(
    "text",
    [
        '{"partner_params": {"user_id": "u", "job_id": "j", "job_type": 4}, "timestamp": 1732233130123}',
        '{"a": [1.5, -2e-7, 0, true, null, "😀", "\\ud83d\\ude00"], "b": {"c": {"d": []}}}',
        '"just a string"',
        "\ufeff{}",
    ],
)
def test_ordinary_documents_parse_as_json_does(text: str) -> None:
    assert parse_json(text) == json.loads(text.removeprefix("\ufeff"))
    assert parse_json(text.encode()) == json.loads(text.removeprefix("\ufeff"))


def test_a_bom_is_tolerated_in_bytes() -> None:
    assert parse_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


@pytest.mark.parametrize(
    "text",
    [
        "9" * 5000,
        '{"timestamp": ' + "1" * 5000 + "}",
        '{"partner_params": {"n": -' + "7" * 5000 + "}}",
        '{"f": 0.' + "3" * 5000 + "}",
        '{"f": 1e' + "9" * 5000 + "}",
    ],
    ids=["bare", "timestamp", "nested-negative", "long-fraction", "long-exponent"],
)
def test_a_5000_digit_number_is_refused(text: str) -> None:
    with pytest.raises(PartnerInputError, match="longer than"):
        parse_json(text)


def test_numbers_up_to_the_bound_are_kept() -> None:
    digits = "1" * MAX_NUMBER_LENGTH
    assert parse_json(f"[{digits}]") == [int(digits)]


@pytest.mark.parametrize("text", ["1e400", "[-1e999]", "NaN", "[Infinity]", "-Infinity"])
def test_non_finite_numbers_are_refused(text: str) -> None:
    with pytest.raises(PartnerInputError):
        parse_json(text)


@pytest.mark.parametrize(
    "text",
    ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000, "[" * 100_000],
    ids=["arrays", "objects", "unclosed"],
)
def test_json_nested_100000_deep_is_refused(text: str) -> None:
    with pytest.raises(PartnerInputError, match="nested"):
        parse_json(text)


def test_depth_up_to_the_bound_is_accepted_and_brackets_in_strings_do_not_count() -> None:
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(PartnerInputError):
        parse_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    inside = json.dumps({"note": "[{" * 1000 + '\\"[', "k": ["x"]})
    assert parse_json(inside)["k"] == ["x"]


@pytest.mark.parametrize(
    "text",
    [
        '{"partner_id": "\\ud800"}',
        '{"signature": "abc\\udfff"}',
        '{"partner_params": {"extra": ["ok", {"deep": "\\udc00x"}]}}',
        '{"\\ud800": 1}',
        '"\\ud83d"',
        '{"a": "\\ude00\\ud83d"}',  # a low then a high surrogate is not a pair
    ],
    ids=["value", "suffix", "nested", "key", "bare", "reversed-pair"],
)
def test_a_lone_surrogate_in_any_string_is_refused(text: str) -> None:
    with pytest.raises(PartnerInputError, match="unpaired surrogate"):
        parse_json(text)


@pytest.mark.parametrize(
    "text",
    ['{"job_id": "j\\u0000"}', '{"\\u0000": 1}', '{"a": [{"b": "\\u0000"}]}'],
    ids=["value", "key", "nested"],
)
def test_a_nul_in_any_string_is_refused(text: str) -> None:
    with pytest.raises(PartnerInputError, match="NUL"):
        parse_json(text)


@pytest.mark.parametrize("data", [b"\xff\xfe{}", b'{"a": "\xed\xa0\x80"}', b"{", b"", b"[1,]"])
def test_malformed_input_is_refused_as_not_json(data: bytes) -> None:
    # \xed\xa0\x80 is a surrogate encoded as UTF-8, which strict UTF-8 refuses.
    with pytest.raises(PartnerInputError):
        parse_json(data)


def test_messages_never_echo_the_value() -> None:
    for text in ['{"secret-ish": "\\ud800SECRET"}', '{"x": "SECRET\\u0000"}', "12345678901234" * 10]:
        with pytest.raises(PartnerInputError) as caught:
            parse_json(text)
        assert "SECRET" not in str(caught.value) and "1234567" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "problem"),
    [("fine", None), ("a\x00b", "contains a NUL character"), ("\ud800", "contains an unpaired surrogate")],
)
def test_text_problem_names_what_is_wrong(text: str, problem: str | None) -> None:
    assert text_problem(text) == problem


def test_check_text_names_the_field() -> None:
    assert check_text("user-1", "user_id") == "user-1"
    with pytest.raises(PartnerInputError, match=r"^user_id contains a NUL character$"):
        check_text("user\x001", "user_id")


@pytest.mark.parametrize(
    "value",
    [{"k": "\x00"}, ["ok", ["\udfff"]], {"\ud800": "v"}, {"a": {"b": {"c": [1, 2, {"d": "x\x00"}]}}}],
)
def test_check_strings_walks_built_documents(value: Any) -> None:
    with pytest.raises(PartnerInputError):
        check_strings(value)


def test_check_strings_needs_no_recursion() -> None:
    deep: Any = "ok"
    for _ in range(50_000):
        deep = [deep]
    check_strings(deep)


def test_partner_params_keep_every_key_the_partner_sent() -> None:
    params = parse_partner_params({"user_id": "u", "job_id": 7, "job_type": "4", "shop": {"till": 3}})
    assert (params.user_id, params.job_id, params.job_type) == ("u", "7", 4)
    assert params.raw == {"user_id": "u", "job_id": 7, "job_type": "4", "shop": {"till": 3}}


@pytest.mark.parametrize(
    "extra",
    [
        {"note": "\ud800"},
        {"\udc00": "key"},
        {"nested": [{"deep": "x\x00"}]},
        {"job_id": "j\x00"},
        {"user_id": "\udfff"},
    ],
    ids=["surrogate-value", "surrogate-key", "nul-nested", "nul-job-id", "surrogate-user-id"],
)
def test_a_lone_surrogate_or_nul_in_partner_params_is_refused_before_storage(extra: dict[str, Any]) -> None:
    # Stored, a lone surrogate made that job's job_status a 500 forever; PostgreSQL refuses NUL.
    with pytest.raises(ApiError) as caught:
        parse_partner_params({"user_id": "u", "job_id": "j", "job_type": 4, **extra})
    assert (caught.value.spec.code, caught.value.http_status) == ("2204", 400)
