"""The dependency parser: a biaffine arc scorer and a labeller, decoded into trees.

Architecture (``corpuskit.BiaffineParser.v1``, after Dozat & Manning 2017, sized for CPU):

* one ReLU projection of each token vector into four parts: an arc-dependent and an arc-head
  representation (``hidden_width`` each) and a label-dependent and a label-head representation
  (``label_width`` each), with dropout (the rate of ``[training] dropout``);
* arc scores per sentence ``S[i, j] = [dep_i; 1] U head_j + [dep_i; 1] D[:, bucket(j - i)]``
  (a head bias is folded into ``U``; ``D`` scores the signed distance to the head in 21 buckets,
  which the convolutional token vectors cannot see) and, on the diagonal, the root score
  ``S[i, i] = [dep_i; 1] . w_root``. The sentences of a batch are sorted by length and scored in
  padded ``(n_sents, T, T)`` buckets of similar lengths;
* label scores of a (dependent, head) pair ``[ldep_i; lhead_h; ldep_i * lhead_h; 1] W +
  E[bucket(h - i)]``, computed for the chosen head only (the gold head in training, the decoded
  one in prediction); roots are labelled ``"ROOT"`` (UD's ``root`` is read as it).

Training: softmax cross-entropy over the candidate heads of each token and over the labels;
tokens whose gold head is unknown (None), outside their sentence, or whose label is unknown are
left out. Decoding: :func:`~corpuskit.train.decoders.decode_trees` (the greedy heads where they
already form a tree, Chu-Liu/Edmonds otherwise): every sentence gets exactly one tree.

Sentences are :meth:`Doc.sentence_bounds` of the predicted doc when it carries sentence starts
(one root each). A doc without them (raw text, or a bare copy of a multi-sentence doc) is parsed
as one stretch in which several roots are allowed: the parser segments it, each tree a contiguous
span, and sets ``Doc.sent_starts`` from it. Training sees the same thing as prediction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from thinc.api import Model

from ..doc import Doc
from .biaffine import Bucket, ParserInputs, ParserOutputs, build_biaffine_parser
from .component import (
    Component,
    GetExamples,
    TrainingError,
    masked_softmax_xent,
    row_softmax,
    to_host,
)
from .decoders import sentence_starts
from .example import Example
from .registry import registry
from .scorer import score_deps, score_sents

__all__ = [
    "ROOT_LABEL",
    "DependencyParser",
    "Parser",
    "ParserInputs",
    "ParserOutputs",
    "build_biaffine_parser",
    "make_parser",
]

#: The label every root gets (spaCy's convention; UD's "root" is read as this).
ROOT_LABEL = "ROOT"

# -- the component ----------------------------------------------------------------------------


def _known_starts(doc: Doc) -> bool:
    """Whether the predicted doc says where its sentences start."""
    starts = doc.sent_starts
    return starts is not None and len(starts) > 0 and any(s is not None for s in starts)


def _segments(doc: Doc, cuts: np.ndarray[Any, Any] | None) -> list[tuple[int, int]]:
    """The sentences to parse: the doc's own, else those ``cuts`` (sentence starts) mark."""
    n = len(doc)
    if n == 0:
        return []
    if _known_starts(doc):
        return doc.sentence_bounds()
    if cuts is None:
        return [(0, n)]
    starts = np.flatnonzero(cuts).tolist()
    if not starts or starts[0] != 0:
        starts = [0, *starts]
    return list(zip(starts, [*starts[1:], n], strict=True))


@dataclass(slots=True)
class _Layout:
    doc_starts: np.ndarray[Any, np.dtype[np.int64]]
    seg_starts: np.ndarray[Any, np.dtype[np.int64]]
    lengths: np.ndarray[Any, np.dtype[np.int64]]
    single_root: np.ndarray[Any, np.dtype[np.bool_]]
    seg_of_tok: np.ndarray[Any, np.dtype[np.int64]]
    buckets: list[Bucket]


def _layout(docs: list[Doc], cuts: list[np.ndarray[Any, Any] | None] | None = None) -> _Layout:
    """Sentences of the docs (see :func:`_segments`), bucketed by length (sorted by length)."""
    seg_starts: list[int] = []
    lengths: list[int] = []
    single: list[bool] = []
    doc_starts = np.zeros(len(docs), dtype=np.int64)
    offset = 0
    for k, doc in enumerate(docs):
        doc_starts[k] = offset
        for s, e in _segments(doc, None if cuts is None else cuts[k]):
            seg_starts.append(offset + s)
            lengths.append(e - s)
            single.append(True)
        offset += len(doc)
    lens = np.asarray(lengths, dtype=np.int64)
    starts = np.asarray(seg_starts, dtype=np.int64)
    single_root = np.asarray(single, dtype=bool)
    seg_of_tok = np.repeat(np.arange(len(lens)), lens)
    buckets: list[Bucket] = []
    order = np.argsort(lens, kind="stable")
    i = 0
    while i < len(order):
        # A bucket's longest sentence is at most ~1.3 times (or 4 tokens more than) its shortest.
        limit = max(int(lens[order[i]] * 1.3), int(lens[order[i]]) + 4)
        j = i
        while j < len(order) and lens[order[j]] <= limit:
            j += 1
        ids = order[i:j]
        i = j
        b_lens = lens[ids]
        b_starts = starts[ids]
        width = int(b_lens.max())
        t = np.arange(width)
        valid = t[None, :] < b_lens[:, None]
        pad_idx = np.where(valid, b_starts[:, None] + t[None, :], offset)
        flat_pos = np.flatnonzero(valid.ravel())
        buckets.append(
            Bucket(
                pad_idx=pad_idx.astype(np.int32),
                rows=pad_idx.ravel()[flat_pos].astype(np.int32),
                pos=flat_pos.astype(np.int32),
                starts=b_starts,
                lengths=b_lens,
                single_root=single_root[ids],
            )
        )
    return _Layout(doc_starts, starts, lens, single_root, seg_of_tok, buckets)


class DependencyParser(Component):
    """Predicts ``Doc.heads``, ``Doc.deps`` and ``Doc.sent_starts`` (one tree per sentence)."""

    factory = "parser"
    loss_column = "Dep Loss"
    scores_keys = ("dep_uas", "dep_las", "dep_las_per_type", "sents_p", "sents_r", "sents_f")
    default_config: ClassVar[dict[str, Any]] = {
        "factory": "parser",
        "model": {
            "@architectures": "corpuskit.BiaffineParser.v1",
            "hidden_width": 384,
            "label_width": 384,
            "nO": None,
        },
    }
    default_score_weights: ClassVar[dict[str, float]] = {"dep_uas": 0.5, "dep_las": 0.5, "sents_f": 0.0}

    def __init__(self, name: str, model: Model[Any, Any]) -> None:
        super().__init__(name, model, cfg={})
        self._label_index: dict[str, int] = {}

    def _index(self) -> dict[str, int]:
        if len(self._label_index) != len(self.labels):
            self._label_index = {label: i for i, label in enumerate(self.labels)}
        return self._label_index

    def initialize(self, get_examples: GetExamples, *, nO_tok2vec: int) -> None:
        labels: set[str] = set()
        for eg in get_examples():
            ref = eg.reference
            if ref.heads is None or ref.deps is None:
                continue
            for i, (h, d) in enumerate(zip(ref.heads, ref.deps, strict=True)):
                if h is not None and d is not None and h != i and d.upper() != ROOT_LABEL:
                    labels.add(d)
        if not labels:
            raise TrainingError(
                f"component {self.name!r}: no token in the training data has a head and a dependency label"
            )
        self.labels = sorted(labels)
        self.model.set_dim("nO", len(self.labels), force=True)
        self.model.set_dim("nI", nO_tok2vec, force=True)
        self.model.initialize()

    def _inputs(self, tokvecs: list[Any], layout: _Layout, label_heads: Any = None) -> ParserInputs:
        ops = self.model.ops
        xp = ops.xp
        X = xp.concatenate(tokvecs, axis=0) if tokvecs else ops.alloc2f(0, self.model.get_dim("nI"))
        buckets = layout.buckets
        if xp is not np:
            buckets = [
                Bucket(
                    xp.asarray(b.pad_idx),
                    xp.asarray(b.rows),
                    xp.asarray(b.pos),
                    b.starts,
                    b.lengths,
                    b.single_root,
                )
                for b in buckets
            ]
        return ParserInputs(X=X, buckets=buckets, label_heads=label_heads)

    def predict(self, docs: list[Doc], tokvecs: list[Any]) -> Any:
        cuts: list[np.ndarray[Any, Any] | None] = [None] * len(docs)
        free = [k for k, doc in enumerate(docs) if len(doc) and not _known_starts(doc)]
        if free:
            # Sentence starts of the docs that do not carry them: the senter's argmax.
            X = self.model.ops.xp.concatenate([tokvecs[k] for k in free], axis=0)
            scores = to_host(self.model.get_ref("senter").predict(X))
            is_start = scores[:, 1] > scores[:, 0]
            offset = 0
            for k in free:
                cuts[k] = is_start[offset : offset + len(docs[k])]
                offset += len(docs[k])
        layout = _layout(docs, cuts)
        if int(layout.lengths.sum()) == 0:
            return layout, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        out = self.model.predict(self._inputs(tokvecs, layout))
        heads = to_host(out.heads).astype(np.int64)
        labels = to_host(out.label_scores.argmax(axis=1)).astype(np.int64)
        return layout, heads, labels

    def predict_proba(
        self, docs: list[Doc], tokvecs: list[Any], *, heads: list[list[int]] | None = None
    ) -> list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
        """Per doc, ``(head_probs, label_probs)``: ``head_probs[i, j]`` is the probability that
        token ``j`` heads token ``i`` (``j == i``: a root; 0 across sentences), ``label_probs[i]``
        the probability of each of :attr:`labels` for token ``i``'s arc to its head in ``heads``
        (doc-relative, e.g. the gold heads; default: the decoded ones). The docs' own sentence
        starts are used where they have them."""
        ops = self.model.ops
        layout = _layout(docs)
        n_tok = int(layout.lengths.sum())
        if n_tok == 0:
            return [(np.zeros((len(d), len(d))), np.zeros((len(d), len(self.labels)))) for d in docs]
        label_heads = None
        if heads is not None:
            starts = layout.doc_starts.tolist()
            rows = np.concatenate(
                [np.asarray(h, dtype=np.int64) + a for h, a in zip(heads, starts, strict=True)]
            )
            label_heads = ops.xp.asarray(rows.astype(np.int32))
        out = self.model.predict(self._inputs(tokvecs, layout, label_heads))
        per_doc_heads: list[np.ndarray[Any, Any]] = [np.zeros((len(d), len(d))) for d in docs]
        doc_of_row = np.searchsorted(layout.doc_starts, np.arange(n_tok), side="right") - 1
        for b, scores in zip(layout.buckets, out.arc_scores, strict=True):
            p = to_host(scores).astype(np.float64)
            p -= p.max(axis=2, keepdims=True)
            np.exp(p, out=p)
            p /= p.sum(axis=2, keepdims=True)
            for s, (start, length) in enumerate(zip(b.starts.tolist(), b.lengths.tolist(), strict=True)):
                d = int(doc_of_row[start])
                a = start - int(layout.doc_starts[d])
                per_doc_heads[d][a : a + length, a : a + length] = p[s, :length, :length]
        lp = to_host(out.label_scores).astype(np.float64)
        lp -= lp.max(axis=1, keepdims=True)
        np.exp(lp, out=lp)
        lp /= lp.sum(axis=1, keepdims=True)
        return [
            (per_doc_heads[k], lp[int(a) : int(a) + len(doc)])
            for k, (doc, a) in enumerate(zip(docs, layout.doc_starts, strict=True))
        ]

    def set_annotations(self, docs: list[Doc], scores: Any) -> None:
        layout, heads, labels = scores
        names = np.asarray([*self.labels, ROOT_LABEL], dtype=object)
        rows = np.arange(len(heads))
        is_root = heads == rows
        label_ids = np.where(is_root, len(self.labels), labels)
        dep_names = names[label_ids] if len(rows) else np.zeros(0, dtype=object)
        starts = sentence_starts(heads)
        for k, doc in enumerate(docs):
            a = int(layout.doc_starts[k])
            b = a + len(doc)
            doc.heads = (heads[a:b] - a).tolist()
            doc.deps = dep_names[a:b].tolist()
            doc.sent_starts = starts[a:b].tolist()

    def _gold(
        self, examples: list[Example], layout: _Layout
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """Gold head rows (-1 = left out) and label ids (-1 = left out; roots too) per token."""
        index = self._index()
        n_tok = int(layout.lengths.sum())
        gold_heads = np.full(n_tok, -1, dtype=np.int64)
        gold_labels = np.full(n_tok, -1, dtype=np.int64)
        for k, eg in enumerate(examples):
            a = int(layout.doc_starts[k])
            heads, deps = eg.get_aligned_parse()
            n = len(heads)
            h = np.fromiter((-1 if x is None else x for x in heads), dtype=np.int64, count=n)
            gold_heads[a : a + n] = np.where(h >= 0, h + a, -1)
            gold_labels[a : a + n] = [-1 if d is None else index.get(d, -1) for d in deps]
        rows = np.arange(n_tok)
        known = gold_heads >= 0
        # A head outside the token's segment cannot be predicted: leave it out.
        seg = layout.seg_of_tok
        safe = np.where(known, gold_heads, rows)
        known &= seg[safe] == seg
        gold_heads = np.where(known, gold_heads, -1)
        gold_labels = np.where(known & (gold_heads != rows), gold_labels, -1)
        return gold_heads, gold_labels

    def update(
        self, examples: list[Example], tokvecs: list[Any], *, drop: float = 0.0
    ) -> tuple[float, list[Any]]:
        ops = self.model.ops
        xp = ops.xp
        docs = [eg.predicted for eg in examples]
        # Docs without sentence starts are cut at the gold ones (the senter learns to find them).
        gold_starts = [
            None if _known_starts(eg.predicted) else eg.get_aligned_sent_starts() for eg in examples
        ]
        cuts = [None if g is None else np.asarray([bool(x) for x in g], dtype=bool) for g in gold_starts]
        layout = _layout(docs, cuts)
        n_tok = int(layout.lengths.sum())
        if n_tok == 0:
            return 0.0, [ops.alloc2f(*t.shape) for t in tokvecs]
        gold_heads, gold_labels = self._gold(examples, layout)
        rows = np.arange(n_tok)
        label_heads = np.where(gold_heads >= 0, gold_heads, rows).astype(np.int32)
        out, backprop = self.model.begin_update(self._inputs(tokvecs, layout, xp.asarray(label_heads)))
        # Arc loss: softmax over each token's candidate heads in its (padded) sentence.
        loss = 0.0
        d_arcs = []
        for b, scores in zip(layout.buckets, out.arc_scores, strict=True):
            n_sents, width = b.pad_idx.shape
            flat = scores.reshape(n_sents * width, width)
            d_flat = xp.zeros_like(flat)
            gold = gold_heads[b.rows]
            known = gold >= 0
            if known.any():
                seg_start = np.repeat(b.starts, b.lengths)
                pos = xp.asarray(b.pos[known])
                target = xp.asarray(gold[known] - seg_start[known])
                probs = row_softmax(xp, flat[pos])
                r = xp.arange(len(pos))
                loss += float(-xp.log(xp.maximum(probs[r, target], 1e-12)).sum())
                probs[r, target] -= 1.0
                d_flat[pos] = probs
            d_arcs.append(d_flat.reshape(scores.shape))
        # Label loss over the tokens with a known non-root gold arc and a known label.
        label_loss, d_labels = masked_softmax_xent(xp, out.label_scores, gold_labels)
        loss += label_loss
        # Sentence-start loss over the tokens of docs without sentence starts (not the first).
        sent_gold = np.full(n_tok, -1, dtype=np.int32)
        for k, starts in enumerate(gold_starts):
            if starts is not None and len(starts) > 1:
                a = int(layout.doc_starts[k])
                sent_gold[a + 1 : a + len(starts)] = [-1 if x is None else int(bool(x)) for x in starts[1:]]
        sent_loss, d_sent = masked_softmax_xent(xp, out.sent_scores, sent_gold)
        loss += sent_loss
        dX = backprop((d_arcs, d_labels, d_sent))
        lengths = [len(t) for t in tokvecs]
        return loss, list(ops.unflatten(dX, ops.asarray1i(lengths))) if lengths else []

    def score(self, examples: Iterable[Example]) -> dict[str, Any]:
        examples = list(examples)
        scores = score_deps(examples)
        scores.update(score_sents(examples))
        return scores


#: The name the config's factory table uses.
Parser = DependencyParser


@registry.factories("parser")
def make_parser(name: str, model: Model[Any, Any]) -> DependencyParser:
    """Build a :class:`DependencyParser` from its ``[components.NAME]`` section."""
    return DependencyParser(name, model)
