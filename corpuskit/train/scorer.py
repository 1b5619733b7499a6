"""Evaluation scores, computed as spaCy computes them and under spaCy's names (values 0-1).

Every function takes examples whose ``predicted`` doc carries the model's annotation and whose
``reference`` carries the gold. Tokens are matched through the example's alignment: a predicted
token that does not match one gold token one to one is a tokenization error (it counts against
``token_acc``; its tag or arc counts as wrong; a predicted entity whose boundaries do not fall on
gold token boundaries is left out of the NER scores, as spaCy does).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..doc import Doc
from .example import Alignment, Example

__all__ = [
    "PRF",
    "score_deps",
    "score_sents",
    "score_spans",
    "score_token_attr",
    "score_tokenization",
]

#: Dependency labels left out of UAS and LAS (punctuation), as in spaCy's parser scorer.
PUNCT_LABELS = frozenset({"p", "punct", "PUNCT"})


@dataclass(slots=True)
class PRF:
    """Counts of true positives, false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def score_set(self, pred: set[Any], gold: set[Any]) -> None:
        self.tp += len(pred & gold)
        self.fp += len(pred - gold)
        self.fn += len(gold - pred)

    def __len__(self) -> int:
        return self.tp + self.fp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp + 1e-100)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn + 1e-100)

    @property
    def fscore(self) -> float:
        p, r = self.precision, self.recall
        return 2 * (p * r) / (p + r + 1e-100)

    def to_dict(self) -> dict[str, float]:
        return {"p": self.precision, "r": self.recall, "f": self.fscore}


def _one_to_one(align: Alignment, i: int) -> int | None:
    ys = align.x2y[i]
    return ys[0] if len(ys) == 1 else None


def score_tokenization(examples: Iterable[Example]) -> dict[str, float | None]:
    """``token_acc`` (share of predicted tokens that are exactly one gold token) and token P/R/F.

    Docs whose gold spacing is unknown are skipped (their character offsets are not real).
    """
    acc = PRF()
    prf = PRF()
    for eg in examples:
        gold, pred = eg.reference, eg.predicted
        if gold.has_unknown_spaces:
            continue
        align = eg.alignment
        gold_spans = {off for off, w in zip(gold.token_offsets(), gold.words, strict=True) if not w.isspace()}
        pred_spans = set()
        for i, (off, word) in enumerate(zip(pred.token_offsets(), pred.words, strict=True)):
            if word.isspace():
                continue
            pred_spans.add(off)
            # Stricter than spaCy (which counts a gold token split in two as two correct tokens):
            # a token is right when it is exactly one gold token.
            if _one_to_one(align, i) is not None and len(align.y2x[align.x2y[i][0]]) == 1:
                acc.tp += 1
            else:
                acc.fp += 1
        prf.score_set(pred_spans, gold_spans)
    if len(acc) == 0:
        return {"token_acc": None, "token_p": None, "token_r": None, "token_f": None}
    return {
        "token_acc": acc.precision,
        "token_p": prf.precision,
        "token_r": prf.recall,
        "token_f": prf.fscore,
    }


def score_token_attr(examples: Iterable[Example], attr: str) -> float | None:
    """Accuracy of a per-token attribute (``tags``, ``pos``, ``morphs``) over gold tokens that
    have a value; None when no gold token has one."""
    score = PRF()
    for eg in examples:
        gold_values = getattr(eg.reference, attr)
        if gold_values is None:
            continue
        pred_values = getattr(eg.predicted, attr) or [None] * len(eg.predicted)
        gold = {(i, v) for i, v in enumerate(gold_values) if v is not None}
        missing = {i for i, v in enumerate(gold_values) if v is None}
        if eg.predicted.words == eg.reference.words:
            pred = {(i, v) for i, v in enumerate(pred_values) if i not in missing}
        else:
            align = eg.alignment
            pred = set()
            for i, v in enumerate(pred_values):
                if eg.predicted.words[i].isspace():
                    continue
                j = _one_to_one(align, i)
                if j is not None and j not in missing:
                    pred.add((j, v))
        score.score_set(pred, gold)
    return score.fscore if len(score) else None


def score_deps(
    examples: Iterable[Example], *, ignore_labels: frozenset[str] = PUNCT_LABELS
) -> dict[str, Any]:
    """``dep_uas``, ``dep_las`` (punctuation excluded) and ``dep_las_per_type``."""
    unlabelled = PRF()
    labelled = PRF()
    per_type: dict[str, PRF] = {}
    for eg in examples:
        gold, pred = eg.reference, eg.predicted
        if gold.heads is None or gold.deps is None:
            continue
        gold_deps: set[tuple[int, int, str]] = set()
        gold_per: dict[str, set[tuple[int, int, str]]] = {}
        missing: set[int] = set()
        for j, (head, dep) in enumerate(zip(gold.heads, gold.deps, strict=True)):
            if head is None or dep is None:
                missing.add(j)
                continue
            if dep in ignore_labels:
                continue
            gold_deps.add((j, head, dep))
            gold_per.setdefault(dep, set()).add((j, head, dep))
            per_type.setdefault(dep, PRF())
        pred_deps: set[tuple[int, int, str]] = set()
        pred_per: dict[str, set[tuple[int, int, str]]] = {}
        if pred.heads is not None:
            same = pred.words == gold.words
            align = eg.alignment
            pred_labels = pred.deps or [None] * len(pred)
            for i, (head, dep) in enumerate(zip(pred.heads, pred_labels, strict=True)):
                if head is None or pred.words[i].isspace():
                    continue
                k = i if same else _one_to_one(align, i)
                if k in missing:
                    continue
                label = dep or ""
                if label in ignore_labels:
                    continue
                gold_head = head if same else _one_to_one(align, head)
                if k is None or gold_head is None:
                    unlabelled.fp += 1
                    labelled.fp += 1
                    per_type.setdefault(label, PRF()).fp += 1
                    continue
                pred_deps.add((k, gold_head, label))
                pred_per.setdefault(label, set()).add((k, gold_head, label))
        labelled.score_set(pred_deps, gold_deps)
        unlabelled.score_set({d[:2] for d in pred_deps}, {d[:2] for d in gold_deps})
        for label in set(gold_per) | set(pred_per):
            per_type.setdefault(label, PRF()).score_set(
                pred_per.get(label, set()), gold_per.get(label, set())
            )
    if len(unlabelled) == 0:
        return {"dep_uas": None, "dep_las": None, "dep_las_per_type": None}
    return {
        "dep_uas": unlabelled.fscore,
        "dep_las": labelled.fscore,
        "dep_las_per_type": {k: v.to_dict() for k, v in sorted(per_type.items())},
    }


def _gold_span(eg: Example, start: int, end: int) -> tuple[int, int] | None:
    """The gold tokens ``(start, end)`` exactly covering predicted tokens ``start:end``, if any."""
    if eg.predicted.words == eg.reference.words:
        return start, end
    align = eg.alignment
    first = align.x2y[start]
    last = align.x2y[end - 1]
    if not first or not last:
        return None
    g_start, g_end = first[0], last[-1] + 1
    # The gold tokens must not spill outside the predicted span.
    if align.y2x[g_start][0] < start or align.y2x[g_end - 1][-1] > end - 1:
        return None
    return g_start, g_end


def score_spans(examples: Iterable[Example]) -> dict[str, Any]:
    """``ents_p``, ``ents_r``, ``ents_f`` and ``ents_per_type`` (``{label: {p, r, f}}``).

    Docs without entity annotation are skipped; a predicted entity that does not map onto gold
    token boundaries, or that touches tokens whose gold annotation is missing, is left out.
    """
    score = PRF()
    per_type: dict[str, PRF] = {}
    for eg in examples:
        gold, pred = eg.reference, eg.predicted
        if gold.ents is None:
            continue
        gold_missing = gold.ents_missing or [False] * len(gold)
        gold_spans = {(s.label, s.start, s.end) for s in gold.ents}
        pred_spans = set()
        for span in pred.ents or ():
            mapped = _gold_span(eg, span.start, span.end)
            if mapped is None or any(gold_missing[mapped[0] : mapped[1]]):
                continue
            pred_spans.add((span.label, *mapped))
        score.score_set(pred_spans, gold_spans)
        for label in {s[0] for s in gold_spans | pred_spans}:
            per_type.setdefault(label, PRF()).score_set(
                {s for s in pred_spans if s[0] == label}, {s for s in gold_spans if s[0] == label}
            )
    if len(score) == 0 and not per_type:
        return {"ents_p": None, "ents_r": None, "ents_f": None, "ents_per_type": None}
    return {
        "ents_p": score.precision,
        "ents_r": score.recall,
        "ents_f": score.fscore,
        "ents_per_type": {k: v.to_dict() for k, v in sorted(per_type.items())},
    }


def _sent_spans(doc: Doc) -> list[tuple[int, int]]:
    return doc.sentence_bounds()


def score_sents(examples: Iterable[Example]) -> dict[str, float | None]:
    """``sents_p``, ``sents_r``, ``sents_f``: sentence spans of the prediction vs the gold."""
    score = PRF()
    for eg in examples:
        gold, pred = eg.reference, eg.predicted
        if gold.sent_starts is None and gold.heads is None:
            continue
        if pred.sent_starts is None and pred.heads is None:
            continue
        gold_sents = set(_sent_spans(gold))
        pred_sents = set()
        for start, end in _sent_spans(pred):
            mapped = _gold_span(eg, start, end)
            if mapped is not None:
                pred_sents.add(mapped)
            else:
                score.fp += 1
        score.score_set(pred_sents, gold_sents)
    if len(score) == 0:
        return {"sents_p": None, "sents_r": None, "sents_f": None}
    return {"sents_p": score.precision, "sents_r": score.recall, "sents_f": score.fscore}
