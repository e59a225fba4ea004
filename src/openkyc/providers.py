"""Pluggable services chosen by settings: the ID authority, the business registry, the PAD model,
the address provider.

Each is a *slot*: a setting names its provider either by an entry-point name of the slot's group
(``default``, ``http``, ``onnx``: the built-ins are declared in ``pyproject.toml``, and a package of
the operator's adds its own the same way) or by a dotted path ``package.module:factory``. The
named object is a factory called with the :class:`~openkyc.config.Settings` (a class whose
``__init__`` takes them will do), once per runtime; what it returns must implement the slot's
interface, itself named as a dotted path and imported only when a provider is built.

This is warehouse's ``FILES_BACKEND`` (a dotted path whose ``create_service`` builds the service)
and dispatch's plug-in entry points, in one resolver. Everything is resolved and checked when the
runtime is built, so a misspelt or wrong provider stops ``openkyc serve``, ``openkyc worker`` and
every command at start with a :class:`ProviderError` naming the setting, never at the first
look-up. This module sits low (it imports only the standard library and the settings): providers
and their interfaces are imported lazily, by name, so no package import cycle goes through here.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from openkyc.config import Settings


class ProviderError(ValueError):
    """A provider setting names nothing usable: a settings error, raised at start."""


@dataclass(frozen=True)
class Slot:
    """One pluggable service: its setting, its entry-point group and the interface it must meet."""

    setting: str  # the Settings attribute; OPENKYC_<upper case> in the environment
    group: str
    interface: str  # "module:Protocol", a runtime-checkable Protocol
    optional: bool = False  # an empty setting means "none" (else it is an error)

    @property
    def variable(self) -> str:
        return f"OPENKYC_{self.setting.upper()}"


ID_AUTHORITY = Slot(
    "id_authority_provider", "openkyc.id_authorities", "openkyc.authorities.select:AuthorityProvider"
)
BUSINESS_REGISTRY = Slot(
    "business_registry_provider",
    "openkyc.business_registries",
    "openkyc.business.select:BusinessRegistryProvider",
)
PAD_MODEL = Slot(
    "pad_model_provider",
    "openkyc.pad_models",
    "openkyc.engine.liveness.plugin:PresentationAttackModel",
    optional=True,
)
ADDRESS_PROVIDER = Slot(
    "address_provider", "openkyc.address_providers", "openkyc.address.select:AddressProviderChoice"
)
SLOTS = (ID_AUTHORITY, BUSINESS_REGISTRY, PAD_MODEL, ADDRESS_PROVIDER)


@cache
def _installed(group: str) -> dict[str, importlib.metadata.EntryPoint]:
    """The entry points of ``group`` by name (scanning every installed package costs ~10 ms)."""
    return {point.name: point for point in importlib.metadata.entry_points(group=group)}


def load_object(reference: str, *, variable: str) -> Any:
    """The object a ``package.module:attribute`` path names (attribute may be dotted)."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ProviderError(f"{variable}={reference!r}: write a dotted path as package.module:factory")
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise ProviderError(f"{variable}={reference!r}: cannot import {module_name!r} ({error})") from error
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError:
            raise ProviderError(f"{variable}={reference!r}: {module_name!r} has no {attribute!r}") from None
    return found


def load_factory(slot: Slot, value: str) -> Callable[[Settings], object]:
    """The factory a setting's value names: a dotted path, or an entry point of the slot's group."""
    if ":" in value:
        found = load_object(value, variable=slot.variable)
    else:
        points = _installed(slot.group)
        point = points.get(value)
        if point is None:
            known = ", ".join(sorted(points)) or "none installed"
            raise ProviderError(
                f"{slot.variable}={value!r}: no provider of that name in entry-point group {slot.group!r} "
                f"(known: {known}); name one of those or a dotted path package.module:factory"
            )
        try:
            found = point.load()
        except (ImportError, AttributeError) as error:
            raise ProviderError(
                f"{slot.variable}={value!r}: entry point {point.value!r} fails to load ({error})"
            ) from error
    if not callable(found):
        raise ProviderError(f"{slot.variable}={value!r}: names a {type(found).__name__}, not a factory")
    factory: Callable[[Settings], object] = found
    return factory


def build(slot: Slot, settings: Settings) -> object | None:
    """The provider the settings choose for ``slot``, built and checked (None for an empty optional)."""
    value = str(getattr(settings, slot.setting)).strip()
    if not value:
        if slot.optional:
            return None
        raise ProviderError(f"{slot.variable} is empty: name a provider of group {slot.group!r}")
    factory = load_factory(slot, value)
    interface: type = load_object(slot.interface, variable=slot.variable)
    try:
        provider = factory(settings)
    except ProviderError:
        raise
    except (ValueError, TypeError, OSError) as error:
        # Its own settings are wrong (a missing URL, an unreadable model file): say which provider.
        raise ProviderError(f"{slot.variable}={value!r}: {error}") from error
    if not isinstance(provider, interface):
        raise ProviderError(
            f"{slot.variable}={value!r}: the factory returned a {type(provider).__name__}, "
            f"which does not implement {slot.interface}"
        )
    return provider


def check_name(slot: Slot, settings: Settings) -> None:
    """Refuse, without importing anything, a setting that names no installed provider or module."""
    value = str(getattr(settings, slot.setting)).strip()
    if not value:
        if not slot.optional:
            raise ProviderError(f"{slot.variable} is empty: name a provider of group {slot.group!r}")
        return
    if ":" not in value:
        if value not in _installed(slot.group):
            load_factory(slot, value)  # raises, listing the names that are installed
        return
    module_name = value.partition(":")[0]
    try:
        found = importlib.util.find_spec(module_name) if module_name else None
    except (ImportError, ValueError):  # a parent package that is not there, or a bad name
        found = None
    if found is None:
        load_object(value, variable=slot.variable)  # raises the import error with its cause


class Providers:
    """The providers of one runtime, chosen by its settings.

    The names are checked when the runtime is built (no import). :meth:`load` builds every provider
    and checks it against its slot's interface: the processes that verify and look up call it at
    start (``build_runtime`` does, unless told not to, as management commands are); otherwise a
    provider is built on first use. ``providers[slot]`` is the provider (None for an empty optional
    slot), checked against the slot's interface, so a caller may ``cast`` it to that.
    """

    def __init__(self, settings: Settings) -> None:
        for slot in SLOTS:
            check_name(slot, settings)
        self._settings = settings
        self._built: dict[Slot, object | None] = {}
        self._lock = threading.Lock()

    def load(self) -> Providers:
        """Build every provider now (a provider that fails to build stops the start)."""
        for slot in SLOTS:
            self[slot]
        return self

    def __getitem__(self, slot: Slot) -> object | None:
        try:
            return self._built[slot]
        except KeyError:
            pass
        with self._lock:  # one build per runtime, even when the first look-ups come at once
            if slot not in self._built:
                self._built[slot] = build(slot, self._settings)
            return self._built[slot]
