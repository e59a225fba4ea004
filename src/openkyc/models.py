"""Every table, imported in one place for Alembic and for creating a fresh schema."""

from openkyc.aml.models import MonitoredSubject, WatchlistEntry
from openkyc.audit.models import AuditEvent
from openkyc.authorities.models import RegistryRecord
from openkyc.business.models import BusinessRegistryRecord
from openkyc.callbacks.models import CallbackAttempt, CallbackDelivery
from openkyc.db import Base
from openkyc.jobs.models import Job
from openkyc.links.models import LinkEvent, SmileLink, WebToken
from openkyc.management.models import ManagementCredential, UsedNonce
from openkyc.partners.models import ApiKey, Partner
from openkyc.portal.models import (
    PortalInvitation,
    PortalLoginFailure,
    PortalSession,
    PortalTeamPolicy,
    PortalUser,
)
from openkyc.ratelimit.models import IdNumberRequests
from openkyc.users.fraud_models import FraudFlag, FraudReport
from openkyc.users.models import EnrolledUser

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Base",
    "BusinessRegistryRecord",
    "CallbackAttempt",
    "CallbackDelivery",
    "EnrolledUser",
    "FraudFlag",
    "FraudReport",
    "IdNumberRequests",
    "Job",
    "LinkEvent",
    "ManagementCredential",
    "MonitoredSubject",
    "Partner",
    "PortalInvitation",
    "PortalLoginFailure",
    "PortalSession",
    "PortalTeamPolicy",
    "PortalUser",
    "RegistryRecord",
    "SmileLink",
    "UsedNonce",
    "WatchlistEntry",
    "WebToken",
]
