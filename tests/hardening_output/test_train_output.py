"""`corpuskit train`'s outputs: OUTPUT checked before training, model folders with ordinary modes,
and a model save killed at its worst moment still leaves a complete model-best (old or new).
Real data: the EWT training slices of fixtures/train (CC BY-SA 4.0)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpuskit.cli import cli
from corpuskit.io import STAGING_NAME, aside_path

ROOT = Path(__file__).resolve().parents[2]
TRAIN = str(ROOT / "fixtures" / "train" / "ewt-train-40.conllu")
DEV = str(ROOT / "fixtures" / "train" / "ewt-dev-15.conllu")
SMALL = [
    "--components.tok2vec.model.encode.width",
    "32",
    "--components.tok2vec.model.encode.depth",
    "1",
    "--training.batch_size",
    "500",
    "--training.eval_frequency",
    "2",
    "--training.max_steps",
    "4",
]
FILES = ["config.cfg", "meta.json", "tagger.bin", "tok2vec.bin"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    tmp = tmp_path_factory.mktemp("train")
    old = os.umask(0o022)
    try:
        config = tmp / "config.cfg"
        assert CliRunner().invoke(cli, ["init-config", "--pipeline", "tagger", str(config)]).exit_code == 0
        out = tmp / "out"
        result = CliRunner().invoke(
            cli,
            ["train", TRAIN, DEV, str(config), "--output", str(out), "-c", "conllu", "--no-validate", *SMALL],
        )
        assert result.exit_code == 0, result.output
    finally:
        os.umask(old)
    yield out


def test_train_output_below_a_file_is_refused_before_training(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(
        cli, ["train", TRAIN, DEV, "--output", str(tmp_path / "file" / "out"), "-c", "conllu", *SMALL]
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    expected = f"{tmp_path}/file/out: is below {tmp_path}/file, which is a file; OUTPUT must be a folder"
    assert lines == [f"corpuskit: error: {expected}"]
    assert "Training" not in result.output
    assert os.listdir(tmp_path) == ["file"]


def test_model_folders_have_ordinary_modes_and_no_staging_is_left(trained: Path) -> None:
    assert sorted(os.listdir(trained)) == ["model-best", "model-last", "training.html", "training.jsonl"]
    for name in ("training.html", "training.jsonl"):
        assert stat.S_IMODE((trained / name).stat().st_mode) == 0o644
    for name in ("model-best", "model-last"):
        assert stat.S_IMODE((trained / name).stat().st_mode) == 0o755
        assert sorted(os.listdir(trained / name)) == FILES
        for f in FILES:
            assert stat.S_IMODE((trained / name / f).stat().st_mode) == 0o644


_KILLED_SAVE = """
import os, sys, corpuskit.io as io
from corpuskit.train.pipeline import load
best = sys.argv[1]
nlp = load(best)
nlp.meta["marker"] = "new"
if sys.argv[2] == "exchange":
    real = io.exchange
    def exchange(a, b):
        if not real(a, b):
            sys.exit("this file system cannot exchange two paths")
        os._exit(9)  # just after the swap, before the old model is removed
    io.exchange = exchange
else:
    io.exchange = lambda a, b: False
    real_rename = os.rename
    def rename(a, b):
        real_rename(a, b)
        if str(b).endswith(".corpuskit-old"):
            os._exit(9)  # between the two renames
    os.rename = rename
nlp.to_disk(best)
"""


@pytest.mark.parametrize("strategy", ["exchange", "rename-aside"])
def test_a_save_killed_between_its_renames_leaves_a_complete_model_best(
    trained: Path, tmp_path: Path, strategy: str
) -> None:
    import shutil

    from corpuskit.train.pipeline import load

    out = tmp_path / "out"
    shutil.copytree(trained, out)
    best = out / "model-best"
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_SAVE, str(best), strategy], capture_output=True, text=True
    )
    assert done.returncode == 9, done.stderr
    if strategy == "exchange":
        # model-best is whole at once: the new model; the old one is a leftover temp folder
        assert sorted(os.listdir(best)) == FILES
        assert load(best).meta["marker"] == "new"
    else:
        # the old model waits aside; the next start (a load, or the next train into OUTPUT) restores it
        assert not best.exists() and sorted(os.listdir(aside_path(best))) == FILES
        nlp = load(best)
        assert "marker" not in nlp.meta and sorted(os.listdir(best)) == FILES
    assert not aside_path(best).exists()


def test_a_second_train_into_the_same_output_is_refused(trained: Path, tmp_path: Path) -> None:
    from corpuskit.io import OutputRun

    out = tmp_path / "out"
    with OutputRun(out):
        result = CliRunner().invoke(
            cli, ["train", TRAIN, DEV, "--output", str(out), "-c", "conllu", "--no-validate", *SMALL]
        )
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("corpuskit: ")]
    assert len(errors) == 1 and "another corpuskit run" in errors[0], result.stderr
    assert sorted(os.listdir(out)) == []
    assert not (out / STAGING_NAME).exists()
