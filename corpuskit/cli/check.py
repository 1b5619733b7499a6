"""``corpuskit check FILE...``: the per-file checks, one ``file:line:col: id message`` per line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..console import quote_path
from .ray_options import RayCommand, check_ray_options, ray_options

__all__ = ["check_cli"]


@click.command("check", cls=RayCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("files", nargs=-1, metavar="FILE...")
@click.option("--converter", "-c", default="auto", show_default=True, help="Input format of the files.")
@click.option("--encoding", default="utf-8", show_default=True)
@click.option("--ignore", multiple=True, metavar="ID", help="A check id not to run (repeatable).")
@click.option("--no-warnings", "-NW", is_flag=True, help="Print errors only.")
@click.option("--infos", is_flag=True, help="Also print info findings (non-projective sentences...).")
@click.option("--lang", help="Also run misaligned-tokens with this language's reference tokenizer.")
@click.option(
    "--strict", is_flag=True, help="Exit 1 on warnings too (UD forbids the tolerances they report)."
)
@ray_options
def check_cli(
    files: tuple[str, ...],
    converter: str,
    encoding: str,
    ignore: tuple[str, ...],
    no_warnings: bool,
    infos: bool,
    lang: str | None,
    strict: bool,
    ray_address: str | None,
    workers: int | None,
) -> None:
    """Check corpus files (the pre-commit hook): exit 1 when any error is found (with --strict:
    any error or warning), 2 on misuse."""
    from ..debug import Options, check_files
    from ..debug.registry import CHECKS
    from ..debug.report import render_check_lines

    if not files:
        raise click.UsageError("no input: give the corpus files to check")
    for f in files:
        if not Path(f).exists():
            raise click.UsageError(f"{quote_path(f)}: no such file or directory")
    unknown = [i for i in ignore if i not in CHECKS]
    if unknown:
        raise click.UsageError(f"unknown check id(s) for --ignore: {', '.join(unknown)}")
    options = Options(
        max_examples=None, lang=lang, ignore=frozenset(ignore), converter=converter, encoding=encoding
    )
    ray_address = check_ray_options(ray_address, workers)
    if ray_address is not None:
        from ..distributed import check_files_ray

        report = check_files_ray(files, options=options, ray=ray_address, workers=workers)
    else:
        report = check_files(files, options=options)
    from ..console import Console

    lines = render_check_lines(report, no_warnings=no_warnings, infos=infos, console=Console.for_stream())
    if lines:
        click.echo("\n".join(lines))
    sys.exit(1 if report.errors or (strict and report.warnings) else 0)
