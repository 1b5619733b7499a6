"""``corpuskit debug-data --ray``: each file's pass a Ray task, the statistics merged on the
driver into the report a local run gives (same text, JSON and SARIF bytes, same exit code)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corpuskit.cli import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _corpus(tmp_path: Path) -> tuple[Path, Path]:
    train, dev = tmp_path / "train", tmp_path / "dev"
    (train / "ud").mkdir(parents=True)
    dev.mkdir()
    for name in ("en_ewt-ud-dev.slice.conllu", "fr_gsd-ud-dev.slice.conllu", "broken_upos.conllu",
                 "broken_head_value.conllu", "broken_column_count.conllu"):  # fmt: skip
        shutil.copy(FIXTURES / "conllu" / name, train / "ud" / name)
    shutil.copy(FIXTURES / "sample" / "en_ewt-train.sample.conllu", train / "sample.conllu")
    shutil.copy(FIXTURES / "convert" / "wnut17-train.slice.conll", train / "wnut17.conll")
    shutil.copy(FIXTURES / "debug" / "ewt_dev.conllu", dev / "ewt.conllu")
    shutil.copy(FIXTURES / "sample" / "en_ewt-dev.sample.conllu", dev / "sample.conllu")
    return train, dev


@pytest.mark.parametrize(
    "extra",
    [
        [],
        ["--verbose", "--max-examples", "2"],
        ["--format", "json"],
        ["--format", "sarif"],
        ["--format", "html"],
    ],
)
def test_debug_data_with_ray_gives_the_local_report(ray_local: Any, tmp_path: Path, extra: list[str]) -> None:
    train, dev = _corpus(tmp_path)
    local = CliRunner().invoke(cli, ["debug-data", str(train), str(dev), *extra])
    remote = CliRunner().invoke(cli, ["debug-data", "--ray", str(train), str(dev), "--workers", "2", *extra])
    assert local.exit_code == remote.exit_code == 1, remote.output  # the broken_* files
    assert remote.stdout == local.stdout
    assert "train-dev-overlap" in local.stdout and "broken_upos.conllu" in local.stdout


def test_debug_data_spacys_spelling_with_ray(ray_local: Any, tmp_path: Path) -> None:
    train, dev = _corpus(tmp_path)
    out = tmp_path / "report.json"
    args = ["debug", "data", str(train), str(dev), "--ray", "-o", str(out), "--format", "json"]
    remote = CliRunner().invoke(cli, args)
    local = CliRunner().invoke(cli, ["debug-data", str(train), str(dev), "--format", "json"])
    assert remote.exit_code == local.exit_code == 1
    assert out.read_text(encoding="utf-8") == local.stdout


def test_workers_needs_ray(tmp_path: Path) -> None:
    train, _ = _corpus(tmp_path)
    got = CliRunner().invoke(cli, ["debug-data", str(train), "--workers", "2"])
    assert got.exit_code == 2 and "--workers needs --ray" in got.stderr
    assert got.stdout == ""
