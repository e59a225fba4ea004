"""The engine's evidence as kept with a decision: checks by path, parts' reasons once, MRZ fields."""

from __future__ import annotations

from openkyc.engine.evidence import Decision, Evidence, Reason, Signal
from openkyc.products.evidence import action_of, checks_of, evidence_record


class Part(Evidence):
    pass


class Whole(Evidence):
    face: Part
    liveness: Part | None = None


def test_every_check_with_signals_or_reasons_is_kept_under_its_path() -> None:
    liveness = Part(
        decision=Decision.FAIL,
        reasons=[Reason(code="liveness.spoof", message="a photo of a photo")],
        signals={"pad_model": Signal.measure(0.2, 0.5)},
    )
    whole = Whole(
        decision=Decision.FAIL,
        # The composite repeats its part's reason: kept once, with the part.
        reasons=[
            Reason(code="liveness.spoof", message="a photo of a photo"),
            Reason(code="own", message="x"),
        ],
        # ... and its part's signal, under another name: kept once too.
        signals={"liveness.pad_model": Signal.measure(0.2, 0.5)},
        face=Part(decision=Decision.PASS),
        liveness=liveness,
    )
    record = evidence_record(whole, root="selfie")
    assert record == {
        "checks": [
            {
                "check": "selfie",
                "decision": "fail",
                "signals": {},
                "reasons": [{"code": "own", "message": "x"}],
            },
            {
                "check": "selfie.liveness",
                "decision": "fail",
                "signals": {
                    "pad_model": {"score": 0.2, "threshold": 0.5, "higher_is_better": True, "passed": False}
                },
                "reasons": [{"code": "liveness.spoof", "message": "a photo of a photo"}],
            },
        ]
    }
    assert checks_of(record) == record["checks"] and checks_of(None) == [] and checks_of({"checks": 3}) == []


def test_a_check_informs_the_first_action_the_result_has() -> None:
    docv = ["Document_Check", "Liveness_Check", "Selfie_To_ID_Card_Compare", "Verify_Document"]
    assert action_of("selfie.liveness", docv) == "Liveness_Check"
    assert action_of("selfie.liveness", ["Selfie_Check"]) == "Selfie_Check"
    assert action_of("document.portrait", docv) == "Selfie_To_ID_Card_Compare"
    assert action_of("document.locate", docv) == "Document_Check"
    assert action_of("document.expiry", docv) == "Verify_Document"
    assert action_of("document", docv) == "Verify_Document"
    assert (
        action_of("selfie.match", ["Selfie_To_Registered_Selfie_Compare"])
        == "Selfie_To_Registered_Selfie_Compare"
    )
    assert action_of("selfie.quality", docv) == "Liveness_Check"
    assert action_of("documents", docv) is None  # a prefix only counts at a dot
    assert action_of("anything", docv) is None
