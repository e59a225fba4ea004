"""error_responses: a route's documented errors are the bodies ApiError really renders."""

from __future__ import annotations

from openkyc.api_errors import (
    MISSING_PARAMETER,
    PAYLOAD_TOO_LARGE,
    UNAUTHORIZED,
    ApiError,
    ErrorAnswer,
    ErrorSpec,
    error_responses,
)


def test_errors_are_grouped_by_status_with_each_body_as_an_example() -> None:
    answers = error_responses(MISSING_PARAMETER, UNAUTHORIZED, PAYLOAD_TOO_LARGE)
    assert set(answers) == {400, 413}
    examples = answers[400]["content"]["application/json"]["examples"]
    assert examples["2213"]["value"] == ApiError(MISSING_PARAMETER).body()
    assert examples["2205"]["value"] == ApiError(UNAUTHORIZED).body()
    assert answers[400]["model"] is ErrorAnswer
    assert answers[400]["description"].startswith("2213: A required parameter is missing; 2205: ")
    assert list(answers[413]["content"]["application/json"]["examples"]) == ["2413"]


def test_two_answers_with_one_code_keep_both_examples() -> None:
    answers = error_responses(UNAUTHORIZED, ErrorSpec("2205", "Other text"))
    examples = answers[400]["content"]["application/json"]["examples"]
    assert len(examples) == 2 and {e["value"]["error"] for e in examples.values()} == {
        UNAUTHORIZED.text,
        "Other text",
    }


def test_the_error_model_matches_a_rendered_body() -> None:
    assert ErrorAnswer.model_validate(ApiError(MISSING_PARAMETER).body()).code == "2213"
