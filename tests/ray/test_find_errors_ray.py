"""find-errors with --ray: the K fold models trained as Ray tasks give the same queue as a local
run, and the models they leave in the cache are reused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from corpuskit.cli import cli
from corpuskit.finderrors.corpus import load_corpora
from corpuskit.finderrors.model import FoldSettings
from corpuskit.finderrors.queue import find_errors

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EWT_TINY = FIXTURES / "train" / "ewt-train-40.conllu"
TINY = FoldSettings(folds=2, epochs=1, width=32, depth=1, parser_width=32)


def _queue(ray: Any, cache: Path) -> list[dict[str, Any]]:
    docs = load_corpora([EWT_TINY])
    queue = find_errors([EWT_TINY], method="all", settings=TINY, cache_dir=cache, docs=docs, ray=ray)
    return [s.to_dict() for s in queue.suspects]


def test_ray_folds_give_the_same_queue(ray_local: Any, tmp_path: Path) -> None:
    local = _queue(None, tmp_path / "local")
    remote = _queue(True, tmp_path / "ray")
    assert remote == local and local
    # the fold models came back from the tasks into the cache: a second run trains nothing
    folds = sorted(p.name for p in (tmp_path / "ray").glob("*/fold-*"))
    assert folds == ["fold-0", "fold-1"]
    said: list[str] = []
    docs = load_corpora([EWT_TINY])
    find_errors([EWT_TINY], settings=TINY, cache_dir=tmp_path / "ray", docs=docs, progress=said.append)
    assert all("training" not in m for m in said) and sum("cached model" in m for m in said) == 2


def test_find_errors_cli_takes_ray(ray_local: Any, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["find-errors", str(EWT_TINY), "--method", "ngram", "--ray", "--workers", "2", "--format", "jsonl"],
    )
    assert result.exit_code == 0, result.output
    plain = CliRunner().invoke(cli, ["find-errors", str(EWT_TINY), "--method", "ngram", "--format", "jsonl"])
    assert result.stdout == plain.stdout
