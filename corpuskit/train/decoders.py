"""Structured decoders: maximum spanning trees for the parser, constrained BILUO Viterbi for the NER.

Both are pure numpy and work on padded batches:

* :func:`decode_trees` turns arc scores ``(n_sents, T, T)`` (``scores[s, i, j]`` = score of token
  ``j`` being the head of token ``i``; the diagonal ``scores[s, i, i]`` is the score of ``i`` being
  the sentence's root) into heads that always form ONE tree per sentence: every token has exactly
  one head, exactly one token is its own head (the root), and there is no cycle. Sentences whose
  greedy (argmax) heads already form such a tree are taken as they are (checked for the whole batch
  at once); only the others go through Chu-Liu/Edmonds (maximum spanning arborescence, so
  non-projective trees are allowed), with a penalty on root arcs that makes the best tree have one
  root.
* :func:`viterbi_biluo` finds the best tag sequence under a transition mask
  (:func:`biluo_constraints`) that forbids every invalid BILUO move (``O -> I-X``, ``B-X -> I-Y``,
  ``U-X -> L-X``, ending inside an entity ...), vectorised over the sentences of a batch.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "biluo_constraints",
    "biluo_crf_loss",
    "biluo_tag_names",
    "chu_liu_edmonds",
    "decode_trees",
    "is_tree",
    "is_valid_biluo",
    "sentence_starts",
    "trees_mask",
    "viterbi_biluo",
]

_NEG = -1e30


# -- trees ----------------------------------------------------------------------------------------


def trees_mask(
    heads: NDArray[np.integer],
    lengths: NDArray[np.integer],
    single_root: NDArray[np.bool_] | None = None,
) -> NDArray[np.bool_]:
    """For padded ``heads`` ``(n_sents, T)`` (sentence-relative), which rows are valid trees.

    A row is valid when it has no cycle and exactly one root (a token that is its own head), or,
    where ``single_root[s]`` is False, at least one root (a forest: several sentences).
    Vectorised over the batch: counts the roots and follows the head pointers by pointer
    doubling; every token of a forest reaches a root, which is a fixed point, while a cycle of two
    or more tokens has no fixed point.
    """
    heads = np.asarray(heads, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    n_sents, width = heads.shape
    if n_sents == 0:
        return np.zeros(0, dtype=bool)
    pos = np.arange(width)
    valid = pos[None, :] < lengths[:, None]
    # Padding points at itself; out-of-range heads make the row invalid.
    in_range = (heads >= 0) & (heads < lengths[:, None])
    ok = np.where(valid, in_range, True).all(axis=1)
    h = np.where(valid & in_range, heads, pos[None, :])
    n_roots = ((h == pos[None, :]) & valid).sum(axis=1)
    one = np.ones(n_sents, dtype=bool) if single_root is None else np.asarray(single_root, dtype=bool)
    ok &= np.where(one, n_roots == 1, n_roots >= 1) | (lengths == 0)
    p = h
    steps = 1
    while steps < width:
        p = np.take_along_axis(p, p, axis=1)
        steps *= 2
    p = np.take_along_axis(p, p, axis=1)
    fixed = np.take_along_axis(h, p, axis=1) == p
    ok &= np.where(valid, fixed, True).all(axis=1)
    result: NDArray[np.bool_] = ok
    return result


def is_tree(heads: Sequence[int], *, single_root: bool = True) -> bool:
    """Whether ``heads`` (one sentence, root = own head) is a tree with one root (or a forest)."""
    arr = np.asarray(heads, dtype=np.int64).reshape(1, -1)
    return bool(trees_mask(arr, np.array([arr.shape[1]]), np.array([single_root]))[0])


def _find_cycle(heads: NDArray[np.int64]) -> NDArray[np.int64] | None:
    """A cycle (as node ids) in the head pointers of nodes 1..n (node 0 is the artificial root)."""
    parent = heads.tolist()
    n = len(parent)
    state = [0] * n  # 0 unseen, 1 on the current path, 2 done
    state[0] = 2
    for start in range(1, n):
        if state[start]:
            continue
        path = []
        node = start
        while state[node] == 0:
            state[node] = 1
            path.append(node)
            node = parent[node]
        if state[node] == 1:
            return np.array(path[path.index(node) :], dtype=np.int64)
        for k in path:
            state[k] = 2
    return None


def _cle(scores: NDArray[np.float64]) -> NDArray[np.int64]:
    """Maximum spanning arborescence rooted at node 0; ``scores[d, h]`` scores arc ``h -> d``."""
    n = scores.shape[0]
    heads: NDArray[np.int64] = scores.argmax(axis=1).astype(np.int64)
    heads[0] = 0
    cycle = _find_cycle(heads)
    if cycle is None:
        return heads
    in_cycle = np.zeros(n, dtype=bool)
    in_cycle[cycle] = True
    rest = np.flatnonzero(~in_cycle)  # starts with node 0
    cycle_arcs = scores[cycle, heads[cycle]]
    # Arcs entering the cycle: head h outside, dependent c inside, replacing c's cycle arc.
    enter = scores[cycle][:, rest] - cycle_arcs[:, None]
    enter_dep = enter.argmax(axis=0)
    enter_score = enter.max(axis=0) + cycle_arcs.sum()
    # Arcs leaving the cycle: dependent d outside, best head inside the cycle.
    leave = scores[rest][:, cycle]
    leave_head = leave.argmax(axis=1)
    m = len(rest)
    sub = np.full((m + 1, m + 1), _NEG)
    sub[:m, :m] = scores[rest][:, rest]
    sub[:m, m] = leave.max(axis=1)
    sub[m, :m] = enter_score
    sub[m, m] = _NEG
    sub_heads = _cle(sub)
    out = heads.copy()
    sub_rest = sub_heads[1:m]
    from_cycle = sub_rest == m
    out[rest[1:]] = np.where(from_cycle, cycle[leave_head[1:]], rest[np.minimum(sub_rest, m - 1)])
    h_c = int(sub_heads[m])
    out[cycle[enter_dep[h_c]]] = rest[h_c]
    result: NDArray[np.int64] = out
    return result


def chu_liu_edmonds(scores: NDArray[np.floating], *, single_root: bool = True) -> NDArray[np.int64]:
    """Best single-rooted tree (or, with ``single_root=False``, best forest) over ``n`` tokens.

    ``scores`` is ``(n, n)``: ``scores[i, j]`` scores token ``j`` as the head of ``i``, and
    ``scores[i, i]`` scores ``i`` as the root. Returns ``heads`` (``heads[root] == root``).
    Log-probabilities are a good choice of scores (values are clipped to +-1e6). Exactly one root
    is enforced by subtracting, from every root arc, a penalty larger than any difference the
    other arcs can make.
    """
    scores = np.clip(np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=-1e6), -1e6, 1e6)
    n = scores.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    diag = np.diagonal(scores).copy()
    off = scores.copy()
    np.fill_diagonal(off, _NEG)
    lo = float(min(diag.min(), off[off > _NEG / 2].min()))
    hi = float(max(diag.max(), off.max()))
    penalty = (hi - lo + 1.0) * (n + 1) if single_root else 0.0
    graph = np.full((n + 1, n + 1), _NEG)
    graph[1:, 1:] = off
    graph[1:, 0] = diag - penalty
    heads = _cle(graph)[1:] - 1
    roots = heads < 0
    heads[roots] = np.flatnonzero(roots)
    return heads


def decode_trees(
    scores: NDArray[np.floating],
    lengths: NDArray[np.integer],
    *,
    single_root: NDArray[np.bool_] | None = None,
) -> NDArray[np.int64]:
    """Heads ``(n_sents, T)`` (sentence-relative; padding = -1) that form one tree per sentence.

    ``scores`` is ``(n_sents, T, T)`` as in :func:`chu_liu_edmonds`, padded beyond each
    sentence's length (padding is ignored). ``single_root[s] = False`` lets row ``s`` hold a forest
    (a stretch of text whose sentences are not known): each tree is then a contiguous span, a
    sentence (see :func:`sentence_starts`). By default every row is one sentence. The greedy heads
    are kept where they already form a valid tree (checked for the whole batch at once); the
    remaining rows are decoded with Chu-Liu/Edmonds.
    """
    scores = np.asarray(scores)
    lengths = np.asarray(lengths, dtype=np.int64)
    n_sents, width = scores.shape[:2]
    pos = np.arange(width)
    valid = pos[None, :] < lengths[:, None]
    masked = np.where(valid[:, None, :], scores, -np.inf)
    heads = masked.argmax(axis=2).astype(np.int64) if width else np.zeros((n_sents, 0), dtype=np.int64)
    heads[~valid] = -1
    one = np.ones(n_sents, dtype=bool) if single_root is None else np.asarray(single_root, dtype=bool)
    ok = trees_mask(heads, lengths, one)
    n_roots = ((heads == pos[None, :]) & valid).sum(axis=1)
    for s in np.flatnonzero(~ok | (~one & (n_roots > 1))).tolist():
        n = int(lengths[s])
        sent = _log_softmax(scores[s, :n, :n])
        if not ok[s]:
            heads[s, :n] = chu_liu_edmonds(sent, single_root=bool(one[s]))
        if not one[s]:
            heads[s, :n] = _contiguous_sentences(heads[s, :n], sent)
    return heads


def _log_softmax(scores: NDArray[np.floating]) -> NDArray[np.float64]:
    """Per-dependent log-probabilities: tree scores become sums of log-probabilities."""
    sent = scores.astype(np.float64)
    sent = sent - sent.max(axis=1, keepdims=True)
    out: NDArray[np.float64] = sent - np.log(np.exp(sent).sum(axis=1, keepdims=True))
    return out


def sentence_starts(heads: NDArray[np.integer]) -> NDArray[np.bool_]:
    """Where sentences start in a forest (one stretch of text): where no arc crosses the boundary.

    Each resulting sentence is a contiguous span that holds all the arcs of its tokens.
    """
    heads = np.asarray(heads, dtype=np.int64)
    n = len(heads)
    starts = np.zeros(n, dtype=bool)
    if n == 0:
        return starts
    idx = np.arange(n)
    lo = np.minimum(heads, idx)
    hi = np.maximum(heads, idx)
    cover = np.zeros(n + 1, dtype=np.int64)
    np.add.at(cover, lo + 1, 1)
    np.add.at(cover, hi + 1, -1)
    crossing = np.cumsum(cover)[:n]
    out: NDArray[np.bool_] = crossing == 0
    out[0] = True
    return out


def _contiguous_sentences(heads: NDArray[np.int64], logp: NDArray[np.float64]) -> NDArray[np.int64]:
    """Make a forest's sentences contiguous spans with one root each.

    Sentences are cut where no arc crosses; a span that still holds several roots (trees
    interleaved, e.g. ``0 <- 2`` with ``1`` a root) is re-decoded as one tree.
    """
    heads = heads.copy()
    n = len(heads)
    starts = np.flatnonzero(sentence_starts(heads)).tolist()
    is_root = heads == np.arange(n)
    for a, b in zip(starts, [*starts[1:], n], strict=True):
        if int(is_root[a:b].sum()) > 1:
            heads[a:b] = chu_liu_edmonds(logp[a:b, a:b], single_root=True) + a
    return heads


# -- BILUO ----------------------------------------------------------------------------------------


def biluo_tag_names(labels: Sequence[str]) -> list[str]:
    """The tag inventory of an entity recogniser: ``"O"``, then B/I/L/U of each label in order."""
    names = ["O"]
    for label in labels:
        names.extend(f"{prefix}-{label}" for prefix in "BILU")
    return names


def biluo_constraints(
    n_labels: int,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """``(allowed, start, end)`` masks over the tags of :func:`biluo_tag_names`.

    ``allowed[a, b]``: tag ``b`` may follow tag ``a``; ``start[b]``: a sentence may begin with
    ``b``; ``end[a]``: a sentence may end with ``a``. After ``O``, ``L-X`` or ``U-X`` come ``O``,
    ``B-Y`` or ``U-Y``; after ``B-X`` or ``I-X`` come ``I-X`` or ``L-X``.
    """
    k = 1 + 4 * n_labels
    is_out = np.zeros(k, dtype=bool)  # tags after which a new entity (or O) may start
    is_open = np.zeros(k, dtype=bool)  # tags that open a span: B, U, O
    is_out[0] = True
    is_open[0] = True
    allowed = np.zeros((k, k), dtype=bool)
    for lab in range(n_labels):
        b, i, last, u = 1 + 4 * lab, 2 + 4 * lab, 3 + 4 * lab, 4 + 4 * lab
        is_out[[last, u]] = True
        is_open[[b, u]] = True
        allowed[b, [i, last]] = True
        allowed[i, [i, last]] = True
    allowed[np.ix_(is_out, is_open)] = True
    return allowed, is_open.copy(), is_out.copy()


def is_valid_biluo(tags: Sequence[int], n_labels: int) -> bool:
    """Whether a sequence of tag ids (see :func:`biluo_tag_names`) is a valid BILUO sequence."""
    allowed, start, end = biluo_constraints(n_labels)
    if len(tags) == 0:
        return True
    if not start[tags[0]] or not end[tags[-1]]:
        return False
    return all(allowed[a, b] for a, b in itertools.pairwise(tags))


def viterbi_biluo(
    scores: NDArray[np.floating],
    lengths: NDArray[np.integer],
    n_labels: int,
    *,
    transitions: NDArray[np.floating] | None = None,
) -> NDArray[np.int64]:
    """Best valid BILUO tag ids ``(n_sents, T)`` (padding = -1) for padded scores ``(n_sents, T, K)``.

    ``scores`` are per-token log-scores (e.g. log-probabilities) over the tags of
    :func:`biluo_tag_names`; ``transitions`` (``(K, K)``, optional) adds a score for each
    allowed move. Invalid moves, starts and ends get ``-inf``, so the result is always a valid
    sequence. Vectorised over the batch; one Python step per token position.
    """
    scores = np.asarray(scores, dtype=np.float64)
    lengths = np.asarray(lengths, dtype=np.int64)
    n_sents, width, k = scores.shape
    out = np.full((n_sents, width), -1, dtype=np.int64)
    if n_sents == 0 or width == 0:
        return out
    allowed, start, end = biluo_constraints(n_labels)
    trans = np.where(allowed, 0.0, _NEG)
    if transitions is not None:
        trans = trans + np.where(allowed, np.asarray(transitions, dtype=np.float64), 0.0)
    end_pen = np.where(end, 0.0, _NEG)
    delta = scores[:, 0, :] + np.where(start, 0.0, _NEG)[None, :]
    # A sentence of length 1 ends at once.
    delta = np.where((lengths == 1)[:, None], delta + end_pen[None, :], delta)
    back = np.zeros((n_sents, width, k), dtype=np.int32)
    for t in range(1, width):
        cand = delta[:, :, None] + trans[None, :, :]  # (n, from, to)
        best_prev = cand.argmax(axis=1)
        best = np.take_along_axis(cand, best_prev[:, None, :], axis=1)[:, 0, :] + scores[:, t, :]
        active: NDArray[np.bool_] = np.asarray(lengths > t)
        last: NDArray[np.bool_] = np.asarray(lengths == t + 1)
        best = np.where(last[:, None], best + end_pen[None, :], best)
        delta = np.where(active[:, None], best, delta)
        back[:, t, :] = best_prev
    tag = delta.argmax(axis=1)
    rows = np.arange(n_sents)
    for t in range(width - 1, -1, -1):
        active = np.asarray(lengths > t)
        out[active, t] = tag[active]
        if t > 0:
            prev = back[rows, t, tag]
            tag = np.where(active, prev, tag)
    return out


def _logsumexp(x: NDArray[np.float64], axis: int) -> NDArray[np.float64]:
    m = x.max(axis=axis, keepdims=True)
    out: NDArray[np.float64] = (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).squeeze(axis)
    return out


def _forward_backward(
    emit: NDArray[np.float64],
    lengths: NDArray[np.int64],
    trans: NDArray[np.float64],
    start: NDArray[np.float64],
    end: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``log Z`` per sentence, tag marginals ``(n, T, K)`` and summed pair marginals ``(K, K)``."""
    n_sents, width, k = emit.shape
    alpha = np.empty_like(emit)
    alpha[:, 0] = emit[:, 0] + start[None, :]
    for t in range(1, width):
        step = _logsumexp(alpha[:, t - 1, :, None] + trans[None], axis=1) + emit[:, t]
        alpha[:, t] = np.where((lengths > t)[:, None], step, alpha[:, t - 1])
    last = alpha[np.arange(n_sents), np.maximum(lengths - 1, 0)]
    log_z = _logsumexp(last + end[None, :], axis=1)
    beta = np.empty_like(emit)
    beta[:, width - 1] = end[None, :]
    for t in range(width - 2, -1, -1):
        step = _logsumexp(trans[None] + (emit[:, t + 1] + beta[:, t + 1])[:, None, :], axis=2)
        beta[:, t] = np.where((lengths > t + 1)[:, None], step, end[None, :])
    valid = np.arange(width)[None, :] < lengths[:, None]
    marg = np.where(valid[:, :, None], np.exp(alpha + beta - log_z[:, None, None]), 0.0)
    # Pair marginals of every position at once: (n, T - 1, K, K).
    xi = alpha[:, :-1, :, None] + trans[None, None] + (emit[:, 1:] + beta[:, 1:])[:, :, None, :]
    xi -= log_z[:, None, None, None]
    pair_valid = valid[:, 1:]
    pairs = np.exp(xi[pair_valid]).sum(axis=0) if pair_valid.any() else np.zeros((k, k))
    return log_z, marg, pairs


def biluo_marginals(
    scores: NDArray[np.floating],
    lengths: NDArray[np.integer],
    n_labels: int,
    *,
    transitions: NDArray[np.floating] | None = None,
) -> NDArray[np.float64]:
    """Per-token tag probabilities ``(n_sents, T, K)`` over the valid BILUO sequences.

    The marginals of the linear-chain CRF (``transitions`` given) or of the per-token scores
    restricted to valid sequences (``transitions=None``): each row sums to 1 where the
    sentence has a token.
    """
    emit = np.asarray(scores, dtype=np.float64)
    n_tok: NDArray[np.int64] = np.asarray(lengths, dtype=np.int64)
    if emit.shape[0] == 0 or emit.shape[1] == 0:
        return np.zeros_like(emit)
    allowed, start, end = biluo_constraints(n_labels)
    base = np.zeros(allowed.shape) if transitions is None else np.asarray(transitions, dtype=np.float64)
    trans = np.where(allowed, base, _NEG)
    _, marg, _ = _forward_backward(emit, n_tok, trans, np.where(start, 0.0, _NEG), np.where(end, 0.0, _NEG))
    return marg


def biluo_crf_loss(
    scores: NDArray[np.floating],
    lengths: NDArray[np.integer],
    gold: NDArray[np.integer],
    transitions: NDArray[np.floating],
    n_labels: int,
) -> tuple[float, NDArray[np.float64], NDArray[np.float64]]:
    """Negative log-likelihood of a linear-chain CRF restricted to valid BILUO sequences.

    ``scores`` ``(n_sents, T, K)`` are the per-token tag scores, ``gold`` ``(n_sents, T)`` the gold
    tag ids with ``-1`` where the annotation is missing: the likelihood sums over every valid
    sequence that agrees with the known tags (missing tokens are marginalised out, not "O").
    Returns ``(loss, d_scores, d_transitions)``. A sentence whose gold tags admit no valid
    sequence is left out.
    """
    emit = np.asarray(scores, dtype=np.float64)
    n_tok: NDArray[np.int64] = np.asarray(lengths, dtype=np.int64)
    gold = np.asarray(gold, dtype=np.int64)
    n_sents, width, k = emit.shape
    if n_sents == 0 or width == 0:
        return 0.0, np.zeros_like(emit), np.zeros((k, k))
    allowed, start, end = biluo_constraints(n_labels)
    trans = np.where(allowed, np.asarray(transitions, dtype=np.float64), _NEG)
    start_pen = np.where(start, 0.0, _NEG)
    end_pen = np.where(end, 0.0, _NEG)
    log_z, marg, pairs = _forward_backward(emit, n_tok, trans, start_pen, end_pen)
    known = gold >= 0
    clamp = np.where(known[:, :, None] & (np.arange(k)[None, None, :] != gold[:, :, None]), _NEG, 0.0)
    log_z_gold, marg_gold, pairs_gold = _forward_backward(emit + clamp, n_tok, trans, start_pen, end_pen)
    ok = (log_z_gold > _NEG / 2) & (n_tok > 0) & known.any(axis=1)
    if not ok.all():
        sel = np.flatnonzero(ok)
        d_scores = np.zeros_like(emit)
        if not len(sel):
            return 0.0, d_scores, np.zeros((k, k))
        loss, d_sel, d_trans = biluo_crf_loss(emit[sel], n_tok[sel], gold[sel], transitions, n_labels)
        d_scores[sel] = d_sel
        return loss, d_scores, d_trans
    loss = float((log_z - log_z_gold).sum())
    d_trans = np.where(allowed, pairs - pairs_gold, 0.0)
    return loss, marg - marg_gold, d_trans
