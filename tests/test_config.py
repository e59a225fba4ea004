"""Settings: the metrics listener's address, the provider settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from openkyc.config import Settings, parse_bind


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9100", ("127.0.0.1", 9100)),
        ("127.0.0.1:9100", ("127.0.0.1", 9100)),
        ("0.0.0.0:9100", ("0.0.0.0", 9100)),
        ("[::1]:9100", ("::1", 9100)),
        ("metrics.internal:9100", ("metrics.internal", 9100)),
    ],
)
def test_metrics_bind_forms(value: str, expected: tuple[str, int]) -> None:
    assert parse_bind(value) == expected
    assert Settings(metrics_bind=value).metrics_listen == expected


@pytest.mark.parametrize("value", ["::1:9100", ":9100", "host:0", "host:65536", "host:x", "host:"])
def test_a_malformed_metrics_bind_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match=r"no host|not a port number|IPv6 address"):
        parse_bind(value)
    with pytest.raises(ValidationError):
        Settings(metrics_bind=value)


def test_no_metrics_listener_and_no_token_by_default() -> None:
    settings = Settings()
    assert settings.metrics_listen is None
    assert settings.metrics_token.get_secret_value() == ""
    assert "s3cret" not in repr(Settings(metrics_token=SecretStr("s3cret")))


def test_a_pad_model_path_without_its_provider_is_refused() -> None:
    # Else the operator's model would silently play no part in the liveness checks.
    with pytest.raises(ValidationError, match="OPENKYC_PAD_MODEL_PROVIDER is empty"):
        Settings(pad_model_path=Path("model.onnx"))
    assert Settings(pad_model_path=Path("model.onnx"), pad_model_provider="onnx").pad_model_path is not None


def test_provider_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENKYC_ID_AUTHORITY_PROVIDER", "http")
    monkeypatch.setenv("OPENKYC_ID_AUTHORITY_TOKEN", "s3cret")
    monkeypatch.setenv("OPENKYC_PAD_MODEL_SPEC", '{"channel_order": "BGR"}')
    settings = Settings()
    assert settings.id_authority_provider == "http" and settings.pad_model_spec == {"channel_order": "BGR"}
    assert "s3cret" not in repr(settings)  # a secret, shown as ********** when settings are printed
    assert (settings.business_registry_provider, settings.pad_model_provider) == ("default", "")


def test_every_setting_is_in_the_readme_settings_list() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("Settings (`OPENKYC_*`)")
    listed = readme[start : readme.index("\n\n", start)]
    assert [name for name in Settings.model_fields if f"`{name.upper()}`" not in listed] == []


def test_the_callback_ca_file_must_hold_pem_certificates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Checked at start: a wrong file would otherwise fail every https callback later.
    from openkyc.cli.tls import make_dev_ca

    monkeypatch.setenv("OPENKYC_CALLBACK_CA_FILE", "")  # set but empty: none
    assert Settings().callback_ca_file is None
    ca = make_dev_ca(tmp_path / "tls").ca_cert
    assert Settings(callback_ca_file=ca).callback_ca_file == ca
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    for wrong in (not_pem, tmp_path / "missing.pem"):
        with pytest.raises(ValidationError, match="OPENKYC_CALLBACK_CA_FILE"):
            Settings(callback_ca_file=wrong)
