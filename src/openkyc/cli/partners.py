"""`openkyc partner ...` and `openkyc keys ...`: partners and their API keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.orm import Session

from openkyc.cli.common import DataDirOption, JsonOption, open_runtime
from openkyc.cli.output import emit_json, emit_rows
from openkyc.db import transaction
from openkyc.management.service import issue_credential, list_credentials, revoke_credential
from openkyc.partners import service
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment

T = TypeVar("T")

partner_app = typer.Typer(help="Partners (the organisations calling the API).", no_args_is_help=True)
keys_app = typer.Typer(
    help="API keys per partner and environment (several may be active at once).", no_args_is_help=True
)

PartnerIdOption = Annotated[str, typer.Option("--partner-id", "-p", help="The partner id.")]
EnvOption = Annotated[Environment, typer.Option("--env", "-e", help="sandbox or production.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=1)


def in_session(data_dir: Path | None, action: Callable[[Runtime, Session], T]) -> T:
    """Run ``action`` in one committed transaction; an unknown partner or key exits with status 1."""
    runtime = open_runtime(data_dir)
    try:
        with transaction(runtime.sessions) as session:
            return action(runtime, session)
    except service.PartnerNotFound as error:
        raise _fail(f"no partner {error.args[0]}") from None
    except service.KeyNotFound as error:
        raise _fail(f"no such key {error.args[0]}") from None


@partner_app.command("create")
def partner_create(
    data_dir: DataDirOption = None,
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "Partner",
    json_output: JsonOption = False,
) -> None:
    """Create a partner with one sandbox and one production key (production disabled until enabled)."""
    runtime = open_runtime(data_dir)
    with transaction(runtime.sessions) as session:
        partner, keys = service.create_partner(db_session=session, box=runtime.box, name=name)
        partner_id = partner.id
    answer = {"partner_id": partner_id, "api_keys": {env.value: key.api_key for env, key in keys.items()}}
    if json_output:
        emit_json(answer)
    else:
        typer.echo(f"partner_id: {partner_id}")
        for env, key in keys.items():
            typer.echo(f"{env.value} api key: {key.api_key}")


@partner_app.command("list")
def partner_list(data_dir: DataDirOption = None, json_output: JsonOption = False) -> None:
    """List partners."""
    runtime = open_runtime(data_dir)
    with transaction(runtime.sessions) as session:
        rows = [
            {"partner_id": p.id, "name": p.name, "production_enabled": p.production_enabled}
            for p in service.list_partners(db_session=session)
        ]
    emit_rows(
        rows,
        json_output,
        lambda row: f"{row['partner_id']}\t{row['name']}\tproduction={row['production_enabled']}",
    )


def _set_production(partner_id: str, data_dir: Path | None, enabled: bool) -> None:
    in_session(
        data_dir,
        lambda _, session: service.set_production_enabled(
            db_session=session, partner_id=partner_id, enabled=enabled
        ),
    )
    typer.echo(f"production {'enabled' if enabled else 'disabled'} for partner {partner_id}")


@partner_app.command("enable-production")
def enable_production(partner_id: PartnerIdOption, data_dir: DataDirOption = None) -> None:
    """Allow the partner's production keys (until then they get 2220)."""
    _set_production(partner_id, data_dir, True)


@partner_app.command("disable-production")
def disable_production(partner_id: PartnerIdOption, data_dir: DataDirOption = None) -> None:
    """Refuse the partner's production keys again (2220)."""
    _set_production(partner_id, data_dir, False)


@keys_app.command("list")
def keys_list(
    partner_id: PartnerIdOption,
    env: Annotated[Environment | None, typer.Option("--env", "-e", help="Only this environment.")] = None,
    data_dir: DataDirOption = None,
    json_output: JsonOption = False,
) -> None:
    """List a partner's keys (fingerprints only: secrets are shown once, when created)."""
    runtime = open_runtime(data_dir)
    with transaction(runtime.sessions) as session:
        rows = [
            service.describe_key(k)
            for k in service.list_keys(db_session=session, partner_id=partner_id, environment=env)
        ]
    emit_rows(
        rows,
        json_output,
        lambda row: (
            f"{row['key_id']}\t{row['environment']}\t{row['fingerprint']}\t{'active' if row['active'] else 'revoked'}"
        ),
    )


@keys_app.command("create")
def keys_create(
    partner_id: PartnerIdOption,
    env: EnvOption,
    data_dir: DataDirOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create an additional active key."""
    issued = in_session(
        data_dir,
        lambda runtime, session: service.create_key(
            db_session=session, box=runtime.box, partner_id=partner_id, environment=env
        ),
    )
    _print_issued(issued, json_output)


@keys_app.command("revoke")
def keys_revoke(
    partner_id: PartnerIdOption, key_id: Annotated[str, typer.Argument()], data_dir: DataDirOption = None
) -> None:
    """Disable a key at once."""
    in_session(
        data_dir,
        lambda _, session: service.revoke_key(db_session=session, partner_id=partner_id, key_id=key_id),
    )
    typer.echo(f"revoked {key_id}")


@keys_app.command("rotate")
def keys_rotate(
    partner_id: PartnerIdOption,
    key_id: Annotated[str, typer.Argument()],
    data_dir: DataDirOption = None,
    json_output: JsonOption = False,
) -> None:
    """Create a new key for the same environment and disable the old one."""
    issued = in_session(
        data_dir,
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
    data_dir: DataDirOption = None,
    json_output: JsonOption = False,
) -> None:
    """Issue a management-API credential (KSig1: API key, secret key, auth token), shown once."""
    key = in_session(
        data_dir,
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
    partner_id: PartnerIdOption, data_dir: DataDirOption = None, json_output: JsonOption = False
) -> None:
    """List a partner's management-API credentials (their public API keys only)."""
    rows = in_session(
        data_dir,
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
        json_output,
        lambda row: f"{row['api_key']}\t{row['environment']}\t{'revoked' if row['revoked'] else 'active'}",
    )


@keys_app.command("revoke-management")
def keys_revoke_management(
    partner_id: PartnerIdOption, api_key: Annotated[str, typer.Argument()], data_dir: DataDirOption = None
) -> None:
    """Revoke a management-API credential at once (AUTH_INVALID_API_KEY from then on)."""
    if not in_session(
        data_dir,
        lambda _, session: revoke_credential(db_session=session, partner_id=partner_id, api_key=api_key),
    ):
        raise _fail(f"no management credential {api_key} for partner {partner_id}")
    typer.echo(f"revoked {api_key}")
