"""convert_corpus's three steps (plan_convert, write_outputs, commit_outputs) over its option
objects. Real UD slices from fixtures/ (CC BY-SA 4.0)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from corpuskit.conversion import (
    DocOptions,
    Events,
    OutputOptions,
    ReadOptions,
    commit_outputs,
    convert_corpus,
    plan_convert,
    write_outputs,
)
from corpuskit.errors import UsageError
from corpuskit.io import OutputRun

CONVERT = Path(__file__).resolve().parent.parent / "fixtures" / "convert"
EWT = CONVERT / "en_ewt-ud-dev.slice.conllu"


def test_the_three_steps_write_what_convert_corpus_writes(tmp_path: Path) -> None:
    whole = convert_corpus(EWT, tmp_path / "a", n_sents=10, merge_subtokens=True)
    plan = plan_convert(
        EWT,
        tmp_path / "b",
        ReadOptions(merge_subtokens=True),
        DocOptions(n_sents=10),
        OutputOptions(),
        Events(),
    )
    assert plan.out_dir == tmp_path / "b" and [r for r, _ in plan.outputs] == [Path(EWT.stem + ".spacy")]
    assert not (tmp_path / "b").exists()  # planning writes nothing
    with OutputRun(plan.out_dir) as run:
        write_outputs(plan, run)
        assert not (tmp_path / "b" / f"{EWT.stem}.spacy").exists()  # staged, not in place yet
        result = commit_outputs(plan, run)
    assert (result.n_docs, result.n_sents, result.n_tokens) == (whole.n_docs, whole.n_sents, whole.n_tokens)
    assert [p.read_bytes() for p in result.paths] == [p.read_bytes() for p in whole.paths]


def test_every_refusal_comes_from_the_plan_before_anything_is_written(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.conllu").write_bytes(EWT.read_bytes())
    options = (ReadOptions(), DocOptions(), OutputOptions(), Events())
    with pytest.raises(UsageError, match="--n-sents must be 0 or more"):
        plan_convert(src, tmp_path / "out", options[0], DocOptions(n_sents=-1), *options[2:])
    with pytest.raises(UsageError, match="unknown file type 'xml'"):
        plan_convert(src, tmp_path / "out", *options[:2], OutputOptions(file_type="xml"), options[3])
    with pytest.raises(UsageError, match=r"cannot write binary \.spacy data to stdout"):
        plan_convert(src, "-", *options)
    assert not (tmp_path / "out").exists()
    before = (src / "a.conllu").read_bytes()
    with pytest.raises(UsageError, match="would overwrite an input file"):
        plan_convert(src, src, *options[:2], OutputOptions(file_type="conllu"), options[3])
    assert sorted(p.name for p in src.iterdir()) == ["a.conllu"] and (src / "a.conllu").read_bytes() == before


def test_the_option_objects_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ReadOptions().encoding = "latin-1"  # type: ignore[misc]
    assert ReadOptions(offset_units="utf16", lang="en").converter_options(None) == {
        "offset_units": "utf16",
        "lang": "en",
    }
