"""`corpuskit convert` against `spacy convert` on the fixtures: same options, same documents.

spaCy converts each fixture with its own ``convert()``; corpuskit with ``convert_corpus``; spaCy
reads both ``.spacy`` outputs back and they are compared annotation by annotation (tests/oracle.py).
Where spaCy's behaviour is a bug listed in FORMATS.md, the test asserts corpuskit's corrected
behaviour instead.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path
from typing import Any

import pytest
from oracle import assert_same_annotations, spacy_docs_from_file
from spacy.tokens import Doc as SDoc
from spacy.vocab import Vocab

from corpuskit.corpus import convert_corpus
from corpuskit.errors import CorpusError

FIX = Path(__file__).resolve().parent.parent / "fixtures" / "convert"

OPTIONS: dict[str, dict[str, Any]] = {
    "-n 1": {"n_sents": 1},
    "-n 10": {"n_sents": 10},
    "-n 10 -T": {"n_sents": 10, "merge_subtokens": True},
    "-n 10 -m": {"n_sents": 10, "morphology": True},
    "-n 3 -T -m": {"n_sents": 3, "merge_subtokens": True, "morphology": True},
}
# the quick set; the others run with the slow tests (pytest -m slow)
_QUICK = {"-n 1", "-n 10", "-n 3 -T -m"}
_OPTION_PARAMS = [pytest.param(o, marks=() if o in _QUICK else pytest.mark.slow) for o in OPTIONS]


def spacy_convert(path: Path, out: Path, converter: str, **opts: Any) -> list[SDoc]:
    from spacy.cli.convert import convert

    out.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        convert(path, out, file_type="spacy", converter=converter, silent=True, **opts)
    return spacy_docs_from_file(out)


def ours(path: Path, out: Path, converter: str = "auto", **opts: Any) -> list[SDoc]:
    convert_corpus(path, out, converter=converter, **opts)
    return spacy_docs_from_file(out)


CONLLU = ["en_ewt-ud-dev.slice.conllu", "fr_gsd-ud-dev.slice.conllu", "de_gsd-ud-dev.slice.conllu",
          "cs_cltt-ud-dev.slice.conllu", "ner-misc.conllu"]  # fmt: skip


@pytest.mark.parametrize("opts", _OPTION_PARAMS, ids=list(OPTIONS))
@pytest.mark.parametrize("name", CONLLU)
def test_conllu_same_as_spacy(tmp_path: Path, name: str, opts: str) -> None:
    expected = spacy_convert(FIX / name, tmp_path / "spacy", "conllu", **OPTIONS[opts])
    got = ours(FIX / name, tmp_path / "ck", **OPTIONS[opts])
    assert_same_annotations(expected, got)


def test_conllu_ner_map_same_as_spacy(tmp_path: Path) -> None:
    ner_map = {"PER": "PERSON", "LOC": ""}
    from spacy.training.converters import conllu_to_docs

    text = (FIX / "ner-misc.conllu").read_text(encoding="utf-8")
    expected = list(conllu_to_docs(text, n_sents=1, ner_map=ner_map, no_print=True))
    got = ours(FIX / "ner-misc.conllu", tmp_path / "ck", n_sents=1, ner_map=ner_map)
    assert_same_annotations(expected, got)
    assert [e.label_ for d in got for e in d.ents] == ["PERSON", "ORG"]


def test_conllu_spacy_crashes_on_extra_blank_lines_and_comment_blocks(tmp_path: Path) -> None:
    src = (FIX / "ner-misc.conllu").read_text(encoding="utf-8")
    messy = src.replace("\n\n# sent_id = 2", "\n\n\n\n# just a comment\n\n# sent_id = 2")
    f = tmp_path / "messy.conllu"
    f.write_text(messy, encoding="utf-8")
    with pytest.raises(Exception):  # noqa: B017 - spaCy's IndexError/ValueError
        spacy_convert(f, tmp_path / "spacy", "conllu", n_sents=1)
    clean = ours(FIX / "ner-misc.conllu", tmp_path / "a", n_sents=1)
    assert_same_annotations(clean, ours(f, tmp_path / "b", n_sents=1))


CONLL = ["spacy-ner-token-per-line-with-pos.iob", "spacy-ner-token-per-line-conll2003.iob"]


@pytest.mark.parametrize("n", [1, 10, 3])
@pytest.mark.parametrize("seg", [False, True], ids=["", "-s"])
@pytest.mark.parametrize("name", CONLL)
def test_conll_ner_same_as_spacy(tmp_path: Path, name: str, n: int, seg: bool) -> None:
    expected = spacy_convert(FIX / name, tmp_path / "spacy", "ner", n_sents=n, seg_sents=seg)
    got = ours(FIX / name, tmp_path / "ck", "conll", n_sents=n, seg_sents=seg)
    assert_same_annotations(expected, got)


def test_conll_real_docstart_is_a_delimiter_not_a_token(tmp_path: Path) -> None:
    """spaCy #10058: only `-DOCSTART- -X- O O` is a delimiter; `-DOCSTART- -X- -X- O` becomes a token."""
    f = FIX / "conll2003-style.conll"
    theirs = spacy_convert(f, tmp_path / "spacy", "ner", n_sents=10)
    assert theirs[0][0].text == "-DOCSTART-"
    got = ours(f, tmp_path / "ck", n_sents=10)
    assert len(got) == 1
    assert "-DOCSTART-" not in [t.text for d in got for t in d]
    expected = spacy_convert(
        FIX / "spacy-ner-token-per-line-conll2003.iob", tmp_path / "s2", "ner", n_sents=10
    )
    assert_same_annotations(expected, got)


def test_conll_two_columns_leave_the_tag_missing(tmp_path: Path) -> None:
    """spaCy writes the literal tag "-" for two-column files; corpuskit leaves it missing."""
    f = FIX / "spacy-ner-token-per-line.iob"
    theirs = spacy_convert(f, tmp_path / "spacy", "ner", n_sents=10)
    got = ours(f, tmp_path / "ck", "conll", n_sents=10)
    assert {t.tag_ for d in theirs for t in d} == {"-"}
    assert {t.tag_ for d in got for t in d} == {""}
    assert_same_annotations(theirs, got, annotations=["text", "ent_iob", "ent_type", "sent_start"])


def test_conll_whitespace_only_lines_separate_sentences(tmp_path: Path) -> None:
    """WNUT-17's blank lines are a lone tab: spaCy sees one sentence, corpuskit sees 9."""
    f = FIX / "wnut17-train.slice.conll"
    theirs = spacy_convert(f, tmp_path / "spacy", "ner", n_sents=1)
    assert len(theirs) == 1
    got = ours(f, tmp_path / "ck", "conll", n_sents=1)
    assert len(got) > 1
    assert [t.text for d in got for t in d] == [t.text for t in theirs[0]]
    assert [t.ent_iob_ + t.ent_type_ for d in got for t in d] == [t.ent_iob_ + t.ent_type_ for t in theirs[0]]


IOB = ["spacy-ner-sent-per-line.iob", "wikiner-en-wp2.slice.iob"]


@pytest.mark.parametrize("n", [1, 10, 4])
@pytest.mark.parametrize("name", IOB)
def test_iob_same_as_spacy(tmp_path: Path, name: str, n: int) -> None:
    expected = spacy_convert(FIX / name, tmp_path / "spacy", "iob", n_sents=n)
    got = ours(FIX / name, tmp_path / "ck", "iob", n_sents=n)
    # spaCy splits the text on "\n": the final line end makes one more, empty, doc (a bug)
    assert_same_annotations([d for d in expected if len(d)], got)


def test_iob_blank_lines_and_n0(tmp_path: Path) -> None:
    """spaCy counts blank lines toward -n (and emits an empty doc) and emits nothing at -n 0."""
    lines = (FIX / "spacy-ner-sent-per-line.iob").read_text(encoding="utf-8").splitlines()
    f = tmp_path / "blank.iob"
    f.write_text(lines[0] + "\n\n" + lines[1] + "\n", encoding="utf-8")
    theirs = spacy_convert(f, tmp_path / "spacy", "iob", n_sents=1)
    assert [len(d) for d in theirs] == [25, 0, 41, 0]  # spaCy's empty docs
    got = ours(f, tmp_path / "ck", "iob", n_sents=1)
    assert len(got) == 2 and all(len(d) for d in got)
    assert spacy_convert(f, tmp_path / "spacy0", "iob", n_sents=0) == []
    assert len(ours(f, tmp_path / "ck0", "iob", n_sents=0)) == 2


def test_json_same_as_spacy(tmp_path: Path) -> None:
    f = FIX / "spacy-training-data.json"
    expected = spacy_convert(f, tmp_path / "spacy", "json")
    got = ours(f, tmp_path / "ck", "json")
    assert_same_annotations(expected, got)


def test_json_of_another_shape_is_an_error(tmp_path: Path) -> None:
    """spaCy #6342: JSON of another shape gives "0 documents"; corpuskit says what it found."""
    f = tmp_path / "other.json"
    f.write_text('{"text": "not spaCy v2 JSON"}\n', encoding="utf-8")
    assert spacy_convert(f, tmp_path / "spacy", "json") == []
    with pytest.raises(CorpusError):
        ours(f, tmp_path / "ck", "json")
    assert not (tmp_path / "ck").exists()


def test_spacy_reads_our_files_with_its_own_vocab(tmp_path: Path) -> None:
    got = ours(FIX / "en_ewt-ud-dev.slice.conllu", tmp_path / "ck", n_sents=10)
    assert sum(len(d) for d in got) > 500
    v = Vocab()
    assert len(spacy_docs_from_file(tmp_path / "ck", vocab=v)) == len(got)
