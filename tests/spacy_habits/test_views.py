"""The spaCy-like views (Token, Span, doc.sents, doc.ents, to_json) equal spaCy's own, on the same
docs read from the same .spacy file (real UD and NER slices in fixtures/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

spacy = pytest.importorskip("spacy")

from spacy.tokens import DocBin as SDocBin  # noqa: E402
from spacy.vocab import Vocab  # noqa: E402

from corpuskit.corpus import read_corpus  # noqa: E402
from corpuskit.doc import Doc, Span  # noqa: E402
from corpuskit.docbin import read_docbin, write_docbin  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SLICES = [
    ("conllu", FIXTURES / "conllu" / "en_ewt-ud-dev.slice.conllu"),
    ("conllu", FIXTURES / "conllu" / "de_gsd-ud-dev.slice.conllu"),
    ("conllu", FIXTURES / "conllu" / "ner_misc.conllu"),
    ("iob", FIXTURES / "train" / "wikiner-en-60.iob"),
    ("conll", FIXTURES / "ner" / "wnut17-dev.slice.conll"),
]
TOKEN_ATTRS = (
    "text",
    "i",
    "idx",
    "whitespace_",
    "text_with_ws",
    "tag_",
    "pos_",
    "lemma_",
    "dep_",
    "ent_iob_",
    "ent_type_",
    "is_sent_start",
)
SPAN_ATTRS = ("text", "start", "end", "start_char", "end_char", "label_")


def _both(tmp_path: Path, converter: str, path: Path) -> list[tuple[Doc, Any]]:
    out = tmp_path / "x.spacy"
    write_docbin(read_corpus(path, converter=converter), out)
    ours = list(read_docbin(out))
    theirs = list(SDocBin().from_disk(out).get_docs(Vocab()))
    assert len(ours) == len(theirs) > 0
    return list(zip(ours, theirs, strict=True))


def _span_row(span: Any) -> tuple[Any, ...]:
    return (*(getattr(span, a) for a in SPAN_ATTRS), len(span), [t.i for t in span])


@pytest.mark.parametrize(("converter", "path"), SLICES, ids=[p.name for _, p in SLICES])
def test_token_and_span_attributes_equal_spacys(tmp_path: Path, converter: str, path: Path) -> None:
    n_ents = 0
    for ours, theirs in _both(tmp_path, converter, path):
        assert len(ours) == len(theirs)
        assert ours.text == theirs.text
        for a, b in zip(ours, theirs, strict=True):
            for attr in TOKEN_ATTRS:
                assert getattr(a, attr) == getattr(b, attr), (attr, a.i, a.text)
            assert str(a.morph) == str(b.morph), (a.i, a.text)
            assert a.head.i == b.head.i, (a.i, a.text)
            assert ours[a.i].text == theirs[b.i].text
        assert [_span_row(s) for s in ours.ents or ()] == [_span_row(s) for s in theirs.ents]
        assert [_span_row(s) for s in ours.sents] == [_span_row(s) for s in theirs.sents]
        assert _span_row(ours[1:3]) == _span_row(theirs[1:3])
        n_ents += len(ours.ents or [])
    if converter != "conllu":
        assert n_ents > 0


@pytest.mark.parametrize(("converter", "path"), SLICES, ids=[p.name for _, p in SLICES])
def test_to_json_equals_spacys(tmp_path: Path, converter: str, path: Path) -> None:
    for ours, theirs in _both(tmp_path, converter, path):
        assert ours.to_json() == theirs.to_json()


@pytest.mark.parametrize(("converter", "path"), SLICES, ids=[p.name for _, p in SLICES])
def test_to_spacy_and_back(tmp_path: Path, converter: str, path: Path) -> None:
    vocab = Vocab()
    for ours, theirs in _both(tmp_path, converter, path):
        sdoc = ours.to_spacy(vocab)
        assert sdoc.to_json() == theirs.to_json()
        assert [(t.ent_iob_, t.head.i, str(t.morph)) for t in sdoc] == [
            (t.ent_iob_, t.head.i, str(t.morph)) for t in theirs
        ]
        back = Doc.from_spacy(theirs)
        assert back.to_json() == ours.to_json()
        assert back.ent_iob() == ours.ent_iob()


def test_displacy_renders_a_corpuskit_doc(tmp_path: Path) -> None:
    from spacy import displacy

    docs = [d for d, _ in _both(tmp_path, "conllu", SLICES[0][1])]
    html = displacy.render(docs[0].to_spacy(), style="dep")
    assert "<svg" in html and docs[0].words[0] in html
    ner_doc = next(d for d, _ in _both(tmp_path, "iob", SLICES[3][1]) if d.ents)
    html = displacy.render(ner_doc.to_spacy(), style="ent")
    assert ner_doc.ents[0].text.split()[0] in html and ner_doc.ents[0].label_ in html


def test_missing_annotation_reads_as_spacys_while_columns_keep_it() -> None:
    doc = Doc(
        words=["Anna", "met", "Bo", "."],
        ents=[Span(0, 1, "PER")],
        ents_missing=[False, False, True, False],
        tags=["NNP", None, "NNP", "."],
    )
    assert [t.ent_iob_ for t in doc] == ["B", "O", "", "O"]
    assert doc.ent_iob() == ["B", "O", "", "O"]
    assert [t.tag_ for t in doc] == ["NNP", "", "NNP", "."]
    assert doc.tags == ["NNP", None, "NNP", "."]
    sdoc = doc.to_spacy()
    assert [t.ent_iob_ for t in sdoc] == ["B", "O", "", "O"]
    bare = Doc(words=["no", "annotation"])
    assert [t.ent_iob_ for t in bare] == ["", ""] and bare.ents is None
    assert [t.is_sent_start for t in bare] == [True, None]
    assert [t.is_sent_start for t in bare.to_spacy()] == [True, None]


def test_views_do_not_change_the_column_api() -> None:
    doc = Doc(words=["New", "York"], ents=[Span(0, 2, "GPE")])
    assert doc.ents == [Span(0, 2, "GPE")]  # equality ignores the doc a span is bound to
    assert doc.ents[0].label == "GPE" and doc.ents[0].label_ == "GPE"
    assert doc.ents[0].text == "New York"
    with pytest.raises(ValueError, match="belongs to no Doc"):
        _ = Span(0, 1, "X").text
    assert doc[-1].text == "York" and doc[0].head.i == 0
    with pytest.raises(IndexError):
        doc[2]


def test_a_spacy_pipeline_takes_a_corpuskit_doc_and_gives_it_back(tmp_path: Path) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ours = next(
        d for d, _ in _both(tmp_path, "iob", SLICES[3][1]) if d.ents and len(d.sentence_bounds()) == 1
    )
    sdoc = nlp(ours.to_spacy(nlp.vocab))
    back = Doc.from_spacy(sdoc)
    assert back.words == ours.words and back.ents == ours.ents and back.tags == ours.tags
    assert [s.text for s in back.sents] == [s.text for s in sdoc.sents]
    assert back.sent_starts is not None and back.sent_starts[0] is True
