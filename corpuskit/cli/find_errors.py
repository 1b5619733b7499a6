"""``corpuskit find-errors``: a ranked review queue of the annotations most likely to be wrong."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ..errors import UsageError
from .ray_options import RayCommand, check_ray_options, ray_options

__all__ = ["find_errors_cli"]

# One BLAS thread unless the user says otherwise (as `corpuskit train`): the fold models are small.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

_EXPORTS = ("doccano", "labelstudio", "prodigy")


def _say(message: str) -> None:
    if sys.stderr.isatty():
        click.echo(f"find-errors: {message}", err=True)


@click.command("find-errors", cls=RayCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("corpora", nargs=-1, required=True, metavar="CORPUS...")
@click.option("--model", "-m", type=click.Path(file_okay=False), help="Score with this trained model.")
@click.option(
    "--folds", "-k", type=click.IntRange(2), default=5, show_default=True, help="Cross-validation folds."
)
@click.option("--epochs", type=click.IntRange(1), default=8, show_default=True, help="Epochs per fold model.")
@click.option("--method", type=click.Choice(["ngram", "model", "all"]), default="all", show_default=True)
@click.option(
    "--by",
    type=click.Choice(["span", "sentence"]),
    default="span",
    show_default=True,
    help="Rank suspect spans, or whole sentences (each with its suspects).",
)
@click.option("--top", "-n", type=click.IntRange(0), default=None, help="Show the N most suspect only.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "jsonl", "html"]),
    default="text",
    show_default=True,
    help="html: a review page (accept / reject / edit, saved as JSONL for apply-fixes).",
)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the queue here, not stdout.")
@click.option("--export", type=click.Choice(_EXPORTS), help="Also write the queue as that tool's tasks.")
@click.option("--export-output", type=click.Path(dir_okay=False), help="Where --export writes (a .jsonl).")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), help="Fold-model cache.")
@click.option("--converter", "-c", default="auto", show_default=True, help="Input format of text corpora.")
@ray_options
def find_errors_cli(
    corpora: tuple[str, ...],
    model: str | None,
    folds: int,
    epochs: int,
    method: str,
    by: str,
    top: int | None,
    fmt: str,
    output: str | None,
    export: str | None,
    export_output: str | None,
    cache_dir: Path | None,
    converter: str,
    ray_address: str | None,
    workers: int | None,
) -> None:
    """Rank the annotations of CORPUS most likely to be wrong, most suspect first.

    CORPUS is anything `convert` reads (files, directories, .spacy). Without --model, K models
    are cross-validated on the corpus (cached; see docs/find-errors.md).
    """
    from ..finderrors.model import FoldSettings
    from ..finderrors.queue import find_errors, render_json, render_jsonl, render_sentences, render_text
    from ..io import atomic_open

    for path in corpora:
        if not Path(path).exists():
            raise UsageError(f"{path}: no such file or directory")
    if model is not None and method == "ngram":
        raise UsageError("--model scores with a model: use --method model or all")
    ray_address = check_ray_options(ray_address, workers)
    if fmt == "html" and not output:
        raise UsageError("--format html writes a page: give --output FILE.html")
    queue = find_errors(
        corpora,
        method=method,
        model=model,
        settings=FoldSettings(folds=folds, epochs=epochs),
        cache_dir=cache_dir,
        converter=converter,
        progress=_say,
        ray=ray_address,
        workers=workers,
    )
    shown = queue.suspects[:top] if top else queue.suspects
    sentences = queue.sentences() if by == "sentence" else None
    if sentences is not None:  # the suspects of the sentences shown, in the sentences' order
        shown = [s for sent in (sentences[:top] if top else sentences) for s in sent.suspects]
    if fmt == "html":
        from ..html.review import render_review

        text = render_review(shown, {(ld.file, ld.index): ld.doc for ld in queue.docs})
    elif sentences is not None:
        text = render_sentences(sentences, fmt, top=top)
    else:
        render = {"text": render_text, "json": render_json, "jsonl": render_jsonl}[fmt]
        text = render(queue, top=top)
    if fmt == "text":
        text += "\n"
    if output:
        with atomic_open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        click.echo(text, nl=False)
    if export:
        from ..finderrors.review import export_queue

        suffix = ".json" if export == "labelstudio" else ".jsonl"  # Label Studio imports a JSON array
        target = export_output or f"find-errors.{export}{suffix}"
        export_queue(shown, queue.docs_by_file(), export, target)
        click.echo(f"Wrote {len(shown)} task(s) for {export} to {target}", err=True)
