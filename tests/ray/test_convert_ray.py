"""``corpuskit convert --ray`` on a directory: one Ray task per file, the same files with the
same bytes as a local run, and errors that still name file:line."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from corpuskit.cli import cli
from corpuskit.cli.ray_options import normalize_ray_args

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _corpus(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    (src / "ud").mkdir(parents=True)
    (src / "ner").mkdir()
    for p in (FIXTURES / "convert").glob("*.conllu"):
        shutil.copy(p, src / "ud" / p.name)
    for name in ("wnut17-train.slice.conll", "wikiner-en-wp2.slice.iob", "spacy-training-data.json"):
        shutil.copy(FIXTURES / "convert" / name, src / "ner" / name)
    return src


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_convert_with_ray_writes_the_same_bytes(ray_local: Any, tmp_path: Path) -> None:
    src = _corpus(tmp_path)
    for extra in ([], ["-n", "3"], ["--shard-size", "300"]):
        local = CliRunner().invoke(cli, ["convert", str(src), str(tmp_path / "local"), *extra])
        assert local.exit_code == 0, local.output
        remote = CliRunner().invoke(
            cli, ["convert", "--ray", str(src), str(tmp_path / "ray"), "--workers", "2", *extra]
        )
        assert remote.exit_code == 0, remote.output
        a, b = _tree(tmp_path / "local"), _tree(tmp_path / "ray")
        assert len(a) >= 7 and a == b
        assert local.stderr.splitlines()[-1] == remote.stderr.splitlines()[-1]  # the totals
        shutil.rmtree(tmp_path / "local")
        shutil.rmtree(tmp_path / "ray")


def test_convert_with_ray_names_the_bad_line_and_writes_nothing(ray_local: Any, tmp_path: Path) -> None:
    src = _corpus(tmp_path)
    shutil.copy(FIXTURES / "conllu" / "broken_head_value.conllu", src / "ud" / "zz-broken.conllu")
    local = CliRunner().invoke(cli, ["convert", str(src), str(tmp_path / "local"), "-c", "auto"])
    remote = CliRunner().invoke(cli, ["convert", str(src), str(tmp_path / "ray"), "--ray"])
    assert local.exit_code == remote.exit_code == 2
    assert remote.stderr.strip().splitlines()[-1] == local.stderr.strip().splitlines()[-1]
    assert "zz-broken.conllu:" in remote.stderr
    assert not (tmp_path / "ray").exists()


def test_ray_takes_an_optional_address() -> None:
    assert normalize_ray_args(["--ray", "in", "out"]) == ["--ray=auto", "in", "out"]
    assert normalize_ray_args(["in", "--ray"]) == ["in", "--ray=auto"]
    assert normalize_ray_args(["--ray", "--workers", "2"]) == ["--ray=auto", "--workers", "2"]
    assert normalize_ray_args(["--ray", "10.0.0.5:6379", "in"]) == ["--ray", "10.0.0.5:6379", "in"]
    assert normalize_ray_args(["--ray", "ray://head:10001"]) == ["--ray", "ray://head:10001"]


def test_check_with_ray_prints_what_a_local_run_prints(ray_local: Any, tmp_path: Path) -> None:
    files = sorted(str(p) for p in (FIXTURES / "conllu").glob("*.conllu"))
    for args in (files, [str(FIXTURES / "conllu")], [str(FIXTURES / "conllu"), "--infos"]):
        local = CliRunner().invoke(cli, ["check", *args])
        remote = CliRunner().invoke(cli, ["check", "--ray", *args, "--workers", "2"])
        assert local.exit_code == remote.exit_code == 1  # the broken_* files have errors
        assert remote.stdout == local.stdout
        assert local.stdout.count("broken_") >= 8
