"""Corpus statistics gathered in one streaming pass: counters and 64-bit text fingerprints."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .batch import Batch, Item
from .findings import Example

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["LABEL_KINDS", "CorpusStats", "SplitStats", "normalised_entropy", "text_fingerprint"]

#: Label kinds counted per split: entity labels, fine tags, UPOS, dependency labels, categories.
LABEL_KINDS = ("ent", "tag", "pos", "dep", "cat")


def text_fingerprint(text: str) -> int:
    """A 64-bit hash of a doc's text, the same in every process (Python's ``hash`` of a str is
    salted per process, and the statistics of a corpus's parts are merged from several)."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def normalised_entropy(counts: Counter[str]) -> float:
    """Shannon entropy of a label distribution divided by its maximum (1.0 = uniform)."""
    total = sum(counts.values())
    if total == 0 or len(counts) < 2:
        return 0.0
    h = -sum((c / total) * math.log(c / total) for c in counts.values() if c)
    return h / math.log(len(counts))


@dataclass(slots=True)
class _Cats:
    docs: int = 0
    labels: Counter[str] = field(default_factory=Counter)  # docs with the label present
    positives: Counter[str] = field(default_factory=Counter)
    n_positive: Counter[int] = field(default_factory=Counter)  # docs by number of positives
    not_one: list[Example] = field(default_factory=list)  # docs with 0 or >1 positives (examples)


class SplitStats:
    """Statistics of one split (train or dev), updated batch by batch.

    Memory: a few counters, the first place each label is seen, and per doc one 64-bit hash of
    its text plus its location (20 bytes), never the texts themselves.
    """

    def __init__(self, name: str, *, max_examples: int | None = 10) -> None:
        self.name = name
        self.max_examples = max_examples
        self.files: list[str] = []
        self.n_docs = 0
        self.n_tokens = 0
        self.n_sents = 0
        self.n_empty = 0
        self.n_unknown_spaces = 0
        self.n_parsed_docs = 0
        self.n_parsed_sents = 0
        self.n_nonproj_sents = 0
        self.n_ner_docs = 0
        self.n_ents = 0
        self.n_missing_ner = 0
        self.labels: dict[str, Counter[str]] = {k: Counter() for k in LABEL_KINDS}
        self.ent_label_docs: Counter[str] = Counter()
        self.root_labels: Counter[str] = Counter()
        self.first: dict[str, dict[str, Example]] = {k: {} for k in LABEL_KINDS}
        self.cats = _Cats()
        self.labels["cat"] = self.cats.positives
        self._hashes: list[Any] = []
        self._locs: list[Any] = []
        self._file_index: dict[str, int] = {}
        # (file read, the doc's source when another file: a .spacy file's doc) of stored locations
        self._places: list[tuple[str, str | None]] = []
        self._place_index: dict[tuple[str, str | None], int] = {}
        self._cache: tuple[Any, Any] | None = None

    # -- updating -------------------------------------------------------------------------
    def add_file(self, path: str) -> None:
        if path not in self._file_index:
            self._file_index[path] = len(self.files)
            self.files.append(path)

    def add_batch(self, batch: Batch) -> None:
        import numpy as np

        hashes: list[int] = []
        locs: list[tuple[int, int, int]] = []
        labels = self.labels
        for _k, item in enumerate(batch.items):
            doc = item.doc
            n = len(doc.words)
            self.n_docs += 1
            self.n_tokens += n
            if n == 0:
                self.n_empty += 1
                continue
            if doc.has_unknown_spaces:
                self.n_unknown_spaces += 1
            hashes.append(text_fingerprint(item.text))
            place = (item.file, doc.source if doc.source != item.file else None)
            fid = self._place_index.get(place)
            if fid is None:
                fid = self._place_index[place] = len(self._places)
                self._places.append(place)
            locs.append((fid, item.index, doc.lines[0] if doc.lines else -1))
            if doc.tags is not None:
                self._count(labels["tag"], "tag", doc.tags, item)
            if doc.pos is not None:
                self._count(labels["pos"], "pos", doc.pos, item)
            if doc.deps is not None:
                self._count(labels["dep"], "dep", doc.deps, item)
            if doc.heads is not None:
                self.n_parsed_docs += 1
            if doc.ents is not None:
                self._add_ents(item)
            if doc.cats:
                self._add_cats(item)
        self.n_sents += batch.n_sents
        parse = batch.parse
        self.n_parsed_sents += parse.n_sents
        self.n_nonproj_sents += len(parse.nonproj)
        self.root_labels.update(parse.root_labels)
        if hashes:
            self._hashes.append(np.array(hashes, dtype=np.int64))
            self._locs.append(np.array(locs, dtype=np.int32).reshape(-1, 3))
            self._cache = None

    def add_counts(self, batch: Batch) -> None:
        """Only the doc and token counts (what ``corpuskit check`` reports)."""
        for item in batch.items:
            n = len(item.doc.words)
            self.n_docs += 1
            self.n_tokens += n
            self.n_empty += n == 0

    def _count(self, counter: Counter[str], kind: str, values: list[Any], item: Item) -> None:
        before = len(counter)
        counter.update(values)
        if len(counter) != before:
            first = self.first[kind]
            for label in set(values):
                if label is not None and label not in first:
                    first[label] = item.example(values.index(label), message=f"first {label!r}")

    def _add_ents(self, item: Item) -> None:
        doc = item.doc
        assert doc.ents is not None
        self.n_ner_docs += 1
        self.n_ents += len(doc.ents)
        if doc.ents_missing is not None:
            self.n_missing_ner += sum(doc.ents_missing)
        if not doc.ents:
            return
        seen = set()
        counter = self.labels["ent"]
        first = self.first["ent"]
        for span in doc.ents:
            label = span.label
            counter[label] += 1
            seen.add(label)
            if label not in first:
                first[label] = item.example(span.start, span.end, f"first {label!r} entity")
        self.ent_label_docs.update(seen)

    def _add_cats(self, item: Item) -> None:
        cats = self.cats
        cats.docs += 1
        n_pos = 0
        first = self.first["cat"]
        for label, value in item.doc.cats.items():
            cats.labels[label] += 1
            if value == 1.0:
                n_pos += 1
                cats.positives[label] += 1
            if label not in first:
                first[label] = item.example(None, message=f"first category {label!r}")
        cats.n_positive[n_pos] += 1
        if n_pos != 1 and (self.max_examples is None or len(cats.not_one) < self.max_examples):
            cats.not_one.append(item.example(None, message=f"{n_pos} positive categories"))

    # -- results --------------------------------------------------------------------------
    def fingerprints(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
        """Per non-empty doc: the 64-bit hash of its text, and (file id, doc index, line)."""
        import numpy as np

        if self._cache is None:
            if self._hashes:
                self._cache = (np.concatenate(self._hashes), np.concatenate(self._locs))
            else:
                self._cache = (np.zeros(0, dtype=np.int64), np.zeros((0, 3), dtype=np.int32))
        return self._cache

    def location(self, loc: Any) -> Example:
        """An example for a doc from its stored (file id, doc index, line)."""
        fid, index, line = (int(x) for x in loc)
        file, source = self._places[fid]
        at = None if line < 0 else line
        if source is not None:  # a .spacy file's doc: the line is its source's
            return Example(file, None, index, source=source, source_line=at)
        return Example(file, at, index)

    def label_counts(self, kind: str) -> Counter[str]:
        """Counts of the labels of ``kind`` (missing values excluded)."""
        c = Counter({k: v for k, v in self.labels[kind].items() if k is not None})
        return c

    def to_dict(self) -> dict[str, Any]:
        """The ``stats`` part of the JSON report for this split."""
        labels = {k: dict(self.label_counts(k).most_common()) for k in LABEL_KINDS}
        return {
            "files": len(self.files),
            "docs": self.n_docs,
            "tokens": self.n_tokens,
            "sentences": self.n_sents,
            "empty_docs": self.n_empty,
            "unknown_spaces_docs": self.n_unknown_spaces,
            "parsed_docs": self.n_parsed_docs,
            "parsed_sentences": self.n_parsed_sents,
            "nonprojective_sentences": self.n_nonproj_sents,
            "ner_docs": self.n_ner_docs,
            "entities": self.n_ents,
            "missing_ner_tokens": self.n_missing_ner,
            "cat_docs": self.cats.docs,
            "root_labels": dict(self.root_labels.most_common()),
            "labels": labels,
            "tag_entropy": round(normalised_entropy(self.label_counts("tag")), 4),
            "pos_entropy": round(normalised_entropy(self.label_counts("pos")), 4),
        }


@dataclass(slots=True)
class CorpusStats:
    """The statistics of the training split and, when given, the development split."""

    train: SplitStats
    dev: SplitStats | None = None

    def splits(self) -> list[SplitStats]:
        return [self.train] if self.dev is None else [self.train, self.dev]

    def to_dict(self) -> dict[str, Any]:
        return {s.name: s.to_dict() for s in self.splits()}
