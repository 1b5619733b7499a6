"""The columnar parse analysis against spaCy's own projectivity and cycle functions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corpuskit.debug.batch import Batch, Item, _nonproj_arcs
from corpuskit.doc import Doc


def _analyse(sentences: list[list[int | None]]):
    """Analyse one doc per sentence (heads sentence-relative) in one batch."""
    items = [
        Item(
            Doc(
                words=[f"w{i}" for i in range(len(h))],
                heads=list(h),
                sent_starts=[i == 0 for i in range(len(h))],
            ),
            k,
            "x",
            "train",
        )
        for k, h in enumerate(sentences)
    ]
    return Batch(items, "train").parse


def _trees(n: int) -> st.SearchStrategy[list[int]]:
    """Random well-formed trees: a root, every other token under an earlier-placed token."""

    @st.composite
    def build(draw: st.DrawFn) -> list[int]:
        order = draw(st.permutations(list(range(n))))
        heads = [0] * n
        heads[order[0]] = order[0]
        for k in range(1, n):
            heads[order[k]] = order[draw(st.integers(0, k - 1))]
        return heads

    return build()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12).flatmap(lambda n: st.lists(_trees(n), min_size=1, max_size=4)))
def test_projectivity_agrees_with_spacy(trees):
    from spacy.pipeline._parser_internals.nonproj import is_nonproj_arc, is_nonproj_tree

    analysis = _analyse(trees)
    flagged = {k for k, *_ in analysis.nonproj}
    assert flagged == {k for k, t in enumerate(trees) if is_nonproj_tree(t)}
    for _k, tree in enumerate(trees):
        assert _nonproj_arcs(tree) == [i for i in range(len(tree)) if is_nonproj_arc(i, tree)]
    assert not analysis.cycles and not analysis.no_root and not analysis.multiple_roots


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 10).flatmap(
        lambda n: st.lists(st.lists(st.integers(0, n - 1), min_size=n, max_size=n), min_size=1, max_size=4)
    )
)
def test_cycles_roots_against_brute_force(sentences):
    analysis = _analyse(sentences)
    found = {(k, frozenset(c)) for k, c in analysis.cycles}
    expected = set()
    for k, heads in enumerate(sentences):
        for i in range(len(heads)):
            seen = []
            j = i
            while j not in seen and heads[j] != j:
                seen.append(j)
                j = heads[j]
            if heads[j] != j:  # stopped on a repeat: j is on a cycle
                cycle = [j]
                x = heads[j]
                while x != j:
                    cycle.append(x)
                    x = heads[x]
                expected.add((k, frozenset(cycle)))
    assert found == expected
    roots = {k: sum(1 for i, h in enumerate(s) if h == i) for k, s in enumerate(sentences)}
    assert {k for k, *_ in analysis.no_root} == {k for k, r in roots.items() if r == 0}
    assert {k for k, _ in analysis.multiple_roots} == {k for k, r in roots.items() if r > 1}


def test_out_of_range_and_partial():
    analysis = _analyse([[1, 1, 7], [None, 1, 1], [0, 0, 0]])
    assert analysis.out_of_range == [(0, 2, 7, 0, 3)]
    assert analysis.partial == [(1, 0, 3, 1)]
    assert analysis.n_sents == 3


def test_punct_under_a_crossing_arc():
    # 0 <- 2 crosses over 1 (the root) and the comma 3 hangs non-projectively from 0.
    doc = Doc(words=["a", "b", "c", ","], heads=[2, 1, 1, 0], deps=["x", "ROOT", "y", "punct"])
    analysis = Batch([Item(doc, 0, "x", "train")], "train").parse
    assert [p for _, p, _ in analysis.punct_nonproj] == [3]
    assert analysis.nonproj[0][0] == 0
