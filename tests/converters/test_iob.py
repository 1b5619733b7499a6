"""spaCy-style IOB (`word|TAG|IOB` sentences per line): spaCy's iob_to_docs as the oracle."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import assert_same_annotations, to_spacy
from spacy.training.converters import iob_to_docs
from spacy.vocab import Vocab

from converters.iob import converter, detect, parse_iob, read_iob, write_iob
from corpuskit.doc import Doc, Span
from corpuskit.errors import CorpusError, FormatError, UsageError
from corpuskit.io import read_lines
from corpuskit.registry import get_converter

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "ner"


def ours(name: str) -> list[Doc]:
    return list(read_iob(str(FIX / name)))


def as_spacy(docs: list[Doc]) -> list:
    vocab = Vocab()
    return [to_spacy(d, vocab) for d in docs]


def test_registered_as_an_entry_point() -> None:
    assert get_converter("iob") is converter


@pytest.mark.parametrize("name", ["wikiner-en-wp2.slice.iob", "spacy-ner-sent-per-line.iob"])
def test_same_as_spacy(name: str) -> None:
    text = (FIX / name).read_text(encoding="utf-8")
    theirs = list(iob_to_docs(text, n_sents=1, no_print=True))
    got = ours(name)
    # spaCy makes an empty doc of every blank line (and of the final line end); corpuskit skips them
    assert any(len(d) == 0 for d in theirs)
    assert all(len(d) for d in got)
    assert_same_annotations([d for d in theirs if len(d)], as_spacy(got))


def test_blank_lines_are_skipped_and_lines_kept() -> None:
    got = ours("wikiner-en-wp2.slice.iob")
    assert len(got) == 17
    assert [d.lines[0] for d in got if d.lines][13] == 15  # line 14 is blank
    assert all(d.has_unknown_spaces and d.sent_starts and d.sent_starts[0] for d in got)
    assert got[0].tags is not None and got[0].tags[:2] == ["DT", "NNP"]
    assert got[0].ents == [Span(0, 5, "MISC")]


def test_two_fields_pipes_in_words_and_biluo() -> None:
    docs = list(parse_iob(["I|O like|O New|B-GPE York|I-GPE", "a|b|NN|O"]))
    assert docs[0].tags is None and docs[0].ents == [Span(2, 4, "GPE")]
    assert docs[1].words == ["a|b|NN"]
    three = list(parse_iob(["x|NN|U-X y|VB|O", "a|b|NN|B-Y c|NN|L-Y"]))
    assert three[1].words == ["a|b", "c"] and three[1].ents == [Span(0, 2, "Y")]


@pytest.mark.parametrize(
    ("name", "line", "column", "words"),
    [
        ("broken_fields.iob", 3, 34, ["'William'", "word|TAG|IOB"]),
        ("broken_u_prefix.iob", 2, 33, ["'U-'", "without a label"]),
    ],
)
def test_broken_files_name_file_line_and_column(name: str, line: int, column: int, words: list[str]) -> None:
    with pytest.raises(FormatError) as info:
        ours(name)
    err = info.value
    assert (err.line, err.column) == (line, column)
    assert str(err).startswith(f"{err.path}:{line}:{column}: ")
    raw = list(read_lines(FIX / name))[line - 1]
    assert raw[column - 1 :].split()[0].startswith(words[0].strip("'")) or words[0] == "'U-'"
    for w in words:
        assert w in str(err)


def test_first_token_decides_the_fields() -> None:
    with pytest.raises(FormatError, match="expected word\\|TAG\\|IOB or word\\|IOB"):
        list(parse_iob(["a|b|c|O"]))
    with pytest.raises(FormatError, match="'bare'"):
        list(parse_iob(["x|O bare"]))
    with pytest.raises(FormatError, match="empty word") as info:
        list(parse_iob(["x|O |O"]))
    assert info.value.column == 5


def _write(docs: list[Doc], **opts: object) -> str:
    out = io.StringIO()
    write_iob(docs, out, **opts)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "biluo"])
def test_round_trip(scheme: str) -> None:
    docs = ours("wikiner-en-wp2.slice.iob")
    again = list(parse_iob(_write(docs, scheme=scheme).split("\n")))
    assert [(d.words, d.tags, d.ents) for d in again] == [(d.words, d.tags, d.ents) for d in docs]


def test_round_trip_in_iob1_gives_the_file_back() -> None:
    src = [line for line in read_lines(FIX / "wikiner-en-wp2.slice.iob") if line.strip()]
    assert _write(ours("wikiner-en-wp2.slice.iob"), scheme="iob1").split("\n")[:-1] == src


def test_writer_missing_values_and_bad_words() -> None:
    doc = Doc(["a", "b"], tags=[None, "NN"], ents=[Span(1, 2, "X")], ents_missing=[True, False])
    assert _write([doc]) == "a|-|- b|NN|B-X\n"
    assert _write([doc], tags=False, scheme="biluo") == "a|- b|U-X\n"
    with pytest.raises(UsageError, match="cannot be written"):
        _write([Doc(["a b"])])
    with pytest.raises(UsageError, match="the tag 'N\\|N'"):
        _write([Doc(["a"], tags=["N|N"])])


def test_detect() -> None:
    head = lambda name: list(read_lines(FIX / name))[:50]  # noqa: E731
    assert detect(head("wikiner-en-wp2.slice.iob")) >= 0.9
    assert detect(head("spacy-ner-sent-per-line.iob")) >= 0.9
    assert detect(head("wnut17-dev.slice.conll")) == 0.0
    assert detect(head("spacy-training-data.json")) == 0.0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=16),
            st.sampled_from(["", "a|O b|B-X", "a|N|I-X", "a|U-", "a|N|B", "x|y|z|w", "a|O b"]),
        ),
        max_size=8,
    )
)
def test_random_lines_raise_only_corpuskit_errors(lines: list[str]) -> None:
    try:
        docs = list(parse_iob(lines, source="random.iob"))
    except CorpusError as e:
        assert isinstance(e, FormatError) and e.line is not None and 1 <= e.line <= len(lines)
        return
    assert all(len(d) for d in docs)
