"""A damaged or hand-made .spacy: bad user data, provenance or CoNLL-U round-trip data is one line
naming the file (and the doc), exit 2 in convert, a finding in check; never a traceback."""

from __future__ import annotations

import copy
import zlib
from pathlib import Path
from typing import Any

import msgpack
import pytest
from click.testing import CliRunner, Result

from corpuskit.cli import cli
from corpuskit.doc import PROVENANCE_KEY, Doc
from corpuskit.docbin import read_docbin, write_docbin

SPACY = Path(__file__).resolve().parents[2] / "fixtures" / "docbin" / "ewt_dev_n10.spacy"


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def _with_user_data(path: Path, doc: int, user_data: bytes) -> Path:
    msg = msgpack.unpackb(zlib.decompress(SPACY.read_bytes()), raw=False)
    msg = copy.deepcopy(msg)
    msg["user_data"][doc] = user_data
    path.write_bytes(zlib.compress(msgpack.packb(msg, use_bin_type=True)))
    return path


USER_DATA: dict[str, tuple[bytes, str]] = {
    "not-a-map": (msgpack.packb([1, 2]), "the user_data of doc 1 is not a msgpack map"),
    "damaged": (b"\xc1\xc1", "the user_data of doc 1 is not a msgpack map"),
    "source-not-text": (msgpack.packb({PROVENANCE_KEY: {"source": 5}}), "provenance of doc 1 names no file"),
    "lines-wrong-count": (
        msgpack.packb({PROVENANCE_KEY: {"source": "x", "lines": [1, 2]}}),
        "Doc.lines has 2",
    ),
    "runs-not-ints": (msgpack.packb({PROVENANCE_KEY: {"runs": [1, "a"]}}), "provenance runs of doc 1"),
}


@pytest.mark.parametrize("case", list(USER_DATA))
def test_bad_user_data_in_a_docbin(case: str, tmp_path: Path) -> None:
    data, says = USER_DATA[case]
    f = _with_user_data(tmp_path / "bad.spacy", 1, data)
    result = run("convert", f, tmp_path / "out", "-t", "conllu")
    assert result.exit_code == 2, (result.stderr, result.exception)
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("corpuskit: error: ")]
    assert "Traceback" not in result.stderr
    assert line.startswith(f"corpuskit: error: {f}: bad DocBin: ") and says in line, line
    assert not (tmp_path / "out").exists()
    result = run("check", f)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert f"{f}:1:1: corpus-unreadable bad DocBin: " in result.stdout


ROUND_TRIP: dict[str, Any] = {
    "comments-not-a-list": {"comments": 5},
    "comment-not-text": {"comments": [1, 2]},
    "extra-not-pairs": {"extra": [[1, 2, 3]]},
    "extra-outside": {"extra": [[9, "1-2\tab"]]},
    "tail-not-text": {"tail": ["a", 3]},
    "misc-wrong-length": {"misc": ["_"]},
    "xpos-not-a-list": {"xpos": 5},
    "head-not-pairs": {"head": [5]},
}


@pytest.mark.parametrize("case", list(ROUND_TRIP))
def test_bad_conllu_round_trip_data(case: str, tmp_path: Path) -> None:
    entry = {"n": 3, **ROUND_TRIP[case]}
    doc = Doc(
        words=["a", "b", "c"], user_data={"conllu.sents": [entry]}, source="orig.conllu", lines=[4, 5, 6]
    )
    f = tmp_path / "rt.spacy"
    write_docbin([doc], f)
    (back,) = read_docbin(f)
    assert back.user_data["conllu.sents"][0]["n"] == 3
    result = run("convert", f, tmp_path / "out", "-t", "conllu")
    assert result.exit_code == 2, (result.stderr, result.exception)
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("corpuskit: error: ")]
    assert "Traceback" not in result.stderr
    key = next(iter(ROUND_TRIP[case]))
    assert "cannot write CoNLL-U: doc 0 (orig.conllu:4) has round-trip data" in line, line
    assert f"{key!r} is" in line
    assert not (tmp_path / "out").exists()


def test_good_round_trip_data_still_writes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("convert", SPACY, out, "-t", "conllu").exit_code == 0
    assert (out / "ewt_dev_n10.conllu").read_text(encoding="utf-8").count("# sent_id") == 30
