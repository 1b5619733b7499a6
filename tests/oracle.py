"""spaCy as the test oracle: build spaCy Docs from corpuskit Docs and back, and compare them.

Import it from any test as ``from oracle import ...`` (``tests/`` is on ``sys.path`` because
``tests/conftest.py`` lives there). spaCy is a test-only dependency; nothing in ``corpuskit``
imports it.

- :func:`to_spacy` builds a spaCy Doc from a corpuskit Doc with spaCy's own string store and
  morphology (an independent path from corpuskit's hashing).
- :func:`from_spacy` reads a spaCy Doc's annotation into a corpuskit Doc.
- :func:`assert_same_annotations` compares two lists of spaCy Docs annotation by annotation and
  names the first differing doc, token and attribute.
- :func:`spacy_docs_from_file` reads a ``.spacy`` file (or every ``.spacy`` file below a
  directory) with spaCy's own DocBin and a blank Vocab.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from spacy.attrs import DEP, ENT_IOB, HEAD, LEMMA, MORPH, NORM, POS, SENT_START, TAG
from spacy.tokens import Doc as SDoc
from spacy.tokens import DocBin as SDocBin
from spacy.vocab import Vocab

from corpuskit.doc import PROVENANCE_KEY, Doc, Span, lines_from_runs

__all__ = [
    "ANNOTATIONS",
    "annotations_of",
    "assert_same_annotations",
    "from_spacy",
    "spacy_docs_from_file",
    "to_spacy",
]

#: The per-token annotations compared by :func:`assert_same_annotations`.
ANNOTATIONS = (
    "text",
    "whitespace",
    "tag",
    "pos",
    "morph",
    "lemma",
    "head",
    "dep",
    "ent_iob",
    "ent_type",
    "sent_start",
)


def to_spacy(doc: Doc, vocab: Vocab) -> SDoc:
    """A spaCy Doc carrying every annotation of ``doc`` (None stays unset in spaCy too): the
    package's own ``Doc.to_spacy`` (spaCy's string store and morphology, not corpuskit's hashing)."""
    sdoc: SDoc = doc.to_spacy(vocab)
    return sdoc


def _signed(values: np.ndarray) -> list[int]:
    return [int(v) for v in values.astype(np.uint64).view(np.int64)]


def from_spacy(sdoc: SDoc) -> Doc:
    """A corpuskit Doc with the annotation of a spaCy Doc (unset values become None)."""
    n = len(sdoc)
    strings = sdoc.vocab.strings
    arr = sdoc.to_array([TAG, POS, MORPH, LEMMA, NORM, HEAD, DEP, SENT_START, ENT_IOB]).astype(np.uint64)
    if n == 0:
        arr = np.zeros((0, 9), dtype=np.uint64)

    def col_strs(j: int) -> list[str | None] | None:
        vals = arr[:, j]
        if n == 0 or not vals.any():
            return None
        return [strings[int(v)] if v else None for v in vals]

    tags = col_strs(0)
    pos = None if n == 0 or not arr[:, 1].any() else [t.pos_ or None for t in sdoc]
    morphs = (
        None if n == 0 or not arr[:, 2].any() else [str(t.morph) if t.has_morph() else None for t in sdoc]
    )
    lemmas = col_strs(3)
    norms = col_strs(4)
    rel = _signed(arr[:, 5])
    dep_ids = arr[:, 6]
    heads: list[int | None] | None = None
    if n and (dep_ids.any() or any(rel)):
        heads = [
            None if r == 0 and d == 0 else i + r for i, (r, d) in enumerate(zip(rel, dep_ids, strict=True))
        ]
    deps = col_strs(6)
    ss = _signed(arr[:, 7])
    # spaCy marks the first token of every doc: that alone is no sentence annotation.
    unparsed = not dep_ids.any()
    bare = n == 0 or (unparsed and ss[0] == 1 and not any(ss[1:]))
    sent_starts = None if bare else [None if s == 0 else s == 1 for s in ss]
    iob = arr[:, 8]
    ents: list[Span] | None = None
    ents_missing: list[bool] | None = None
    if n and iob.any():
        ents = [Span(e.start, e.end, e.label_, e.kb_id_, e.id_) for e in sdoc.ents]
        if (iob == 0).any():
            ents_missing = [bool(v == 0) for v in iob]
    spans = {
        name: [Span(s.start, s.end, s.label_, s.kb_id_, s.id_) for s in group]
        for name, group in sdoc.spans.items()
    }
    user_data = dict(sdoc.user_data)
    prov = user_data.pop(PROVENANCE_KEY, None)
    source = lines = None
    if isinstance(prov, dict):
        source = prov.get("source")
        lines = lines_from_runs(list(prov["runs"])) if prov.get("runs") is not None else None
    return Doc(
        words=[t.text for t in sdoc],
        spaces=[bool(t.whitespace_) for t in sdoc],
        tags=tags,
        pos=pos,
        morphs=morphs,
        lemmas=lemmas,
        norms=norms,
        heads=heads,
        deps=deps,
        sent_starts=sent_starts,
        ents=ents,
        ents_missing=ents_missing,
        cats=dict(sdoc.cats),
        spans=spans,
        has_unknown_spaces=bool(sdoc.has_unknown_spaces),
        user_data=user_data,
        source=source,
        lines=lines,
    )


def annotations_of(sdoc: SDoc) -> dict[str, list[Any]]:
    """The compared annotations of a spaCy Doc, one list per name in :data:`ANNOTATIONS`."""
    return {
        "text": [t.text for t in sdoc],
        "whitespace": [t.whitespace_ for t in sdoc],
        "tag": [t.tag_ for t in sdoc],
        "pos": [t.pos_ for t in sdoc],
        "morph": [str(t.morph) if t.has_morph() else None for t in sdoc],
        "lemma": [t.lemma_ for t in sdoc],
        "head": [t.head.i for t in sdoc],
        "dep": [t.dep_ for t in sdoc],
        "ent_iob": [t.ent_iob_ for t in sdoc],
        "ent_type": [t.ent_type_ for t in sdoc],
        "sent_start": [t.is_sent_start for t in sdoc],
    }


def assert_same_annotations(
    spacy_docs_a: Iterable[SDoc],
    spacy_docs_b: Iterable[SDoc],
    *,
    annotations: Sequence[str] = ANNOTATIONS,
    cats: bool = True,
) -> None:
    """Assert two sequences of spaCy Docs carry the same annotation, naming the first difference."""
    docs_a = list(spacy_docs_a)
    docs_b = list(spacy_docs_b)
    for d, (a, b) in enumerate(zip(docs_a, docs_b, strict=False)):
        if len(a) != len(b):
            raise AssertionError(
                f"doc {d}: {len(a)} tokens != {len(b)} tokens\n  a: {a.text[:200]!r}\n  b: {b.text[:200]!r}"
            )
        ann_a = annotations_of(a)
        ann_b = annotations_of(b)
        for name in annotations:
            va, vb = ann_a[name], ann_b[name]
            if va != vb:
                i = next(k for k, (x, y) in enumerate(zip(va, vb, strict=True)) if x != y)
                raise AssertionError(
                    f"doc {d} token {i} ({a[i].text!r}): {name} {va[i]!r} != {vb[i]!r}\n"
                    f"  context: {' '.join(t.text for t in a[max(0, i - 5) : i + 6])!r}"
                )
        if cats and a.cats != b.cats:
            raise AssertionError(f"doc {d}: cats {a.cats!r} != {b.cats!r}")
    if len(docs_a) != len(docs_b):
        raise AssertionError(f"{len(docs_a)} docs != {len(docs_b)} docs")


def spacy_docs_from_file(path: str | Path, *, vocab: Vocab | None = None) -> list[SDoc]:
    """spaCy's DocBin reading a ``.spacy`` file (or each ``.spacy`` below a directory, sorted)."""
    path = Path(path)
    vocab = Vocab() if vocab is None else vocab
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*.spacy")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
    else:
        files = [path]
    docs: list[SDoc] = []
    for f in files:
        docs.extend(SDocBin().from_disk(f).get_docs(vocab))
    return docs
