"""``info.json`` from a job zip: one tolerant model for every SDK's variant (compatibility §5).

Tolerated, because real SDKs send them: ``retry``/``entered`` as bools or "true"/"false" strings,
``image_type_id`` as an int or a numeric string (Android), ``job_type`` as a numeric string,
``image``/``file_name`` empty or null, ``server_information`` as a URL string (Python) or the
prep-upload response object (JS/Ruby/PHP/Java), no ``signature`` (JS), filler ``userData``
(ignored), Python's all-null ``id_info``, Android's minimal form with only ``images`` (plus
optional ``id_info`` and ``consent_information``), pretty-printing, a UTF-8 BOM, trailing newlines.

Error mapping (a choice, since Smile ID documents the codes but not their boundaries):

* not UTF-8, not JSON, or not a JSON object → ``2203`` Invalid JSON;
* a required field absent, ``null`` or an empty string → ``2213`` Required parameter missing;
* a field present with the wrong type, or a value outside its range (``job_type`` ``1.5`` or
  ``true``, ``image_type_id`` ``9``, ``retry`` ``"maybe"``) → ``2204`` Wrong data type.

When several fields are wrong, a missing one is reported first. Messages name the field, never its
value.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from openkyc.jobs.intake import codes
from openkyc.jobs.intake.errors import IntakeError
from openkyc.partner_input import PartnerInputError, parse_json

FILE_IMAGE_TYPES = frozenset({0, 1, 4, 5})
BASE64_IMAGE_TYPES = frozenset({2, 3, 6, 7})

_MISSING_TYPES = frozenset({"missing", "missing_value"})


def _missing(what: str) -> PydanticCustomError:
    return PydanticCustomError("missing_value", "{what} must not be empty", {"what": what})


def _wrong_type(expected: str) -> PydanticCustomError:
    return PydanticCustomError("wrong_type", "expected {expected}", {"expected": expected})


def _identifier(value: Any) -> str:
    """``user_id``/``job_id``: strings in every SDK; integers from loosely typed clients are kept as text."""
    if value is None:
        raise _missing("value")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _wrong_type("a string")
    text = str(value)
    if not text.strip():
        raise _missing("value")
    return text


def _integer(value: Any) -> int:
    """An int, or a string of decimal digits (JS/Ruby users and Java's adapter send both)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _missing("value")
    if isinstance(value, bool):
        raise _wrong_type("an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdecimal() and value.strip().isascii():
        return int(value.strip())
    raise _wrong_type("an integer")


def _image_type_id(value: Any) -> int:
    image_type = _integer(value)
    if image_type not in FILE_IMAGE_TYPES | BASE64_IMAGE_TYPES:
        raise _wrong_type("an image_type_id from 0 to 7")
    return image_type


def _flag(value: Any) -> bool | None:
    """``retry``/``entered``/``use_enrolled_image``: JS and Ruby send "true"/"false" strings."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise _wrong_type('a boolean or "true"/"false"')


def _optional_text(value: Any) -> str | None:
    """Text fields nobody depends on: numbers become text, anything else is a type error."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _wrong_type("a string")


def _text_or_empty(value: Any) -> str:
    """``image``/``file_name``: absent, null and "" all mean 'not given'."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _wrong_type("a string")
    return value


Identifier = Annotated[str, BeforeValidator(_identifier)]
Integer = Annotated[int, BeforeValidator(_integer)]
ImageTypeId = Annotated[int, BeforeValidator(_image_type_id)]
Flag = Annotated[bool | None, BeforeValidator(_flag)]
OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
TextOrEmpty = Annotated[str, BeforeValidator(_text_or_empty)]


class _KeyOrderModel(BaseModel):
    """A model that keeps unknown keys and can give the object back in the partner's key order.

    Extra keys must be echoed back in results and callbacks (§6), and pydantic alone would move the
    declared fields to the front.
    """

    model_config = ConfigDict(extra="allow", frozen=True)
    _key_order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_key_order(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        model = handler(data)
        if isinstance(data, dict):
            model._key_order = tuple(key for key in data if isinstance(key, str))
        return model

    def as_dict(self) -> dict[str, Any]:
        """The object as sent, key order kept, with declared fields in their normalised form."""
        extras = self.model_extra or {}
        return {
            key: extras[key] if key in extras else getattr(self, key)
            for key in self._key_order
            if key in extras or key in type(self).model_fields
        }


class PartnerParams(_KeyOrderModel):
    user_id: Identifier
    job_id: Identifier
    job_type: Integer


class IdInfo(_KeyOrderModel):
    """ID details; only ``entered`` is normalised, everything else is kept as sent (nulls included)."""

    entered: Flag = None


class MiscInformation(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    partner_params: PartnerParams
    retry: Flag = None
    callback_url: OptionalText = None
    smile_client_id: OptionalText = None
    # Not checked here: JS omits the signature and §5 says to authenticate at /upload instead.
    signature: OptionalText = None
    timestamp: OptionalText = None
    use_enrolled_image: Flag = None


class ImageEntry(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    image_type_id: ImageTypeId
    image: TextOrEmpty = ""
    file_name: TextOrEmpty = ""


class InfoJson(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    images: list[ImageEntry]
    misc_information: MiscInformation | None = None
    id_info: IdInfo | None = None
    consent_information: dict[str, Any] | None = None
    # Informational only, and shaped differently per SDK: kept as sent.
    package_information: Any = None
    server_information: Any = None
    use_enrolled_image: Flag = None

    @field_validator("id_info", "consent_information", mode="before")
    @classmethod
    def _empty_array_is_no_object(cls, value: Any) -> Any:
        # PHP's json_encode writes an empty associative array as [].
        return None if value == [] else value

    @property
    def sdk_language(self) -> str | None:
        """``package_information.language`` ("python", "javascript"…) when the SDK sent it."""
        info = self.package_information
        language = info.get("language") if isinstance(info, dict) else None
        return language if isinstance(language, str) else None


def parse_info_json(data: bytes | str) -> InfoJson:
    """Parse and validate info.json; raise :class:`IntakeError` (2203/2213/2204) when unusable."""
    document = _load_json(data)
    try:
        return InfoJson.model_validate(document)
    except ValidationError as exc:
        raise _intake_error(exc.errors(include_url=False)) from None


def _load_json(data: bytes | str) -> dict[str, Any]:
    try:
        # The partner-input parser: a BOM tolerated, NaN/Infinity, absurd numbers, deep nesting,
        # NUL and unpaired surrogates refused.
        document = parse_json(data)
    except PartnerInputError:
        raise IntakeError(
            codes.INVALID_JSON, "Invalid JSON: info.json is not valid JSON", reason="info.invalid_json"
        ) from None
    if not isinstance(document, dict):
        raise IntakeError(
            codes.INVALID_JSON, "Invalid JSON: info.json is not a JSON object", reason="info.not_object"
        )
    return document


def _intake_error(errors: list[ErrorDetails]) -> IntakeError:
    # A required field sent as null is as missing as an absent one. (Inputs are only looked at
    # here, never copied into messages.)
    missing = [
        error for error in errors if error["type"] in _MISSING_TYPES or error.get("input", ...) is None
    ]
    if missing:
        error = missing[0]
        return IntakeError(
            codes.MISSING_PARAMETER,
            f"Required parameter missing: {_location(error)}",
            reason="info.missing_field",
        )
    error = errors[0]
    return IntakeError(
        codes.WRONG_DATA_TYPE,
        f"Wrong data type for {_location(error)}: {_expected(error)}",
        reason="info.wrong_type",
    )


def _location(error: ErrorDetails) -> str:
    # Unions put the member type in the location ("misc_information.MiscInformation…"); only
    # field names and list indexes mean anything to a partner.
    parts: list[str] = []
    for part in error["loc"]:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part[:1].islower():
            parts.append(f".{part}" if parts else part)
    return "".join(parts) or "info.json"


def _expected(error: ErrorDetails) -> str:
    if error["type"] == "wrong_type":
        return error["msg"]
    if error["type"] in {"dict_type", "model_type", "model_attributes_type"}:
        return "expected an object"
    if error["type"] == "list_type":
        return "expected a list"
    return "unexpected value"
