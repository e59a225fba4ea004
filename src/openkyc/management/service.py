"""Issuing, finding and revoking management credentials."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openkyc import audit
from openkyc.crypto import SecretBox
from openkyc.management.models import ManagementCredential
from openkyc.partners.service import get_partner
from openkyc.signing import ManagementKey, generate_management_key
from openkyc.signing.environment import Environment


def issue_credential(
    *,
    db_session: Session,
    box: SecretBox,
    partner_id: str,
    environment: Environment,
    actor: audit.Actor | None = None,
) -> ManagementKey:
    """A new credential set; its secret and token are shown once, to the caller of this function.

    ``actor`` here and below: who is audited as doing it, the local operator unless said otherwise.
    """
    get_partner(db_session=db_session, partner_id=partner_id)
    key = generate_management_key(partner_id, environment)
    audit.record(
        db_session,
        actor=actor or audit.operator(),
        action="management_credential.created",
        target_type="management_credential",
        target_id=key.api_key,  # the public half: it names the credential, it signs nothing
        detail={"partner_id": partner_id, "environment": environment.value},
    )
    db_session.add(
        ManagementCredential(
            api_key=key.api_key,
            partner_id=partner_id,
            environment=environment.value,
            secret_encrypted=box.encrypt_text(key.secret_key),
            auth_token_encrypted=box.encrypt_text(key.auth_token),
        )
    )
    db_session.flush()
    return key


def lookup_credential(*, db_session: Session, box: SecretBox, api_key: str) -> ManagementKey | None:
    row = db_session.get(ManagementCredential, api_key)
    if row is None:
        return None
    return ManagementKey(
        api_key=row.api_key,
        secret_key=box.decrypt_text(row.secret_encrypted),
        auth_token=box.decrypt_text(row.auth_token_encrypted),
        revoked=row.revoked,
        partner_id=row.partner_id,
    )


def list_credentials(*, db_session: Session, partner_id: str) -> list[ManagementCredential]:
    query = select(ManagementCredential).where(ManagementCredential.partner_id == partner_id)
    return list(db_session.scalars(query.order_by(ManagementCredential.created_at)))


def revoke_credential(
    *, db_session: Session, partner_id: str, api_key: str, actor: audit.Actor | None = None
) -> bool:
    """Refuse the credential from now on (every process looks it up per request); False when the
    partner has no such credential."""
    row = db_session.get(ManagementCredential, api_key)
    if row is None or row.partner_id != partner_id:
        return False
    audit.record(
        db_session,
        actor=actor or audit.operator(),
        action="management_credential.revoked",
        target_type="management_credential",
        target_id=api_key,
        detail={"partner_id": partner_id, "was_active": not row.revoked},
    )
    row.revoked = True
    return True
