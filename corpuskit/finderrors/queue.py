"""The review queue: read the corpora, run the methods, rank; and the queue as text or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..debug.batch import snippet
from ..doc import Doc
from ..errors import UsageError
from .corpus import LoadedDoc, TokenTable, load_corpora
from .model import DocProbs, FoldSettings, cross_validate, score_with_model
from .ngram import find_variation
from .score import combine, model_suspects
from .sentences import SentenceEvidence, SentenceScore, rank_sentences, sentence_evidence
from .suspect import Suspect

__all__ = [
    "METHODS",
    "Queue",
    "find_errors",
    "render_json",
    "render_jsonl",
    "render_sentences",
    "render_text",
]

METHODS = ("ngram", "model", "all")


@dataclass(slots=True)
class Queue:
    """The ranked suspects, the docs they point into and the model's probabilities (if used)."""

    suspects: list[Suspect]
    docs: list[LoadedDoc]
    probs: list[DocProbs] | None = None
    evidence: list[list[SentenceEvidence]] | None = None

    def sentences(self) -> list[SentenceScore]:
        """Every sentence, most likely wrong first, with its suspects
        (:mod:`corpuskit.finderrors.sentences`)."""
        evidence = self.evidence or sentence_evidence(self.docs, None, [])
        return rank_sentences(self.docs, self.suspects, evidence)

    def docs_by_file(self) -> dict[str, list[Doc]]:
        """Each file's docs in file order (a Suspect's ``doc`` indexes its file's list)."""
        out: dict[str, list[Doc]] = {}
        for ld in self.docs:
            out.setdefault(ld.file, []).append(ld.doc)
        return out


def find_errors(
    corpora: Iterable[str | Path],
    *,
    method: str = "all",
    model: str | Path | None = None,
    settings: FoldSettings | None = None,
    cache_dir: Path | None = None,
    converter: str = "auto",
    progress: Callable[[str], None] | None = None,
    docs: list[LoadedDoc] | None = None,
    ray: str | bool | None = None,
    workers: int | None = None,
) -> Queue:
    """Rank the suspect annotations of ``corpora``, most suspect first.

    ``method``: ``ngram`` (variation n-grams), ``model`` (out-of-fold probabilities of K models
    trained here, or of ``model`` when given) or ``all`` (both, one ranking). ``ray``/``workers``:
    train the K fold models as Ray tasks (see :func:`corpuskit.distributed.map_tasks`).
    """
    if method not in METHODS:
        raise UsageError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if docs is None:
        docs = load_corpora(corpora, converter=converter)
    if not docs:
        raise UsageError("no docs in the corpus")
    ngram: list[Suspect] = []
    if method in ("ngram", "all"):
        ngram = find_variation(docs, table=TokenTable.build(docs))
        if method == "ngram":
            return Queue(_with_sources(ngram, docs), docs, None, sentence_evidence(docs, None, ngram))
    if model is not None:
        probs = score_with_model(model, docs)
    else:
        probs = cross_validate(
            docs, settings, cache_dir=cache_dir, progress=progress, ray=ray, workers=workers
        )
    evidence = sentence_evidence(docs, probs, ngram)  # before combine, which rescores the n-grams
    suspects = combine(docs, model_suspects(docs, probs), ngram, probs)
    return Queue(_with_sources(suspects, docs), docs, probs, evidence)


def _with_sources(suspects: list[Suspect], docs: list[LoadedDoc]) -> list[Suspect]:
    """A doc read from a DocBin keeps the file it was converted from: its ``line`` is a line of
    that file, which ``evidence["source"]`` names (``file`` stays the file read, as ``doc``)."""
    source = {(ld.file, ld.index): ld.doc.source for ld in docs}
    for s in suspects:
        src = source.get((s.file, s.doc))
        if src and src != s.file:
            s.evidence["source"] = src
    return suspects


# -- rendering ------------------------------------------------------------------------------------


def _text_of(queue: Queue) -> dict[tuple[str, int], list[str]]:
    return {(ld.file, ld.index): ld.doc.words for ld in queue.docs}


def _fmt_label(value: str | None) -> str:
    return "-" if value is None else value


def render_text(queue: Queue, *, top: int | None = None) -> str:
    """A table: rank, score, where, layer, current -> suggested, method; the sentence under it."""
    words = _text_of(queue)
    shown = queue.suspects[:top] if top else queue.suspects
    lines = [f"{len(queue.suspects)} suspect annotation(s)" + (f"; the top {len(shown)}:" if top else ":")]
    if shown:
        lines.append(
            f"{'#':>4}  {'score':>5}  {'layer':<5}  {'current -> suggested':<28}  {'method':<11}  where"
        )
    for rank, s in enumerate(shown, start=1):
        shown_file = s.evidence.get("source") or s.file
        where = f"{shown_file}:{s.line}" if s.line is not None else f"{s.file} (doc {s.doc})"
        change = f"{_fmt_label(s.current)} -> {_fmt_label(s.suggested)}"
        kind = s.evidence.get("kind")
        if kind and kind != "agrees":
            change += f" ({kind})"
        lines.append(f"{rank:>4}  {s.score:5.3f}  {s.layer:<5}  {change:<28}  {s.method:<11}  {where}")
        doc_words = words.get((s.file, s.doc))
        if doc_words is not None:
            lines.append(f"{'':>6}{snippet(doc_words, s.start, s.end)}")
    return "\n".join(lines)


def render_jsonl(queue: Queue, *, top: int | None = None) -> str:
    shown = queue.suspects[:top] if top else queue.suspects
    return "".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in shown)


def render_json(queue: Queue, *, top: int | None = None) -> str:
    shown = queue.suspects[:top] if top else queue.suspects
    return json.dumps([s.to_dict() for s in shown], ensure_ascii=False, indent=1) + "\n"


def render_sentences(sentences: list[SentenceScore], fmt: str, *, top: int | None = None) -> str:
    """The sentence ranking as ``text`` (each sentence with its suspects under it), ``json`` or
    ``jsonl`` (:meth:`SentenceScore.to_dict`)."""
    shown = sentences[:top] if top else sentences
    if fmt == "jsonl":
        return "".join(json.dumps(s.to_dict(), ensure_ascii=False) + "\n" for s in shown)
    if fmt == "json":
        return json.dumps([s.to_dict() for s in shown], ensure_ascii=False, indent=1) + "\n"
    head = f"{len(sentences)} sentence(s), most likely wrong first" + (
        f"; the top {len(shown)}:" if top else ":"
    )
    lines = [head]
    if shown:
        lines.append(f"{'#':>4}  {'score':>5}  {'suspects':>8}  where")
    for rank, sent in enumerate(shown, start=1):
        where = f"{sent.file}:{sent.line}" if sent.line is not None else f"{sent.file} (doc {sent.doc})"
        lines.append(f"{rank:>4}  {sent.score:5.3f}  {len(sent.suspects):>8}  {where}")
        lines.append(f"{'':>6}{sent.text}")
        for s in sent.suspects[:3]:
            change = f"{_fmt_label(s.current)} -> {_fmt_label(s.suggested)}"
            lines.append(f"{'':>8}{s.score:5.3f}  {s.layer:<5}  {change}  [{s.text}]")
    return "\n".join(lines)
