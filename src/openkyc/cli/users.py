"""`openkyc users ...`: the enrolled-user registry (documented 2207/2208/2211 behaviour)."""

from __future__ import annotations

from typing import Annotated

import typer

from openkyc.audit import operator
from openkyc.cli.common import JsonOption, TsvOption, open_runtime
from openkyc.cli.output import emit_rows, listing_form, moment
from openkyc.cli.partners import EnvOption, PartnerIdOption
from openkyc.db import transaction
from openkyc.users import service
from openkyc.users.models import UserStatus

users_app = typer.Typer(no_args_is_help=True)  # its help: openkyc.cli.COMMANDS
UserIdArgument = Annotated[str, typer.Argument(help="The partner's user_id.")]


@users_app.command("list")
def users_list(
    partner_id: PartnerIdOption,
    env: EnvOption,
    json_output: JsonOption = False,
    tsv_output: TsvOption = False,
) -> None:
    """List a partner's enrolled users in one environment."""
    form = listing_form(json_output, tsv_output)
    runtime = open_runtime()
    with transaction(runtime.sessions) as session:
        rows = [
            {
                "user_id": u.user_id,
                "status": u.status,
                "enrolled_by_job": u.enrolled_by_job,
                "updated_at": u.updated_at.isoformat(),
            }
            for u in service.list_users(db_session=session, partner_id=partner_id, environment=env)
        ]
    emit_rows(
        rows,
        form,
        columns={
            "user_id": "user_id",
            "status": "status",
            "enrolled by job": "enrolled_by_job",
            "updated (UTC)": lambda row: moment(row["updated_at"]),
        },
        tsv=lambda row: f"{row['user_id']}\t{row['status']}\t{row['enrolled_by_job']}",
    )


def _set(partner_id: str, env: str, user_id: str, status: UserStatus) -> None:
    runtime = open_runtime()
    try:
        if status == UserStatus.DELETED:
            # A deleted user's face and job images are erased, not just hidden. Imported here: the
            # purge imports the engine (through the upload checks), which the other commands do not use.
            from openkyc.retention.user_purge import delete_user

            purged = delete_user(
                runtime, partner_id=partner_id, environment=env, user_id=user_id, actor=operator()
            )
            typer.echo(f"{user_id}: erased {purged.blobs} images, stripped {purged.jobs} jobs of PII")
        else:
            with transaction(runtime.sessions) as session:
                service.set_status(
                    db_session=session, partner_id=partner_id, environment=env, user_id=user_id, status=status
                )
    except service.UserNotFound:
        typer.echo(f"no enrolled user {user_id!r} for partner {partner_id} ({env})", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(f"{user_id}: {status.value}")


@users_app.command("disable")
def users_disable(partner_id: PartnerIdOption, env: EnvOption, user_id: UserIdArgument) -> None:
    """Jobs for this user get 2207 until enabled again."""
    _set(partner_id, env, user_id, UserStatus.DISABLED)


@users_app.command("enable")
def users_enable(partner_id: PartnerIdOption, env: EnvOption, user_id: UserIdArgument) -> None:
    """Undo disable."""
    _set(partner_id, env, user_id, UserStatus.ACTIVE)


@users_app.command("delete")
def users_delete(partner_id: PartnerIdOption, env: EnvOption, user_id: UserIdArgument) -> None:
    """Erase the registered face; jobs for this user get 2208."""
    _set(partner_id, env, user_id, UserStatus.DELETED)


@users_app.command("flag-reenroll")
def users_flag_reenroll(partner_id: PartnerIdOption, env: EnvOption, user_id: UserIdArgument) -> None:
    """Authentication gets 2211 until the user registers again."""
    _set(partner_id, env, user_id, UserStatus.REENROLL_REQUIRED)
