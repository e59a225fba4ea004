"""`openkyc keys ...`: the partners' API keys and management-API credentials."""

from __future__ import annotations

from typing import Annotated

import typer

from openkyc.cli.common import JsonOption, TsvOption, open_runtime
from openkyc.cli.output import emit_json, emit_rows, listing_form, moment
from openkyc.cli.partners import EnvOption, PartnerIdOption, fail, in_session
from openkyc.db import transaction
from openkyc.management.service import issue_credential, list_credentials, revoke_credential
from openkyc.partners import service
from openkyc.signing.environment import Environment

keys_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS


@keys_app.command("list")
def keys_list(
    partner_id: PartnerIdOption,
    env: Annotated[Environment | None, typer.Option("--env", "-e", help="Only this environment.")] = None,
    json_output: JsonOption = False,
    tsv_output: TsvOption = False,
) -> None:
    """List a partner's keys (fingerprints only: secrets are shown once, when created)."""
    form = listing_form(json_output, tsv_output)
    runtime = open_runtime()
    with transaction(runtime.sessions) as session:
        rows = [
            service.describe_key(k)
            for k in service.list_keys(db_session=session, partner_id=partner_id, environment=env)
        ]
    emit_rows(
        rows,
        form,
        columns={
            "key_id": "key_id",
            "environment": "environment",
            "fingerprint": "fingerprint",
            "status": _status,
            "created (UTC)": lambda row: moment(row["created_at"]),
        },
        tsv=lambda row: f"{row['key_id']}\t{row['environment']}\t{row['fingerprint']}\t{_status(row)}",
    )


def _status(row: dict[str, object]) -> str:
    return "active" if row.get("active", not row.get("revoked")) else "revoked"


@keys_app.command("create")
def keys_create(
    partner_id: PartnerIdOption,
    env: EnvOption,
    json_output: JsonOption = False,
) -> None:
    """Create an additional active key."""
    issued = in_session(
        lambda runtime, session: service.create_key(
            db_session=session, box=runtime.box, partner_id=partner_id, environment=env
        ),
    )
    _print_issued(issued, json_output)


@keys_app.command("revoke")
def keys_revoke(partner_id: PartnerIdOption, key_id: Annotated[str, typer.Argument()]) -> None:
    """Disable a key at once."""
    in_session(
        lambda _, session: service.revoke_key(db_session=session, partner_id=partner_id, key_id=key_id),
    )
    typer.echo(f"revoked {key_id}")


@keys_app.command("rotate")
def keys_rotate(
    partner_id: PartnerIdOption,
    key_id: Annotated[str, typer.Argument()],
    json_output: JsonOption = False,
) -> None:
    """Create a new key for the same environment and disable the old one."""
    issued = in_session(
        lambda runtime, session: service.rotate_key(
            db_session=session, box=runtime.box, partner_id=partner_id, key_id=key_id
        ),
    )
    _print_issued(issued, json_output)


def _print_issued(issued: service.IssuedKey, json_output: bool) -> None:
    answer = {
        "key_id": issued.key_id,
        "partner_id": issued.partner_id,
        "environment": issued.environment.value,
        "api_key": issued.api_key,
    }
    if json_output:
        emit_json(answer)
    else:
        typer.echo(f"{issued.key_id} ({issued.environment.value}): {issued.api_key}")


@keys_app.command("create-management")
def keys_create_management(
    partner_id: PartnerIdOption,
    env: EnvOption,
    json_output: JsonOption = False,
) -> None:
    """Issue a management-API credential (KSig1: API key, secret key, auth token), shown once."""
    key = in_session(
        lambda runtime, session: issue_credential(
            db_session=session, box=runtime.box, partner_id=partner_id, environment=env
        ),
    )
    answer = {
        "partner_id": partner_id,
        "environment": env.value,
        "api_key": key.api_key,
        "secret_key": key.secret_key,
        "auth_token": key.auth_token,
    }
    if json_output:
        emit_json(answer)
    else:
        for name, value in answer.items():
            typer.echo(f"{name}: {value}")


@keys_app.command("list-management")
def keys_list_management(
    partner_id: PartnerIdOption, json_output: JsonOption = False, tsv_output: TsvOption = False
) -> None:
    """List a partner's management-API credentials (their public API keys only)."""
    form = listing_form(json_output, tsv_output)
    rows = in_session(
        lambda _, session: [
            {
                "api_key": c.api_key,
                "environment": c.environment,
                "revoked": c.revoked,
                "created_at": c.created_at.isoformat(),
            }
            for c in list_credentials(db_session=session, partner_id=partner_id)
        ],
    )
    emit_rows(
        rows,
        form,
        columns={
            "api_key": "api_key",
            "environment": "environment",
            "status": _status,
            "created (UTC)": lambda row: moment(row["created_at"]),
        },
        tsv=lambda row: f"{row['api_key']}\t{row['environment']}\t{_status(row)}",
    )


@keys_app.command("revoke-management")
def keys_revoke_management(partner_id: PartnerIdOption, api_key: Annotated[str, typer.Argument()]) -> None:
    """Revoke a management-API credential at once (AUTH_INVALID_API_KEY from then on)."""
    if not in_session(
        lambda _, session: revoke_credential(db_session=session, partner_id=partner_id, api_key=api_key),
    ):
        raise fail(f"no management credential {api_key} for partner {partner_id}")
    typer.echo(f"revoked {api_key}")
