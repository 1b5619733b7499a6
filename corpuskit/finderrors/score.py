"""Model-based suspects (confident-learning style) and the one ranking that joins them to n-grams.

For a token layer (tags, POS, dependency labels, heads) each token's *self-confidence* is the
out-of-fold probability of its own label. Confident learning's per-class threshold ``t[c]`` is the
mean self-confidence of the tokens labelled ``c``: a token is suspect when its self-confidence is
low *for its class*. The model score is ``(1 - min(1, p(current) / t[current])) * a**2``, ``a``
being the model's accuracy on the layer (its disagreement means less where it is often wrong);
the suggestion is the most probable other label. Where several layers of one token are suspect (a wrong head
usually makes its label unlikely too), the strongest is listed, with the others under
``evidence["also"]`` (a noisy-or of the layers ranked worse: they are not independent).

Entities are scored as whole spans: a gold mention's score is one minus the lowest probability of
its own IOB tags (B = B + U, I = I + L of the BILUO marginals) over its tokens and the O token on
each side (so a type swap, a boundary off by one and a spurious mention all lower it), and a
mention the model finds where the annotation has none is a missed mention, scored by its highest
probability of being inside an entity. The kind (type, boundary, spurious, missed) and the model's
span go into the evidence.

With n-gram evidence for the same span (in any token layer), the scores join as
``1 - (1 - model) * (1 - NGRAM_WEIGHT * ngram)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..doc import Doc, Span
from ..train.biluo import biluo_to_ents
from .corpus import LoadedDoc
from .model import DocProbs
from .suspect import Suspect

__all__ = ["NGRAM_WEIGHT", "combine", "model_suspects"]

NGRAM_WEIGHT = 0.25
_MIN_SCORE = 0.05  # model suspects below this are not listed (unless the n-grams flag them)
_TOKEN_LAYERS = ("tags", "pos", "deps", "heads")

Floats = npt.NDArray[np.float64]


@dataclass(slots=True)
class _TokenScores:
    """Per doc: the model score of each token and the label it suggests (-1: none)."""

    score: list[Floats]
    suggest: list[npt.NDArray[np.int64]]
    p_current: list[Floats]
    p_suggest: list[Floats]
    threshold: list[Floats]


def _gold_ids(doc: Doc, layer: str, labels: list[str]) -> npt.NDArray[np.int64]:
    """Gold label id per token (-1: none, unknown to the model, or a root for ``deps``)."""
    n = len(doc)
    if layer == "heads":
        heads = doc.heads
        if heads is None:
            return np.full(n, -1, dtype=np.int64)
        return np.asarray([-1 if h is None or h < 0 or h >= n else h for h in heads], dtype=np.int64)
    values = getattr(doc, layer)
    if values is None:
        return np.full(n, -1, dtype=np.int64)
    index = {label: i for i, label in enumerate(labels)}
    ids = np.asarray([index.get(v, -1) if v is not None else -1 for v in values], dtype=np.int64)
    if layer == "deps" and doc.heads is not None:
        ids[[i for i, h in enumerate(doc.heads) if h is None or h == i]] = -1
    return ids


def _layer_weight(mats: list[Floats | None], golds: list[npt.NDArray[np.int64]]) -> float:
    """The squared accuracy of the model on the layer: where the model is often wrong (heads, say),
    its disagreement says less about the annotation, so the layer's scores count less."""
    right = total = 0
    for m, g in zip(mats, golds, strict=True):
        if m is None or not len(g):
            continue
        ok = g >= 0
        right += int((m[ok].argmax(axis=1) == g[ok]).sum())
        total += int(ok.sum())
    return (right / total) ** 2 if total else 1.0


def _token_scores(docs: list[LoadedDoc], probs: list[DocProbs], layer: str) -> _TokenScores | None:
    mats: list[Floats | None] = [getattr(p, layer) for p in probs]
    if all(m is None for m in mats):
        return None
    labels = probs[0].labels.get("deps" if layer == "heads" else layer, [])
    golds = [_gold_ids(ld.doc, layer, labels) for ld in docs]
    # Per-class thresholds: heads by the gold dependency label, the rest by the gold label.
    cls = (
        [_gold_ids(ld.doc, "deps", probs[0].labels.get("deps", [])) for ld in docs]
        if layer == "heads"
        else golds
    )
    sc_all: list[Floats] = []
    for m, g in zip(mats, golds, strict=True):
        sc = np.full(len(g), np.nan)
        if m is not None and len(g):
            ok = g >= 0
            sc[ok] = m[np.flatnonzero(ok), g[ok]]
        sc_all.append(sc)
    flat_sc = np.concatenate(sc_all) if sc_all else np.zeros(0)
    flat_cls = np.concatenate(cls) if cls else np.zeros(0, dtype=np.int64)
    known = ~np.isnan(flat_sc)
    n_cls = int(flat_cls.max()) + 2 if len(flat_cls) else 1
    bucket = np.where(flat_cls < 0, n_cls - 1, flat_cls)
    sums = np.bincount(bucket[known], weights=flat_sc[known], minlength=n_cls)
    counts = np.bincount(bucket[known], minlength=n_cls)
    thresholds = np.where(counts > 0, sums / np.maximum(counts, 1), 1.0)
    weight = _layer_weight(mats, golds)
    out = _TokenScores([], [], [], [], [])
    for m, g, c, sc in zip(mats, golds, cls, sc_all, strict=True):
        n = len(g)
        t = thresholds[np.where(c < 0, n_cls - 1, c)]
        if m is None or not n:
            out.score.append(np.zeros(n))
            out.suggest.append(np.full(n, -1, dtype=np.int64))
            out.p_current.append(np.zeros(n))
            out.p_suggest.append(np.zeros(n))
            out.threshold.append(t)
            continue
        masked = m.copy()
        ok = g >= 0
        masked[np.flatnonzero(ok), g[ok]] = -1.0
        alt = masked.argmax(axis=1)
        pa = masked[np.arange(n), alt]
        cur = np.nan_to_num(sc, nan=1.0)
        s = (1.0 - np.minimum(1.0, cur / np.maximum(t, 1e-6))) * weight
        s[~ok] = 0.0
        out.score.append(s)
        out.suggest.append(np.where(ok, alt, -1))
        out.p_current.append(cur)
        out.p_suggest.append(pa)
        out.threshold.append(t)
    return out


def _label(layer: str, value: int, labels: list[str]) -> str | None:
    if value < 0:
        return None
    return str(value) if layer == "heads" else labels[value]


def _current(doc: Doc, layer: str, i: int) -> str | None:
    values = getattr(doc, layer)
    if values is None or values[i] is None:
        return None
    return str(values[i])


def _token_suspects(docs: list[LoadedDoc], probs: list[DocProbs], layer: str) -> list[Suspect]:
    ts = _token_scores(docs, probs, layer)
    if ts is None:
        return []
    labels = probs[0].labels.get(layer, [])
    out: list[Suspect] = []
    for d, ld in enumerate(docs):
        for i in np.flatnonzero(ts.score[d] >= _MIN_SCORE).tolist():
            out.append(
                ld.suspect(
                    i,
                    i + 1,
                    layer,
                    current=_current(ld.doc, layer, i),
                    suggested=_label(layer, int(ts.suggest[d][i]), labels),
                    score=round(float(ts.score[d][i]), 4),
                    method="model",
                    evidence={
                        "p_current": round(float(ts.p_current[d][i]), 4),
                        "p_suggested": round(float(ts.p_suggest[d][i]), 4),
                        "threshold": round(float(ts.threshold[d][i]), 4),
                        "fold": probs[d].fold,
                    },
                )
            )
    return out


# -- entities -------------------------------------------------------------------------------------


def _biluo_ids(doc: Doc, tag_names: list[str]) -> npt.NDArray[np.int64]:
    from ..train.biluo import doc_to_biluo

    index = {t: i for i, t in enumerate(tag_names)}
    return np.asarray([index.get(t, -1) if t else -1 for t in doc_to_biluo(doc)], dtype=np.int64)


def _decode(marg: Floats, tag_names: list[str]) -> list[Span]:
    from ..train.decoders import viterbi_biluo

    n_labels = (len(tag_names) - 1) // 4
    logp = np.log(np.maximum(marg, 1e-12))[None]
    tags = viterbi_biluo(logp, np.asarray([len(marg)]), n_labels, transitions=None)[0]
    spans, _missing = biluo_to_ents([tag_names[i] for i in tags.tolist()])
    return spans


def _span_evidence(kind: str, p_span: float, fold: int | None, pred: Span | None) -> dict[str, object]:
    ev: dict[str, object] = {"kind": kind, "p_span": round(p_span, 4), "fold": fold}
    if pred is not None:
        ev["model_span"] = [pred.start, pred.end, pred.label]
    return ev


def gold_iob_probs(marg: Floats, gold_ids: npt.NDArray[np.int64]) -> Floats:
    """Per token, the probability of its gold IOB tag (B = B + U, I = I + L of the BILUO
    marginals; NaN where the gold tag is unknown): a boundary doubt is not split between
    the B/U and I/L readings of the same tag."""
    out = np.full(len(gold_ids), np.nan)
    ok = gold_ids >= 0
    g = gold_ids[ok]
    rows = np.flatnonzero(ok)
    # BILUO order per label: B, I, L, U at 1 + 4 * label + 0..3; the partner of each tag:
    offset = (g - 1) % 4
    partner = np.where(
        g == 0,
        0,
        np.where(offset == 0, g + 3, np.where(offset == 3, g - 3, np.where(offset == 1, g + 1, g - 1))),
    )
    out[rows] = np.where(g == 0, marg[rows, 0], marg[rows, g] + marg[rows, partner])
    return out


def ent_span_score(marg: Floats, gold_ids: npt.NDArray[np.int64], start: int, end: int) -> float:
    """One minus the lowest probability of the gold IOB tags over tokens ``start:end`` and the
    token on each side (where it is outside every entity: an entity that should be longer)."""
    pg = gold_iob_probs(marg, gold_ids)
    lo = start - 1 if start > 0 and gold_ids[start - 1] == 0 else start
    hi = end + 1 if end < len(gold_ids) and gold_ids[end] == 0 else end
    window = pg[lo:hi]
    window = window[~np.isnan(window)]
    return float(1.0 - window.min()) if len(window) else 0.0


def _ent_suspects(docs: list[LoadedDoc], probs: list[DocProbs]) -> list[Suspect]:
    out: list[Suspect] = []
    for ld, p in zip(docs, probs, strict=True):
        doc = ld.doc
        if p.ents is None or doc.ents is None or not len(doc):
            continue
        names = p.labels["ents"]
        gold_ids = _biluo_ids(doc, names)
        pred = _decode(p.ents, names)
        gold_keys = {(e.start, e.end) for e in doc.ents}
        for e in doc.ents:
            score = ent_span_score(p.ents, gold_ids, e.start, e.end)
            over = [q for q in pred if q.start < e.end and e.start < q.end]
            same = [q for q in over if (q.start, q.end) == (e.start, e.end)]
            if same and same[0].label == e.label:
                kind, best, suggested = "agrees", same[0], e.label
            elif same:
                kind, best, suggested = "type", same[0], same[0].label
            elif over:
                kind, best, suggested = "boundary", over[0], over[0].label
            else:
                kind, best, suggested = "spurious", None, None
            if score < _MIN_SCORE:
                continue
            out.append(_ent_suspect(ld, e.start, e.end, e.label, suggested, score, kind, p, best))
        in_gold = np.zeros(len(doc), dtype=bool)
        for e in doc.ents:
            in_gold[e.start : e.end] = True
        for q in pred:
            if (q.start, q.end) in gold_keys or in_gold[q.start : q.end].any():
                continue
            p_in = 1.0 - p.ents[q.start : q.end, 0]
            score = float(p_in.max())
            if score >= _MIN_SCORE:
                out.append(_ent_suspect(ld, q.start, q.end, None, q.label, score, "missed", p, q))
    return out


def _ent_suspect(
    ld: LoadedDoc,
    start: int,
    end: int,
    current: str | None,
    suggested: str | None,
    score: float,
    kind: str,
    p: DocProbs,
    pred: Span | None,
) -> Suspect:
    return ld.suspect(
        start,
        end,
        "ents",
        current=current,
        suggested=suggested,
        score=round(score, 4),
        method="model",
        evidence=_span_evidence(kind, 1.0 - score if current else score, p.fold, pred),
    )


def model_suspects(docs: list[LoadedDoc], probs: list[DocProbs]) -> list[Suspect]:
    """Every span and token the model doubts (score >= 0.05), most suspect first; one row per
    token (see the module docs)."""
    out = _ent_suspects(docs, probs)
    tokens: list[Suspect] = []
    for layer in _TOKEN_LAYERS:
        tokens.extend(_token_suspects(docs, probs, layer))
    out.extend(_merge_tokens(tokens))
    out.sort(key=lambda s: -s.score)
    return out


def _merge_tokens(suspects: list[Suspect]) -> list[Suspect]:
    """One suspect per token: the strongest layer (its score; the others in its evidence)."""
    by_token: dict[tuple[str, int, int], list[Suspect]] = {}
    for s in suspects:
        by_token.setdefault((s.file, s.doc, s.start), []).append(s)
    out = []
    for group in by_token.values():
        group.sort(key=lambda s: -s.score)
        lead = group[0]
        if len(group) > 1:
            lead.evidence["also"] = [
                {"layer": s.layer, "current": s.current, "suggested": s.suggested, "score": s.score}
                for s in group[1:]
            ]
        out.append(lead)
    return out


# -- the one ranking ------------------------------------------------------------------------------


def _key(s: Suspect) -> tuple[str, int, int, int, str]:
    """Entities match on span and layer; token layers on the token (one row per token)."""
    return (s.file, s.doc, s.start, s.end, "ents" if s.layer == "ents" else "token")


def _model_score_for(s: Suspect, ld: LoadedDoc, p: DocProbs) -> float:
    """The model's score for a span the n-grams flagged and the model did not list (a token the
    model did not list scored below the listing threshold: 0)."""
    if s.layer != "ents" or p.ents is None:
        return 0.0
    if s.current is None:
        if any(e.start < s.end and s.start < e.end for e in ld.doc.ents or ()):
            return 0.0  # part of another entity: that entity's own row carries the model's doubt
        return float((1.0 - p.ents[s.start : s.end, 0]).max())
    return ent_span_score(p.ents, _biluo_ids(ld.doc, p.labels["ents"]), s.start, s.end)


def combine(
    docs: list[LoadedDoc], model: list[Suspect], ngram: list[Suspect], probs: list[DocProbs] | None = None
) -> list[Suspect]:
    """One ranking: a span both methods flag gets ``1 - (1 - model) * (1 - w * ngram)``."""
    by_key = {_key(s): s for s in model}
    where = {(ld.file, ld.index): k for k, ld in enumerate(docs)}
    out = list(model)
    for s in ngram:
        m = by_key.get(_key(s))
        if m is not None:
            m.score = round(1.0 - (1.0 - m.score) * (1.0 - NGRAM_WEIGHT * s.score), 4)
            if m.method == "model":
                m.method = "model+ngram"
            m.evidence.setdefault("ngram", []).append(
                dict(s.evidence, layer=s.layer, current=s.current, suggested=s.suggested, score=s.score)
            )
            if m.layer == s.layer and (m.suggested is None or m.suggested == m.current):
                m.suggested = s.suggested
            continue
        base = 0.0
        if probs is not None:
            k = where[(s.file, s.doc)]
            base = _model_score_for(s, docs[k], probs[k])
        s.evidence["model_score"] = round(base, 4)
        s.score = round(1.0 - (1.0 - base) * (1.0 - NGRAM_WEIGHT * s.score), 4)
        by_key[_key(s)] = s
        out.append(s)
    out.sort(key=lambda s: (-s.score, s.file, s.doc, s.start, s.layer))
    return out
