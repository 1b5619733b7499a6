"""Doc-stream transforms, with spaCy (Doc.from_docs, the sentencizer) as the oracle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle import assert_same_annotations, to_spacy
from spacy.lang.xx import MultiLanguage
from spacy.tokens import Doc as SDoc
from spacy.vocab import Vocab

from corpuskit.doc import Doc, Span
from corpuskit.errors import FormatError, UsageError
from corpuskit.transforms import (
    concatenate,
    group_docs,
    group_sents,
    load_ner_map,
    map_ner,
    merge_docs,
    seg_sents,
    sentence_starts,
    slice_doc,
    split_sents,
)

WORDS = ["The", "cat", "sat", ".", "Paris", "\u201c", "hi", "!", "\u201d", " ", "A", "b"]


def _sentence(draw: st.DrawFn, *, ner: bool) -> Doc:
    n = draw(st.integers(1, 6))
    words = draw(st.lists(st.sampled_from(WORDS), min_size=n, max_size=n))
    spaces = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    root = draw(st.integers(0, n - 1))
    heads = [root] * n  # a projective tree: everyone attaches to the root
    deps = ["ROOT" if i == root else draw(st.sampled_from(["nsubj", "punct", "obj"])) for i in range(n)]
    tags = draw(st.lists(st.sampled_from(["NN", "VB", "."]), min_size=n, max_size=n))
    ents = None
    if ner:
        ents = []
        i = 0
        while i < n:
            if draw(st.booleans()):
                end = draw(st.integers(i + 1, n))
                ents.append(Span(i, end, draw(st.sampled_from(["PER", "LOC"]))))
                i = end
            else:
                i += 1
    return Doc(
        words=words,
        spaces=spaces,
        tags=list(tags),
        heads=list(heads),
        deps=list(deps),
        ents=ents,
        lines=list(range(1, n + 1)),
        source="x.conllu",
    )


@st.composite
def sentences(draw: st.DrawFn) -> list[Doc]:
    ner = draw(st.booleans())
    return [_sentence(draw, ner=ner) for _ in range(draw(st.integers(1, 5)))]


@settings(max_examples=40, deadline=None)
@given(sentences())
def test_merge_docs_matches_spacy_from_docs(docs: list[Doc]) -> None:
    vocab = Vocab()
    expected = SDoc.from_docs([to_spacy(d, vocab) for d in docs], exclude=["user_data"])
    merged = merge_docs(docs)
    assert_same_annotations([expected], [to_spacy(merged, vocab)])
    assert merged.lines == [line for d in docs for line in (d.lines or [])]
    assert merged.source == "x.conllu"


def test_merge_adds_space_and_offsets_heads_and_spans() -> None:
    a = Doc(
        words=["Hi", "."], spaces=[False, False], heads=[0, 0], deps=["ROOT", "punct"], ents=[Span(0, 1, "X")]
    )
    b = Doc(
        words=["Yo"], spaces=[False], heads=[0], deps=["ROOT"], ents=None, spans={"sc": [Span(0, 1, "Y")]}
    )
    m = merge_docs([a, b])
    assert m.words == ["Hi", ".", "Yo"]
    assert m.spaces == [False, True, False]
    assert m.heads == [0, 0, 2]
    assert m.ents == [Span(0, 1, "X")]
    assert m.ents_missing == [False, False, True]  # b has no NER: missing, not O
    assert m.spans == {"sc": [Span(2, 3, "Y")]}
    assert m.sentence_bounds() == [(0, 2), (2, 3)]


def test_merge_user_data_concatenates_lists() -> None:
    a = Doc(words=["a"], user_data={"comments": ["# a"], "lang": "en"})
    b = Doc(words=["b"], user_data={"comments": ["# b"], "lang": "de"})
    m = merge_docs([a, b])
    assert m.user_data == {"comments": ["# a", "# b"], "lang": "en"}
    assert a.user_data["comments"] == ["# a"]  # inputs untouched


def test_merge_needs_docs() -> None:
    with pytest.raises(UsageError):
        merge_docs([])


def test_group_sents_counts_sentences() -> None:
    docs = [Doc(words=[f"w{i}"], sent_starts=[True]) for i in range(7)]
    out = list(group_sents(docs, 3))
    assert [d.words for d in out] == [["w0", "w1", "w2"], ["w3", "w4", "w5"], ["w6"]]
    assert out[0].sent_starts == [True, True, True]
    assert [len(list(group_sents(docs, n))) for n in (0, 1)] == [7, 7]
    with pytest.raises(UsageError):
        list(group_sents(docs, -1))


def test_group_docs_and_split_sents() -> None:
    docs = [Doc(words=["a", "b", "c"], sent_starts=[True, False, True]), Doc(words=["d"], sent_starts=[True])]
    parts = list(split_sents(docs))
    assert [d.words for d in parts] == [["a", "b"], ["c"], ["d"]]
    merged = list(group_docs(parts, lambda d: d.words == ["d"]))
    assert [d.words for d in merged] == [["a", "b", "c"], ["d"]]


def test_slice_doc_reroots_heads_and_clips_spans() -> None:
    doc = Doc(words=list("abcd"), heads=[1, 1, 1, 2], deps=["x", "ROOT", "y", "z"], ents=[Span(1, 3, "E")])
    s = slice_doc(doc, 2, 4)
    assert s.words == ["c", "d"]
    assert s.heads == [0, 0]  # c's head (b) is outside: c becomes a root
    assert s.ents == [Span(0, 1, "E")]
    with pytest.raises(UsageError):
        slice_doc(doc, 3, 9)
    # for training: a head outside the slice is missing, not a false root attachment
    m = slice_doc(doc, 2, 4, outside_heads="missing")
    assert m.heads == [None, 0] and m.sentence_bounds() == [(0, 2)]
    whole = slice_doc(doc, 0, 4)
    assert whole is not doc and whole == doc and whole.ents is not doc.ents


def test_map_ner_renames_and_drops() -> None:
    doc = Doc(words=list("abcd"), ents=[Span(0, 1, "PER"), Span(1, 2, "MISC"), Span(2, 3, "LOC")])
    (out,) = map_ner([doc], {"PER": "PERSON", "MISC": ""})
    assert out.ents == [Span(0, 1, "PERSON"), Span(2, 3, "LOC")]
    assert out.ent_iob() == ["B", "O", "B", "O"]  # dropped: "O", not missing


def test_load_ner_map(tmp_path: Path) -> None:
    good = tmp_path / "map.json"
    good.write_text(json.dumps({"PER": "PERSON"}))
    assert load_ner_map(good) == {"PER": "PERSON"}
    bad = tmp_path / "bad.json"
    bad.write_text('{"PER": \n')
    with pytest.raises(FormatError, match=r"bad.json:2"):
        load_ner_map(bad)
    wrong = tmp_path / "wrong.json"
    wrong.write_text('["PER"]')
    with pytest.raises(FormatError, match="expected a JSON object"):
        load_ner_map(wrong)
    with pytest.raises(UsageError):
        load_ner_map(tmp_path / "missing.json")


_NLP = MultiLanguage()
_SENTENCIZER = (_NLP, _NLP.add_pipe("sentencizer"))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([*WORDS, "...", "?", "\u3002", ")", "'", "x"]), min_size=1, max_size=30))
def test_sentence_starts_match_spacys_sentencizer(words: list[str]) -> None:
    nlp, sentencizer = _SENTENCIZER
    sdoc = sentencizer(SDoc(nlp.vocab, words=words))
    assert sentence_starts(words) == [bool(t.is_sent_start) for t in sdoc]


def test_seg_sents_only_where_there_are_no_bounds() -> None:
    flat = Doc(words=["Hi", "there", ".", "\u201d", "Bye", "!"])
    parsed = Doc(words=["Hi", ".", "Yo"], heads=[0, 0, 2])
    marked = Doc(words=["a", ".", "b"], sent_starts=[True, False, False])
    out = list(seg_sents([flat, parsed, marked]))
    assert out[0].sent_starts == [True, False, False, False, True, False]
    assert out[1].sent_starts is None
    assert out[2].sent_starts == [True, True, True] or out[2].sent_starts == [True, False, True]


def test_concatenate() -> None:
    a, b = Doc(words=["a"]), Doc(words=["b"])
    assert [d.words for d in concatenate([[a], [], [b]])] == [["a"], ["b"]]
