"""Fraud reports and flags (users.fraud): kept sealed, audited, raised and lowered; a flagged face
found 1:N by the engine's own matcher and threshold, on real photos."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy import select, text

from openkyc import audit
from openkyc.audit.models import AuditEvent
from openkyc.db import transaction
from openkyc.engine.face import DEFAULT_OPERATING_POINT, OPERATING_POINTS
from openkyc.engine.images.decode import load_image
from openkyc.retention.user_purge import delete_user
from openkyc.runtime import Runtime
from openkyc.users import fraud
from openkyc.users import service as users
from openkyc.users.fraud import FraudReason, Report
from openkyc.users.fraud_models import FraudFlag
from tests.server import PartnerCreds

EXAMPLES = "ageitgey+face_recognition/examples"
FLAGGED = f"{EXAMPLES}/knn_examples/test/obama1.jpg"
SAME_PERSON = f"{EXAMPLES}/obama2.jpg"  # another photo of the flagged person
OTHER_PERSON = f"{EXAMPLES}/biden.jpg"

FLAG = Report(
    is_fraud=True, reason=FraudReason.ACCOUNT_TAKEOVER, notes=None, reported_by="risk@partner.example"
)
CLEAR = Report(
    is_fraud=False, reason=None, notes="Cleared by appeals review", reported_by="appeals@partner.example"
)


@pytest.fixture(scope="module")
def faces(faces_dir: Path) -> dict[str, NDArray[np.float64]]:
    found = {}
    for name in (FLAGGED, SAME_PERSON, OTHER_PERSON):
        descriptor = fraud.face_descriptor(load_image(faces_dir / name).bgr)
        assert descriptor is not None, name
        found[name] = descriptor
    return found


def report(
    runtime: Runtime,
    partner: PartnerCreds,
    given: Report,
    *,
    user_id: str = "u1",
    face: NDArray[np.float64] | None = None,
    environment: str = "sandbox",
) -> int:
    with transaction(runtime.sessions) as session:
        row = fraud.record_report(
            session,
            runtime.box,
            partner_id=partner.partner_id,
            environment=environment,
            user_id=user_id,
            report=given,
            api_key_id="key-1",
            face=face,
        )
        return row.id


def flag_of(runtime: Runtime, partner: PartnerCreds, user_id: str = "u1") -> FraudFlag | None:
    with transaction(runtime.sessions) as session:
        flag = fraud.find_flag(session, partner_id=partner.partner_id, environment="sandbox", user_id=user_id)
        if flag is not None:
            session.expunge(flag)
        return flag


def test_a_report_raises_the_flag_and_a_clearing_report_lowers_it(
    runtime: Runtime, partner: PartnerCreds, faces: dict[str, NDArray[np.float64]]
) -> None:
    first = report(runtime, partner, FLAG, face=faces[FLAGGED])
    flag = flag_of(runtime, partner)
    assert flag is not None and flag.active and flag.reason == "ACCOUNT_TAKEOVER" and flag.report_id == first
    assert flag.face_encrypted is not None
    with transaction(runtime.sessions) as session:
        assert fraud.active_flag(session, partner_id=partner.partner_id, environment="sandbox", user_id="u1")
        # Flags are per environment.
        assert not fraud.active_flag(
            session, partner_id=partner.partner_id, environment="production", user_id="u1"
        )

    second = report(runtime, partner, CLEAR)
    flag = flag_of(runtime, partner)
    assert flag is not None and not flag.active and flag.reason is None and flag.report_id == second
    assert flag.face_encrypted is None  # the face goes with the flag
    with transaction(runtime.sessions) as session:
        assert (
            fraud.active_flag(session, partner_id=partner.partner_id, environment="sandbox", user_id="u1")
            is None
        )
        reports = fraud.reports_of(
            session, partner_id=partner.partner_id, environment="sandbox", user_id="u1"
        )
        # Every report is kept, as made.
        assert [(r.is_fraud, r.reason, r.details) for r in reports] == [
            (True, "ACCOUNT_TAKEOVER", {"reported_by": "risk@partner.example", "notes": None}),
            (False, None, {"reported_by": "appeals@partner.example", "notes": "Cleared by appeals review"}),
        ]


def test_clearing_a_user_never_flagged_keeps_the_report_and_raises_nothing(
    runtime: Runtime, partner: PartnerCreds
) -> None:
    report(runtime, partner, CLEAR, user_id="u2")
    assert flag_of(runtime, partner, "u2") is None
    with transaction(runtime.sessions) as session:
        assert (
            len(fraud.reports_of(session, partner_id=partner.partner_id, environment="sandbox", user_id="u2"))
            == 1
        )


def test_reports_are_audited_without_personal_data(runtime: Runtime, partner: PartnerCreds) -> None:
    flagged = report(runtime, partner, FLAG)
    cleared = report(runtime, partner, CLEAR)
    with transaction(runtime.sessions) as session:
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.target_type == "fraud_report")))
        assert [(e.action, e.target_id, e.actor_type, e.actor_id) for e in events] == [
            ("user.fraud_reported", str(flagged), "partner", partner.partner_id),
            ("user.fraud_cleared", str(cleared), "partner", partner.partner_id),
        ]
        assert events[0].detail["reason"] == "ACCOUNT_TAKEOVER" and events[0].detail["face"] is False
        assert events[1].detail["reason"] is None
        for event in events:
            assert "partner.example" not in str(event.detail) and "appeals" not in str(event.detail)


def test_who_reported_and_the_notes_are_sealed_at_rest(runtime: Runtime, partner: PartnerCreds) -> None:
    report(runtime, partner, CLEAR)
    with runtime.engine.connect() as connection:
        stored = connection.execute(text("SELECT details FROM fraud_reports")).scalar_one()
    assert "partner.example" not in stored and "appeals" not in stored and "_sealed" in stored


def test_a_report_is_checked_against_the_spec_s_rules() -> None:
    with pytest.raises(ValueError, match="needs a reason"):
        Report(is_fraud=True, reason=None, notes=None, reported_by="a@b.example")
    with pytest.raises(ValueError, match="needs notes"):
        Report(is_fraud=False, reason=None, notes=None, reported_by="a@b.example")
    with pytest.raises(ValueError, match="needs notes"):
        Report(is_fraud=True, reason=FraudReason.OTHER, notes=None, reported_by="a@b.example")
    with pytest.raises(ValueError, match="at most 500"):
        Report(is_fraud=True, reason=FraudReason.MULE_ACCOUNT, notes="x" * 501, reported_by="a@b.example")
    assert [reason.value for reason in FraudReason] == [
        "FIRST_PARTY_FRAUD", "SECOND_PARTY_FRAUD", "THIRD_PARTY_FRAUD", "SYNTHETIC_IDENTITY", "ACCOUNT_TAKEOVER",
        "DOCUMENT_FORGERY", "IDENTITY_FARMING", "MULE_ACCOUNT", "OTHER",
    ]  # fmt: skip


def test_a_flagged_face_is_found_in_another_photo_of_the_person_and_not_in_someone_else(
    faces: dict[str, NDArray[np.float64]],
) -> None:
    flagged = [(7, faces[FLAGGED])]
    hit = fraud.best_match(faces[SAME_PERSON], flagged)
    assert hit is not None and hit.flag_id == 7
    assert hit.operating_point == DEFAULT_OPERATING_POINT
    assert hit.threshold == OPERATING_POINTS[DEFAULT_OPERATING_POINT] <= hit.score < 1
    assert hit.record() == {
        "cause": "face_match",
        "flag": 7,
        "score": round(hit.score, 6),
        "threshold": hit.threshold,
        "operating_point": DEFAULT_OPERATING_POINT,
    }
    assert fraud.best_match(faces[OTHER_PERSON], flagged) is None
    # 1:N: the best of several flagged faces is the one named.
    assert fraud.best_match(faces[SAME_PERSON], [(1, faces[OTHER_PERSON]), *flagged]) == hit


def test_only_raised_flags_with_a_face_of_other_users_are_compared(
    runtime: Runtime, partner: PartnerCreds, faces: dict[str, NDArray[np.float64]]
) -> None:
    where = {"partner_id": partner.partner_id, "environment": "sandbox"}
    report(runtime, partner, FLAG, user_id="u1", face=faces[FLAGGED])
    report(runtime, partner, FLAG, user_id="u2")  # flagged without a face on file
    report(runtime, partner, FLAG, user_id="u3", face=faces[OTHER_PERSON])
    report(runtime, partner, CLEAR, user_id="u3")
    with transaction(runtime.sessions) as session:
        assert fraud.has_flagged_faces(session, **where, exclude_user_id="u9")
        found = fraud.flagged_faces(session, runtime.box, **where, exclude_user_id="u9")
        assert len(found) == 1 and np.allclose(found[0][1], faces[FLAGGED])
        # A user is never matched against its own flag (its jobs are blocked by the flag itself).
        assert not fraud.has_flagged_faces(session, **where, exclude_user_id="u1")
        assert fraud.flagged_faces(session, runtime.box, **where, exclude_user_id="u1") == []
        # Another environment's flags are not compared.
        assert not fraud.has_flagged_faces(
            session, partner_id=partner.partner_id, environment="production", exclude_user_id="u9"
        )


def test_the_face_on_a_flag_is_encrypted_and_forgotten_with_the_user(
    runtime: Runtime, partner: PartnerCreds, faces: dict[str, NDArray[np.float64]]
) -> None:
    report(runtime, partner, FLAG, face=faces[FLAGGED])
    flag = flag_of(runtime, partner)
    assert flag is not None and flag.face_encrypted is not None
    assert faces[FLAGGED].astype("<f8").tobytes() not in flag.face_encrypted
    with transaction(runtime.sessions) as session:
        fraud.forget_face(session, partner_id=partner.partner_id, environment="sandbox", user_id="u1")
    flag = flag_of(runtime, partner)
    assert flag is not None and flag.active and flag.face_encrypted is None  # still blocks the user_id


def test_the_enrolled_face_is_read_from_the_enrolled_selfie(
    runtime: Runtime, partner: PartnerCreds, faces_dir: Path, faces: dict[str, NDArray[np.float64]]
) -> None:
    runtime.blobs.put("users/u1/selfie", (faces_dir / FLAGGED).read_bytes())
    with transaction(runtime.sessions) as session:
        user = users.enrol(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment="sandbox",
            user_id="u1",
            embedding=np.zeros(128),
            selfie_blob="users/u1/selfie",
            smile_job_id="0000000001",
        )
        session.expunge(user)
    face = fraud.enrolled_face(runtime.blobs, user)
    assert face is not None and np.allclose(face, faces[FLAGGED])
    assert fraud.enrolled_face(runtime.blobs, None) is None


def test_deleting_the_user_drops_the_face_its_flag_keeps(
    runtime: Runtime, partner: PartnerCreds, faces: dict[str, NDArray[np.float64]]
) -> None:
    with transaction(runtime.sessions) as session:
        users.enrol(
            db_session=session,
            box=runtime.box,
            partner_id=partner.partner_id,
            environment="sandbox",
            user_id="u1",
            embedding=np.zeros(128),
            selfie_blob="users/u1/selfie",
            smile_job_id="0000000001",
        )
    report(runtime, partner, FLAG, face=faces[FLAGGED])
    delete_user(
        runtime, partner_id=partner.partner_id, environment="sandbox", user_id="u1", actor=audit.operator()
    )
    flag = flag_of(runtime, partner)
    assert flag is not None and flag.active and flag.face_encrypted is None
