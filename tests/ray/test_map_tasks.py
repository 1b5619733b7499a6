"""corpuskit.distributed.map_tasks on a real local Ray: the same results as a local run, errors
that keep their location, a dead worker named; and nothing imports Ray unless asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from corpuskit.distributed import WorkerDied, map_tasks
from corpuskit.errors import FormatError, UsageError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def count_tokens(path: str, shared: dict[str, Any]) -> tuple[str, int, int]:
    """A real job: read a corpus file and count its sentences and tokens (shared: options)."""
    from corpuskit.corpus import read_corpus

    docs = list(read_corpus(Path(path), converter=shared["converter"]))
    return Path(path).name, len(docs), sum(len(d) for d in docs)


def exit_in_worker(item: int, shared: Any) -> int:
    if item == 1:
        os._exit(1)  # the worker process dies
    return item


def test_importing_the_commands_does_not_import_ray() -> None:
    code = (
        "import sys, corpuskit.cli, corpuskit.cli.train, corpuskit.cli.convert, corpuskit.distributed,"
        " corpuskit.train.dataparallel; assert 'ray' not in sys.modules, 'ray imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_ray_it_runs_in_order_here() -> None:
    seen: list[int] = []
    out = map_tasks(lambda x, s: x * s, [3, 1, 2], shared=10, on_result=lambda k, r: seen.append(k))
    assert out == [30, 10, 20]
    assert seen == [0, 1, 2]


def test_ray_results_equal_local_results(ray_local: Any) -> None:
    files = sorted(str(p) for p in (FIXTURES / "convert").glob("*.conllu"))
    assert len(files) >= 4
    shared = {"converter": "conllu"}
    local = map_tasks(count_tokens, files, shared=shared)
    order: list[int] = []
    remote = map_tasks(
        count_tokens, files, shared=shared, ray=True, workers=2, on_result=lambda k, r: order.append(k)
    )
    assert remote == local
    assert order == list(range(len(files)))
    assert all(n_tokens > 0 for _, _, n_tokens in local)


def test_a_format_error_arrives_with_its_location(ray_local: Any) -> None:
    files = [str(FIXTURES / "convert" / "en_ewt-ud-dev.slice.conllu")]
    files.append(str(FIXTURES / "conllu" / "broken_column_count.conllu"))
    with pytest.raises(FormatError) as local:
        map_tasks(count_tokens, files, shared={"converter": "conllu"})
    with pytest.raises(FormatError) as remote:
        map_tasks(count_tokens, files, shared={"converter": "conllu"}, ray=True)
    assert str(remote.value) == str(local.value)
    assert remote.value.path is not None and remote.value.path.endswith("broken_column_count.conllu")
    assert remote.value.line is not None


def test_a_dead_worker_is_named(ray_local: Any) -> None:
    with pytest.raises(WorkerDied, match=r"worker died while running task 2 of 3"):
        map_tasks(exit_in_worker, [0, 1, 2], ray=True)


def test_ray_not_installed_says_how(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "ray" else real(n, *a))
    with pytest.raises(UsageError, match=r"corpuskit\[ray\]"):
        map_tasks(count_tokens, ["x"], ray=True)
