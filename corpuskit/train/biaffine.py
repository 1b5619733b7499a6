"""The biaffine parser model: a thinc model scoring arcs and labels over token vectors.

``corpuskit.BiaffineParser.v1`` (see :mod:`corpuskit.train.parser` for the architecture and the
component that trains and decodes it). The forward pass is three steps (arc scores per bucket of
sentences, the heads the labeller reads, label scores) and its backward pass two (labels, arcs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from thinc.api import Dropout, Linear, Model, Relu, chain, zero_init

from .component import to_host
from .decoders import decode_trees
from .registry import registry

__all__ = ["Bucket", "ParserInputs", "ParserOutputs", "build_biaffine_parser", "distance_buckets"]

_MASK = -1e9

# Distance buckets of an arc (head - dependent), each side: 1, 2, 3, 4, 5, 6-7, 8-11, 12-19,
# 20-35, 36+. The CNN token vectors do not know where a token is; these features tell the
# scorer how far and in which direction the head is.
_DIST_BOUNDS = np.array([1, 2, 3, 4, 5, 6, 8, 12, 20, 36])
_N_DIST = 2 * len(_DIST_BOUNDS) + 1
_BUCKET_CACHE: dict[int, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {}


def distance_buckets(offset: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Bucket ids in ``[0, _N_DIST)`` of arc offsets ``head - dependent`` (0 = the middle)."""
    size = np.searchsorted(_DIST_BOUNDS, np.abs(offset), side="right")
    out: np.ndarray[Any, Any] = len(_DIST_BOUNDS) + np.sign(offset) * size
    return out


def _bucket_matrix(width: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """``(width, width)`` bucket ids of arc ``j -> i`` and their one-hot ``(width, width, _N_DIST)``."""
    got = _BUCKET_CACHE.get(width)
    if got is None:
        t = np.arange(width)
        ids = distance_buckets(t[None, :] - t[:, None]).astype(np.int32)
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
    # One product gives the bilinear term, the distance scores and the root score of each token.
    W_dep = xp.concatenate([U_arc, D_arc, w_root[:, None]], axis=1)
    arc_scores, saved = _score_arcs(ops, P, inputs.buckets, W_dep, arc)
    heads = inputs.label_heads
    if heads is None:
        heads = _decoded_heads(xp, inputs.buckets, arc_scores, P.shape[0])
    label_scores, feats = _score_labels(ops, P, heads, W_lab, E_lab, arc, lab)

    def backprop(d_out: tuple[list[Any], Any, Any]) -> Any:
        d_arcs, d_labels, d_sent = d_out
        dP = xp.zeros_like(P)
        _backprop_labels(model, dP, d_labels, feats, W_lab, arc, lab)
        _backprop_arcs(model, dP, d_arcs, inputs.buckets, saved, W_dep, arc)
        return bp_proj(dP) + bp_sent(d_sent)

    return ParserOutputs(arc_scores, label_scores, heads, sent_scores), backprop


def _score_arcs(
    ops: Any, P: Any, buckets: list[Bucket], W_dep: Any, arc: int
) -> tuple[list[Any], list[tuple[Any, Any, Any, Any]]]:
    """Arc scores, one padded ``(n_sents, T, T)`` array per bucket, and what backprop needs."""
    xp = ops.xp
    dtype = P.dtype
    n_cols = W_dep.shape[1]
    P_ext = xp.concatenate([P[:, : 2 * arc], xp.zeros((1, 2 * arc), dtype=dtype)], axis=0)
    saved = []
    arc_scores = []
    for b in buckets:
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
    return arc_scores, saved


def _decoded_heads(xp: Any, buckets: list[Bucket], arc_scores: list[Any], n_tok: int) -> Any:
    """The head row of every token, decoded into one tree per sentence (prediction)."""
    heads = xp.arange(n_tok, dtype="i")
    for b, scores in zip(buckets, arc_scores, strict=True):
        local = decode_trees(to_host(scores), b.lengths, single_root=b.single_root)
        valid = np.arange(local.shape[1])[None, :] < b.lengths[:, None]
        head_rows = (local + b.starts[:, None])[valid]
        heads[b.rows] = xp.asarray(head_rows.astype(np.int32))
    return heads


def _score_labels(
    ops: Any, P: Any, heads: Any, W_lab: Any, E_lab: Any, arc: int, lab: int
) -> tuple[Any, tuple[Any, Any, Any, Any, Any]]:
    """Label scores ``[dep; head; dep * head; 1] @ W + E[distance]`` and what backprop needs."""
    xp = ops.xp
    n_tok = P.shape[0]
    dl = P[:, 2 * arc : 2 * arc + lab]
    hl = P[heads, 2 * arc + lab :]
    feats = xp.concatenate([dl, hl, dl * hl, xp.ones((n_tok, 1), dtype=P.dtype)], axis=1)
    dist = xp.asarray(distance_buckets(to_host(heads).astype(np.int64) - np.arange(n_tok)))
    label_scores = _gemm(ops, feats, W_lab) + E_lab[dist]
    return label_scores, (feats, dl, hl, dist, heads)


def _backprop_labels(
    model: Model[Any, Any],
    dP: Any,
    d_labels: Any,
    saved: tuple[Any, Any, Any, Any, Any],
    W_lab: Any,
    arc: int,
    lab: int,
) -> None:
    """The labeller's gradients: into ``W_label``, ``E_label`` and ``dP`` (in place)."""
    ops = model.ops
    xp = ops.xp
    dtype = dP.dtype
    feats, dl, hl, dist, heads = saved
    n_tok = dP.shape[0]
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


def _backprop_arcs(
    model: Model[Any, Any],
    dP: Any,
    d_arcs: list[Any],
    buckets: list[Bucket],
    saved: list[tuple[Any, Any, Any, Any]],
    W_dep: Any,
    arc: int,
) -> None:
    """The arc scorer's gradients: into ``U_arc``, ``D_arc``, ``w_root`` and ``dP`` (in place)."""
    ops = model.ops
    xp = ops.xp
    n_cols = W_dep.shape[1]
    for b, (flat_dep1, A, head, onehot), d_scores in zip(buckets, saved, d_arcs, strict=True):
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


def _gemm(ops: Any, a: Any, b: Any, *, trans1: bool = False, trans2: bool = False) -> Any:
    """``a @ b`` (optionally transposed) through thinc's ops (blis or numpy's BLAS on CPU, cupy on GPU)."""
    return ops.gemm(a, b, trans1=trans1, trans2=trans2)
