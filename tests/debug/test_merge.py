"""debug-data's per-file passes merged (corpuskit.debug.merge): the same report as one pass.

``debug_corpus_ray(..., ray=None)`` runs every file's pass on its own in this process and merges
them exactly as the Ray driver does, so these tests prove the merge without a cluster.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from corpuskit.debug import Options, debug_corpus
from corpuskit.debug.merge import debug_corpus_ray
from corpuskit.debug.report import render

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _corpus(tmp_path: Path) -> tuple[Path, Path]:
    """A train directory of real slices from several formats (broken ones among them), and a
    dev directory that shares files with it (train/dev overlap, near duplicates)."""
    train, dev = tmp_path / "train", tmp_path / "dev"
    train.mkdir()
    dev.mkdir()
    for name in ("en_ewt-ud-dev.slice.conllu", "de_gsd-ud-dev.slice.conllu", "broken_upos.conllu",
                 "broken_head_value.conllu", "ner_misc.conllu", "broken_column_count.conllu"):  # fmt: skip
        shutil.copy(FIXTURES / "conllu" / name, train / name)
    shutil.copy(FIXTURES / "convert" / "wnut17-train.slice.conll", train / "wnut17.conll")
    shutil.copy(FIXTURES / "ner" / "broken_u_prefix.conll", train / "zz_broken_u.conll")
    shutil.copy(FIXTURES / "debug" / "ewt_dev.conllu", dev / "a.conllu")
    shutil.copy(FIXTURES / "conllu" / "en_ewt-ud-dev.slice.conllu", dev / "b.conllu")
    shutil.copy(FIXTURES / "debug" / "broken_wnut17_dev.conll", dev / "c.conll")
    return train, dev


@pytest.mark.parametrize("max_examples", [1, 3, 10, None])
def test_merged_parts_give_the_report_of_one_pass(tmp_path: Path, max_examples: int | None) -> None:
    train, dev = _corpus(tmp_path)
    opts = Options(max_examples=max_examples)
    one = debug_corpus(train, dev, options=opts)
    parts = debug_corpus_ray(train, dev, options=opts, ray=None)
    assert json.dumps(parts.to_dict()) == json.dumps(one.to_dict())
    assert parts.files == one.files and len(one.files["train"]) == 8
    for fmt in ("text", "sarif"):
        assert render(parts, fmt, verbose=True) == render(one, fmt, verbose=True)
    found = {f.id for f in one.findings}
    assert one.errors and {"train-dev-overlap", "duplicate-docs", "invalid-head", "column-count"} <= found


def test_merge_keeps_corpus_order_of_the_first_examples(tmp_path: Path) -> None:
    """Hits from several files, one example kept: the first file's, as one pass keeps it."""
    train, _ = _corpus(tmp_path)
    one = debug_corpus(train, options=Options(max_examples=1))
    parts = debug_corpus_ray(train, options=Options(max_examples=1), ray=None)
    several = [f for f in one.findings if f.count > 1]
    assert several
    for a, b in zip(one.findings, parts.findings, strict=True):
        assert (a.id, a.count, a.examples, a.message) == (b.id, b.count, b.examples, b.message)


def test_merge_of_docbin_inputs(tmp_path: Path) -> None:
    """.spacy inputs: their docs' provenance (source file) is remapped across parts."""
    from click.testing import CliRunner

    from corpuskit.cli import cli

    train, dev = _corpus(tmp_path)
    for name in ("broken_upos.conllu", "broken_head_value.conllu", "broken_column_count.conllu"):
        (train / name).unlink()
    (train / "zz_broken_u.conll").unlink()
    got = CliRunner().invoke(cli, ["convert", str(train), str(tmp_path / "bin")])
    assert got.exit_code == 0, got.output
    shutil.copy(FIXTURES / "conllu" / "en_ewt-ud-dev.slice.conllu", tmp_path / "bin" / "again.conllu")
    one = debug_corpus(tmp_path / "bin", dev)
    parts = debug_corpus_ray(tmp_path / "bin", dev, ray=None)
    assert json.dumps(parts.to_dict()) == json.dumps(one.to_dict())
    assert render(parts, "text", verbose=True) == render(one, "text", verbose=True)
