"""Sentence-level ranking: which sentences most likely hold an annotation error.

A sentence's *evidence* ``E`` (a log-likelihood ratio, 0 or more) adds:

- the model's: per layer, ``log P(best) - log P(gold)``, the log-ratio of the probability of the
  model's best reading of the sentence to that of its annotation. Entities use the CRF's whole
  sequences (:mod:`corpuskit.finderrors.paths`), so a type swapped on one token of a long sentence
  counts in full however many confident tokens surround it, and a sentence whose annotation *is*
  the model's best reading gets 0 however unsure the model is. Token layers (tags, POS, dependency
  labels, heads) are per-token softmaxes: the sum over the sentence's tokens of ``log max_j p_j -
  log p_gold``, times the layer's weight (its squared out-of-fold accuracy, as the token scores);
- the n-grams': ``-log(1 - w * s)`` for each n-gram suspect of score ``s`` in the sentence
  (``w`` = :data:`corpuskit.finderrors.score.NGRAM_WEIGHT`; ``w = 1`` without a model).

The score is ``1 - exp(-E)`` (0-1, higher is more likely wrong); sentences are ranked by ``E``
(then by ``-log P(gold)``, the model's doubt about the annotation, to order those with no
evidence against it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .corpus import LoadedDoc
from .model import DocProbs
from .score import NGRAM_WEIGHT, _gold_ids, _layer_weight
from .suspect import Suspect

__all__ = ["SentenceEvidence", "SentenceScore", "rank_sentences", "sentence_evidence"]

Floats = npt.NDArray[np.float64]
_TOKEN_LAYERS = ("tags", "pos", "deps", "heads")
_TINY = 1e-12


@dataclass(slots=True)
class SentenceEvidence:
    """The evidence against one sentence (tokens ``start:end`` of its doc): ``total`` is ``E``."""

    start: int
    end: int
    total: float = 0.0
    log_p_gold: float = 0.0
    model: dict[str, float] = field(default_factory=dict)
    ngram: float = 0.0

    def add(self, layer: str, value: float) -> None:
        if layer == "ngram":
            self.ngram += value
        else:
            self.model[layer] = value
        self.total += value


@dataclass(slots=True)
class SentenceScore:
    """One sentence of the sentence-level ranking (``find-errors --by sentence``).

    ``file``, ``line``, ``doc`` locate it as a :class:`Suspect` does; ``start``/``end`` are its
    token offsets in the doc. ``score`` is ``1 - exp(-evidence)``; ``evidence`` has the per-layer
    log-ratios (``model``), the n-gram term (``ngram``) and ``log_p_gold``; ``suspects`` are the
    queue's suspects inside the sentence, most suspect first.
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


def _token_log_ratios(docs: list[LoadedDoc], probs: list[DocProbs], layer: str) -> list[Floats] | None:
    """Per doc, per token: ``log max_j p_j - log p_gold`` (0 where the gold label is unknown),
    already times the layer's weight; ``None`` when no doc has the layer."""
    mats: list[Floats | None] = [getattr(p, layer) for p in probs]
    if all(m is None for m in mats):
        return None
    labels = probs[0].labels.get("deps" if layer == "heads" else layer, [])
    golds = [_gold_ids(ld.doc, layer, labels) for ld in docs]
    weight = _layer_weight(mats, golds)
    out: list[Floats] = []
    for m, g in zip(mats, golds, strict=True):
        lr = np.zeros(len(g))
        if m is not None and len(g):
            ok = np.flatnonzero(g >= 0)
            best = np.log(np.maximum(m[ok].max(axis=1), _TINY))
            lr[ok] = np.maximum(best - np.log(np.maximum(m[ok, g[ok]], _TINY)), 0.0) * weight
        out.append(lr)
    return out


def _token_log_gold(m: Floats | None, g: npt.NDArray[np.int64]) -> Floats:
    out = np.zeros(len(g))
    if m is not None and len(g):
        ok = np.flatnonzero(g >= 0)
        out[ok] = np.log(np.maximum(m[ok, g[ok]], _TINY))
    return out


def sentence_evidence(
    docs: list[LoadedDoc], probs: list[DocProbs] | None, ngram: list[Suspect]
) -> list[list[SentenceEvidence]]:
    """Per doc, the evidence against each of its sentences (``Doc.sentence_bounds``; see the
    module docs). ``ngram`` are the n-gram suspects with their own scores, as
    :func:`corpuskit.finderrors.ngram.find_variation` gives them (``combine`` changes them)."""
    out = [[SentenceEvidence(s, e) for s, e in ld.doc.sentence_bounds()] for ld in docs]
    if probs is not None:
        _add_model(docs, probs, out)
    w = NGRAM_WEIGHT if probs is not None else 1.0
    where = {(ld.file, ld.index): d for d, ld in enumerate(docs)}
    for s in ngram:
        d = where.get((s.file, s.doc))
        if d is None:
            continue
        for sent in out[d]:
            if sent.start <= s.start < sent.end:
                term = -math.log(max(1.0 - w * s.score, 1e-6))
                sent.add("ngram", term)
                break
    return out


def _add_model(docs: list[LoadedDoc], probs: list[DocProbs], out: list[list[SentenceEvidence]]) -> None:
    for layer in _TOKEN_LAYERS:
        ratios = _token_log_ratios(docs, probs, layer)
        if ratios is None:
            continue
        labels = probs[0].labels.get("deps" if layer == "heads" else layer, [])
        for ld, p, lr, sents in zip(docs, probs, ratios, out, strict=True):
            log_gold = _token_log_gold(getattr(p, layer), _gold_ids(ld.doc, layer, labels))
            for sent in sents:
                value = float(lr[sent.start : sent.end].sum())
                sent.add(layer, value)
                sent.log_p_gold += float(log_gold[sent.start : sent.end].sum())
    for p, sents in zip(probs, out, strict=True):
        paths = p.ents_paths
        if paths is None or len(paths) != len(sents):
            continue
        for sent, (log_gold, log_best) in zip(sents, paths.tolist(), strict=True):
            value = max(log_best - log_gold, 0.0)
            sent.add("ents", value)
            sent.log_p_gold += log_gold


def rank_sentences(
    docs: list[LoadedDoc], suspects: list[Suspect], evidence: list[list[SentenceEvidence]]
) -> list[SentenceScore]:
    """Every sentence, most likely wrong first (see the module docs), with the ranked
    ``suspects`` that fall inside it."""
    rows: list[tuple[float, float, int, int, SentenceScore]] = []
    index: dict[tuple[str, int], list[SentenceScore]] = {}
    for d, (ld, sents) in enumerate(zip(docs, evidence, strict=True)):
        for sent in sents:
            a, b = sent.start, sent.end
            ev = {
                "log_ratio": round(sent.total, 4),
                "model": {k: round(v, 4) for k, v in sent.model.items()},
                "ngram": round(sent.ngram, 4),
                "log_p_gold": round(sent.log_p_gold, 4),
            }
            row = SentenceScore(
                file=ld.file,
                line=ld.line(a),
                doc=ld.index,
                start=a,
                end=b,
                text=" ".join(ld.doc.words[a:b]),
                score=round(1.0 - math.exp(-sent.total), 4),
                evidence=ev,
            )
            rows.append((-sent.total, sent.log_p_gold, d, a, row))
            index.setdefault((ld.file, ld.index), []).append(row)
    for s in suspects:
        for row in index.get((s.file, s.doc), []):
            if row.start <= s.start < row.end:
                row.suspects.append(s)
                break
    rows.sort(key=lambda r: r[:4])
    return [r[4] for r in rows]
