"""How likely a sentence's whole entity annotation is under the recogniser's CRF.

For each sentence of a doc: ``log P(gold)``, the log-probability of the annotated BILUO sequence,
and ``log P(best)``, that of the model's Viterbi sequence, both over the valid BILUO sequences of
the sentence (the recogniser's transition scores where it has a CRF, none otherwise). Their
difference is the sentence's entity *likelihood ratio*: 0 where the annotation is the model's
best reading, large where the model is sure of another one. Tokens whose gold tag the model cannot
give (a label it never saw, a token without annotation) are marginalised out of ``P(gold)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ..doc import Doc

__all__ = ["ent_paths", "sentence_paths"]

Floats = npt.NDArray[np.float64]
_NEG = -1e30
_FLOOR = -1e4  # log P(gold) of an annotation no valid sequence matches (an invalid BILUO sequence)


def _logsumexp(x: Floats, axis: int) -> Floats:
    m = x.max(axis=axis, keepdims=True)
    out: Floats = (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).squeeze(axis)
    return out


def _log_partition(
    emit: Floats, lengths: npt.NDArray[np.int64], trans: Floats, start: Floats, end: Floats
) -> Floats:
    """``log Z`` of each padded sequence ``(n, T, K)`` (the forward algorithm)."""
    width = emit.shape[1]
    alpha = emit[:, 0] + start[None, :]
    for t in range(1, width):
        step = _logsumexp(alpha[:, :, None] + trans[None], axis=1) + emit[:, t]
        alpha = np.where((lengths > t)[:, None], step, alpha)
    return _logsumexp(alpha + end[None, :], axis=1)


def sentence_paths(
    emit: Floats, gold: npt.NDArray[np.int64], n_labels: int, transitions: Floats | None
) -> Floats:
    """``(n, 2)``: ``[log P(gold), log P(best)]`` of each sequence of ``emit`` (padded ``(n, T, K)``
    log-scores over :func:`corpuskit.train.decoders.biluo_tag_names`), ``gold`` ``(n, T)`` the
    gold tag ids (``-1``: unknown or padding)."""
    from ..train.decoders import biluo_constraints, viterbi_biluo

    n, width, k = emit.shape
    if n == 0:
        return np.zeros((0, 2))
    lengths = (gold != -2).sum(axis=1)
    allowed, start_ok, end_ok = biluo_constraints(n_labels)
    raw = np.zeros((k, k)) if transitions is None else np.asarray(transitions, dtype=np.float64)
    trans = np.where(allowed, raw, _NEG)
    start = np.where(start_ok, 0.0, _NEG)
    end = np.where(end_ok, 0.0, _NEG)
    log_z = _log_partition(emit, lengths, trans, start, end)
    known = gold >= 0
    clamp = np.where(known[:, :, None] & (np.arange(k)[None, None, :] != gold[:, :, None]), _NEG, 0.0)
    log_gold = np.maximum(_log_partition(emit + clamp, lengths, trans, start, end) - log_z, _FLOOR)
    best = viterbi_biluo(emit, lengths, n_labels, transitions=transitions)
    rows = np.arange(n)[:, None]
    valid = np.arange(width)[None, :] < lengths[:, None]
    safe = np.where(valid, best, 0)
    score = np.where(valid, emit[rows, np.arange(width)[None, :], safe], 0.0).sum(axis=1)
    moves = np.where(valid[:, 1:], raw[safe[:, :-1], safe[:, 1:]], 0.0).sum(axis=1) if width > 1 else 0.0
    log_best = np.minimum(score + moves - log_z, 0.0)
    return np.stack([np.minimum(log_gold, log_best), log_best], axis=1)


def ent_paths(comp: Any, gold: list[Doc], tokvecs: Any) -> list[Floats]:
    """Per doc, ``(n_sents, 2)``: ``[log P(gold), log P(best)]`` of each sentence of the gold doc
    (``sentence_bounds``) under the recogniser ``comp`` (a :class:`corpuskit.train.ner.EntityRecognizer`
    whose ``tokvecs`` are those of the docs' words)."""
    from ..train.biluo import doc_to_biluo

    ops = comp.model.ops
    logits = [np.asarray(ops.to_numpy(x), dtype=np.float64) for x in comp.model.predict(tokvecs)]
    transitions = comp._transitions()
    index = {t: i for i, t in enumerate(comp.tag_names)}
    rows: list[Floats] = []
    golds: list[list[int]] = []
    owner: list[int] = []  # the doc of each sentence
    for d, (doc, scores) in enumerate(zip(gold, logits, strict=True)):
        tags = doc_to_biluo(doc)
        if transitions is None:
            scores = scores - scores.max(axis=1, keepdims=True)
            scores = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
        for s, e in doc.sentence_bounds():
            rows.append(scores[s:e])
            golds.append([index.get(t, -1) if t else -1 for t in tags[s:e]])
            owner.append(d)
    if not rows:
        return [np.zeros((0, 2)) for _ in gold]
    width = max(len(r) for r in rows)
    k = len(index)
    emit = np.zeros((len(rows), width, k))
    gold_ids = np.full((len(rows), width), -2, dtype=np.int64)
    for r, (sc, g) in enumerate(zip(rows, golds, strict=True)):
        emit[r, : len(sc)] = sc
        gold_ids[r, : len(g)] = g
    paths = sentence_paths(emit, gold_ids, len(comp.labels), transitions)
    bounds = np.searchsorted(np.asarray(owner), np.arange(len(gold) + 1))
    return [paths[bounds[d] : bounds[d + 1]] for d in range(len(gold))]
