from __future__ import annotations

import pytest

from openkyc.db import transaction
from openkyc.partners import service
from openkyc.partners.models import ApiKey
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment


def test_partners_get_increasing_numeric_ids_and_a_key_per_environment(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        first, keys = service.create_partner(db_session=session, box=runtime.box, name="A")
        second, _ = service.create_partner(db_session=session, box=runtime.box, name="B")
    assert int(second.id) == int(first.id) + 1 and not first.id.startswith("0")
    assert set(keys) == {Environment.SANDBOX, Environment.PRODUCTION}
    assert keys[Environment.SANDBOX].api_key != keys[Environment.PRODUCTION].api_key


def test_keys_are_encrypted_at_rest(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        partner, keys = service.create_partner(db_session=session, box=runtime.box, name="A")
    secret = keys[Environment.SANDBOX].api_key
    with transaction(runtime.sessions) as session:
        stored = session.query(ApiKey).filter_by(partner_id=partner.id).all()
        assert all(secret.encode() not in row.secret_encrypted for row in stored)
    database = (runtime.settings.data_dir / "openkyc.db").read_bytes()
    assert secret.encode() not in database


def test_rotation_disables_the_old_key_and_several_keys_can_be_active(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        partner, keys = service.create_partner(db_session=session, box=runtime.box, name="A")
        extra = service.create_key(
            db_session=session, box=runtime.box, partner_id=partner.id, environment=Environment.SANDBOX
        )
        rotated = service.rotate_key(
            db_session=session, box=runtime.box, partner_id=partner.id, key_id=extra.key_id
        )
        usable = {
            k.key_id: k.active
            for k in service.usable_keys(db_session=session, box=runtime.box, partner_id=partner.id)
        }
    assert usable[extra.key_id] is False
    assert usable[rotated.key_id] is True and usable[keys[Environment.SANDBOX].key_id] is True


def test_revoking_another_partners_key_is_refused(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        _, keys_a = service.create_partner(db_session=session, box=runtime.box, name="A")
        b, _ = service.create_partner(db_session=session, box=runtime.box, name="B")
        with pytest.raises(service.KeyNotFound):
            service.revoke_key(db_session=session, partner_id=b.id, key_id=keys_a[Environment.SANDBOX].key_id)
