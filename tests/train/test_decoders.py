"""The decoders: trees are always trees (and the best ones), BILUO sequences always valid (and best)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from corpuskit.tags import biluo_to_spans
from corpuskit.train.decoders import (
    biluo_constraints,
    biluo_crf_loss,
    biluo_tag_names,
    chu_liu_edmonds,
    decode_trees,
    is_tree,
    is_valid_biluo,
    sentence_starts,
    trees_mask,
    viterbi_biluo,
)

_floats = st.floats(min_value=-20, max_value=20, allow_nan=False, width=32)


def _square(max_n: int) -> st.SearchStrategy[np.ndarray]:
    return st.integers(1, max_n).flatmap(lambda n: hnp.arrays(np.float32, (n, n), elements=_floats))


def _check_tree(heads: np.ndarray, *, single_root: bool = True) -> None:
    n = len(heads)
    assert heads.shape == (n,)
    assert ((heads >= 0) & (heads < n)).all()
    roots = np.flatnonzero(heads == np.arange(n))
    assert len(roots) == 1 if single_root else len(roots) >= 1
    # No cycle: from every token, following heads reaches a root within n steps.
    for i in range(n):
        j = i
        for _ in range(n):
            j = heads[j]
        assert heads[j] == j


def _py_is_tree(heads: tuple[int, ...], single_root: bool) -> bool:
    n = len(heads)
    roots = sum(1 for i, h in enumerate(heads) if h == i)
    if roots == 0 or (single_root and roots > 1):
        return False
    for i in range(n):
        j = i
        for _ in range(n):
            j = heads[j]
        if heads[j] != j:
            return False
    return True


def _brute_best(scores: np.ndarray, *, single_root: bool = True) -> float:
    n = len(scores)
    best = -np.inf
    for heads in itertools.product(range(n), repeat=n):
        if _py_is_tree(heads, single_root):
            best = max(best, float(sum(scores[i, h] for i, h in enumerate(heads))))
    return best


@settings(max_examples=100, deadline=None)
@given(_square(14))
def test_chu_liu_edmonds_always_gives_one_rooted_tree(scores: np.ndarray) -> None:
    heads = chu_liu_edmonds(scores)
    _check_tree(heads)
    assert is_tree(heads.tolist())


@settings(max_examples=100, deadline=None)
@given(_square(12))
def test_forest_decoding_gives_acyclic_heads(scores: np.ndarray) -> None:
    heads = chu_liu_edmonds(scores, single_root=False)
    _check_tree(heads, single_root=False)


@settings(max_examples=80, deadline=None)
@given(_square(5), st.booleans())
def test_chu_liu_edmonds_finds_the_best_tree(scores: np.ndarray, single_root: bool) -> None:
    heads = chu_liu_edmonds(scores, single_root=single_root)
    got = float(sum(scores[i, h] for i, h in enumerate(heads)))
    assert got == pytest.approx(_brute_best(scores.astype(np.float64), single_root=single_root), abs=1e-3)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda b: st.tuples(
            hnp.arrays(np.float32, (b, 9, 9), elements=_floats),
            hnp.arrays(np.int64, (b,), elements=st.integers(0, 9)),
            hnp.arrays(np.bool_, (b,)),
        )
    )
)
def test_decode_trees_on_padded_batches(args: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    scores, lengths, single = args
    heads = decode_trees(scores, lengths, single_root=single)
    assert heads.shape == scores.shape[:2]
    for s, n in enumerate(lengths.tolist()):
        assert (heads[s, n:] == -1).all()
        if n:
            _check_tree(heads[s, :n], single_root=bool(single[s]))
            # Each sentence (a span no arc crosses) is one tree with one root.
            starts = np.flatnonzero(sentence_starts(heads[s, :n])).tolist()
            if single[s]:
                assert starts == [0]
            for a, b in zip(starts, [*starts[1:], n], strict=True):
                _check_tree(heads[s, a:b] - a)
    assert trees_mask(heads, lengths, single).all()


def test_decode_trees_keeps_greedy_trees_and_fixes_cycles() -> None:
    scores = np.full((2, 3, 3), -10.0, dtype=np.float32)
    # Sentence 0: greedy heads 1 <- 0, 1 root, 2 -> 1: already a tree.
    scores[0, 0, 1] = scores[0, 1, 1] = scores[0, 2, 1] = 5.0
    # Sentence 1: greedy heads form a cycle 0 <-> 1 and two roots would be needed otherwise.
    scores[1, 0, 1] = scores[1, 1, 0] = 5.0
    scores[1, 2, 2] = 5.0
    heads = decode_trees(scores, np.array([3, 3]))
    assert heads[0].tolist() == [1, 1, 1]
    _check_tree(heads[1])
    assert heads[1, 2] == 2  # the best root is kept; the cycle is broken into it


def test_trees_mask_rejects_cycles_and_extra_roots() -> None:
    heads = np.array([[1, 1, 1], [1, 0, 2], [0, 1, 2], [1, 1, -1]])
    lengths = np.array([3, 3, 3, 2])
    assert trees_mask(heads, lengths).tolist() == [True, False, False, True]
    assert trees_mask(heads, lengths, np.array([False] * 4)).tolist() == [True, False, True, True]
    assert not trees_mask(np.array([[0, 5]]), np.array([2]))[0]  # head out of range


def test_decode_trees_is_fast_enough_for_training_batches() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 40, size=200)
    scores = rng.normal(size=(200, 40, 40)).astype(np.float32)
    heads = decode_trees(scores, lengths)
    assert trees_mask(heads, lengths).all()


# -- BILUO ----------------------------------------------------------------------------------------


def test_tag_names_and_constraints() -> None:
    names = biluo_tag_names(["LOC", "PER"])
    assert names == ["O", "B-LOC", "I-LOC", "L-LOC", "U-LOC", "B-PER", "I-PER", "L-PER", "U-PER"]
    allowed, start, end = biluo_constraints(2)
    ix = {t: i for i, t in enumerate(names)}
    assert not allowed[ix["O"], ix["I-LOC"]]
    assert not allowed[ix["B-LOC"], ix["I-PER"]]
    assert not allowed[ix["B-LOC"], ix["O"]]
    assert not allowed[ix["U-LOC"], ix["L-LOC"]]
    assert allowed[ix["B-LOC"], ix["L-LOC"]] and allowed[ix["L-LOC"], ix["B-PER"]]
    assert not start[ix["I-PER"]] and not end[ix["B-PER"]] and end[ix["U-PER"]]


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda n_labels: st.tuples(
            st.just(n_labels),
            st.integers(1, 5).flatmap(
                lambda b: st.tuples(
                    hnp.arrays(np.float32, (b, 12, 1 + 4 * n_labels), elements=_floats),
                    hnp.arrays(np.int64, (b,), elements=st.integers(0, 12)),
                )
            ),
        )
    )
)
def test_viterbi_never_outputs_an_invalid_sequence(args: tuple[int, tuple[np.ndarray, np.ndarray]]) -> None:
    n_labels, (scores, lengths) = args
    tags = viterbi_biluo(scores, lengths, n_labels)
    names = biluo_tag_names([f"L{i}" for i in range(n_labels)])
    for s, n in enumerate(lengths.tolist()):
        seq = tags[s, :n].tolist()
        assert (tags[s, n:] == -1).all()
        assert is_valid_biluo(seq, n_labels)
        biluo_to_spans([names[t] for t in seq])  # corpuskit.tags reads it strictly: no error


@settings(max_examples=50, deadline=None)
@given(
    st.integers(1, 2).flatmap(
        lambda n_labels: st.tuples(
            st.just(n_labels),
            st.integers(1, 4).flatmap(
                lambda n: hnp.arrays(np.float32, (n, 1 + 4 * n_labels), elements=_floats)
            ),
        )
    )
)
def test_viterbi_finds_the_best_valid_sequence(args: tuple[int, np.ndarray]) -> None:
    n_labels, scores = args
    n, k = scores.shape
    got = viterbi_biluo(scores[None], np.array([n]), n_labels)[0]
    allowed, start, end = (m.tolist() for m in biluo_constraints(n_labels))
    rows = scores.astype(np.float64).tolist()

    def valid(seq: tuple[int, ...]) -> bool:
        return start[seq[0]] and end[seq[-1]] and all(allowed[a][b] for a, b in itertools.pairwise(seq))

    seqs = [seq for seq in itertools.product(range(k), repeat=n) if valid(seq)]
    best = max(sum(rows[i][t] for i, t in enumerate(seq)) for seq in seqs)
    assert is_valid_biluo(got.tolist(), n_labels)
    assert sum(rows[i][t] for i, t in enumerate(got)) == pytest.approx(best, abs=1e-3)


def test_viterbi_overrides_an_invalid_argmax() -> None:
    names = biluo_tag_names(["PER"])
    ix = {t: i for i, t in enumerate(names)}
    scores = np.full((1, 3, 5), -5.0)
    scores[0, 0, ix["O"]] = 0.0
    scores[0, 1, ix["I-PER"]] = 0.0  # the argmax O I-PER L-PER is invalid
    scores[0, 1, ix["B-PER"]] = -1.0
    scores[0, 2, ix["L-PER"]] = 0.0
    tags = viterbi_biluo(scores, np.array([3]), 1)[0]
    assert [names[t] for t in tags] == ["O", "B-PER", "L-PER"]


def _brute_crf(
    scores: np.ndarray, lengths: np.ndarray, gold: np.ndarray, trans: np.ndarray, n_labels: int
) -> float:
    total = 0.0
    k = scores.shape[2]
    for b, n in enumerate(lengths.tolist()):
        every, agree = [], []
        for seq in _valid_seqs(k, n, n_labels):
            score = sum(scores[b, i, t] for i, t in enumerate(seq))
            score += sum(trans[a, c] for a, c in itertools.pairwise(seq))
            every.append(score)
            if all(g < 0 or g == t for g, t in zip(gold[b, :n], seq, strict=True)):
                agree.append(score)
        total += float(np.logaddexp.reduce(every) - np.logaddexp.reduce(agree))
    return total


_SEQS: dict[tuple[int, int, int], list[tuple[int, ...]]] = {}


def _valid_seqs(k: int, n: int, n_labels: int) -> list[tuple[int, ...]]:
    key = (k, n, n_labels)
    if key not in _SEQS:
        _SEQS[key] = [seq for seq in itertools.product(range(k), repeat=n) if is_valid_biluo(seq, n_labels)]
    return _SEQS[key]


def test_crf_loss_and_gradients_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(2, 4, 5))
    lengths = np.array([4, 3])
    gold = np.array([[1, -1, 3, 0], [4, -1, 0, -1]])  # -1: missing, marginalised out
    trans = rng.normal(size=(5, 5))
    loss, d_scores, d_trans = biluo_crf_loss(scores, lengths, gold, trans, 1)
    assert loss == pytest.approx(_brute_crf(scores, lengths, gold, trans, 1), abs=1e-9)
    eps = 1e-5
    for idx in [(0, 0, 1), (0, 1, 2), (1, 2, 0), (1, 1, 4)]:
        up, down = scores.copy(), scores.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric = (_brute_crf(up, lengths, gold, trans, 1) - _brute_crf(down, lengths, gold, trans, 1)) / (
            2 * eps
        )
        assert d_scores[idx] == pytest.approx(numeric, abs=1e-6)
    assert (d_scores[1, 3] == 0).all()  # padding
    for idx in [(0, 0), (1, 2), (2, 3), (4, 1)]:
        up, down = trans.copy(), trans.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric = (_brute_crf(scores, lengths, gold, up, 1) - _brute_crf(scores, lengths, gold, down, 1)) / (
            2 * eps
        )
        assert d_trans[idx] == pytest.approx(numeric, abs=1e-6)
