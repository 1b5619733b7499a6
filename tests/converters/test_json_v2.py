"""spaCy v2 training JSON: spaCy's json_to_docs and docs_to_json as the oracle."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import srsly
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import assert_same_annotations, to_spacy
from spacy.training import docs_to_json as spacy_docs_to_json
from spacy.training.converters import json_to_docs
from spacy.vocab import Vocab

import converters._json as json_buffer
from converters.conll_ner import read_conll
from converters.iob import read_iob
from converters.json_v2 import converter, detect, docs_to_json, parse_json, read_json, write_json
from corpuskit.doc import Doc, Span
from corpuskit.errors import CorpusError, FormatError
from corpuskit.io import read_lines
from corpuskit.registry import get_converter

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "ner"

JSON = [
    "spacy-training-data.json",
    "spacy-test-issue4402.json",
    "spacy-ner-sent-per-line.json",
    "jigsaw-toxic-comment.slice.json",
    "en_ewt-ud-test.slice.json",
    "en_ewt-ud-dev.docs_to_json.slice.json",
    "wikiner-en-wp2.slice.json",
]


def ours(name: str) -> list[Doc]:
    return list(read_json(str(FIX / name)))


def as_spacy(docs: list[Doc]) -> list:
    vocab = Vocab()
    return [to_spacy(d, vocab) for d in docs]


def test_registered_as_an_entry_point() -> None:
    assert get_converter("json") is converter


@pytest.mark.parametrize("name", JSON)
def test_same_as_spacy(name: str) -> None:
    theirs = list(json_to_docs((FIX / name).read_text(encoding="utf-8")))
    got = ours(name)
    assert len(got) == len(theirs)
    assert_same_annotations(theirs, as_spacy(got))
    assert [d.has_unknown_spaces for d in theirs] == [d.has_unknown_spaces for d in got]


@pytest.mark.parametrize("name", JSON)
def test_every_token_has_the_line_of_its_orth(name: str) -> None:
    lines = list(read_lines(FIX / name))
    for doc in ours(name):
        assert doc.lines is not None
        for word, k in zip(doc.words, doc.lines, strict=True):
            assert f'"orth":{json.dumps(word)}'.replace(" ", "") in lines[k - 1].replace(" ", "")


def test_streams_across_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read a few lines at a time (one document straddles many reads): same docs, same lines."""
    whole = ours("en_ewt-ud-test.slice.json")
    monkeypatch.setattr(json_buffer, "_CHUNK_LINES", 7)  # the buffer json_v2 reads through
    small = ours("en_ewt-ud-test.slice.json")
    assert [(d.words, d.lines, d.heads, d.tags) for d in small] == [
        (d.words, d.lines, d.heads, d.tags) for d in whole
    ]
    # lines that keep their line ends read the same
    with_ends = [line + "\n" for line in read_lines(FIX / "en_ewt-ud-test.slice.json")]
    kept = list(parse_json(with_ends))
    assert [(d.words, d.lines) for d in kept] == [(d.words, d.lines) for d in whole]


def test_orth_as_a_value_does_not_shift_lines() -> None:
    text = [
        '[{"id": 0, "paragraphs": [{"sentences": [{"tokens": [',
        '{"orth": "orth", "ner": "U-X"},',
        '{"tag": "\\"orth\\": ", "orth": "x"}',
        "]}]}]}]",
    ]
    doc = next(parse_json(text))
    assert doc.words == ["orth", "x"] and doc.lines == [2, 3]
    assert doc.ents == [Span(0, 1, "X")] and doc.tags == [None, '"orth": ']


def test_missing_ner_and_mixed_tags() -> None:
    text = [
        '[{"id": 0, "paragraphs": [{"raw": "a b c", "cats": {"POS": 1},',
        '"sentences": [{"tokens": [{"orth": "a", "ner": "-", "tag": "DT"}, {"orth": "b", "ner": "U-X"},',
        '{"orth": "c", "ner": null, "dep": "root", "head": 0}]}]}]}]',
    ]
    doc = next(parse_json(text))
    assert doc.ents == [Span(1, 2, "X")] and doc.ents_missing == [True, False, True]
    assert doc.tags == ["DT", None, None]  # spaCy fails on tokens with and without tags
    assert doc.deps == [None, None, "ROOT"] and doc.heads == [None, None, 2]
    assert doc.spaces == [True, True, False] and doc.cats == {"POS": 1}


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("broken_syntax.json", 47, ["invalid JSON", "Expecting ',' delimiter"]),
        ("broken_truncated.json", 307, ["truncated"]),
        ("broken_shape.jsonl.json", 1, ["found an object with keys 'text', 'label'", "JSONL", "expected"]),
        ("broken_single_doc.json", 1, ["'paragraphs'", "single document", "wrap it in [ ]"]),
        ("broken_ner.json", 30, ["'B-DATE'", "not closed by 'L-DATE'"]),
    ],
)
def test_broken_files_name_file_and_line(name: str, line: int, words: list[str]) -> None:
    with pytest.raises(FormatError) as info:
        ours(name)
    err = info.value
    assert err.line == line and err.path is not None and err.path.endswith(name)
    assert str(err).startswith(f"{err.path}:{line}")
    for w in words:
        assert w in str(err)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", ["empty"]),
        ('"x"', ["a string 'x'"]),
        ("[1]", ["document 1", "int 1"]),
        ('[{"text": "a"}]', ["document 1", "'text'", "jsonl"]),
        ('[{"data": {}, "annotations": []}]', ["labelstudio"]),
        ('[["Apple", {"entities": []}]]', ["simple (text, annotations)"]),
        ('[{"id": 1, "paragraphs": {}}]', ["'paragraphs' is an empty object"]),
        ('[{"id": 1, "paragraphs": [{"raw": "x"}]}]', ["no 'sentences'"]),
        ('[{"id": 1, "paragraphs": [{"sentences": [{"tokens": [{"orth": 1}]}]}]}]', ["'orth' 1"]),
        ('[{"id": 1, "paragraphs": [{"sentences": [{"tokens": [{"orth": "a", "head": 3}]}]}]}]', ["outside"]),
        ('[{"id": 1, "paragraphs": [{"sentences": [{"tokens": [{"orth": "a", "tag": 3}]}]}]}]', ["'tag'"]),
        ('[{"id": 1, "paragraphs": [{"sentences": [{"tokens": [{"orth": "a", "ner": "U-"}]}]}]}]', ["'U-'"]),
        ("[]\n[]", ["extra data"]),
        ('[{"id": 1, "paragraphs": []}', ["truncated"]),
    ],
)
def test_bad_input_says_what_was_found(text: str, words: list[str]) -> None:
    with pytest.raises(FormatError) as info:
        list(parse_json(text.split("\n"), source="x.json"))
    for w in words:
        assert w in str(info.value)
    assert str(info.value).startswith("x.json:")


def test_token_without_orth_is_located_near_its_line() -> None:
    text = '[{"id": 1, "paragraphs": [{"sentences": [{"tokens": [\n{"orth": "a"},\n{"orht": "b"}]}]}]}]'
    with pytest.raises(FormatError, match=r"token 2 .* has 'orth' None") as info:
        list(parse_json(text.split("\n"), source="x.json"))
    assert info.value.line == 2


def test_empty_array_is_no_docs() -> None:
    assert list(parse_json(["[", "]"])) == []


def _dump(docs: list[Doc]) -> str:
    out = io.StringIO()
    write_json(docs, out)
    return out.getvalue()


@pytest.mark.parametrize("name", JSON)
def test_writer_equals_spacy_docs_to_json(name: str) -> None:
    text = (FIX / name).read_text(encoding="utf-8")
    expected = srsly.json_dumps([spacy_docs_to_json(list(json_to_docs(text)))], indent=2)
    assert _dump(ours(name)) == expected


def test_writer_equals_spacy_for_converted_columns() -> None:
    for docs in (ours("spacy-training-data.json"), list(read_iob(str(FIX / "wikiner-en-wp2.slice.iob")))):
        expected = srsly.json_dumps([spacy_docs_to_json(as_spacy(docs))], indent=2)
        assert _dump(docs) == expected
    conll = list(read_conll(str(FIX / "wikiner-conll2003-style.conll")))
    assert _dump(conll) == srsly.json_dumps([spacy_docs_to_json(as_spacy(conll))], indent=2)
    assert _dump([]) == srsly.json_dumps([spacy_docs_to_json([])], indent=2)


def test_writer_keeps_missing_entities_apart_from_o() -> None:
    """spaCy's docs_to_json writes "O" for a token whose entity is missing; corpuskit writes "-"."""
    doc = Doc(
        ["a", "b", "c"],
        spaces=[True, True, False],
        sent_starts=[True, False, False],
        ents=[Span(1, 2, "X")],
        ents_missing=[True, False, False],
    )
    theirs = spacy_docs_to_json(as_spacy([doc]))
    assert [t["ner"] for t in theirs["paragraphs"][0]["sentences"][0]["tokens"]] == ["O", "U-X", "O"]
    ner = [t["ner"] for t in docs_to_json([doc])["paragraphs"][0]["sentences"][0]["tokens"]]
    assert ner == ["-", "U-X", "O"]
    back = next(parse_json(_dump([doc]).split("\n")))
    assert (back.ents, back.ents_missing, back.text) == (doc.ents, doc.ents_missing, doc.text)


def test_writer_needs_no_sentence_boundaries() -> None:
    """spaCy's docs_to_json fails on a doc without sentence boundaries (E030); corpuskit writes one."""
    doc = Doc(["a", "b"])
    with pytest.raises(ValueError, match="E030"):
        spacy_docs_to_json(as_spacy([doc]))
    assert len(docs_to_json([doc])["paragraphs"][0]["sentences"]) == 1


@pytest.mark.parametrize("name", JSON)
def test_round_trip(name: str) -> None:
    docs = ours(name)
    again = list(parse_json(_dump(docs).split("\n")))
    fields = ("words", "spaces", "tags", "pos", "morphs", "lemmas", "heads", "deps", "ents", "cats")
    for a, b in zip(docs, again, strict=True):
        for f in fields:
            assert getattr(a, f) == getattr(b, f), f
        assert a.sentence_bounds() == b.sentence_bounds()


def test_detect() -> None:
    head = lambda name: list(read_lines(FIX / name))[:50]  # noqa: E731
    assert detect(head("spacy-training-data.json")) == 1.0
    assert detect(head("broken_shape.jsonl.json")) == 0.0
    assert detect(head("wikiner-en-wp2.slice.iob")) == 0.0


_VALID = (FIX / "spacy-test-issue4402.json").read_text(encoding="utf-8")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=len(_VALID)), st.text(max_size=3))
def test_cut_or_damaged_json_raises_only_format_errors(cut: int, junk: str) -> None:
    text = _VALID[:cut] + junk + _VALID[cut + len(junk) :]
    try:
        list(parse_json(text.split("\n"), source="x.json"))
    except CorpusError as e:
        assert isinstance(e, FormatError) and e.line is not None and 1 <= e.line <= text.count("\n") + 2


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(st.text(max_size=10), st.sampled_from(["[", "]", "{", "}", ",", '"orth"', "[{}]"])))
)
def test_random_lines_raise_only_corpuskit_errors(lines: list[str]) -> None:
    try:
        list(parse_json(lines, source="x.json"))
    except CorpusError as e:
        assert isinstance(e, FormatError)
