"""One large file as Ray parts: ``convert BIG.conllu OUT --ray`` cuts it by the plan ``convert -j``
makes, a task per part, and writes the same shards with the same bytes as a local run; an
error in a later part names its line in the whole file."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corpuskit.cli import cli
from corpuskit.distributed import plan_file_parts

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample" / "en_ewt-train.sample.conllu"


def _big(tmp_path: Path, copies: int = 3) -> Path:
    """The EWT sample (600 sentences, about 10,000 words) three times over: about 30,000 words."""
    big = tmp_path / "big.conllu"
    big.write_text(SAMPLE.read_text(encoding="utf-8") * copies, encoding="utf-8")
    return big


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_plan_cuts_the_big_file(tmp_path: Path) -> None:
    big = _big(tmp_path)
    plan = plan_file_parts(big, "conllu", {"jobs": 2, "shard_size": 2000})
    assert plan is not None
    parts, _ = plan
    assert len(parts) >= 8 and parts[0].start == 0 and parts[-1].end is None
    assert sum(p.units for p in parts) == 1800
    assert plan_file_parts(big, "conllu", {"jobs": 1, "shard_size": 2000}) is None  # -j 1: not cut
    assert plan_file_parts(big, "conllu", {"jobs": 2}) is None  # smaller than one shard


@pytest.mark.parametrize("extra", [["--shard-size", "2000"], ["--shard-size", "3000", "-n", "4", "-j", "2"]])
def test_one_large_file_as_ray_parts_writes_the_same_bytes(
    ray_local: Any, tmp_path: Path, extra: list[str]
) -> None:
    big = _big(tmp_path)
    jobs = [] if "-j" in extra else ["-j", "2"]  # the plan of a 2-CPU machine, whatever runs the test
    local = CliRunner().invoke(cli, ["convert", str(big), str(tmp_path / "local"), *jobs, *extra])
    assert local.exit_code == 0, local.output
    remote = CliRunner().invoke(cli, ["convert", str(big), str(tmp_path / "ray"), "--ray", *jobs, *extra])
    assert remote.exit_code == 0, remote.output
    a, b = _tree(tmp_path / "local"), _tree(tmp_path / "ray")
    assert len(a) >= 8 and a == b
    size, n = int(extra[1]), int(extra[extra.index("-j") + 1]) if "-j" in extra else 2
    plan = plan_file_parts(
        big, "conllu", {"jobs": n, "shard_size": size, "n_sents": 4 if "-n" in extra else 1}
    )
    assert plan is not None and len(a) >= len(plan[0])  # a shard or more per part: both runs cut it
    assert local.stderr.splitlines()[-1] == remote.stderr.splitlines()[-1] == (
        "1800 docs, 1800 sentences, 41127 tokens written" if "-n" not in extra else
        "450 docs, 1800 sentences, 41127 tokens written"
    )  # fmt: skip


def test_a_file_target_gets_its_shards_named_after_it(ray_local: Any, tmp_path: Path) -> None:
    big = _big(tmp_path)
    for jobs in ("1", "2"):
        args = [str(big), "--shard-size", "5000", "-j", jobs]
        local = CliRunner().invoke(
            cli, ["convert", args[0], str(tmp_path / f"l{jobs}" / "out.spacy"), *args[1:]]
        )
        target = str(tmp_path / f"r{jobs}" / "out.spacy")
        remote = CliRunner().invoke(cli, ["convert", args[0], target, *args[1:], "--ray"])
        assert local.exit_code == remote.exit_code == 0, remote.output
        a, b = _tree(tmp_path / f"l{jobs}"), _tree(tmp_path / f"r{jobs}")
        assert a == b and all(re.fullmatch(r"out\.spacy/out-\d{4}\.spacy", name) for name in a)


def test_an_error_in_a_later_part_names_its_line_in_the_whole_file(ray_local: Any, tmp_path: Path) -> None:
    big = _big(tmp_path)
    lines = big.read_text(encoding="utf-8").split("\n")
    bad = 2 * len(lines) // 3  # well inside a later part
    while not re.match(r"^\d+\t", lines[bad]):
        bad += 1
    cols = lines[bad].split("\t")
    cols[6] = "999"
    lines[bad] = "\t".join(cols)
    big.write_text("\n".join(lines), encoding="utf-8")
    plan = plan_file_parts(big, "conllu", {"jobs": 2, "shard_size": 2000})
    assert plan is not None and plan[0][1].first_line < bad
    local = CliRunner().invoke(
        cli, ["convert", str(big), str(tmp_path / "local"), "-j", "2", "--shard-size", "2000"]
    )
    remote = CliRunner().invoke(
        cli, ["convert", str(big), str(tmp_path / "ray"), "--ray", "-j", "2", "--shard-size", "2000"]
    )
    assert local.exit_code == remote.exit_code == 2
    assert remote.stderr.strip().splitlines()[-1] == local.stderr.strip().splitlines()[-1]
    assert f"big.conllu:{bad + 1}:" in remote.stderr
    assert not (tmp_path / "ray").exists()
