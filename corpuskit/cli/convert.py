"""``corpuskit convert``: turn corpus files into .spacy (or another text format), like ``spacy convert``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from ..conversion import convert_corpus
from ..corpus import SPACY_FORMAT
from ..errors import UsageError
from ..registry import converter_name
from ..transforms import load_ner_map
from .progress import ProgressBar
from .ray_options import RayCommand, check_ray_options, ray_options

__all__ = ["convert_cli"]


def _input_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


@click.command("convert", cls=RayCommand)
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.argument("output", metavar="[OUTPUT]", type=click.Path(path_type=Path), default=Path("-"))
@click.option(
    "--converter",
    "-c",
    default="auto",
    show_default=True,
    help="Input format: auto, or an installed converter (conllu, conll, iob, json, jsonl...; "
    "spaCy's names ner and conllubio work too).",
    callback=lambda _ctx, _param, value: converter_name(value),
)
@click.option(
    "--file-type",
    "-t",
    default=SPACY_FORMAT,
    show_default=True,
    help="Output format: spacy, or a text format with a writer (conllu, conll, iob, json, jsonl).",
)
@click.option(
    "--n-sents",
    "-n",
    default=1,
    show_default=True,
    type=click.IntRange(min=0),
    help="Sentences per output doc (0 or 1: no grouping).",
)
@click.option("--seg-sents", "-s", is_flag=True, help="Split sentences by rule where the input has none.")
@click.option("--merge-subtokens", "-T", is_flag=True, help="Merge CoNLL-U multiword tokens into one token.")
@click.option("--morphology", "-m", is_flag=True, help="Append the morphology to the tag (TAG__Feat=Val).")
@click.option(
    "--ner-map",
    "-nm",
    type=click.Path(path_type=Path),
    help='JSON object mapping entity labels to new ones ("" drops a label).',
)
@click.option("--concatenate", "-C", is_flag=True, help="Write one output for all input files.")
@click.option("--encoding", default="utf-8", show_default=True, help="Encoding of the text input files.")
@click.option(
    "--offset-units",
    default="auto",
    show_default=True,
    help="Offset JSONL: what span offsets count (auto, chars, utf16, utf8, crlf).",
)
@click.option(
    "--lang", "-l", default=None, help="Offset JSONL: tokenizer language for records without tokens."
)
@click.option(
    "--shard-size",
    type=click.IntRange(min=1),
    default=None,
    help="Split a .spacy output into shards of about this many tokens.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=None,
    help="Processes for a CoNLL-U file larger than one shard (default: one per CPU).",
)
@ray_options
def convert_cli(
    input_path: Path,
    output: Path,
    converter: str,
    file_type: str,
    n_sents: int,
    seg_sents: bool,
    merge_subtokens: bool,
    morphology: bool,
    ner_map: Path | None,
    concatenate: bool,
    encoding: str,
    offset_units: str,
    lang: str | None,
    shard_size: int | None,
    jobs: int | None,
    ray_address: str | None,
    workers: int | None,
) -> None:
    """Convert INPUT (a file, or a directory walked recursively) into OUTPUT (a directory, or -;
    with one input file, an OUTPUT ending in the output suffix, such as out.spacy, is the file)."""
    if ner_map is not None and ner_map.is_dir():
        raise UsageError(f"{ner_map}: is a directory; --ner-map takes a JSON file")
    ray_address = check_ray_options(ray_address, workers)
    if ray_address is not None and input_path.exists() and not concatenate and str(output) != "-":
        from ..distributed import convert_corpus_ray

        def report(r: Any) -> None:
            click.echo(f"{getattr(r, 'source', None) or input_path}: {getattr(r, 'message', r)}", err=True)

        result = convert_corpus_ray(
            input_path, output, ray=ray_address, workers=workers, converter=converter,
            file_type=file_type, n_sents=n_sents, seg_sents=seg_sents, merge_subtokens=merge_subtokens,
            morphology=morphology, ner_map=load_ner_map(ner_map) if ner_map is not None else None,
            encoding=encoding, shard_size=shard_size, offset_units=offset_units, lang=lang,
            on_report=report, **({"jobs": jobs} if jobs is not None else {}),
        )  # fmt: skip
        _summary(result)
        return
    if ray_address is not None:
        click.echo("--ray: --concatenate and - write one stream; converting it here", err=True)
    progress = ProgressBar("converting", _input_size(input_path) if input_path.exists() else 0)

    def on_file(path: Path, name: str, reason: str) -> None:
        if converter == "auto":
            click.echo(f"{path}: {reason}", err=True)

    def on_report(report: Any) -> None:
        message = getattr(report, "message", None)
        if message:
            click.echo(f"{getattr(report, 'source', None) or input_path}: {message}", err=True)

    try:
        result = convert_corpus(
            input_path,
            str(output),
            converter=converter,
            file_type=file_type,
            n_sents=n_sents,
            seg_sents=seg_sents,
            merge_subtokens=merge_subtokens,
            morphology=morphology,
            ner_map=load_ner_map(ner_map) if ner_map is not None else None,
            concatenate=concatenate,
            encoding=encoding,
            shard_size=shard_size,
            jobs=jobs,
            offset_units=offset_units,
            lang=lang,
            on_report=on_report,
            stdout=sys.stdout,
            on_file=on_file,
            on_progress=progress if progress.bar is not None else None,
        )
    finally:
        progress.close()
    _summary(result)


def _summary(result: Any) -> None:
    for path, why in result.skipped:
        click.echo(f"{path}: skipped: {why}", err=True)
    for path, what in result.notes:  # e.g. a symlink followed inside INPUT
        click.echo(f"{path}: {what}", err=True)
    for cf in result.files:
        for p in cf.paths:
            click.echo(f"wrote {p}", err=True)
    totals = f"{result.n_docs} docs, {result.n_sents} sentences, {result.n_tokens} tokens"
    click.echo(f"{totals} written", err=True)
