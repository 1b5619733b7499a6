"""The corpus find-errors works on: every doc with its file and index, and a flat token table."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..corpus import iter_corpus_files, read_file
from ..doc import Doc
from .suspect import Suspect

__all__ = ["LoadedDoc", "TokenTable", "load_corpora"]


@dataclass(slots=True)
class LoadedDoc:
    """A doc, the file it came from and its index in that file (the Suspect's ``doc``)."""

    file: str
    index: int
    doc: Doc

    def line(self, token: int) -> int | None:
        lines = self.doc.lines
        return lines[token] if lines is not None and token < len(lines) else None

    def suspect(self, start: int, end: int, layer: str, **fields: Any) -> Suspect:
        """A suspect over tokens ``start:end`` of this doc: its place (file, line, doc, span, text)
        filled in; ``fields`` are the rest (current, suggested, score, method, evidence)."""
        return Suspect(
            file=self.file,
            line=self.line(start),
            doc=self.index,
            start=start,
            end=end,
            text=" ".join(self.doc.words[start:end]),
            layer=layer,
            **fields,
        )


def load_corpora(paths: Iterable[str | Path], *, converter: str = "auto") -> list[LoadedDoc]:
    """Read every corpus (file or directory) into :class:`LoadedDoc` s, files in the order given."""
    out: list[LoadedDoc] = []
    for path in paths:
        for file, name, _reason in iter_corpus_files(path, converter=converter):
            for i, doc in enumerate(read_file(file, name)):
                out.append(LoadedDoc(str(file), i, doc))
    return out


@dataclass(slots=True)
class TokenTable:
    """All tokens of a corpus in one stream, sentences separated by a sentinel (word id -1).

    ``words[k]`` is a word id (equal words, equal ids), ``doc_of[k]``/``tok_of[k]`` say which
    doc and token position ``k`` is (-1 at sentinels), ``left[k]``/``right[k]`` how many words
    of the same sentence are before/after it.
    """

    words: npt.NDArray[np.int64]
    doc_of: npt.NDArray[np.int64]
    tok_of: npt.NDArray[np.int64]
    left: npt.NDArray[np.int64]
    right: npt.NDArray[np.int64]
    doc_pos: list[npt.NDArray[np.int64]]
    vocab: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, docs: list[LoadedDoc]) -> TokenTable:
        vocab: dict[str, int] = {}
        ids: list[int] = []
        doc_of: list[int] = []
        tok_of: list[int] = []
        left: list[int] = []
        right: list[int] = []
        doc_pos: list[npt.NDArray[np.int64]] = []
        intern = vocab.setdefault
        for d, ld in enumerate(docs):
            words = ld.doc.words
            bounds = ld.doc.sentence_bounds() if ld.doc.heads is not None or ld.doc.sent_starts else None
            if not bounds:
                bounds = [(0, len(words))] if words else []
            first = len(ids) + 1
            for s, e in bounds:
                n = e - s
                ids.append(-1)
                doc_of.append(-1)
                tok_of.append(-1)
                left.append(-1)
                right.append(-1)
                ids.extend([intern(w, len(vocab)) for w in words[s:e]])
                doc_of.extend([d] * n)
                tok_of.extend(range(s, e))
                left.extend(range(n))
                right.extend(range(n - 1, -1, -1))
            n_doc = len(words)
            if len(bounds) == 1:
                doc_pos.append(np.arange(first, first + n_doc, dtype=np.int64))
            else:
                tok = np.asarray(tok_of[first - 1 :], dtype=np.int64)
                doc_pos.append(np.flatnonzero(tok >= 0) + first - 1)
        ids.append(-1)
        doc_of.append(-1)
        tok_of.append(-1)
        left.append(-1)
        right.append(-1)
        return cls(
            np.asarray(ids, dtype=np.int64),
            np.asarray(doc_of, dtype=np.int64),
            np.asarray(tok_of, dtype=np.int64),
            np.asarray(left, dtype=np.int64),
            np.asarray(right, dtype=np.int64),
            doc_pos,
            list(vocab),
        )

    def __len__(self) -> int:
        return len(self.words)
