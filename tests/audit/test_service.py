"""Recording and listing audit events; details are flat scalars only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from openkyc import audit
from openkyc.audit.service import describe, list_events
from openkyc.db import transaction, utcnow
from openkyc.runtime import Runtime


def test_events_are_recorded_with_the_transaction_and_listed_in_order(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        audit.record(
            session,
            actor=audit.Actor.partner("1001"),
            action="job.result_viewed",
            target_type="job",
            target_id="0000000001",
            detail={"api_key_id": "key_1"},
            request_id="req-1",
        )

    def a_change_that_fails() -> None:
        with transaction(runtime.sessions) as session:
            audit.record(session, actor=audit.SYSTEM, action="rolled.back", target_type="job", target_id="2")
            raise RuntimeError("the change failed, so its event is not kept")

    with pytest.raises(RuntimeError, match="the change failed"):
        a_change_that_fails()
    with transaction(runtime.sessions) as session:
        audit.record(session, actor=audit.operator(), action="second", target_type="job", target_id="3")
        events = [describe(event) for event in list_events(session)]
    assert [(e["action"], e["actor_type"]) for e in events] == [
        ("job.result_viewed", "partner"),
        ("second", "operator"),
    ]
    assert events[0]["actor_id"] == "1001" and events[0]["detail"] == {"api_key_id": "key_1"}
    assert events[0]["request_id"] == "req-1"


def test_listing_since(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        audit.record(session, actor=audit.SYSTEM, action="a", target_type="t", target_id="1")
    with transaction(runtime.sessions) as session:
        assert len(list_events(session, since=utcnow() - timedelta(minutes=1))) == 1
        assert list_events(session, since=utcnow() + timedelta(minutes=1)) == []


@pytest.mark.parametrize(
    "detail", [{"photo": b"\xff\xd8 image bytes"}, {"record": {"FullName": "X"}}, {"long": "x" * 201}]
)
def test_details_that_could_carry_records_or_images_are_refused(runtime: Runtime, detail: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValueError, match="audit detail"), transaction(runtime.sessions) as session:
        audit.record(session, actor=audit.SYSTEM, action="a", target_type="t", target_id="1", detail=detail)
