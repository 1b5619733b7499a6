"""CoNLL-2003-style NER columns: spaCy's conll_ner_to_docs as the oracle, its bugs fixed."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import assert_same_annotations, to_spacy
from spacy.training.converters import conll_ner_to_docs
from spacy.vocab import Vocab

from converters.conll_ner import DOCSTART_KEY, converter, detect, parse_conll, read_conll, write_conll
from corpuskit.doc import Doc, Span
from corpuskit.errors import CorpusError, FormatError, UsageError
from corpuskit.io import read_lines
from corpuskit.registry import get_converter

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "ner"


def ours(name: str) -> list[Doc]:
    return list(read_conll(str(FIX / name)))


def spacy_docs(name: str, n_sents: int = 1) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = (FIX / name).read_text(encoding="utf-8")
        return list(conll_ner_to_docs(text, n_sents=n_sents, no_print=True))


def as_spacy(docs: list[Doc]) -> list:
    vocab = Vocab()
    return [to_spacy(d, vocab) for d in docs]


def test_registered_as_an_entry_point() -> None:
    assert get_converter("conll") is converter
    assert converter.write is write_conll


def test_wnut_same_as_spacy_except_the_missing_tag() -> None:
    got = ours("wnut17-dev.slice.conll")
    theirs = spacy_docs("wnut17-dev.slice.conll")
    assert len(got) == len(theirs) == 15
    # spaCy writes the literal tag "-" for a two-column file; corpuskit leaves the tag missing
    assert {t.tag_ for d in theirs for t in d} == {"-"}
    assert all(d.tags is None for d in got)
    assert_same_annotations(theirs, as_spacy(got), annotations=["text", "ent_iob", "ent_type", "sent_start"])
    assert all(d.has_unknown_spaces and d.source and d.source.endswith("wnut17-dev.slice.conll") for d in got)
    assert got[0].lines == list(range(1, len(got[0]) + 1))
    assert got[1].lines[0] == len(got[0]) + 2


def test_spacy_example_with_its_delimiter_is_equal() -> None:
    got = ours("spacy-ner-token-per-line-conll2003.iob")
    assert len(got) == 1 and got[0].user_data[DOCSTART_KEY] is True
    assert_same_annotations(spacy_docs("spacy-ner-token-per-line-conll2003.iob"), as_spacy(got))


def test_file_without_blank_lines_is_one_sentence() -> None:
    got = ours("spacy-ner-token-per-line-with-pos.iob")
    assert len(got) == 1 and got[0].tags is not None
    assert_same_annotations(spacy_docs("spacy-ner-token-per-line-with-pos.iob"), as_spacy(got))


def test_real_conll2003_docstart_is_a_delimiter_not_a_token() -> None:
    """spaCy #10058: only `-DOCSTART- -X- O O` is a delimiter; the real line becomes a token."""
    theirs = spacy_docs("wikiner-conll2003-style.conll", n_sents=0)
    assert [t.text for t in theirs[0]].count("-DOCSTART-") == 3
    got = ours("wikiner-conll2003-style.conll")
    assert len(got) == 3
    assert [len(d.sentence_bounds()) for d in got] == [2, 1, 3]
    assert all(d.user_data[DOCSTART_KEY] for d in got)
    assert "-DOCSTART-" not in [w for d in got for w in d.words]
    their_tokens = [(t.text, t.tag_, t.ent_iob_, t.ent_type_) for t in theirs[0] if t.text != "-DOCSTART-"]
    our_tokens = [
        (w, t, i, e)
        for d in got
        for w, t, i, e in zip(d.words, d.tags or [], d.ent_iob(), d.ent_types(), strict=True)
    ]
    assert our_tokens == their_tokens
    # the first token line of the first document is line 3 (after the -DOCSTART- line and a blank)
    assert got[0].lines[0] == 3


def test_docstart_glued_to_a_sentence() -> None:
    """CoNLL-2002 Dutch: `-DOCSTART- -DOCSTART- O` with the first sentence right below it."""
    got = ours("wikiner-docstart-glued.conll")
    assert len(got) == 2
    assert got[0].words[0] == "From" and got[0].lines[0] == 2
    assert got[0].tags is not None and got[0].tags[0] == "IN"
    assert [len(d.sentence_bounds()) for d in got] == [2, 2]


def test_sentences_before_the_first_docstart_are_a_document() -> None:
    got = ours("wnut17-dev-docstart.conll")
    assert [len(d.sentence_bounds()) for d in got] == [2, 3, 3]
    assert "-DOCSTART-" not in [w for d in got for w in d.words]


def test_whitespace_only_lines_separate_sentences() -> None:
    """WNUT-17 train separates sentences with a lone tab: spaCy sees no sentence break there."""
    got = ours("wnut17-train.slice.conll")
    theirs = spacy_docs("wnut17-train.slice.conll")
    assert len(got) == 12 and len(theirs) < len(got)
    assert [w for d in got for w in d.words] == [t.text for d in theirs for t in d]


def test_germeval_layout() -> None:
    got = ours("germeval2014-dev.slice.tsv")
    assert len(got) == 6
    first = got[0]
    assert first.words[:3] == ["Gleich", "darauf", "entwirft"]
    assert first.lines[0] == 2  # line 1 is the comment
    assert first.tags is None
    assert first.ents == [Span(7, 9, "OTH"), Span(16, 17, "PER")]
    assert first.spans == {"ner_inner": []}
    inner = list(read_lines(FIX / "germeval2014-dev.slice.tsv"))
    n_inner = sum(1 for line in inner if line.count("\t") >= 3 and line.split("\t")[3].startswith("B-"))
    assert sum(len(d.spans["ner_inner"]) for d in got) == n_inner
    # without its comment lines it is still recognised, from the index column
    bare = list(parse_conll([line for line in inner if not line.startswith("#")]))
    assert [(d.words, d.ents) for d in bare] == [(d.words, d.ents) for d in got]
    assert next(parse_conll(["1 CD I-NP O"])).words == ["1"]
    swapped = list(parse_conll(inner, ner_layer="inner"))
    assert [len(d.ents or []) for d in swapped] == [len(d.spans["ner_inner"]) for d in got]
    assert [len(d.spans["ner_outer"]) for d in swapped] == [len(d.ents or []) for d in got]


def test_comments_and_hash_tokens() -> None:
    lines = ["# sent_id = 1", "# O", "Hi O", "# text = x", "", "#\tO", "x\tB-Y"]
    docs = list(parse_conll(lines))
    assert [d.words for d in docs] == [["#", "Hi"], ["#", "x"]]
    assert docs[0].lines == [2, 3]


def test_missing_entity_tags_stay_missing() -> None:
    docs = list(parse_conll(["a B-X", "b -", "c O"]))
    assert docs[0].ents == [Span(0, 1, "X")]
    assert docs[0].ents_missing == [False, True, False]
    assert docs[0].ent_iob() == ["B", "", "O"]


def test_tab_separated_word_with_a_space() -> None:
    docs = list(parse_conll(["New York\tB-LOC", "is\tO", "2 001\tO"]))
    assert docs[0].words == ["New York", "is", "2 001"]


def test_biluo_file_is_read_strictly_once_detected() -> None:
    docs = list(parse_conll(["a U-X", "", "b B-Y", "c L-Y"]))
    assert [d.ents for d in docs] == [[Span(0, 1, "X")], [Span(0, 2, "Y")]]
    with pytest.raises(FormatError, match=r"^f\.conll:3: ") as info:
        list(parse_conll(["a U-X", "", "b B-Y", "c I-Y", "", "d O"], source="f.conll"))
    assert info.value.line == 3 and "not closed by 'L-Y'" in str(info.value)


@pytest.mark.parametrize(
    ("name", "line", "words"),
    [
        ("broken_columns.conll", 7, ["expected 2 columns", "got 1", "'´'"]),
        ("broken_u_prefix.conll", 10, ["'U-'", "without a label"]),
        ("broken_b_no_label.conll", 14, ["'B'", "no label"]),
        ("broken_biluo_no_begin.conll", 7, ["'I-LOC'", "never begun"]),
    ],
)
def test_broken_files_name_file_and_line(name: str, line: int, words: list[str]) -> None:
    with pytest.raises(FormatError) as info:
        ours(name)
    err = info.value
    assert err.line == line and err.path is not None and err.path.endswith(name)
    assert str(err).startswith(f"{err.path}:{line}: ")
    for w in words:
        assert w in str(err)


def test_one_column_is_an_error() -> None:
    with pytest.raises(FormatError, match="at least 2 columns") as info:
        list(parse_conll(["", "word"], source="x"))
    assert info.value.line == 2


def _write(docs: list[Doc], **opts: object) -> str:
    out = io.StringIO()
    write_conll(docs, out, **opts)  # type: ignore[arg-type]
    return out.getvalue()


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "biluo", "bioes"])
@pytest.mark.parametrize(
    "name", ["wikiner-conll2003-style.conll", "wnut17-dev.slice.conll", "wnut17-dev-docstart.conll"]
)
def test_round_trip_keeps_every_tag(name: str, scheme: str) -> None:
    docs = ours(name)
    text = _write(docs, scheme=scheme)
    again = list(parse_conll(text.split("\n")))
    assert len(again) == len(docs)
    for a, b in zip(docs, again, strict=True):
        assert (a.words, a.tags, a.ents, a.ents_missing, a.sent_starts) == (
            b.words,
            b.tags,
            b.ents,
            b.ents_missing,
            b.sent_starts,
        )


def test_round_trip_in_the_files_own_scheme_gives_its_tag_column() -> None:
    """WikiNER is IOB1 and WNUT-17 IOB2: written in that scheme, every tag comes back as it was."""
    for name, scheme in (("wikiner-conll2003-style.conll", "iob1"), ("wnut17-dev.slice.conll", "iob2")):
        src = [line.split() for line in read_lines(FIX / name)]
        tags_in = [f[-1] for f in src if f and f[0] != "-DOCSTART-"]
        text = _write(ours(name), scheme=scheme)
        tags_out = [
            line.split()[-1] for line in text.split("\n") if line and not line.startswith("-DOCSTART-")
        ]
        assert tags_out == tags_in


def test_writer_columns_and_docstart() -> None:
    doc = Doc(["New York", "is"], tags=["NNP", None], ents=[Span(0, 1, "LOC")], ents_missing=[False, True])
    text = _write([doc], scheme="biluo")
    assert text == "New York\tNNP\tU-LOC\nis - -\n\n"
    assert _write([doc], tags=False, docstart=True).startswith("-DOCSTART- O\n\n")
    spaced = Doc(["a", "b"], tags=["N N", "V"], ents=[Span(0, 1, "ORG NAME")])
    back = next(parse_conll(_write([spaced]).split("\n")))
    assert (back.words, back.tags, back.ents) == (spaced.words, spaced.tags, spaced.ents)
    with pytest.raises(UsageError, match="cannot be written"):
        _write([Doc(["a b\n"])])


def test_detect() -> None:
    head = lambda name: list(read_lines(FIX / name))[:50]  # noqa: E731
    assert detect(head("wikiner-conll2003-style.conll")) >= 0.9
    assert detect(head("wnut17-dev.slice.conll")) >= 0.7
    assert detect(head("germeval2014-dev.slice.tsv")) > 0.5
    assert detect(head("wikiner-en-wp2.slice.iob")) == 0.0
    assert detect(head("spacy-training-data.json")) == 0.0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.text(max_size=12),
            st.sampled_from(
                ["", "\t", "-DOCSTART- -X- -X- O", "# c", "a O", "a B-X", "a I-X", "a U-", "a b c"]
            ),
        ),
        max_size=12,
    )
)
def test_random_lines_raise_only_corpuskit_errors(lines: list[str]) -> None:
    try:
        docs = list(parse_conll(lines, source="random.conll"))
    except CorpusError as e:
        assert isinstance(e, FormatError) and e.line is not None and 1 <= e.line <= len(lines)
        return
    for doc in docs:
        assert doc.lines is not None and all(1 <= k <= len(lines) for k in doc.lines)


@pytest.mark.parametrize("name", ["wnut17-dev-docstart.conll", "germeval2014-dev.slice.tsv"])
def test_lines_with_their_ends_or_crlf_read_the_same(name: str) -> None:
    text = (FIX / name).read_text(encoding="utf-8")
    plain = list(parse_conll(text.split("\n")))
    assert list(parse_conll(text.splitlines(keepends=True))) == plain
    assert list(parse_conll(text.replace("\n", "\r\n").split("\n"))) == plain
