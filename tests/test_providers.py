"""Providers chosen by settings: one resolver for dotted paths and entry points, checked at start."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openkyc import providers
from openkyc.authorities.base import Authority
from openkyc.authorities.sandbox import SandboxAuthority
from openkyc.authorities.select import DefaultAuthorities
from openkyc.business.select import DefaultBusinessRegistries
from openkyc.config import Settings
from openkyc.providers import BUSINESS_REGISTRY, ID_AUTHORITY, PAD_MODEL, ProviderError, Providers
from openkyc.runtime import Runtime, build_runtime

HERE = "tests.test_providers"


class FixedAuthorities:
    """A provider of this module's own: every key gets the sandbox authority."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def authority_for(self, runtime: Runtime, environment: str) -> Authority:
        return SandboxAuthority()


def not_an_authority_provider(settings: Settings) -> object:
    return object()


NOT_CALLABLE = "a string, not a factory"

_builds = 0


def slow_counted_provider(settings: Settings) -> FixedAuthorities:
    global _builds
    _builds += 1
    time.sleep(0.05)  # long enough for every thread to ask before the first build is done
    return FixedAuthorities(settings)


@pytest.fixture(autouse=True)
def fresh_entry_points() -> Iterator[None]:
    # The installed entry points are cached per process; tests that install one must not leak it.
    providers._installed.cache_clear()
    yield
    providers._installed.cache_clear()


def settings_for(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path / "data", **values)  # type: ignore[arg-type]


def test_the_defaults_keep_todays_providers(tmp_path: Path) -> None:
    built = Providers(settings_for(tmp_path)).load()
    assert type(built[ID_AUTHORITY]) is DefaultAuthorities
    assert type(built[BUSINESS_REGISTRY]) is DefaultBusinessRegistries
    assert built[PAD_MODEL] is None


def test_the_built_in_providers_are_installed_entry_points() -> None:
    # pyproject.toml declares them; a stale install (pip install -e . not rerun) fails here first.
    assert {name: point.value for name, point in providers._installed(ID_AUTHORITY.group).items()} == {
        "default": "openkyc.authorities.select:DefaultAuthorities",
        "http": "openkyc.authorities.select:http_authorities",
    }
    assert providers._installed(BUSINESS_REGISTRY.group)["default"].value == (
        "openkyc.business.select:DefaultBusinessRegistries"
    )
    assert providers._installed(PAD_MODEL.group)["onnx"].value == "openkyc.jobs.pad:onnx_pad_model"


def test_a_dotted_path_names_a_factory_called_with_the_settings(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, id_authority_provider=f"{HERE}:FixedAuthorities")
    provider = Providers(settings).load()[ID_AUTHORITY]
    assert isinstance(provider, FixedAuthorities) and provider.settings is settings


def test_an_entry_point_of_another_package_names_a_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An operator's package, installed: its module and its dist-info declaring the entry point.
    site = tmp_path / "site"
    (site / "operator_authority-1.0.dist-info").mkdir(parents=True)
    (site / "operator_authority-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: operator-authority\nVersion: 1.0\n", encoding="utf-8"
    )
    (site / "operator_authority-1.0.dist-info" / "entry_points.txt").write_text(
        f"[openkyc.id_authorities]\nnational = {HERE}:FixedAuthorities\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    provider = Providers(settings_for(tmp_path, id_authority_provider="national")).load()[ID_AUTHORITY]
    assert isinstance(provider, FixedAuthorities)


def test_a_misspelt_provider_stops_the_start_before_anything_is_opened(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, id_authority_provider="defualt")
    with pytest.raises(ProviderError) as refused:
        build_runtime(settings)
    message = str(refused.value)
    assert "OPENKYC_ID_AUTHORITY_PROVIDER='defualt'" in message
    assert "openkyc.id_authorities" in message and "default, http" in message
    assert not settings.data_dir.exists()  # no database, no key file made for a server that won't run


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("no_such_package.module:factory", "cannot import 'no_such_package.module'"),
        (f"{HERE}:missing_factory", "has no 'missing_factory'"),
        (f"{HERE}:NOT_CALLABLE", "names a str, not a factory"),
        (f"{HERE}:", "write a dotted path as package.module:factory"),
    ],
)
def test_a_dotted_path_to_no_factory_stops_the_start(tmp_path: Path, value: str, complaint: str) -> None:
    with pytest.raises(ProviderError, match="OPENKYC_BUSINESS_REGISTRY_PROVIDER") as refused:
        build_runtime(settings_for(tmp_path, business_registry_provider=value))
    assert complaint in str(refused.value)


def test_a_factory_of_the_wrong_type_stops_the_start(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, id_authority_provider=f"{HERE}:not_an_authority_provider")
    with pytest.raises(ProviderError) as refused:
        build_runtime(settings)
    assert "returned a object, which does not implement openkyc.authorities.select:AuthorityProvider" in str(
        refused.value
    )


def test_a_provider_missing_its_own_settings_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as refused:
        build_runtime(settings_for(tmp_path, id_authority_provider="http"))
    assert str(refused.value) == "OPENKYC_ID_AUTHORITY_PROVIDER='http': OPENKYC_ID_AUTHORITY_URL is not set"


def test_commands_that_never_verify_check_the_names_and_build_on_first_use(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="no provider of that name"):
        build_runtime(settings_for(tmp_path, id_authority_provider="nope"), load_providers=False)
    with pytest.raises(ProviderError, match="cannot import"):
        build_runtime(settings_for(tmp_path, id_authority_provider="nowhere.at_all:f"), load_providers=False)
    runtime = build_runtime(
        settings_for(tmp_path, id_authority_provider=f"{HERE}:not_an_authority_provider"),
        load_providers=False,
    )
    with pytest.raises(ProviderError, match="does not implement"):
        runtime.providers[ID_AUTHORITY]


def test_an_empty_provider_is_refused_unless_the_slot_is_optional(tmp_path: Path) -> None:
    with pytest.raises(ProviderError, match="OPENKYC_ID_AUTHORITY_PROVIDER is empty"):
        Providers(settings_for(tmp_path, id_authority_provider=" "))
    assert Providers(settings_for(tmp_path, pad_model_provider="")).load()[PAD_MODEL] is None


def test_first_uses_at_once_build_one_provider(tmp_path: Path) -> None:
    global _builds
    _builds = 0
    lazy = Providers(settings_for(tmp_path, id_authority_provider=f"{HERE}:slow_counted_provider"))
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(lazy[ID_AUTHORITY])) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _builds == 1 and len(seen) == 6 and all(found is seen[0] for found in seen)
