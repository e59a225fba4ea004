"""`openkyc portal ...`: the partner portal's team members (the first owner is added here)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from openkyc.audit import operator
from openkyc.cli.common import JsonOption, TsvOption, open_runtime
from openkyc.cli.output import emit_json, emit_rows, listing_form, moment
from openkyc.cli.partners import PartnerIdOption
from openkyc.db import transaction, utcnow
from openkyc.portal import accounts
from openkyc.portal.models import PortalRole
from openkyc.portal.passwords import WeakPassword

portal_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS

EmailOption = Annotated[
    str, typer.Option("--email", help="The member's e-mail address (their sign-in name).")
]
RoleOption = Annotated[
    PortalRole,
    typer.Option(
        "--role",
        help="owner (+ 2FA policy, production), admin (+ keys, callbacks, team), operator (jobs, review), auditor (read-only).",
    ),
]


def _read_password() -> str:
    """The password from standard input: typed twice on a terminal, else the first line."""
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    return sys.stdin.readline().rstrip("\r\n")


@portal_app.command("add-user")
def add_user(
    partner_id: PartnerIdOption,
    email: EmailOption,
    role: RoleOption,
    json_output: JsonOption = False,
) -> None:
    """Add a team member; the password is read from standard input (never an argument)."""
    password = _read_password()
    runtime = open_runtime()
    try:
        with transaction(runtime.sessions) as session:
            user = accounts.add_user(
                session,
                runtime.box,
                partner_id=partner_id,
                email=email,
                role=role,
                password=password,
                actor=operator(),
            )
            user_id = user.id
    except (accounts.AccountError, WeakPassword) as error:
        typer.echo(f"not added: {error}", err=True)
        raise typer.Exit(code=1) from None
    if json_output:
        emit_json(
            {
                "id": user_id,
                "partner_id": partner_id,
                "email": accounts.normalise_email(email),
                "role": role.value,
            }
        )
    else:
        typer.echo(f"added portal user {user_id} ({role.value}) to partner {partner_id}")


@portal_app.command("invite")
def invite(
    partner_id: PartnerIdOption,
    email: EmailOption,
    role: RoleOption,
    json_output: JsonOption = False,
) -> None:
    """Make an invitation link (good once, for 24 hours) for someone to join the team with a role;
    they choose their password on its page. openkyc sends no e-mail: pass the link on yourself."""
    from openkyc.portal.team_pages import invitation_link  # the portal's web layer, only when used

    runtime = open_runtime()
    try:
        with transaction(runtime.sessions) as session:
            invitation, token = accounts.invite(
                session,
                runtime.box,
                partner_id=partner_id,
                email=email,
                role=role,
                by=accounts.TeamActor.server_operator(),
                now=utcnow(),
            )
            expires_at = invitation.expires_at
    except accounts.AccountError as error:
        typer.echo(f"not invited: {error}", err=True)
        raise typer.Exit(code=1) from None
    # Without the server's public address the link is its path, to put after that address.
    link = invitation_link(runtime.settings.public_base_url.rstrip("/"), token)
    if json_output:
        emit_json(
            {
                "partner_id": partner_id,
                "email": accounts.normalise_email(email),
                "role": role.value,
                "link": link,
                "expires_at": expires_at.isoformat(),
            }
        )
        return
    typer.echo(link)
    if not runtime.settings.public_base_url:
        typer.echo(
            "(put this server's address before the path, or set OPENKYC_PUBLIC_BASE_URL to print whole links)",
            err=True,
        )
    typer.echo(
        f"good once, until {moment(expires_at.isoformat())} UTC; openkyc keeps only its fingerprint", err=True
    )


@portal_app.command("list-users")
def list_users(
    partner_id: PartnerIdOption, json_output: JsonOption = False, tsv_output: TsvOption = False
) -> None:
    """List a partner's team members (address, role, two-factor, status)."""
    form = listing_form(json_output, tsv_output)
    runtime = open_runtime()
    with transaction(runtime.sessions) as session:
        members = accounts.list_members(session, runtime.box, partner_id)
    emit_rows(
        [member.as_json() for member in members],
        form,
        columns={
            "id": "id",
            "email": "email",
            "role": "role",
            "2fa": lambda row: "on" if row["two_factor"] else "off",
            "status": _status,
            "created (UTC)": lambda row: moment(row["created_at"]),
        },
        tsv=lambda row: (
            f"{row['id']}\t{row['email']}\t{row['role']}\t2fa={'on' if row['two_factor'] else 'off'}"
            f"\t{_status(row)}"
        ),
    )


def _status(row: dict[str, object]) -> str:
    return "disabled" if row["disabled"] else "active"
