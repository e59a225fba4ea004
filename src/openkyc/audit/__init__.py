"""The append-only audit log: who accessed or changed what (never the PII itself)."""

from openkyc.audit.service import SYSTEM, Actor, ActorType, Scalar, operator, record, reviewer

__all__ = ["SYSTEM", "Actor", "ActorType", "Scalar", "operator", "record", "reviewer"]
