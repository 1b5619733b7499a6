"""``corpuskit apply-fixes CORPUS... REVIEWED --output DIR``: the reviewed queue applied to a copy."""

from __future__ import annotations

import sys
from pathlib import Path

import click

__all__ = ["apply_fixes_cli"]


@click.command("apply-fixes", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, metavar="CORPUS... REVIEWED")
@click.option("--output", "-o", required=True, type=click.Path(file_okay=False), help="Folder for the copy.")
@click.option("--converter", "-c", default="auto", show_default=True, help="Input format of the corpus.")
@click.option("--encoding", default="utf-8", show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="No diff, only the summary.")
def apply_fixes_cli(paths: tuple[str, ...], output: str, converter: str, encoding: str, quiet: bool) -> None:
    """Write a corrected copy of CORPUS with the decisions of REVIEWED applied, and print the diff.

    REVIEWED is a doccano, Label Studio or Prodigy export of `find-errors --export` tasks, or the
    JSONL of decisions of the review page. Items that no longer match the corpus are refused
    (listed on stderr; exit 1); the others are applied. Exit 2 on bad input.
    """
    from ..finderrors.review import apply_fixes

    if len(paths) < 2:
        raise click.UsageError("expected CORPUS... REVIEWED: the corpus and the reviewed file")
    for p in paths:
        if not Path(p).exists():
            raise click.UsageError(f"{p}: no such file or directory")
    *corpus, reviewed = paths
    result = apply_fixes(corpus, reviewed, output, converter=converter, encoding=encoding)
    if not quiet:
        for f in result.files:
            if f.diff:
                click.echo("".join(f.diff), nl=False)
    for line in result.refused:
        click.echo(line, err=True)
    changed = sum(1 for f in result.files if f.diff)
    click.echo(
        f"apply-fixes: {len(result.applied)} applied, {result.unchanged} unchanged (rejected), "
        f"{len(result.refused)} refused, {result.undecided} undecided; {changed} of {len(result.files)} "
        f"files changed, written to {output}",
        err=True,
    )
    sys.exit(1 if result.refused else 0)
