"""Settings of a running openkyc (``OPENKYC_*`` environment variables or CLI options).

The embedded default needs nothing but a data directory: a SQLite file, a local blob directory
and a master key file all live under it. Scaled-out deployments set the URLs instead.
"""

from __future__ import annotations

import ssl
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENKYC_", extra="ignore")

    data_dir: Path = Path("openkyc-data")
    # Empty means "the embedded default under data_dir".
    database_url: str = ""
    storage_url: str = ""
    # The base URL partners reach this server at; upload_url and image links are built on it.
    # Empty: derived from the incoming request (right for a single server without a proxy).
    public_base_url: str = ""

    # How old (or how far ahead) a signed timestamp may be. The Python SDK's WebApi signs once
    # per object and reuses that timestamp for every call, so a short window locks such partners out.
    signature_freshness: timedelta = timedelta(hours=24)
    upload_url_ttl: timedelta = timedelta(hours=1)
    # Image links and KYC receipt links (job_status signs them per answer, a callback per attempt).
    image_link_ttl: timedelta = timedelta(minutes=15)

    # Callbacks: retried with exponential backoff for at least this long.
    callback_retry_horizon: timedelta = timedelta(hours=24)
    callback_first_retry: timedelta = timedelta(seconds=5)
    callback_timeout: timedelta = timedelta(seconds=10)
    # Callbacks to loopback/private/link-local addresses are refused (SSRF) unless allowed here.
    allow_private_callbacks: bool = False
    # Deliveries made at once by each delivering process, at most callback_per_host of them to one
    # host and callback_per_partner for one partner: a receiver that never answers (or a partner's
    # many such receivers) holds back only its own partner's callbacks, never another partner's.
    callback_workers: int = Field(default=8, ge=1, le=64)
    callback_per_host: int = Field(default=2, ge=1, le=64)
    callback_per_partner: int = Field(default=4, ge=1, le=64)
    # A PEM file of CA certificates that callback deliveries trust besides the public roots (httpx's:
    # certifi's, or SSL_CERT_FILE's): a partner's receiver with a certificate from a private CA, or
    # a development CA (`openkyc tls dev-ca`). Checked at start: a file that is not PEM
    # certificates stops the server rather than fail every https delivery later.
    callback_ca_file: Path | None = None

    # In-process verification workers of `openkyc serve`.
    workers: int = Field(default=1, ge=1, le=32)
    # Threads (per API process) that check uploaded zips off the event loop. Each check decodes one
    # image at a time, at most a few hundred MB for a large progressive JPEG: this bounds the memory
    # and CPU that concurrent big uploads take, while the loop keeps answering.
    upload_check_workers: int = Field(default=2, ge=1, le=16)
    # Threads (per API process) that run the synchronous v2 SmartSelfie verifications (decoding,
    # face, liveness): each takes a core and a few hundred MB, so concurrent requests beyond this
    # wait their turn instead of all running at once.
    sync_verification_workers: int = Field(default=2, ge=1, le=16)

    # Scaled-out mode. "inprocess": `openkyc serve` runs the workers (the database is the queue).
    # "celery": API processes only enqueue; `openkyc worker` processes verify and call back.
    queue: Literal["inprocess", "celery"] = "inprocess"
    broker_url: str = "redis://127.0.0.1:6379/0"
    # Prefix of every broker key on Redis, so several installations can share one Redis.
    broker_key_prefix: str = ""
    # A claimed job is renewed while it is verified; one not renewed for this long was abandoned
    # by a dead worker and is claimed again.
    job_lease: timedelta = timedelta(seconds=60)
    # A queued job or upload whose task has not started by then is dispatched again (a broker that
    # lost its message, an API process killed between its commit and its publish).
    redispatch_after: timedelta = timedelta(minutes=2)
    # How often each worker sweeps for such work, due callback retries and finished S3 uploads.
    sweep_interval: timedelta = timedelta(seconds=5)
    # S3-compatible storage (OPENKYC_STORAGE_URL=s3://bucket/prefix); credentials come from the
    # usual AWS_* variables or the machine's role.
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"

    # Encryption at rest: the key-encryption key comes from OPENKYC_SECRET_KEY (a passphrase or a
    # key) or a key file; empty key_file means data_dir/master.key.
    secret_key: str = ""
    key_file: Path | None = None

    # Retention (days; 0 keeps forever): images and PII of finished jobs are purged after
    # retention_days; results are kept without PII.
    retention_days: int = Field(default=0, ge=0)

    # Logs: "json" (one object per line, with job ids) or "text".
    log_format: Literal["json", "text"] = "json"
    log_level: str = "INFO"

    # /metrics is not on the API port by default. metrics_bind ("host:port", or a port alone for
    # 127.0.0.1) makes `openkyc serve` answer it on a second listener meant for a private network;
    # metrics_token serves it on the API port too, to "Authorization: Bearer <token>" only.
    metrics_bind: str = ""
    metrics_token: SecretStr = SecretStr("")

    # Strict-Transport-Security goes on answers to HTTPS requests; hsts sends it on every answer
    # (TLS ended by a proxy that does not forward the scheme).
    hsts: bool = False

    # Pluggable services (openkyc.providers): an entry-point name of the group given, or a dotted
    # path package.module:factory; the factory gets these settings. Resolved and checked at start.
    # ID authority (group openkyc.id_authorities): "default" (sandbox keys: test numbers; others:
    # the local registry) or "http" (others: the JSON gateway below).
    id_authority_provider: str = "default"
    id_authority_url: str = ""
    id_authority_token: SecretStr = SecretStr("")  # sent as a bearer token, never logged
    id_authority_timeout: timedelta = timedelta(seconds=15)
    # Business registry (group openkyc.business_registries): "default" as for ID authorities.
    business_registry_provider: str = "default"
    # Address provider (group openkyc.address_providers): "default" (sandbox keys: the test
    # identifiers; production keys: none configured, so address jobs end service_unavailable).
    address_provider: str = "default"
    # Presentation-attack model (group openkyc.pad_models): empty for none, or "onnx" for the ONNX
    # file at pad_model_path, read as pad_model_spec says (PadInputSpec's fields, as JSON).
    pad_model_provider: str = ""
    pad_model_path: Path | None = None
    pad_model_spec: dict[str, Any] = Field(default_factory=dict)
    pad_min_live: float = Field(default=0.5, ge=0.0, le=1.0)

    # Request limits (bytes).
    max_json_body: int = 2 * 1024 * 1024
    max_zip_body: int = 30 * 1024 * 1024
    max_multipart_body: int = 40 * 1024 * 1024

    @model_validator(mode="after")
    def _pad_model_has_provider(self) -> Settings:
        if self.pad_model_path is not None and not self.pad_model_provider:
            # Else a configured model would silently not be used.
            raise ValueError("OPENKYC_PAD_MODEL_PATH is set but OPENKYC_PAD_MODEL_PROVIDER is empty (onnx?)")
        return self

    @field_validator("callback_ca_file", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("callback_ca_file")
    @classmethod
    def _readable_ca_file(cls, value: Path | None) -> Path | None:
        if value is not None:
            try:
                ssl.create_default_context(cafile=str(value))
            except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
                raise ValueError(
                    f"OPENKYC_CALLBACK_CA_FILE={value} cannot be read as PEM CA certificates: {error}"
                ) from None
        return value

    @field_validator("metrics_bind")
    @classmethod
    def _valid_bind(cls, value: str) -> str:
        if value:
            parse_bind(value)  # raises ValueError: a bad setting stops the server at start-up
        return value

    @property
    def metrics_listen(self) -> tuple[str, int] | None:
        """Where the separate metrics listener binds, or None when there is none."""
        return parse_bind(self.metrics_bind) if self.metrics_bind else None

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'openkyc.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def master_key_file(self) -> Path:
        return self.key_file or self.data_dir / "master.key"

    @property
    def uses_s3(self) -> bool:
        return self.storage_url.startswith("s3://")


def parse_bind(value: str) -> tuple[str, int]:
    """``"host:port"``, ``"[v6 address]:port"`` or ``"port"`` (loopback) as ``(host, port)``."""
    text = value.strip()
    host, separator, port = text.rpartition(":")
    if not separator:
        host, port = "127.0.0.1", text
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"write an IPv6 address as [address]:port, not {value!r}")
    if not host:
        raise ValueError(f"no host in {value!r}")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"not a port number: {port!r}")
    return host, int(port)
