"""What each role may do. Every portal route names the permission it needs (views.require)."""

from __future__ import annotations

from enum import StrEnum

from openkyc.portal.models import PortalRole


class Permission(StrEnum):
    READ = "read"  # see jobs, results, settings: every role
    OPERATE = "operate"  # run and review jobs, SmartCheck
    ADMINISTER = "administer"  # API keys, callbacks, the team
    OWN = "own"  # the team's 2FA policy, the production switch


ROLE_PERMISSIONS: dict[PortalRole, frozenset[Permission]] = {
    PortalRole.AUDITOR: frozenset({Permission.READ}),
    PortalRole.OPERATOR: frozenset({Permission.READ, Permission.OPERATE}),
    PortalRole.ADMIN: frozenset({Permission.READ, Permission.OPERATE, Permission.ADMINISTER}),
    PortalRole.OWNER: frozenset(Permission),
}


def allows(role: str, permission: Permission) -> bool:
    try:
        return permission in ROLE_PERMISSIONS[PortalRole(role)]
    except ValueError:  # a role this version does not know grants nothing
        return False
