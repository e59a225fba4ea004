"""portal.evidence: a job's images as expiring same-origin links, Actions with their checks, fields."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from openkyc.db import utcnow
from openkyc.jobs.models import Job
from openkyc.portal.evidence import job_evidence
from openkyc.runtime import Runtime

CHECKS = [
    {
        "check": "selfie.liveness",
        "decision": "pass",
        "signals": {
            "pad_model": {"score": 0.91, "threshold": 0.5, "higher_is_better": True, "passed": True},
            "file_size": {
                "score": 861190.0,
                "threshold": 10000000.0,
                "higher_is_better": False,
                "passed": True,
            },
        },
        "reasons": [],
    },
    {
        "check": "document.expiry",
        "decision": "review",
        "signals": {},
        "reasons": [{"code": "document.expired", "message": "expired on the day"}],
    },
    {"check": "elsewhere", "decision": "pass", "signals": {}, "reasons": [{"code": "x", "message": "y"}]},
]
DECISION = {
    "reasons": ["document.expired"],
    "id_fields": {"Country": "NG", "IDNumber": "A123"},
    "evidence": {
        "checks": CHECKS,
        "mrz": {
            "type": "TD3",
            "valid": True,
            "checks": {"number": True},
            "fields": {"surname": "DOE"},
            "lines": ["P<NGA"],
        },
        "visual_zone": {"surname": "Doe"},
    },
}


def _job(**fields: object) -> Job:
    return Job(
        smile_job_id="0000000042",
        partner_id="1001",
        environment="sandbox",
        user_id="u",
        job_id="j",
        job_type=6,
        **fields,
    )


def test_images_actions_checks_and_fields(runtime: Runtime) -> None:
    job = _job(
        inputs={"images": {"selfie": "jobs/0000000042/selfie", "id_front": "k", "liveness": ["a", "b"]}},
        result={
            "ResultCode": "0817",
            "ResultText": "Approved with attention",
            "Actions": {"Liveness_Check": "Passed", "Verify_Document": "Passed", "Document_Check": "Passed"},
            "_decision": DECISION,
        },
    )
    expires = utcnow() + timedelta(minutes=5)
    evidence = job_evidence(job, links=runtime.links, base_url="/root", expires=expires)
    assert [image.kind for image in evidence.images] == ["selfie", "liveness-0", "liveness-1", "id_front"]
    assert [image.label for image in evidence.images][1] == "Liveness frame 1"
    link = urlsplit(evidence.images[0].url)
    assert link.scheme == "" and link.path == "/root/v1/images/0000000042/selfie"
    query = parse_qs(link.query)
    assert runtime.links.verify("0000000042/selfie", int(query["expires"][0]), query["sig"][0], utcnow())
    by_name = {action.name: action for action in evidence.actions}
    assert [check.path for check in by_name["Liveness_Check"].checks] == ["selfie.liveness"]
    assert by_name["Liveness_Check"].checks[0].signals[0].rule == "≥ 0.5"
    assert by_name["Liveness_Check"].checks[0].signals[0].shown_score == "0.91"
    assert [check.path for check in by_name["Verify_Document"].checks] == ["document.expiry"]
    assert by_name["Document_Check"].checks == ()
    assert [check.path for check in evidence.other_checks] == ["elsewhere"]
    size = by_name["Liveness_Check"].checks[0].signals[1]
    assert (size.shown_score, size.rule) == ("861190", "< 10000000")
    assert evidence.reasons == ("document.expired",)
    assert evidence.fields == (("Country", "NG"), ("IDNumber", "A123"))
    assert evidence.mrz is not None and evidence.mrz.fields == (("surname", "DOE"),) and evidence.mrz.valid
    assert evidence.visual_zone == (("surname", "Doe"),)


def test_a_reviewed_result_shows_the_machine_decisions_checks(runtime: Runtime) -> None:
    provisional = {
        "ResultCode": "0814",
        "Actions": {"Verify_Document": "Under Review"},
        "_decision": DECISION,
    }
    final = {"ResultCode": "0810", "Actions": {"Verify_Document": "Passed"}, "_decision": {"reasons": []}}
    job = _job(inputs={}, result=final, history=[provisional, final])
    evidence = job_evidence(job, links=runtime.links, base_url="", expires=utcnow())
    assert evidence.result_code == "0810" and evidence.images == ()
    assert [check.path for check in evidence.actions[0].checks] == ["document.expiry"]


def test_a_job_without_result_or_with_odd_stored_values_has_empty_evidence(runtime: Runtime) -> None:
    job = _job(inputs={"images": "junk"}, result=None)
    evidence = job_evidence(job, links=runtime.links, base_url="", expires=utcnow())
    assert evidence.images == () and evidence.actions == () and evidence.mrz is None and evidence.fields == ()
    odd = _job(
        inputs={"images": {"liveness": [3, "k"]}}, result={"_decision": {"evidence": {"checks": [1, {}]}}}
    )
    evidence = job_evidence(odd, links=runtime.links, base_url="", expires=utcnow())
    assert [image.kind for image in evidence.images] == ["liveness-1"]
    assert [check.path for check in evidence.other_checks] == [""]
