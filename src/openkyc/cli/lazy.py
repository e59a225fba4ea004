"""The root group of ``openkyc``: each sub-command's module is imported only when it runs.

A group's module imports what its commands need (the engine for ``inspect``, the database models,
the web app for ``serve``), so importing them all would make every command line, ``--help``
included, pay for all of them. The root knows its sub-commands by an :class:`Entry` each (where
the command lives, its one-line help) and imports one when the command line names it. Listing
them (``openkyc --help``) imports none.

The root also adds the shared ``--data-dir`` option (:mod:`openkyc.cli.common`) to itself and to
every group and command of an entry that works on a data directory.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
import typer.main
from typer._click import Command, Context, HelpFormatter  # typer 0.29 vendors click
from typer.core import TyperCommand, TyperGroup

from openkyc.cli.common import data_dir_parameter, invocation


@dataclass(frozen=True)
class Entry:
    """A sub-command of the root, not yet imported."""

    # "module:attribute", the attribute a typer.Typer (a group) or a function (a command).
    target: str
    # What `openkyc --help` shows for it; a group's own --help shows it too (its one home).
    help: str
    # Whether it and its sub-commands take --data-dir.
    data_dir: bool = True
    # An old spelling kept working for scripts, not listed.
    hidden: bool = False


def _with_data_dir(command: Command) -> None:
    command.params.append(data_dir_parameter())
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            _with_data_dir(sub)


def load(name: str, entry: Entry) -> Command:
    """Import ``entry``'s module and build its command, named ``name``."""
    module_name, _, attribute = entry.target.partition(":")
    target: Any = getattr(importlib.import_module(module_name), attribute)
    command: Command
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
        command.help = entry.help
    else:
        holder = typer.Typer(add_completion=False)
        holder.command(name)(target)
        command = typer.main.get_command(holder)
        # The listing shows the same line whether or not the module was imported.
        command.short_help = entry.help
    command.name = name
    command.hidden = entry.hidden
    if entry.data_dir:
        _with_data_dir(command)
    return command


class LazyGroup(TyperGroup):
    """A root group whose sub-commands are the class's :attr:`entries` (plus any typer registered)."""

    entries: ClassVar[Mapping[str, Entry]] = {}

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.params.append(data_dir_parameter())
        # Stand-ins (a name, a line of help) until a command line needs the real command; kept in
        # `commands` so listing, ordering and typer's "did you mean" see every name.
        registered = dict(self.commands)
        self.commands = {
            name: TyperCommand(name, short_help=entry.help, hidden=entry.hidden)
            for name, entry in self.entries.items()
        }
        self.commands.update(registered)
        self._loaded: dict[str, Command] = {}
        self._listing = False

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        entry = self.entries.get(cmd_name)
        if entry is None or self._listing:
            return super().get_command(ctx, cmd_name)
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = load(cmd_name, entry)
        return self._loaded[cmd_name]

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        # The listing needs names and one-line help only: the stand-ins, no imports.
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def invoke(self, ctx: Context) -> Any:
        # The settings a command asks for (common.settings) are this command line's.
        with invocation(ctx.meta):
            return super().invoke(ctx)
