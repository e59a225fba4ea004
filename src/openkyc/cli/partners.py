"""`openkyc partners ...`: partners (``openkyc partner`` still works); the options naming one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.orm import Session

from openkyc.cli.common import JsonOption, TsvOption, open_runtime
from openkyc.cli.output import emit_json, emit_rows, listing_form
from openkyc.db import transaction
from openkyc.partners import service
from openkyc.runtime import Runtime
from openkyc.signing.environment import Environment

T = TypeVar("T")

partners_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS

PartnerIdOption = Annotated[str, typer.Option("--partner-id", "-p", help="The partner id.")]
EnvOption = Annotated[Environment, typer.Option("--env", "-e", help="sandbox or production.")]


def fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=1)


def in_session(action: Callable[[Runtime, Session], T]) -> T:
    """Run ``action`` in one committed transaction; an unknown partner or key exits with status 1."""
    runtime = open_runtime()
    try:
        with transaction(runtime.sessions) as session:
            return action(runtime, session)
    except service.PartnerNotFound as error:
        raise fail(f"no partner {error.args[0]}") from None
    except service.KeyNotFound as error:
        raise fail(f"no such key {error.args[0]}") from None


@partners_app.command("create")
def partner_create(
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "Partner",
    json_output: JsonOption = False,
) -> None:
    """Create a partner with one sandbox and one production key (production disabled until enabled)."""
    runtime = open_runtime()
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


@partners_app.command("list")
def partner_list(json_output: JsonOption = False, tsv_output: TsvOption = False) -> None:
    """List partners."""
    form = listing_form(json_output, tsv_output)
    runtime = open_runtime()
    with transaction(runtime.sessions) as session:
        rows = [
            {"partner_id": p.id, "name": p.name, "production_enabled": p.production_enabled}
            for p in service.list_partners(db_session=session)
        ]
    emit_rows(
        rows,
        form,
        columns={"partner_id": "partner_id", "name": "name", "production enabled": "production_enabled"},
        tsv=lambda row: f"{row['partner_id']}\t{row['name']}\tproduction={row['production_enabled']}",
    )


def _set_production(partner_id: str, enabled: bool) -> None:
    in_session(
        lambda _, session: service.set_production_enabled(
            db_session=session, partner_id=partner_id, enabled=enabled
        ),
    )
    typer.echo(f"production {'enabled' if enabled else 'disabled'} for partner {partner_id}")


@partners_app.command("enable-production")
def enable_production(partner_id: PartnerIdOption) -> None:
    """Allow the partner's production keys (until then they get 2220)."""
    _set_production(partner_id, True)


@partners_app.command("disable-production")
def disable_production(partner_id: PartnerIdOption) -> None:
    """Refuse the partner's production keys again (2220)."""
    _set_production(partner_id, False)
