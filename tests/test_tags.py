"""Entity tag schemes: conversion against spaCy's iob_utils, precise errors, property tests."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.training import iob_to_biluo as spacy_iob_to_biluo
from spacy.training import tags_to_entities as spacy_tags_to_entities

from corpuskit.doc import Doc, Span
from corpuskit.errors import CorpusError, FormatError
from corpuskit.tags import (
    TagError,
    biluo_to_iob,
    biluo_to_spans,
    check_tags,
    detect_scheme,
    doc_to_tags,
    iob_to_biluo,
    missing_mask,
    spans_to_biluo,
    spans_to_iob,
    spans_to_tags,
    tags_to_ents,
    tags_to_spans,
)

IOB_CASES = [
    ["O", "B-PER", "I-PER", "O"],
    ["I-PER", "I-PER", "O", "I-LOC"],  # IOB1
    ["B-X", "B-X"],  # two entities
    ["I-X", "B-X", "I-X"],  # IOB1: B- separates adjacent entities of one label
    ["B-PER", "I-LOC", "I-LOC"],  # a new label opens a new entity
    ["I-creative-work", "I-creative-work", "O"],  # a label with hyphens
    ["O", "O"],
    [],
]


@pytest.mark.parametrize("tags", IOB_CASES)
def test_iob_to_biluo_agrees_with_spacy(tags: list[str]) -> None:
    assert iob_to_biluo(tags) == spacy_iob_to_biluo(list(tags))


@pytest.mark.parametrize("tags", IOB_CASES)
def test_biluo_to_spans_agrees_with_spacy(tags: list[str]) -> None:
    biluo = spacy_iob_to_biluo(list(tags))
    expected = [Span(s, e + 1, label) for label, s, e in spacy_tags_to_entities(biluo)]
    assert biluo_to_spans(biluo) == expected
    assert tags_to_spans(tags) == expected


def test_b_b_is_two_entities() -> None:
    assert tags_to_spans(["B-X", "B-X"]) == [Span(0, 1, "X"), Span(1, 2, "X")]
    assert tags_to_spans(["I-X", "I-X"]) == [Span(0, 2, "X")]


def test_missing_tokens_are_no_entity_and_break_one() -> None:
    tags = ["B-X", "I-X", "-", "I-X", None, "O"]
    spans, missing = tags_to_ents(tags)
    assert spans == [Span(0, 2, "X"), Span(3, 4, "X")]
    assert missing == [False, False, True, False, True, False]
    assert iob_to_biluo(tags) == ["B-X", "L-X", "-", "U-X", "-", "O"]
    assert tags_to_ents(["O", "B-X"])[1] is None
    assert missing_mask(["-", None, "O"]) == [True, True, False]


def test_detect_scheme() -> None:
    assert detect_scheme(["O", "I-X", "I-X"]) == "IOB1"
    assert detect_scheme(["B-X", "I-X", "O", "B-Y"]) == "IOB2"
    assert detect_scheme(["O", "O"]) == "IOB2"
    assert detect_scheme(["B-X", "L-X", "U-Y"]) == "BILUO"
    assert detect_scheme(["S-X", "B-Y", "E-Y"]) == "BIOES"


def test_bioes_converts() -> None:
    assert tags_to_spans(["S-X", "B-Y", "I-Y", "E-Y"]) == [Span(0, 1, "X"), Span(1, 4, "Y")]
    assert spans_to_tags(4, [Span(0, 1, "X"), Span(1, 4, "Y")], "BIOES") == ["S-X", "B-Y", "I-Y", "E-Y"]


@pytest.mark.parametrize(
    ("tags", "index", "code", "words"),
    [
        (["O", "U-"], 1, "no-label", ["'U-'", "without a label"]),
        (["B"], 0, "no-label", ["'B'", "no label"]),
        (["O", "X-PER"], 1, "unknown-prefix", ["'X-PER'", "unknown prefix"]),
        (["PER"], 0, "unknown-prefix", ["'PER'"]),
        ([""], 0, "unknown-prefix", ["empty"]),
        (["U-X", "O", "I-Y", "L-Y"], 2, "no-begin", ["'I-Y'", "never begun"]),
        (["U-X", "O", "L-Y"], 2, "no-begin", ["'L-Y'"]),
        (["U-X", "B-Y", "I-Y", "O"], 1, "unclosed", ["'B-Y'", "not closed by 'L-Y'"]),
        (["U-X", "B-Y", "I-Y"], 1, "unclosed", ["the end"]),
        (["U-X", "B-Y", "B-Z", "L-Z"], 1, "mixed-scheme", ["'B-Y'"]),
        (["U-X", "S-Y"], 1, "mixed-scheme", ["'S-Y'", "mixed"]),
        (["O", 3], 1, "unknown-prefix", ["int"]),
    ],
)
def test_errors_name_the_tag_and_the_token(tags: list[str], index: int, code: str, words: list[str]) -> None:
    with pytest.raises(TagError) as info:
        tags_to_spans(tags)
    err = info.value
    assert isinstance(err, FormatError) and isinstance(err, ValueError)
    assert err.index == index and err.code == code
    assert str(err).startswith(f"token {index + 1}: ")
    for w in words:
        assert w in str(err)


def test_strict_schemes_reject_the_other_family() -> None:
    with pytest.raises(TagError, match="not a BILUO tag"):
        tags_to_spans(["S-X"], "BILUO")
    with pytest.raises(TagError, match="not an IOB tag"):
        tags_to_spans(["U-X"], "IOB2")
    with pytest.raises(TagError, match="continues an entity that was never begun"):
        biluo_to_spans(["I-X", "L-X"])
    with pytest.raises(ValueError, match="unknown tag scheme"):
        tags_to_spans(["O"], "BIO2")


def test_check_tags_reports_without_raising() -> None:
    assert check_tags(["B-X", "I-X", "O"]) == []
    problems = check_tags(["U-", "B", "O"])
    assert [p.index for p in problems] == [0, 1]
    mixed = check_tags(["I-X", "O", "B-Y"])
    assert [p.code for p in mixed] == ["mixed-scheme"] and "IOB1" in str(mixed[0])
    assert check_tags(["B-X", "L-X", "B-Y"])[0].code == "unclosed"


def test_spans_to_tags_in_every_scheme() -> None:
    spans = [Span(0, 2, "X"), Span(2, 3, "X"), Span(4, 5, "Y")]
    assert spans_to_iob(5, spans) == ["B-X", "I-X", "B-X", "O", "B-Y"]
    assert spans_to_iob(5, spans, "IOB1") == ["I-X", "I-X", "B-X", "O", "I-Y"]
    assert spans_to_biluo(5, spans) == ["B-X", "L-X", "U-X", "O", "U-Y"]
    assert spans_to_biluo(5, spans, [False, False, False, True, False])[3] == "-"
    for scheme in ("IOB1", "IOB2", "BILUO", "BIOES"):
        assert tags_to_spans(spans_to_tags(5, spans, scheme)) == spans


def test_overlapping_spans_cannot_be_tags() -> None:
    with pytest.raises(TagError, match="overlaps") as info:
        spans_to_biluo(4, [Span(0, 3, "X"), Span(2, 4, "Y")])
    assert info.value.code == "overlap"


def test_biluo_to_iob_and_doc_to_tags() -> None:
    assert biluo_to_iob(["U-X", "B-Y", "L-Y", "-"]) == ["B-X", "B-Y", "I-Y", "-"]
    assert biluo_to_iob(["U-X", "U-X"], "IOB1") == ["I-X", "B-X"]
    doc = Doc(["a", "b", "c"], ents=[Span(1, 3, "X")], ents_missing=[True, False, False])
    assert doc_to_tags(doc, "biluo") == ["-", "B-X", "L-X"]
    assert doc_to_tags(Doc(["a"])) == ["-"]


# --- properties ----------------------------------------------------------------------------

_TAG = st.one_of(
    st.sampled_from(["O", "O", "O", "-", "B-X", "I-X", "L-X", "U-X", "B-Y", "I-Y", "E-Y", "S-Y", "U-", "B"]),
    st.none(),
    st.text(max_size=4),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_TAG, max_size=12))
def test_random_tags_raise_only_corpuskit_errors(tags: list[str | None]) -> None:
    for fn in (iob_to_biluo, biluo_to_spans, tags_to_spans, detect_scheme, biluo_to_iob):
        try:
            fn(tags)
        except CorpusError as e:
            assert isinstance(e, TagError) and 0 <= e.index < len(tags)
    assert all(isinstance(p, TagError) for p in check_tags(tags))


_IOB = st.lists(st.sampled_from(["O", "B-X", "I-X", "B-Y", "I-Y", "-"]), max_size=15)


@settings(max_examples=150, deadline=None)
@given(_IOB)
def test_iob_round_trips_through_every_scheme(tags: list[str]) -> None:
    spans, missing = tags_to_ents(tags)
    n = len(tags)
    for scheme in ("IOB1", "IOB2", "BILUO", "BIOES"):
        written = spans_to_tags(n, spans, scheme, missing)
        assert tags_to_ents(written, scheme) == (spans, missing)
    if "-" not in tags:
        assert iob_to_biluo(tags) == spacy_iob_to_biluo(list(tags))
