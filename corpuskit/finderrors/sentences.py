"""Sentence-level ranking: which sentences most likely hold an annotation error.

A sentence's *evidence* ``E`` (0 or more) is the larger of two parts:

- entities: ``-log min(1, p / t)`` of the sentence's most doubtful token, ``p`` being the
  out-of-fold probability of the token's IOB tag (B = B + U, I = I + L of the BILUO marginals)
  and ``t`` the mean of ``p`` over every token with that IOB tag (confident learning's per-class
  threshold: an ORG token the model gives 0.5 is more suspect than an O token it gives 0.5),
  plus ``ENT_NGRAM_WEIGHT * -log(1 - s)`` for each entity n-gram suspect of score ``s`` in the
  sentence (1 without a model: a noisy-or of the suspects);
- token layers (tags, POS, dependency labels, heads): ``-log(1 - s)`` of the sentence's most
  suspect token in the review queue (its score ``s`` already joins the model and the n-grams of
  that token: :mod:`corpuskit.finderrors.score`).

The score is ``1 - exp(-E)`` (0-1, higher is more likely wrong); sentences are ranked by ``E``.
The choices (one most doubtful token, not a sum over the sentence's tokens or the CRF's
whole-sequence likelihood ratio, both of which grow with the sentence's length and number of
entities; n-grams anywhere in the sentence for entities, on the same token for token layers;
``ENT_NGRAM_WEIGHT``) were made on tuning runs and measured on held-out ones: docs/find-errors.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from .corpus import LoadedDoc
from .model import DocProbs
from .score import _biluo_ids, gold_iob_probs
from .suspect import Suspect

__all__ = ["ENT_NGRAM_WEIGHT", "SentenceEvidence", "SentenceScore", "rank_sentences", "sentence_evidence"]

Floats = npt.NDArray[np.float64]
_TINY = 1e-12
#: How much an entity n-gram suspect counts against its sentence next to the model's doubt.
ENT_NGRAM_WEIGHT = 8.0


@dataclass(slots=True)
class SentenceEvidence:
    """The evidence against one sentence (tokens ``start:end`` of its doc; see the module docs)."""

    start: int
    end: int
    ents: float = 0.0
    ngram: float = 0.0
    tokens: float = 0.0

    @property
    def total(self) -> float:
        return max(self.ents + self.ngram, self.tokens)


@dataclass(slots=True)
class SentenceScore:
    """One sentence of the sentence-level ranking (``find-errors --by sentence``).

    ``file``, ``line``, ``doc`` locate it as a :class:`Suspect` does; ``start``/``end`` are its
    token offsets in the doc. ``score`` is ``1 - exp(-E)``; ``evidence`` has ``E`` (``total``)
    and its parts (``ents``: the model's doubt, ``ngram``: the entity n-grams, ``tokens``: the
    most suspect token of the token layers); ``suspects`` are the queue's suspects inside the
    sentence, most suspect first.
    """

    file: str
    line: int | None
    doc: int
    start: int
    end: int
    text: str
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)
    suspects: list[Suspect] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "doc": self.doc,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "score": self.score,
            "evidence": self.evidence,
            "suspects": [s.to_dict() for s in self.suspects],
        }


def _class_doubt(p_gold: list[Floats], cls: list[npt.NDArray[np.int64]]) -> list[Floats]:
    """Per doc, per token: ``-log min(1, p / t[class])`` (0 where the class is unknown: -1)."""
    flat_p = np.concatenate(p_gold) if p_gold else np.zeros(0)
    flat_c = np.concatenate(cls) if cls else np.zeros(0, dtype=np.int64)
    known = flat_c >= 0
    n_cls = int(flat_c.max()) + 1 if known.any() else 1
    sums = np.bincount(flat_c[known], weights=flat_p[known], minlength=n_cls)
    counts = np.bincount(flat_c[known], minlength=n_cls)
    t = np.where(counts > 0, sums / np.maximum(counts, 1), 1.0)
    out = []
    for p, c in zip(p_gold, cls, strict=True):
        ratio = np.where(c >= 0, p / np.maximum(t[np.maximum(c, 0)], _TINY), 1.0)
        out.append(-np.log(np.clip(ratio, _TINY, 1.0)))
    return out


def _ent_doubt(docs: list[LoadedDoc], probs: list[DocProbs]) -> list[Floats] | None:
    if all(p.ents is None for p in probs):
        return None
    p_gold: list[Floats] = []
    cls: list[npt.NDArray[np.int64]] = []
    for ld, p in zip(docs, probs, strict=True):
        n = len(ld.doc)
        if p.ents is None or ld.doc.ents is None or not n:
            p_gold.append(np.ones(n))
            cls.append(np.full(n, -1, dtype=np.int64))
            continue
        g = _biluo_ids(ld.doc, p.labels["ents"])
        pg = gold_iob_probs(p.ents, g)
        # IOB class: O = 0; B-X (B or U) = 1 + 2x; I-X (I or L) = 2 + 2x; -1 unknown.
        off = (g - 1) % 4
        c = np.where(g < 0, -1, np.where(g == 0, 0, 1 + 2 * ((g - 1) // 4) + np.isin(off, [1, 2])))
        p_gold.append(np.nan_to_num(pg, nan=1.0))
        cls.append(np.where(np.isnan(pg), -1, c))
    return _class_doubt(p_gold, cls)


def _sentence_of(sents: list[SentenceEvidence], token: int) -> int | None:
    """The index of the sentence that holds ``token``."""
    return next((k for k, sent in enumerate(sents) if sent.start <= token < sent.end), None)


def sentence_evidence(
    docs: list[LoadedDoc], probs: list[DocProbs] | None, ngram: list[Suspect]
) -> list[list[SentenceEvidence]]:
    """Per doc, the entity evidence against each of its sentences (``Doc.sentence_bounds``):
    the model's doubt and the entity n-grams (see the module docs; :func:`rank_sentences` adds
    the token layers'). ``ngram`` are the n-gram suspects with their own scores, as
    :func:`corpuskit.finderrors.ngram.find_variation` gives them (``combine`` changes them)."""
    out = [[SentenceEvidence(s, e) for s, e in ld.doc.sentence_bounds()] for ld in docs]
    doubt = _ent_doubt(docs, probs) if probs is not None else None
    for d_tokens, sents in zip(doubt or [], out, strict=False):
        for sent in sents:
            part = d_tokens[sent.start : sent.end]
            sent.ents = float(part.max()) if len(part) else 0.0
    w = ENT_NGRAM_WEIGHT if probs is not None else 1.0
    where = {(ld.file, ld.index): d for d, ld in enumerate(docs)}
    for s in ngram:
        d = where.get((s.file, s.doc))
        k = _sentence_of(out[d], s.start) if d is not None and s.layer == "ents" else None
        if d is not None and k is not None:
            out[d][k].ngram += w * -math.log(max(1.0 - s.score, 1e-6))
    return out


def rank_sentences(
    docs: list[LoadedDoc], suspects: list[Suspect], evidence: list[list[SentenceEvidence]]
) -> list[SentenceScore]:
    """Every sentence, most likely wrong first (see the module docs), with the ranked
    ``suspects`` that fall inside it; ``evidence`` is :func:`sentence_evidence`'s, to which the
    token-layer suspects add their part."""
    where = {(ld.file, ld.index): d for d, ld in enumerate(docs)}
    evidence = [[replace(sent) for sent in sents] for sents in evidence]
    rows: list[list[SentenceScore]] = [[] for _ in docs]
    for d, (ld, sents) in enumerate(zip(docs, evidence, strict=True)):
        for sent in sents:
            a, b = sent.start, sent.end
            rows[d].append(
                SentenceScore(ld.file, ld.line(a), ld.index, a, b, " ".join(ld.doc.words[a:b]), 0.0)
            )
    for s in suspects:
        at = where.get((s.file, s.doc))
        k = _sentence_of(evidence[at], s.start) if at is not None else None
        if at is None or k is None:
            continue
        rows[at][k].suspects.append(s)
        if s.layer != "ents":
            sent = evidence[at][k]
            sent.tokens = max(sent.tokens, -math.log(max(1.0 - s.score, _TINY)))
    ranked: list[tuple[float, int, int, SentenceScore]] = []
    for d, sents in enumerate(evidence):
        for sent, row in zip(sents, rows[d], strict=True):
            row.score = round(1.0 - math.exp(-sent.total), 4)
            row.evidence = {
                "total": round(sent.total, 4),
                "ents": round(sent.ents, 4),
                "ngram": round(sent.ngram, 4),
                "tokens": round(sent.tokens, 4),
            }
            ranked.append((-sent.total, d, sent.start, row))
    ranked.sort(key=lambda r: r[:3])
    return [r[3] for r in ranked]
