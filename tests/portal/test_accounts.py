"""Team members: the address is not stored in clear, duplicates and bad input are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openkyc.audit import operator
from openkyc.audit.models import AuditEvent
from openkyc.db import transaction
from openkyc.portal import accounts
from openkyc.portal.models import PortalRole, PortalUser
from openkyc.portal.passwords import WeakPassword
from openkyc.runtime import Runtime
from tests.portal.helpers import PASSWORD
from tests.server import PartnerCreds


def _add(runtime: Runtime, partner_id: str, email: str, password: str = PASSWORD) -> PortalUser:
    with transaction(runtime.sessions) as db:
        return accounts.add_user(
            db,
            runtime.box,
            partner_id=partner_id,
            email=email,
            role=PortalRole.ADMIN,
            password=password,
            actor=operator(),
        )


def test_the_address_is_found_by_its_blind_index_and_stored_encrypted(
    runtime: Runtime, partner: PartnerCreds
) -> None:
    user = _add(runtime, partner.partner_id, "Alice@Example.test ")
    assert b"alice" not in user.email_encrypted and "alice" not in user.email_digest
    with transaction(runtime.sessions) as db:
        found = accounts.find_by_email(db, runtime.box, "ALICE@example.TEST")
        assert found is not None and found.id == user.id
        [member] = accounts.list_members(db, runtime.box, partner.partner_id)
        assert member.email == "alice@example.test" and member.role == "admin" and not member.two_factor
        [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "portal.user_added"))
        assert event.detail == {"partner_id": partner.partner_id, "role": "admin"}


def test_duplicates_bad_addresses_unknown_partners_and_weak_passwords_are_refused(
    runtime: Runtime, partner: PartnerCreds
) -> None:
    _add(runtime, partner.partner_id, "bob@example.test")
    with pytest.raises(accounts.AccountError, match="exists"):
        _add(runtime, partner.partner_id, "BOB@example.test")
    with pytest.raises(accounts.AccountError, match="not an e-mail"):
        _add(runtime, partner.partner_id, "bob at example")
    with pytest.raises(accounts.AccountError, match="no partner"):
        _add(runtime, "999999", "carol@example.test")
    with pytest.raises(WeakPassword):
        _add(runtime, partner.partner_id, "dave@example.test", password="short")
