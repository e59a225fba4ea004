"""links.manage: what a link may be, its states, and the count of its jobs."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from openkyc import audit
from openkyc.crypto import generate_key, prepend_key_file, token_key_id
from openkyc.crypto_rotation import rotate
from openkyc.db import transaction
from openkyc.jobs.models import Job, JobState
from openkyc.links import manage
from openkyc.links.manage import LinkError, LinkState
from openkyc.links.models import SmileLink, VerificationMethod
from openkyc.runtime import Runtime
from tests.server import PartnerCreds, make_partner, make_runtime
from tests.test_sealed import tokens_in

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
PASSPORT = {"country": "NG", "id_type": "PASSPORT", "verification_method": "doc_verification"}
NIN = {"country": "NG", "id_type": "NIN", "verification_method": "biometric_kyc"}


def body(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "Onboarding",
        "company_name": "Acme Ltd",
        "id_types": [PASSPORT, NIN],
        "data_privacy_policy_url": "https://acme.example/privacy",
    }
    base.update(fields)
    return {name: value for name, value in base.items() if value is not ...}


def refused(fields: dict[str, Any]) -> LinkError:
    with pytest.raises(LinkError) as caught:
        manage.fields_of(body(**fields), now=NOW)
    return caught.value


# --- fields_of ---------------------------------------------------------------------------------


def test_a_minimal_link_is_multi_use_without_expiry_or_user() -> None:
    fields = manage.fields_of(body(), now=NOW)
    assert (fields.name, fields.company_name) == ("Onboarding", "Acme Ltd")
    assert [t.as_dict() for t in fields.id_types] == [PASSPORT, NIN]
    assert fields.is_single_use is False and fields.user_id is None and fields.expires_at is None
    assert fields.callback_url is None and fields.logo_url is None and fields.partner_params == {}


def test_country_and_id_type_are_upper_cased_and_text_stripped() -> None:
    entry = {"country": "ng", "id_type": "passport", "verification_method": "doc_verification"}
    fields = manage.fields_of(body(name="  Onboarding  ", id_types=[entry]), now=NOW)
    assert fields.name == "Onboarding"
    assert fields.id_types[0].as_dict() == PASSPORT


def test_a_single_use_link_expires_after_90_days_by_default() -> None:
    fields = manage.fields_of(body(is_single_use=True), now=NOW)
    assert fields.is_single_use is True
    assert fields.expires_at == NOW + timedelta(days=90) == NOW + manage.SINGLE_USE_TTL


def test_a_single_use_link_keeps_the_expiry_it_is_given() -> None:
    fields = manage.fields_of(body(is_single_use="true", expires_at="2026-07-01T00:00:00Z"), now=NOW)
    assert fields.expires_at == datetime(2026, 7, 1, tzinfo=UTC)


def test_user_id_is_for_single_use_links_only() -> None:
    fields = manage.fields_of(body(is_single_use=True, user_id="user-7"), now=NOW)
    assert fields.user_id == "user-7"
    assert refused({"user_id": "user-7"}).field == "user_id"
    assert refused({"user_id": "user-7", "is_single_use": False}).field == "user_id"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-07-01", datetime(2026, 7, 1, 23, 59, 59, tzinfo=UTC)),  # a date alone: its end
        ("2026-07-01T10:00:00", datetime(2026, 7, 1, 10, tzinfo=UTC)),  # naive: UTC
        ("2026-07-01T10:00:00+02:00", datetime(2026, 7, 1, 8, tzinfo=UTC)),
        ("2026-07-01T10:00:00.5Z", datetime(2026, 7, 1, 10, 0, 0, 500000, tzinfo=UTC)),
        (None, None),
        ("", None),
    ],
)
def test_expiry_forms(raw: str | None, expected: datetime | None) -> None:
    assert manage.expiry_of(raw, now=NOW) == expected


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"name": ...}, "name", "is required"),
        ({"name": ""}, "name", "is required"),
        ({"name": "   "}, "name", "is required"),
        ({"name": 5}, "name", "must be a string"),
        ({"name": "x" * 201}, "name", "at most 200"),
        ({"name": "a\x00b"}, "name", "NUL"),
        ({"company_name": None}, "company_name", "is required"),
        ({"data_privacy_policy_url": ...}, "data_privacy_policy_url", "is required"),
        ({"data_privacy_policy_url": "ftp://acme.example/p"}, "data_privacy_policy_url", "http or https"),
        ({"data_privacy_policy_url": "https:///privacy"}, "data_privacy_policy_url", "http or https"),
        ({"data_privacy_policy_url": "/privacy"}, "data_privacy_policy_url", "http or https"),
        ({"callback_url": "javascript:alert(1)"}, "callback_url", "http or https"),
        ({"callback_url": "https://a.example/" + "x" * 2048}, "callback_url", "at most 2048"),
        ({"logo_url": ["https://a.example/logo.png"]}, "logo_url", "must be a string"),
        ({"id_types": ...}, "id_types", "non-empty list"),
        ({"id_types": []}, "id_types", "non-empty list"),
        ({"id_types": PASSPORT}, "id_types", "non-empty list"),
        ({"id_types": ["NG"]}, "id_types", "must be an object"),
        ({"id_types": [PASSPORT] * 51}, "id_types", "at most 50"),
        ({"id_types": [PASSPORT, PASSPORT]}, "id_types", "twice"),
        ({"id_types": [{**PASSPORT, "country": None}]}, "id_types[0].country", "is required"),
        ({"id_types": [NIN, {**PASSPORT, "id_type": ""}]}, "id_types[1].id_type", "is required"),
        ({"id_types": [{**PASSPORT, "verification_method": "smartselfie"}]}, "id_types", "must be one of"),
        ({"id_types": [{**PASSPORT, "verification_method": None}]}, "id_types", "must be one of"),
        ({"id_types": [{**PASSPORT, "country": "ZZ"}]}, "id_types", "not supported"),
        # A document for a number look-up, and a number for a document check.
        (
            {"id_types": [{**PASSPORT, "id_type": "TRAVEL_DOC", "verification_method": "enhanced_kyc"}]},
            "id_types",
            "not supported",
        ),
        ({"id_types": [{**NIN, "verification_method": "doc_verification"}]}, "id_types", "not supported"),
        ({"is_single_use": "yes"}, "is_single_use", "true or false"),
        ({"is_single_use": 1}, "is_single_use", "true or false"),
        ({"expires_at": 1767225600}, "expires_at", "ISO 8601"),
        ({"expires_at": "next week"}, "expires_at", "ISO 8601"),
        ({"expires_at": "2026-07-01T00:00:00" + "0" * 60}, "expires_at", "ISO 8601"),
        ({"expires_at": "2026-05-01T00:00:00Z"}, "expires_at", "in the future"),
        ({"expires_at": NOW.isoformat()}, "expires_at", "in the future"),
        ({"partner_params": ["a"]}, "partner_params", "must be an object"),
        ({"partner_params": {f"k{i}": i for i in range(51)}}, "partner_params", "at most 50"),
        ({"partner_params": {"job_id": "j", "user_id": "u"}}, "partner_params", "job_id, user_id"),
        ({"partner_params": {"ref_id": "r"}}, "partner_params", "ref_id"),
        ({"partner_params": {"note": "a\x00"}}, "partner_params", "NUL"),
        ({"partner_params": {"note": "x" * 9000}}, "partner_params", "too large"),
        ({"user_id": "u" * 201, "is_single_use": True}, "user_id", "at most 200"),
    ],
)
def test_every_refusal_names_its_field(fields: dict[str, Any], field: str, words: str) -> None:
    error = refused(fields)
    assert error.field == field
    assert words in error.message and error.message == str(error)


def test_partner_params_are_kept_as_given() -> None:
    fields = manage.fields_of(body(partner_params={"campaign": "spring", "n": 3}), now=NOW)
    assert fields.partner_params == {"campaign": "spring", "n": 3}
    assert manage.fields_of(body(partner_params=""), now=NOW).partner_params == {}


def test_every_verification_method_has_a_supported_id_type() -> None:
    for method, id_type in [
        (VerificationMethod.BIOMETRIC_KYC, "NIN"),
        (VerificationMethod.ENHANCED_KYC, "BVN"),
        (VerificationMethod.DOC_VERIFICATION, "PASSPORT"),
        (VerificationMethod.ENHANCED_DOCUMENT_VERIFICATION, "PASSPORT"),
    ]:
        found = manage.id_type_of({"country": "NG", "id_type": id_type, "verification_method": method.value})
        assert found.verification_method is method
        assert found.needs_selfie is (method != VerificationMethod.ENHANCED_KYC)


def test_biometric_kyc_needs_an_id_type_whose_authority_returns_a_photo() -> None:
    entry = {"country": "CI", "id_type": "NATIONAL_ID_NO_PHOTO"}
    with pytest.raises(LinkError, match="no photo") as refused:
        manage.id_type_of({**entry, "verification_method": "biometric_kyc"})
    assert refused.value.field == "id_types"
    assert (
        manage.id_type_of({**entry, "verification_method": "enhanced_kyc"}).id_type == "NATIONAL_ID_NO_PHOTO"
    )


# --- changes_of / apply_changes ------------------------------------------------------------------


def test_changes_name_only_what_the_body_names() -> None:
    assert manage.changes_of({}, now=NOW) == {}
    assert manage.changes_of({"name": " New "}, now=NOW) == {"name": "New"}
    changes = manage.changes_of(
        {"id_types": [NIN], "callback_url": None, "expires_at": None, "partner_params": {"a": 1}},
        now=NOW,
    )
    assert changes == {
        "id_types": [NIN],
        "callback_url": None,
        "expires_at": None,
        "partner_params": {"a": 1},
    }
    assert manage.changes_of({"is_disabled": True}, now=NOW) == {"disabled_at": NOW}
    assert manage.changes_of({"is_disabled": False}, now=NOW) == {"disabled_at": None}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"company_name": None}, "company_name"),
        ({"data_privacy_policy_url": None}, "data_privacy_policy_url"),
        ({"callback_url": "not a url"}, "callback_url"),
        ({"id_types": []}, "id_types"),
        ({"expires_at": "2020-01-01"}, "expires_at"),
        ({"partner_params": {"job_type": 1}}, "partner_params"),
        ({"is_disabled": "true"}, "is_disabled"),
        ({"is_disabled": None}, "is_disabled"),
    ],
)
def test_bad_changes_are_refused(change: dict[str, Any], field: str) -> None:
    with pytest.raises(LinkError) as caught:
        manage.changes_of(change, now=NOW)
    assert caught.value.field == field


# --- stored links --------------------------------------------------------------------------------


def create(
    runtime: Runtime,
    partner: PartnerCreds,
    *,
    environment: str = "sandbox",
    now: datetime = NOW,
    **fields: Any,
) -> str:
    with transaction(runtime.sessions) as session:
        link = manage.create_link(
            session,
            partner_id=partner.partner_id,
            environment=environment,
            fields=manage.fields_of(body(**fields), now=now),
            created_by="api:key-1",
            now=now,
        )
        return link.ref_id


def test_create_link_stores_the_fields(runtime: Runtime, partner: PartnerCreds) -> None:
    ref_id = create(
        runtime, partner, partner_params={"campaign": "spring"}, callback_url="https://a.example/cb"
    )
    with transaction(runtime.sessions) as session:
        link = manage.get_link(session, partner.partner_id, ref_id)
        assert link is not None
        assert str(uuid.UUID(ref_id)) == ref_id and len(link.slug) >= 40
        assert link.id_types == [PASSPORT, NIN] and link.partner_params == {"campaign": "spring"}
        assert (link.environment, link.created_by, link.created_at) == ("sandbox", "api:key-1", NOW)
        assert link.user_id is None and link.logo_png is None
        assert manage.link_url("https://kyc.example/", link) == f"https://kyc.example/verify/{link.slug}"
        assert manage.link_by_slug(session, link.slug) is link


def test_a_single_use_link_gets_a_generated_user_id_unless_given(
    runtime: Runtime, partner: PartnerCreds
) -> None:
    generated = create(runtime, partner, is_single_use=True)
    given = create(runtime, partner, is_single_use=True, user_id="user-42")
    with transaction(runtime.sessions) as session:
        first = manage.get_link(session, partner.partner_id, generated)
        second = manage.get_link(session, partner.partner_id, given)
        assert first is not None and second is not None
        assert first.user_id is not None and first.user_id.startswith("user_") and len(first.user_id) == 29
        assert second.user_id == "user-42"
        assert first.expires_at == NOW + timedelta(days=90)


def test_get_link_is_the_partners_own_by_uuid(runtime: Runtime, partner: PartnerCreds) -> None:
    ref_id = create(runtime, partner)
    other = make_partner(runtime, "Other partner")
    with transaction(runtime.sessions) as session:
        assert manage.get_link(session, partner.partner_id, ref_id.upper()) is not None  # any uuid spelling
        assert manage.get_link(session, other.partner_id, ref_id) is None
        for junk in ("", "nope", "1" * 500, str(uuid.uuid4())):
            assert manage.get_link(session, partner.partner_id, junk) is None
        assert manage.link_by_slug(session, "") is None and manage.link_by_slug(session, "x" * 65) is None


def test_list_links_newest_first_per_environment(runtime: Runtime, partner: PartnerCreds) -> None:
    older = create(runtime, partner, now=NOW - timedelta(days=1))
    newer = create(runtime, partner)
    production = create(runtime, partner, environment="production")
    create(runtime, make_partner(runtime, "Other partner"))
    with transaction(runtime.sessions) as session:
        every = [link.ref_id for link in manage.list_links(session, partner.partner_id)]
        assert set(every) == {older, newer, production} and every.index(newer) < every.index(older)
        sandbox = [
            link.ref_id for link in manage.list_links(session, partner.partner_id, environment="sandbox")
        ]
        assert sandbox == [newer, older]


def test_states(runtime: Runtime, partner: PartnerCreds) -> None:
    ref_id = create(runtime, partner, is_single_use=True, expires_at="2026-07-01T00:00:00Z")
    with transaction(runtime.sessions) as session:
        link = manage.get_link(session, partner.partner_id, ref_id)
        assert link is not None
        assert manage.state_of(link, NOW) is LinkState.ACTIVE
        assert manage.state_of(link, datetime(2026, 7, 1, tzinfo=UTC)) is LinkState.EXPIRED
        link.spent_at = NOW
        assert manage.state_of(link, NOW) is LinkState.USED
        manage.apply_changes(link, manage.changes_of({"is_disabled": True}, now=NOW), now=NOW)
        assert manage.state_of(link, NOW) is LinkState.DISABLED and link.disabled_at == NOW
        # Disabled again later: it keeps when it was first disabled.
        later = NOW + timedelta(hours=1)
        manage.apply_changes(link, manage.changes_of({"is_disabled": True}, now=later), now=later)
        assert link.disabled_at == NOW and link.updated_at == later
        manage.apply_changes(link, manage.changes_of({"is_disabled": False}, now=later), now=later)
        assert link.disabled_at is None and manage.state_of(link, NOW) is LinkState.USED


def test_a_spent_multi_use_link_stays_active(runtime: Runtime, partner: PartnerCreds) -> None:
    ref_id = create(runtime, partner)
    with transaction(runtime.sessions) as session:
        link = manage.get_link(session, partner.partner_id, ref_id)
        assert link is not None
        link.spent_at = NOW
        assert manage.state_of(link, NOW + timedelta(days=3650)) is LinkState.ACTIVE


# --- jobs_of ------------------------------------------------------------------------------------


def add_job(
    runtime: Runtime,
    partner_id: str,
    api_key_id: str,
    state: str,
    success: bool | None = None,
    environment: str = "sandbox",
) -> None:
    smile_job_id = f"{secrets.randbelow(10**10):010d}"
    result = None if success is None else {"ResultCode": "0810" if success else "0811", "_success": success}
    with transaction(runtime.sessions) as session:
        session.add(
            Job(
                smile_job_id=smile_job_id,
                partner_id=partner_id,
                environment=environment,
                api_key_id=api_key_id,
                user_id="user-1",
                job_id=f"job-{smile_job_id}",
                job_type=6,
                partner_params={"user_id": "user-1", "job_id": f"job-{smile_job_id}", "job_type": 6},
                state=state,
                result=result,
            )
        )


def test_source_key_is_the_ref_ids_hex_under_the_prefix() -> None:
    ref_id = str(uuid.uuid4())
    key = manage.source_key(ref_id)
    assert key == "link:" + uuid.UUID(ref_id).hex and len(key) <= 40
    assert manage.source_key(ref_id.upper()) == key
    assert manage.is_link_source(key) and not manage.is_link_source("portal:1")


def test_jobs_of_counts_the_links_jobs_by_outcome(runtime: Runtime, partner: PartnerCreds) -> None:
    ref_id = create(runtime, partner)
    other_ref = create(runtime, partner)
    source = manage.source_key(ref_id)
    add_job(runtime, partner.partner_id, source, JobState.COMPLETE, success=True)
    add_job(runtime, partner.partner_id, source, JobState.COMPLETE, success=True)
    add_job(runtime, partner.partner_id, source, JobState.COMPLETE, success=False)
    add_job(runtime, partner.partner_id, source, JobState.FAILED, success=False)
    add_job(runtime, partner.partner_id, source, JobState.FAILED)  # no result at all: failed
    add_job(runtime, partner.partner_id, source, JobState.REVIEW, success=True)  # provisional: pending
    add_job(runtime, partner.partner_id, source, JobState.QUEUED)
    add_job(runtime, partner.partner_id, source, JobState.AWAITING_UPLOAD)
    # Not this link's: another link, a key's own job, another partner's job under the same source.
    add_job(runtime, partner.partner_id, manage.source_key(other_ref), JobState.COMPLETE, success=True)
    add_job(runtime, partner.partner_id, "key-1", JobState.COMPLETE, success=True)
    add_job(runtime, make_partner(runtime, "Other").partner_id, source, JobState.COMPLETE, success=True)
    with transaction(runtime.sessions) as session:
        link = manage.get_link(session, partner.partner_id, ref_id)
        assert link is not None
        jobs = manage.jobs_of(session, link)
        assert jobs == manage.LinkJobs(total=8, successful=2, failed=3, pending=3)
        other = manage.get_link(session, partner.partner_id, other_ref)
        assert other is not None
        assert manage.jobs_of(session, other) == manage.LinkJobs(total=1, successful=1, failed=0, pending=0)


def test_jobs_of_a_link_without_jobs(runtime: Runtime, partner: PartnerCreds) -> None:
    ref_id = create(runtime, partner)
    with transaction(runtime.sessions) as session:
        link = manage.get_link(session, partner.partner_id, ref_id)
        assert link is not None
        assert manage.jobs_of(session, link) == manage.LinkJobs(0, 0, 0, 0)


def test_resource_is_the_wire_dict(runtime: Runtime, partner: PartnerCreds) -> None:
    ref_id = create(runtime, partner, is_single_use=True, partner_params={"campaign": "spring"})
    with transaction(runtime.sessions) as session:
        link = session.get(SmileLink, ref_id)
        assert link is not None
        plain = manage.resource(link, base_url="https://kyc.example", now=NOW)
        assert plain["ref_id"] == ref_id and plain["link"] == f"https://kyc.example/verify/{link.slug}"
        assert plain["status"] == "active" and plain["is_disabled"] is False
        assert plain["expires_at"] == (NOW + timedelta(days=90)).isoformat()
        assert plain["partner_params"] == {"campaign": "spring"} and plain["environment"] == "sandbox"
        assert "total_jobs" not in plain
        counted = manage.resource(
            link, base_url="https://kyc.example", now=NOW, jobs=manage.LinkJobs(4, 1, 2, 1)
        )
        assert (counted["total_jobs"], counted["successful_jobs"], counted["failed_jobs"]) == (4, 1, 2)
        assert counted["pending_jobs"] == 1


def test_partner_params_are_sealed_at_rest_and_rotated(
    tmp_path: Path, runtime: Runtime, partner: PartnerCreds
) -> None:
    ref_id = create(runtime, partner, partner_params={"customer": "Ada Byron"})
    with runtime.engine.connect() as connection:
        stored = connection.execute(text("SELECT partner_params FROM smile_links")).scalar_one()
    assert "Ada Byron" not in str(stored)
    prepend_key_file(runtime.settings.master_key_file, generate_key())
    rotated = make_runtime(tmp_path)
    assert rotate(rotated, actor=audit.operator()).values >= 1
    with rotated.engine.connect() as connection:
        resealed = json.loads(connection.execute(text("SELECT partner_params FROM smile_links")).scalar_one())
    assert all(token_key_id(token) == rotated.box.key_id for token in tokens_in(resealed))
    with transaction(rotated.sessions) as session:
        link = manage.get_link(session, partner.partner_id, ref_id)
        assert link is not None and link.partner_params == {"customer": "Ada Byron"}


# --- the page's description, redirect and theme ----------------------------------------------------


def test_description_redirect_and_theme_are_checked_and_changeable() -> None:
    fields = manage.fields_of(
        body(description=" Welcome ", redirect_url="https://acme.example/done", theme_color="#0b5cad"),
        now=NOW,
    )
    assert (fields.description, fields.redirect_url, fields.theme_color) == (
        "Welcome",
        "https://acme.example/done",
        "#0b5cad",
    )
    assert manage.fields_of(body(), now=NOW).theme_color is None
    assert refused({"theme_color": "red"}).field == "theme_color"
    assert refused({"theme_color": "#12345"}).field == "theme_color"
    assert refused({"redirect_url": "javascript:alert(1)"}).field == "redirect_url"
    assert refused({"description": "x" * 1001}).field == "description"
    changes = manage.changes_of({"theme_color": "#FFF", "redirect_url": None, "description": ""}, now=NOW)
    assert changes == {"theme_color": "#FFF", "redirect_url": None, "description": None}
