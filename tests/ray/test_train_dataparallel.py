"""Data-parallel training on a real local Ray (2 CPUs): 2 workers reach the accuracy of one
process on the same data, epochs and seed; the model files are the usual ones; a killed worker
stops the run with a clear message and leaves the last saved model."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from corpuskit.cli import cli
from corpuskit.distributed import WorkerDied

# the trainer tests' corpora and small config (tests/train/conftest.py), loaded by path
_spec = importlib.util.spec_from_file_location(
    "train_conftest", Path(__file__).resolve().parents[1] / "train" / "conftest.py"
)
assert _spec is not None and _spec.loader is not None
_train = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_train)
TRAIN, DEV, _read, _small_config = _train.TRAIN, _train.DEV, _train._read, _train._small_config

#: how far 2 workers' tag accuracy may be from one process's (points of accuracy, 0-1 scale).
#: Summing the two shards' gradients is the gradient of the whole batch, so the runs agree up to
#: float rounding; 0.01 leaves room for a different BLAS summation order.
TOLERANCE = 0.01


def _run(workers: int, out: Path) -> list[Any]:
    from corpuskit.train import Pipeline
    from corpuskit.train.config import resolve_training
    from corpuskit.train.dataparallel import train_data_parallel
    from corpuskit.train.loop import train_pipeline

    cfg = _small_config(["tagger", "parser"], max_steps=0, max_epochs=3, eval_frequency=6)
    nlp = Pipeline.from_config(cfg)
    settings = resolve_training(cfg.interpolate())
    train, dev = _read(TRAIN), _read(DEV)
    if workers == 0:
        return list(train_pipeline(nlp, train, dev, settings, output_dir=out))
    return list(train_data_parallel(nlp, train, dev, settings, workers=workers, output_dir=out))


def test_two_workers_reach_the_single_process_accuracy(ray_local: Any, tmp_path: Path) -> None:
    import corpuskit

    local = _run(0, tmp_path / "local")
    two = _run(2, tmp_path / "two")
    assert [i.step for i in two] == [i.step for i in local]
    assert local[-1].scores["tag_acc"] > 0.3  # it learned something
    for a, b in zip(local, two, strict=True):
        assert abs(a.scores["tag_acc"] - b.scores["tag_acc"]) <= TOLERANCE
        assert abs(a.scores["dep_uas"] - b.scores["dep_uas"]) <= TOLERANCE
    # the same model directories, loadable, scoring what the last evaluation said
    for name in ("model-best", "model-last"):
        assert sorted(p.name for p in (tmp_path / "two" / name).iterdir()) == sorted(
            p.name for p in (tmp_path / "local" / name).iterdir()
        )
    from corpuskit.train.run import evaluate_model

    scores = evaluate_model(tmp_path / "two" / "model-last", DEV, gold_preproc=False)
    assert scores["tag_acc"] == pytest.approx(two[-1].scores["tag_acc"], abs=1e-9)
    assert corpuskit.load(tmp_path / "two" / "model-best").pipe_names == ["tagger", "parser"]


def test_a_killed_worker_stops_the_run_and_keeps_the_model(ray_local: Any, tmp_path: Path) -> None:
    from corpuskit.train import Pipeline
    from corpuskit.train.config import resolve_training
    from corpuskit.train.dataparallel import train_data_parallel

    cfg = _small_config(["tagger"], max_steps=20, eval_frequency=4)
    nlp = Pipeline.from_config(cfg)
    settings = resolve_training(cfg.interpolate())
    info: dict[str, Any] = {}
    run = train_data_parallel(
        nlp, _read(TRAIN), _read(DEV), settings, workers=2, output_dir=tmp_path, run_info=info
    )
    first = next(run)
    assert first.is_best and (tmp_path / "model-best" / "config.cfg").is_file()
    before = (tmp_path / "model-best" / "tagger.bin").read_bytes()
    ray_local.kill(info["actors"][1], no_restart=True)
    with pytest.raises(WorkerDied) as e:
        list(run)
    message = str(e.value)
    assert "training worker 1 of 2 died at step" in message
    assert f"The last saved model is {tmp_path / 'model-best'} (step {first.step})" in message
    assert (tmp_path / "model-best" / "tagger.bin").read_bytes() == before
    assert not (tmp_path / "model-last").exists()


def test_train_cli_with_ray_prints_the_usual_table(ray_local: Any, tmp_path: Path) -> None:
    cfg = _small_config(["tagger"], max_steps=6, eval_frequency=3)
    cfg.to_disk(tmp_path / "c.cfg")
    args = ["train", str(TRAIN), str(DEV), str(tmp_path / "c.cfg"), "-o", str(tmp_path / "m")]
    result = CliRunner().invoke(cli, [*args, "--ray", "--workers", "2", "--no-validate"])
    assert result.exit_code == 0, result.output
    lines = [ln.split() for ln in result.stdout.splitlines()]
    assert lines[0][:2] == ["E", "#"] and "Tag" in lines[0]
    assert [row[1] for row in lines[2:]] == ["3", "6"]
    assert (tmp_path / "m" / "model-last" / "tagger.bin").is_file()
    bad = CliRunner().invoke(cli, [*args, "--workers", "2"])
    assert bad.exit_code == 2 and "--workers needs --ray" in bad.output
