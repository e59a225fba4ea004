"""Helpers for tests of the API server: a runtime in a temporary data dir and signed bodies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smile_id_core.Signature import Signature

from openkyc.config import Settings
from openkyc.db import transaction
from openkyc.partners import service as partners
from openkyc.partners.models import Environment
from openkyc.runtime import Runtime, build_runtime


@dataclass(frozen=True)
class PartnerCreds:
    partner_id: str
    sandbox_key: str
    production_key: str

    def signed(self, key: str | None = None, **fields: Any) -> dict[str, Any]:
        """``fields`` plus partner_id, timestamp and signature made by the official SDK."""
        signature = Signature(self.partner_id, key or self.sandbox_key).generate_signature()
        return {"partner_id": self.partner_id, **signature, **fields}


def make_runtime(tmp_path: Path, **overrides: Any) -> Runtime:
    return build_runtime(Settings(data_dir=tmp_path / "data", allow_private_callbacks=True, **overrides))


def make_partner(runtime: Runtime, name: str = "Test partner") -> PartnerCreds:
    with transaction(runtime.sessions) as session:
        partner, keys = partners.create_partner(db_session=session, box=runtime.box, name=name)
    return PartnerCreds(partner.id, keys[Environment.SANDBOX].api_key, keys[Environment.PRODUCTION].api_key)
