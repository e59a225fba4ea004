"""Personal data in JSON columns, encrypted at rest like the rest (job results and their history,
partner_params, callback payloads).

A job's result holds what the ID authority answered about a person (IDNumber, FullName, DOB,
PhoneNumber, Address, Photo...). :class:`SealedJSON` columns store an object as::

    {<the keys listed as clear, as they are>, "_sealed": "<base64 SecretBox token of the whole object>"}

and give back, on reading, exactly the object that was written (same keys, same order, same
values), decrypted from the token. Clear keys are an allow-list of what is not personal and what
SQL itself reads (``ResultCode`` and ``IsMachineResult`` for /metrics), so a field added to
results later is encrypted by default. An object made only of clear keys (a scrubbed, purged
result) is stored as it is, and so are values written before this existed: they are read as
they are, and ``openkyc encryption rotate`` seals them.

The column type has no runtime at hand, so :func:`bind_secret_box` ties an engine's dialect to
the installation's ``SecretBox`` (``build_runtime`` does it). An engine without one refuses to
read or write such a column (:class:`SealingUnavailable`) rather than store personal data in clear.
Purging needs nothing special: retention scrubs the decrypted object and writes the remainder back.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import JSON, Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from openkyc.crypto import DecryptionError, SecretBox

SEALED_KEY = "_sealed"

# What of a job result (job_status ``result``, history entries, callback payloads) stays readable
# in the database: how the job was decided, never whom about. PartnerParams and our "_decision"
# record are sealed: a partner may put anything in the first, the second holds the fields read.
CLEAR_RESULT_KEYS = frozenset(
    {
        "SmileJobID",
        "JSONVersion",
        "ResultType",
        "ResultCode",
        "ResultText",
        "Actions",
        "ConfidenceValue",
        "IsFinalResult",
        "IsMachineResult",
        "Country",
        "IDType",
        "Source",
        "timestamp",
        "_success",
    }
)
# partner_params: the ids the job is found by (they are columns of the job anyway).
CLEAR_PARTNER_PARAMS_KEYS = frozenset({"user_id", "job_id", "job_type"})

_boxes: WeakKeyDictionary[Dialect, SecretBox] = WeakKeyDictionary()


class SealingUnavailable(RuntimeError):
    """A sealed column was used on an engine no ``SecretBox`` is bound to."""


def bind_secret_box(engine: Engine, box: SecretBox) -> None:
    """Seal and unseal the values of ``engine``'s sealed columns with ``box``."""
    _boxes[engine.dialect] = box


def _box(dialect: Dialect) -> SecretBox:
    box = _boxes.get(dialect)
    if box is None:
        raise SealingUnavailable("no SecretBox is bound to this engine (openkyc.sealed.bind_secret_box)")
    return box


def seal(box: SecretBox, value: Any, clear_keys: frozenset[str]) -> Any:
    """The stored form of ``value`` (anything but an object with a non-clear key is kept as is)."""
    if not isinstance(value, dict) or all(key in clear_keys for key in value):
        return value
    token = box.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    clear = {key: item for key, item in value.items() if key in clear_keys}
    return {**clear, SEALED_KEY: base64.b64encode(token).decode("ascii")}


def sealed_token(stored: Any) -> bytes | None:
    """The token of a stored object, None for a value stored in clear."""
    if not isinstance(stored, dict) or SEALED_KEY not in stored:
        return None
    encoded = stored[SEALED_KEY]
    try:
        return base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else b""
    except (binascii.Error, ValueError):
        return b""  # not ours: decrypting it fails below, loudly


def unseal(box: SecretBox, stored: Any) -> Any:
    """The value that was sealed into ``stored`` (``stored`` itself when it is in clear)."""
    token = sealed_token(stored)
    if token is None:
        return stored
    try:
        return json.loads(box.decrypt(token))
    except ValueError as error:  # DecryptionError is not one; a token that is not JSON is
        raise DecryptionError("a sealed value does not hold JSON") from error


class SealedJSON(TypeDecorator[Any]):
    """A JSON column whose objects (or, with ``items``, the objects of a list) are sealed."""

    impl = JSON
    cache_ok = True

    def __init__(self, clear_keys: frozenset[str], *, items: bool = False) -> None:
        super().__init__()
        self.clear_keys = clear_keys
        self.items = items

    def seal_value(self, box: SecretBox, value: Any) -> Any:
        if self.items and isinstance(value, list):
            return [seal(box, item, self.clear_keys) for item in value]
        return seal(box, value, self.clear_keys)

    def unseal_value(self, box: SecretBox, value: Any) -> Any:
        if self.items and isinstance(value, list):
            return [unseal(box, item) for item in value]
        return unseal(box, value)

    def _objects(self, value: Any) -> Iterator[dict[str, Any]]:
        for item in value if self.items and isinstance(value, list) else [value]:
            if isinstance(item, dict):
                yield item

    def tokens(self, value: Any) -> Iterator[bytes | None]:
        """The token of each object of a stored value (None where it is in clear)."""
        for item in self._objects(value):
            yield sealed_token(item)

    def is_stale(self, box: SecretBox, stored: Any) -> bool:
        """Whether a stored value has personal data in clear or a token under an older key."""
        for item in self._objects(stored):
            token = sealed_token(item)
            if token is None and any(key not in self.clear_keys for key in item):
                return True
            if token is not None and not box.is_current(token):
                return True
        return False

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else self.seal_value(_box(dialect), value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or all(token is None for token in self.tokens(value)):
            return value  # nothing sealed (a purged result, a value from before sealing)
        return self.unseal_value(_box(dialect), value)
