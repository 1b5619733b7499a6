"""The ``corpuskit`` command: a thin click layer over the library. Only this package prints."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from .. import __version__
from ..errors import CorpusError

__all__ = ["cli", "main"]

# command name -> "module:attribute"; modules load only when their command runs.
_COMMANDS = {
    "convert": "corpuskit.cli.convert:convert_cli",
    "debug-data": "corpuskit.cli.debug_data:debug_data_cli",
    "check": "corpuskit.cli.check:check_cli",
    "init-config": "corpuskit.cli.train:init_config_cli",
    "train": "corpuskit.cli.train:train_cli",
    "evaluate": "corpuskit.cli.train:evaluate_cli",
    "find-errors": "corpuskit.cli.find_errors:find_errors_cli",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        cmd = getattr(importlib.import_module(module), attr)
        assert isinstance(cmd, click.Command)
        return cmd

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CorpusError as e:
            click.echo(f"corpuskit: error: {e}", err=True)
            ctx.exit(2)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="corpuskit")
def cli() -> None:
    """Convert, check and train on annotated NLP corpora (spaCy's .spacy format)."""


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="corpuskit")
    except KeyboardInterrupt:
        click.echo("corpuskit: interrupted", err=True)
        sys.exit(130)
