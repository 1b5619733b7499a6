"""``corpuskit debug-data``: every check of the catalogue on a corpus, as text, JSON, SARIF or HTML."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from ..console import quote_path
from ..debug.options import Options as _Options
from ..registry import converter_name
from .progress import ProgressBar
from .ray_options import RayCommand, check_ray_options, ray_options

__all__ = ["debug_data_cli", "debug_group"]

_LANG = re.compile(r"^[a-z]{2,3}([_-][A-Za-z]+)?$")


def _from_config(args: list[str], lang: str | None) -> tuple[list[str], str | None]:
    """spaCy's form ``CONFIG --paths.train T --paths.dev D`` (any ``--section.key`` override):
    the corpora and language of the config (corpuskit's or spaCy's), found by its content."""
    from ..train.config import is_config_file, parse_overrides, read_config

    positional = [a for i, a in enumerate(args) if not a.startswith("--") and not _is_value(args, i)]
    overrides = parse_overrides([a for i, a in enumerate(args) if a.startswith("--") or _is_value(args, i)])
    if len(positional) != 1 or not is_config_file(positional[0]):
        if overrides:
            raise click.UsageError(
                f"{' '.join(a for a in args if a.startswith('--'))}: overrides go with a CONFIG "
                "(debug-data CONFIG --paths.train T --paths.dev D)"
            )
        return args, lang
    cfg, _ = read_config(positional[0], overrides=overrides)
    paths = [str(p) for p in (cfg["paths"].get("train"), cfg["paths"].get("dev")) if p]
    if not paths:
        raise click.UsageError(f"{positional[0]}: no corpus; give --paths.train T [--paths.dev D]")
    return paths, lang or cfg["nlp"].get("lang")


def _is_value(args: list[str], i: int) -> bool:
    """Whether ``args[i]`` is the value of a ``--section.key`` override before it."""
    prev = args[i - 1] if i else ""
    return prev.startswith("--") and "." in prev and "=" not in prev and not args[i].startswith("--")


def _split_paths(paths: tuple[str, ...], lang: str | None) -> tuple[str, str | None, str | None]:
    """TRAIN [DEV], the older form LANG TRAIN [DEV], or spaCy's CONFIG --paths.train T ..."""
    args, lang = _from_config(list(paths), lang)
    if args and not Path(args[0]).exists() and _LANG.match(args[0]) and len(args) >= 2:
        lang = lang or args.pop(0)
    if not args:
        raise click.UsageError("no input: give a training corpus (TRAIN [DEV])")
    if len(args) > 2:
        raise click.UsageError(f"expected TRAIN [DEV], got {len(args)} paths: {' '.join(args)}")
    for p in args:
        if not Path(p).exists():
            raise click.UsageError(f"{quote_path(p)}: no such file or directory")
    return args[0], (args[1] if len(args) > 1 else None), lang


#: The thresholds' defaults: the options object's own, never written twice.
_DEFAULTS = _Options()


@click.command(
    "debug-data",
    cls=RayCommand,
    context_settings={"help_option_names": ["-h", "--help"], "ignore_unknown_options": True},
)
@click.argument("paths", nargs=-1, metavar="TRAIN [DEV] | CONFIG --paths.train T --paths.dev D")
@click.option("--verbose", "-V", is_flag=True, help="More examples per finding and the label counts.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "sarif", "html"]), default="text", show_default=True
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report here, not stdout.")
@click.option("--ignore", multiple=True, metavar="ID", help="A check id not to run (repeatable).")
@click.option("--no-warnings", "-NW", is_flag=True, help="Show errors only (the exit code is unchanged).")
@click.option("--lang", help="Reference tokenizer language for misaligned-tokens (e.g. en).")
@click.option(
    "--converter",
    "-c",
    default="auto",
    show_default=True,
    help="Input format of text corpora.",
    callback=lambda _ctx, _param, value: converter_name(value),
)
@click.option("--encoding", default="utf-8", show_default=True)
@click.option("--max-examples", type=click.IntRange(0), default=None, help="Examples kept per check.")
@click.option(
    "--min-docs",
    type=click.IntRange(0),
    default=_DEFAULTS.min_docs,
    show_default=True,
    help="few-docs error below.",
)
@click.option(
    "--warn-docs",
    type=click.IntRange(0),
    default=_DEFAULTS.warn_docs,
    show_default=True,
    help="few-docs warning below.",
)
@click.option(
    "--low-count-label", type=click.IntRange(0), default=_DEFAULTS.low_count_label, show_default=True
)
@click.option(
    "--low-count-dep-label", type=click.IntRange(0), default=_DEFAULTS.low_count_dep_label, show_default=True
)
@click.option(
    "--max-sentence-tokens", type=click.IntRange(1), default=_DEFAULTS.max_sentence_tokens, show_default=True
)
@click.option(
    "--exclusive-cats/--multilabel-cats", default=None, help="Categories are exclusive (default: inferred)."
)
@ray_options
def debug_data_cli(
    paths: tuple[str, ...],
    verbose: bool,
    fmt: str,
    output: str | None,
    ignore: tuple[str, ...],
    no_warnings: bool,
    lang: str | None,
    converter: str,
    encoding: str,
    max_examples: int | None,
    min_docs: int,
    warn_docs: int,
    low_count_label: int,
    low_count_dep_label: int,
    max_sentence_tokens: int,
    exclusive_cats: bool | None,
    ray_address: str | None,
    workers: int | None,
) -> None:
    """Find what is wrong with a corpus before training on it.

    TRAIN and DEV are .spacy files, text corpora in any format `convert` reads, or directories.
    Exit status: 0 no errors, 1 errors found, 2 misuse. (`debug-data LANG TRAIN DEV` works too.)
    """
    from ..debug import Options, debug_corpus
    from ..debug.registry import CHECKS
    from ..debug.report import render
    from ..io import atomic_open

    train, dev, lang = _split_paths(paths, lang)
    ray_address = check_ray_options(ray_address, workers)
    unknown = [i for i in ignore if i not in CHECKS]
    if unknown:
        raise click.UsageError(f"unknown check id(s) for --ignore: {', '.join(unknown)}")
    options = Options(
        min_docs=min_docs,
        warn_docs=warn_docs,
        low_count_label=low_count_label,
        low_count_dep_label=low_count_dep_label,
        max_sentence_tokens=max_sentence_tokens,
        max_examples=max_examples
        if max_examples is not None
        else (20 if verbose else _DEFAULTS.max_examples),
        lang=lang,
        exclusive_cats=exclusive_cats,
        ignore=frozenset(ignore),
        converter=converter,
        encoding=encoding,
    )
    with ProgressBar("checking") as progress:
        if ray_address is not None:  # each file a Ray task, the statistics merged here
            from ..debug.merge import debug_corpus_ray

            report = debug_corpus_ray(
                train, dev, options=options, ray=ray_address, workers=workers,
                on_progress=progress if progress.tty else None,
            )  # fmt: skip
        else:
            report = debug_corpus(train, dev, options=options, on_progress=progress if progress.tty else None)
    if fmt == "html":  # a page with charts and the examples drawn: docs/report.md
        from ..html.debug_page import collect_page_data, render_debug_html

        data = collect_page_data(report, train, dev, options=options)
        text = render_debug_html(report, data, options=options, no_warnings=no_warnings)
    else:
        from ..console import Console

        console = Console() if output else Console.for_stream()
        text = render(
            report, fmt, verbose=verbose, no_warnings=no_warnings, console=console, encoding=encoding
        )
    if output:
        with atomic_open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)
    sys.exit(1 if report.errors else 0)


@click.group("debug")
def debug_group() -> None:
    """spaCy v3's spelling: `corpuskit debug data` is `corpuskit debug-data`."""


debug_group.add_command(debug_data_cli, name="data")
