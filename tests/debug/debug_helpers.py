"""Helpers for the debug-data tests: real fixture docs, edits that inject one fault each."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from corpuskit.corpus import read_file
from corpuskit.debug import Options, Report, check_files, debug_corpus
from corpuskit.doc import Doc
from corpuskit.docbin import DocBin

DEBUG = Path(__file__).resolve().parents[2] / "fixtures" / "debug"
EWT = DEBUG / "ewt_dev.conllu"
WNUT = DEBUG / "wnut17_dev.conll"


def ewt_docs() -> list[Doc]:
    return list(read_file(EWT, "conllu"))


def wnut_docs() -> list[Doc]:
    return list(read_file(WNUT, "conll"))


def edit(doc: Doc, **changes: Any) -> Doc:
    """A copy of ``doc`` with some fields replaced (lists are copied, so edits stay local)."""
    fields = {f.name: getattr(doc, f.name) for f in dataclasses.fields(doc)}
    for name, value in fields.items():
        if isinstance(value, list):
            fields[name] = list(value)
        elif isinstance(value, dict):
            fields[name] = dict(value)
    fields.update(changes)
    return Doc(**fields)


def write_spacy(path: Path, docs: Iterable[Doc]) -> Path:
    DocBin(docs=docs).to_disk(path)
    return path


_BY_SUFFIX = {".conllu": "conllu", ".conll": "conll"}


def _converter(paths: Iterable[Path]) -> str:
    """The converter of the text files among ``paths`` (.spacy files are detected anyway)."""
    names = {_BY_SUFFIX[p.suffix] for p in paths if p.suffix in _BY_SUFFIX}
    return names.pop() if len(names) == 1 else "auto"


def run(train: Path, dev: Path | None = None, **options: Any) -> Report:
    options.setdefault("max_examples", None)
    options.setdefault("converter", _converter([train, *([dev] if dev else [])]))
    return debug_corpus(train, dev, options=Options(**options))


def check(*paths: Path, **options: Any) -> Report:
    options.setdefault("max_examples", None)
    options.setdefault("converter", _converter(paths))
    return check_files(paths, options=Options(**options))


def places(report: Report, check_id: str) -> list[tuple[str, int | None]]:
    """``(file name, line)`` of every example of ``check_id``: where the doc came from, so for
    a .spacy file's doc the source file and line it was converted from (kept alongside)."""
    finding = report.get(check_id)
    if finding is None:
        return []
    return [
        (Path(e.source).name, e.source_line) if e.source else (Path(e.file).name if e.file else "", e.line)
        for e in finding.examples
    ]


def count(report: Report, check_id: str) -> int:
    finding = report.get(check_id)
    return 0 if finding is None else finding.count
