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
from thinc.api import Dropout, Linear, Model, Relu, chain, zero_init

from ..doc import Doc
from .component import Component, GetExamples, TrainingError
from .decoders import decode_trees, sentence_starts
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

_MASK = -1e9

# Distance buckets of an arc (head - dependent), each side: 1, 2, 3, 4, 5, 6-7, 8-11, 12-19,
# 20-35, 36+. The CNN token vectors do not know where a token is; these features tell the
# scorer how far and in which direction the head is.
_DIST_BOUNDS = np.array([1, 2, 3, 4, 5, 6, 8, 12, 20, 36])
_N_DIST = 2 * len(_DIST_BOUNDS) + 1
_BUCKET_CACHE: dict[int, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {}


def _distance_buckets(offset: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Bucket ids in ``[0, _N_DIST)`` of arc offsets ``head - dependent`` (0 = the middle)."""
    size = np.searchsorted(_DIST_BOUNDS, np.abs(offset), side="right")
    out: np.ndarray[Any, Any] = len(_DIST_BOUNDS) + np.sign(offset) * size
    return out


def _bucket_matrix(width: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``(width, width)`` bucket ids of arc ``j -> i`` and their one-hot ``(width, width, _N_DIST)``."""
    got = _BUCKET_CACHE.get(width)
    if got is None:
        t = np.arange(width)
        ids = _distance_buckets(t[None, :] - t[:, None]).astype(np.int32)
        onehot = np.zeros((width, width, _N_DIST), dtype=np.float32)
        onehot[t[:, None], t[None, :], ids] = 1.0
        got = (ids, onehot)
        if len(_BUCKET_CACHE) < 64 or width <= 128:
            _BUCKET_CACHE[width] = got
    return got


@dataclass(slots=True)
class Bucket:
    """Sentences of similar length, padded together to ``(n_sents, T)``.

    ``pad_idx[s, t]`` is the token row of token ``t`` of sentence ``s`` (``n_tokens`` for
    padding); ``rows`` lists the token rows of the bucket in order and ``pos`` their flat
    positions ``s * T + t``; ``starts``, ``lengths`` and ``single_root`` describe the sentences
    (first row, length, and whether it is one sentence or a stretch that may hold several).
    """

    pad_idx: Any
    rows: Any
    pos: Any
    starts: np.ndarray[Any, np.dtype[np.int64]]
    lengths: np.ndarray[Any, np.dtype[np.int64]]
    single_root: np.ndarray[Any, np.dtype[np.bool_]]


@dataclass(slots=True)
class ParserInputs:
    """A batch for the parser model: token vectors, the sentences (bucketed), the label heads.

    ``X`` holds the token vectors of all docs, one row per token; ``buckets`` group the sentences
    by length so that little is padded. ``label_heads`` (token rows; None in prediction, where the
    decoded heads are used) gives the head whose label features score each token's label.
    """

    X: Any
    buckets: list[Bucket]
    label_heads: Any = None


@dataclass(slots=True)
class ParserOutputs:
    """Arc scores per bucket, label scores ``(n_tokens, n_labels)``, head rows, sentence-start scores."""

    arc_scores: list[Any]
    label_scores: Any
    heads: Any
    sent_scores: Any


@registry.architectures("corpuskit.BiaffineParser.v1")
def build_biaffine_parser(
    hidden_width: int = 384,
    label_width: int = 384,
    nO: int | None = None,
) -> Model[Any, Any]:
    """The biaffine arc scorer and the labeller over token vectors (see the module docs).

    ``nO`` (the number of labels) and ``nI`` (the tok2vec width) are set by the component.
    """
    relu = Relu(nO=2 * hidden_width + 2 * label_width)
    proj: Model[Any, Any] = chain(relu, Dropout(0.0))
    senter = Linear(nO=2, init_W=zero_init)
    model: Model[Any, Any] = Model(
        "biaffine_parser",
        _parser_forward,
        init=_parser_init,
        layers=[proj, senter],
        dims={"nI": None, "nO": nO, "arc_width": hidden_width, "label_width": label_width},
        params={"U_arc": None, "w_root": None, "D_arc": None, "W_label": None, "E_label": None},
    )
    model.set_ref("proj", relu)
    model.set_ref("senter", senter)
    return model


def _parser_init(model: Model[Any, Any], X: Any = None, Y: Any = None) -> Model[Any, Any]:
    n_in = model.get_dim("nI")
    arc = model.get_dim("arc_width")
    lab = model.get_dim("label_width")
    n_labels = model.get_dim("nO")
    relu = model.get_ref("proj")
    relu.set_dim("nI", n_in, force=True)
    model.layers[0].initialize()
    model.layers[1].set_dim("nI", n_in, force=True)
    model.layers[1].initialize()
    ops = model.ops
    model.set_param("U_arc", ops.alloc2f(arc + 1, arc))
    model.set_param("w_root", ops.alloc1f(arc + 1))
    model.set_param("D_arc", ops.alloc2f(arc + 1, _N_DIST))
    model.set_param("W_label", ops.alloc2f(3 * lab + 1, n_labels))
    model.set_param("E_label", ops.alloc2f(_N_DIST, n_labels))
    return model


def _parser_forward(
    model: Model[Any, Any], inputs: ParserInputs, is_train: bool
) -> tuple[ParserOutputs, Any]:
    ops = model.ops
    xp = ops.xp
    arc = model.get_dim("arc_width")
    lab = model.get_dim("label_width")
    U_arc: Any = model.get_param("U_arc")
    w_root: Any = model.get_param("w_root")
    D_arc: Any = model.get_param("D_arc")
    W_lab: Any = model.get_param("W_label")
    E_lab: Any = model.get_param("E_label")
    P, bp_proj = model.layers[0](inputs.X, is_train)
    sent_scores, bp_sent = model.layers[1](inputs.X, is_train)
    n_tok = P.shape[0]
    dtype = P.dtype
    # One product gives the bilinear term, the distance scores and the root score of each token.
    W_dep = xp.concatenate([U_arc, D_arc, w_root[:, None]], axis=1)
    n_cols = W_dep.shape[1]
    # -- arcs: one padded (n_sents, T, T) array per bucket ----------------------------------
    P_ext = xp.concatenate([P[:, : 2 * arc], xp.zeros((1, 2 * arc), dtype=dtype)], axis=0)
    saved = []
    arc_scores = []
    for b in inputs.buckets:
        n_sents, width = b.pad_idx.shape
        padded = P_ext[b.pad_idx]
        head = padded[:, :, arc:]
        flat_dep1 = xp.concatenate(
            [padded[:, :, :arc].reshape(n_sents * width, arc), xp.ones((n_sents * width, 1), dtype=dtype)],
            axis=1,
        )
        # 2-d products through the model's ops (the pipeline's choice of BLAS, or cupy).
        AQR = _gemm(ops, flat_dep1, W_dep).reshape(n_sents, width, n_cols)
        A = AQR[:, :, :arc]
        scores = A @ head.transpose(0, 2, 1)
        # Distance features: [dep_i; 1] D[:, bucket(j - i)].
        ids, onehot = _bucket_matrix(width)
        scores += AQR[:, :, arc : arc + _N_DIST][:, xp.arange(width)[:, None], xp.asarray(ids)]
        diag = xp.arange(width)
        scores[:, diag, diag] = AQR[:, :, -1]
        col_mask = xp.asarray(np.arange(width)[None, :] >= b.lengths[:, None])
        scores += xp.where(col_mask, dtype.type(_MASK), dtype.type(0.0))[:, None, :]
        saved.append((flat_dep1, A, head, onehot))
        arc_scores.append(scores)
    # -- heads for the labeller --------------------------------------------------------------
    if inputs.label_heads is None:
        heads = xp.arange(n_tok, dtype="i")
        for b, scores in zip(inputs.buckets, arc_scores, strict=True):
            local = decode_trees(_host(scores), b.lengths, single_root=b.single_root)
            valid = np.arange(local.shape[1])[None, :] < b.lengths[:, None]
            head_rows = (local + b.starts[:, None])[valid]
            heads[b.rows] = xp.asarray(head_rows.astype(np.int32))
    else:
        heads = inputs.label_heads
    # -- labels: [dep; head; dep * head; 1] @ W ----------------------------------------------
    dl = P[:, 2 * arc : 2 * arc + lab]
    hl = P[heads, 2 * arc + lab :]
    feats = xp.concatenate([dl, hl, dl * hl, xp.ones((n_tok, 1), dtype=dtype)], axis=1)
    dist = xp.asarray(_distance_buckets(_host(heads).astype(np.int64) - np.arange(n_tok)))
    label_scores = _gemm(ops, feats, W_lab) + E_lab[dist]

    def backprop(d_out: tuple[list[Any], Any, Any]) -> Any:
        d_arcs, d_labels, d_sent = d_out
        dP = xp.zeros_like(P)
        # labels
        d_labels = xp.ascontiguousarray(d_labels, dtype=dtype)
        model.inc_grad("W_label", _gemm(ops, feats, d_labels, trans1=True))
        d_E = xp.zeros((_N_DIST, d_labels.shape[1]), dtype=dtype)
        ops.scatter_add(d_E, dist, xp.ascontiguousarray(d_labels))
        model.inc_grad("E_label", d_E)
        d_feats = _gemm(ops, d_labels, W_lab, trans2=True)
        d_prod = d_feats[:, 2 * lab : 3 * lab]
        dP[:, 2 * arc : 2 * arc + lab] = d_feats[:, :lab] + d_prod * hl
        d_lhead = xp.zeros((n_tok, lab), dtype=dtype)
        ops.scatter_add(d_lhead, heads, xp.ascontiguousarray(d_feats[:, lab : 2 * lab] + d_prod * dl))
        dP[:, 2 * arc + lab :] = d_lhead
        # arcs
        for b, (flat_dep1, A, head, onehot), d_scores in zip(inputs.buckets, saved, d_arcs, strict=True):
            n_sents, width = b.pad_idx.shape
            diag = xp.arange(width)
            d_root = d_scores[:, diag, diag]
            d_off = d_scores.copy()
            d_off[:, diag, diag] = 0.0
            d_A = d_off @ head
            d_head = d_off.transpose(0, 2, 1) @ A
            dQ = (d_off.transpose(1, 0, 2) @ xp.asarray(onehot)).transpose(1, 0, 2)
            d_AQR = xp.concatenate([d_A, dQ, d_root[:, :, None]], axis=2).reshape(n_sents * width, n_cols)
            d_W = _gemm(ops, flat_dep1, d_AQR, trans1=True)
            model.inc_grad("U_arc", xp.ascontiguousarray(d_W[:, :arc]))
            model.inc_grad("D_arc", xp.ascontiguousarray(d_W[:, arc : arc + _N_DIST]))
            model.inc_grad("w_root", xp.ascontiguousarray(d_W[:, -1]))
            pos = b.pos
            dP[b.rows, :arc] = _gemm(ops, d_AQR[pos], xp.ascontiguousarray(W_dep[:arc]), trans2=True)
            dP[b.rows, arc : 2 * arc] = d_head.reshape(n_sents * width, arc)[pos]
        return bp_proj(dP) + bp_sent(d_sent)

    return ParserOutputs(arc_scores, label_scores, heads, sent_scores), backprop


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
            scores = _host(self.model.get_ref("senter").predict(X))
            is_start = scores[:, 1] > scores[:, 0]
            offset = 0
            for k in free:
                cuts[k] = is_start[offset : offset + len(docs[k])]
                offset += len(docs[k])
        layout = _layout(docs, cuts)
        if int(layout.lengths.sum()) == 0:
            return layout, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        out = self.model.predict(self._inputs(tokvecs, layout))
        heads = _host(out.heads).astype(np.int64)
        labels = _host(out.label_scores.argmax(axis=1)).astype(np.int64)
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
            p = _host(scores).astype(np.float64)
            p -= p.max(axis=2, keepdims=True)
            np.exp(p, out=p)
            p /= p.sum(axis=2, keepdims=True)
            for s, (start, length) in enumerate(zip(b.starts.tolist(), b.lengths.tolist(), strict=True)):
                d = int(doc_of_row[start])
                a = start - int(layout.doc_starts[d])
                per_doc_heads[d][a : a + length, a : a + length] = p[s, :length, :length]
        lp = _host(out.label_scores).astype(np.float64)
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
                probs = _softmax(xp, flat[pos])
                r = xp.arange(len(pos))
                loss += float(-xp.log(xp.maximum(probs[r, target], 1e-12)).sum())
                probs[r, target] -= 1.0
                d_flat[pos] = probs
            d_arcs.append(d_flat.reshape(scores.shape))
        # Label loss over the tokens with a known non-root gold arc and a known label.
        label_loss, d_labels = _masked_xent(xp, out.label_scores, gold_labels)
        loss += label_loss
        # Sentence-start loss over the tokens of docs without sentence starts (not the first).
        sent_gold = np.full(n_tok, -1, dtype=np.int32)
        for k, starts in enumerate(gold_starts):
            if starts is not None and len(starts) > 1:
                a = int(layout.doc_starts[k])
                sent_gold[a + 1 : a + len(starts)] = [-1 if x is None else int(bool(x)) for x in starts[1:]]
        sent_loss, d_sent = _masked_xent(xp, out.sent_scores, sent_gold)
        loss += sent_loss
        dX = backprop((d_arcs, d_labels, d_sent))
        lengths = [len(t) for t in tokvecs]
        return loss, list(ops.unflatten(dX, ops.asarray1i(lengths))) if lengths else []

    def score(self, examples: Iterable[Example]) -> dict[str, Any]:
        examples = list(examples)
        scores = score_deps(examples)
        scores.update(score_sents(examples))
        return scores


def _softmax(xp: Any, x: Any) -> Any:
    e = xp.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _masked_xent(xp: Any, scores: Any, gold: np.ndarray[Any, Any]) -> tuple[float, Any]:
    """Softmax cross-entropy over the rows whose ``gold`` class is known (>= 0), and its gradient."""
    d_scores = xp.zeros_like(scores)
    known = gold >= 0
    if not known.any():
        return 0.0, d_scores
    rows = xp.asarray(np.flatnonzero(known))
    probs = _softmax(xp, scores[rows])
    target = xp.asarray(gold[known])
    r = xp.arange(len(target))
    loss = float(-xp.log(xp.maximum(probs[r, target], 1e-12)).sum())
    probs[r, target] -= 1.0
    d_scores[rows] = probs
    return loss, d_scores


#: The name the config's factory table uses.
Parser = DependencyParser


@registry.factories("parser")
def make_parser(name: str, model: Model[Any, Any]) -> DependencyParser:
    """Build a :class:`DependencyParser` from its ``[components.NAME]`` section."""
    return DependencyParser(name, model)


def _gemm(ops: Any, a: Any, b: Any, *, trans1: bool = False, trans2: bool = False) -> Any:
    """``a @ b`` (optionally transposed) through thinc's ops (blis or numpy's BLAS on CPU, cupy on GPU)."""
    return ops.gemm(a, b, trans1=trans1, trans2=trans2)


def _host(x: Any) -> np.ndarray[Any, Any]:
    """A device (cupy) or host array as a numpy array."""
    get = getattr(x, "get", None)
    return np.asarray(get() if callable(get) else x)
