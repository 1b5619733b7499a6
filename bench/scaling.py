"""Benchmark: 1 vs N workers on Ray for training (words/s), a K-job map, convert and debug-data (wall).

Run: python bench/scaling.py [--data ../shared/data] [--workers 2] [--rounds 2]
                             [--train-sents 1500] [--steps 40] [--jobs 4] [--copies 2]
                             [--only train,map,convert,bigfile,debug]

One local Ray instance (``--workers`` CPUs) is started for the whole run; every comparison runs
its sides interleaved, round after round, so that load from other processes hits all of them.

- train: ``corpuskit train``'s loop on UD English-EWT (tagger + parser, the default config) for
  ``--steps`` steps: one process (the local loop), 1 Ray worker, and N Ray workers
  (:mod:`corpuskit.train.dataparallel`). Words/s = training words / wall (one evaluation on a
  small dev set at the end is included). The model's parameter count, the bytes each worker
  sends and receives per step and the step time are printed for the scaling estimate of
  docs/scaling.md.
- map: ``--jobs`` independent jobs (each trains a tagger on one fold of EWT for a fixed number
  of steps and scores the held-out fold: what find-errors does) through
  :func:`corpuskit.distributed.map_tasks`, locally in order and on Ray with 1 and N workers.
- convert: a directory of ``--copies`` copies of the four EWT train files, converted locally
  (``convert_corpus``) and with one Ray task per file (``convert_corpus_ray``); the outputs must
  be byte-identical first.
- bigfile: the four EWT train files (times ``--copies``) as one file, converted with ``-j N``'s
  plan (``--shard-size 20000``) locally (N processes) and as Ray tasks, a part each.
- debug: ``debug-data`` of that directory (TRAIN) and EWT dev (DEV): ``debug_corpus`` in one
  process, and ``corpuskit.debug.merge.debug_corpus_ray`` (a task per file, merged on the
  driver; the corpus checks run on the driver); the JSON reports must be identical first.

Scaling efficiency = speed with N workers / (N x speed with 1 worker).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
EWT = "ud_english_ewt/en_ewt-ud-train.part{}of4.conllu"


def _docs(data: Path, n: int) -> tuple[list[Any], list[Any]]:
    from corpuskit.corpus import read_corpus

    train: list[Any] = []
    for k in range(1, 5):
        train += list(read_corpus(data / EWT.format(k), converter="conllu"))
        if len(train) >= n:
            break
    dev = list(read_corpus(data / "ud_english_ewt/en_ewt-ud-dev.conllu", converter="conllu"))[:150]
    return train[:n], dev


def _config(pipeline: list[str], steps: int) -> Any:
    from corpuskit.train import default_config

    cfg = default_config(pipeline, lang="en")
    cfg["training"].update(
        {"max_steps": steps, "max_epochs": 0, "eval_frequency": steps, "patience": 0, "batch_size": 1000}
    )
    return cfg


def train_once(workers: int, train: list[Any], dev: list[Any], steps: int) -> tuple[float, float, Any]:
    from corpuskit.train import Pipeline
    from corpuskit.train.config import resolve_training
    from corpuskit.train.dataparallel import train_data_parallel
    from corpuskit.train.loop import train_pipeline

    cfg = _config(["tagger", "parser"], steps)
    nlp = Pipeline.from_config(cfg)
    s = resolve_training(cfg.interpolate())
    start = time.perf_counter()
    if workers == 0:
        infos = list(train_pipeline(nlp, train, dev, s))
    else:
        infos = list(train_data_parallel(nlp, train, dev, s, workers=workers, ray=True))
    wall = time.perf_counter() - start
    # words/s of the training steps (timed from the first step, as the metrics table's WPS);
    # the start-up (actors, replicas, examples) is the rest of the wall time
    return infos[-1].words / infos[-1].seconds, wall - infos[-1].seconds, (nlp, infos[-1])


def fold_job(fold: int, shared: dict[str, Any]) -> float:
    """One fold: train a tagger on the other folds for a fixed number of steps, score this one."""
    from thinc.api import fix_random_seed

    from corpuskit.train import Pipeline
    from corpuskit.train.config import resolve_training
    from corpuskit.train.loop import make_examples, train_while_improving

    fix_random_seed(fold)
    docs, k, steps = shared["docs"], shared["k"], shared["steps"]
    held = docs[fold::k]
    rest = [d for i, d in enumerate(docs) if i % k != fold]
    cfg = _config(["tagger"], steps)
    nlp = Pipeline.from_config(cfg)
    s = resolve_training(cfg.interpolate())
    train_egs = make_examples(rest, nlp, gold_preproc=True)
    held_egs = make_examples(held, nlp, gold_preproc=True)
    nlp.initialize(lambda: train_egs)
    info = list(train_while_improving(nlp, train_egs, held_egs, s))[-1]
    return float(info.scores["tag_acc"])


def echo(x: Any, shared: Any) -> Any:
    return x


def comm_costs(ray: Any, n_floats: int, repeats: int = 20) -> tuple[float, float]:
    """Seconds of one no-op Ray task round trip, and bytes/s of sending a gradient-sized float32
    vector to a task and getting it back (ray.put + task + ray.get, two copies)."""
    import numpy as np

    f = ray.remote(num_cpus=1)(echo)
    ray.get(f.remote(0, None))
    start = time.perf_counter()
    for _ in range(repeats):
        ray.get(f.remote(0, None))
    trip = (time.perf_counter() - start) / repeats
    grad = np.ones(n_floats, dtype="f")
    start = time.perf_counter()
    for _ in range(repeats // 2):
        back = ray.get(f.remote(ray.put(grad), None))
        assert back.shape == grad.shape
    per = (time.perf_counter() - start) / (repeats // 2) - trip
    return trip, 2 * grad.nbytes / max(per, 1e-9)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--train-sents", type=int, default=1500)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--only", default="train,map,convert,bigfile,debug")
    args = ap.parse_args()
    only = set(args.only.split(","))
    import ray

    from corpuskit.corpus import convert_corpus
    from corpuskit.distributed import convert_corpus_ray, map_tasks
    from corpuskit.train.dataparallel import flat_params

    n = args.workers
    ray.init(num_cpus=n, include_dashboard=False, log_to_driver=False, object_store_memory=300 * 1024**2)
    print(f"Ray {ray.__version__}, {n} CPUs for Ray; machine CPUs: {os.cpu_count()}; load {os.getloadavg()}")
    train, dev = _docs(args.data, args.train_sents)
    if "train" in only:
        speeds: dict[str, list[float]] = {"local": [], "ray-1": [], f"ray-{n}": []}
        extra: Any = None
        startup: dict[str, list[float]] = {k: [] for k in speeds}
        for _ in range(args.rounds):
            for name, w in (("local", 0), ("ray-1", 1), (f"ray-{n}", n)):
                wps, setup_s, extra = train_once(w, train, dev, args.steps)
                speeds[name].append(wps)
                startup[name].append(setup_s)
        nlp, _info = extra
        n_params = int(flat_params(nlp).size)
        med = {k: statistics.median(v) for k, v in speeds.items()}
        print(f"\ntrain: EWT {len(train)} sents, tagger+parser, {args.steps} steps of ~1000 words")
        for k, v in speeds.items():
            runs = ", ".join(f"{x:,.0f}" for x in v)
            up = statistics.median(startup[k])
            print(f"  {k:<8} {med[k]:>8,.0f} words/s   (runs: {runs}; start-up {up:.1f} s)")
        mb = 4 * n_params / 1e6
        print(f"  parameters {n_params:,} = {mb:.1f} MB of float32 gradients per worker per step")
        trip, bandwidth = comm_costs(ray, n_params)
        gbs = bandwidth / 1e9
        print(f"  Ray round trip (no-op task): {trip * 1000:.1f} ms; object store: {gbs:.2f} GB/s")
        step_s = 1000 / med["ray-1"]
        print(f"  step time (1 worker, 1000 words): {step_s * 1000:.0f} ms")
        print(f"  efficiency {n} workers vs 1 Ray worker: {med[f'ray-{n}'] / (n * med['ray-1']):.2f}")
        print(f"  speed-up {n} workers vs one local process: {med[f'ray-{n}'] / med['local']:.2f}x")
    if "map" in only:
        shared = {"docs": train[:600], "k": args.jobs, "steps": 15}
        walls: dict[str, list[float]] = {"local": [], "ray-1": [], f"ray-{n}": []}
        results = {}
        for _ in range(args.rounds):
            for name, w in (("local", 0), ("ray-1", 1), (f"ray-{n}", n)):
                start = time.perf_counter()
                results[name] = map_tasks(
                    fold_job, list(range(args.jobs)), shared=shared, ray=bool(w), workers=w or None
                )
                walls[name].append(time.perf_counter() - start)
        assert results["local"] == results["ray-1"] == results[f"ray-{n}"], results
        med = {k: statistics.median(v) for k, v in walls.items()}
        print(f"\nmap: {args.jobs} fold jobs (tagger, 15 steps each, 600 EWT sentences)")
        for k, v in walls.items():
            print(f"  {k:<8} {med[k]:>7.1f} s wall   (runs: {', '.join(f'{x:.1f}' for x in v)})")
        print(f"  efficiency {n} workers vs 1 Ray worker: {med['ray-1'] / (n * med[f'ray-{n}']):.2f}")
        print(f"  speed-up {n} workers vs local: {med['local'] / med[f'ray-{n}']:.2f}x")
    if "convert" in only:
        tmp = Path(tempfile.mkdtemp(prefix="corpuskit-scaling-"))
        try:
            src = tmp / "in"
            src.mkdir()
            for c in range(args.copies):
                for k in range(1, 5):
                    shutil.copy(args.data / EWT.format(k), src / f"c{c}-part{k}.conllu")
            walls = {"local": [], "ray-1": [], f"ray-{n}": []}
            for r in range(args.rounds):
                for name, w in (("local", 0), ("ray-1", 1), (f"ray-{n}", n)):
                    out = tmp / f"out-{name}-{r}"
                    start = time.perf_counter()
                    if w == 0:
                        convert_corpus(src, out, n_sents=10)
                    else:
                        convert_corpus_ray(src, out, ray=True, workers=w, n_sents=10)
                    walls[name].append(time.perf_counter() - start)
            first = _tree(tmp / "out-local-0")
            assert all(_tree(tmp / f"out-{k}-0") == first for k in walls), "outputs differ"
            med = {k: statistics.median(v) for k, v in walls.items()}
            size = sum(p.stat().st_size for p in src.iterdir()) / 1e6
            n_files = len(list(src.iterdir()))
            print(f"\nconvert: {n_files} EWT files ({size:.0f} MB), -n 10; outputs identical")
            for k, v in walls.items():
                print(f"  {k:<8} {med[k]:>7.2f} s wall   (runs: {', '.join(f'{x:.2f}' for x in v)})")
            print(f"  efficiency {n} workers vs 1 Ray worker: {med['ray-1'] / (n * med[f'ray-{n}']):.2f}")
            print(f"  speed-up {n} workers vs local: {med['local'] / med[f'ray-{n}']:.2f}x")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if only & {"bigfile", "debug"}:
        _corpus_jobs(args, only, n)
    ray.shutdown()


def _timed(walls: dict[str, list[float]], name: str, fn: Any) -> Any:
    start = time.perf_counter()
    out = fn()
    walls[name].append(time.perf_counter() - start)
    return out


def _print_walls(title: str, walls: dict[str, list[float]], n: int) -> None:
    med = {k: statistics.median(v) for k, v in walls.items()}
    print(f"\n{title}")
    for k, v in walls.items():
        print(f"  {k:<8} {med[k]:>7.2f} s wall   (runs: {', '.join(f'{x:.2f}' for x in v)})")
    print(f"  efficiency {n} workers vs 1 Ray worker: {med['ray-1'] / (n * med[f'ray-{n}']):.2f}")
    print(f"  speed-up {n} workers vs local: {med['local'] / med[f'ray-{n}']:.2f}x")


def _corpus_jobs(args: Any, only: set[str], n: int) -> None:
    """One large file converted as parts, and debug-data of a directory: local and on Ray."""
    import json

    from corpuskit.corpus import convert_corpus
    from corpuskit.debug import debug_corpus
    from corpuskit.debug.merge import debug_corpus_ray
    from corpuskit.distributed import convert_corpus_ray

    tmp = Path(tempfile.mkdtemp(prefix="corpuskit-scaling-"))
    try:
        src = tmp / "in"
        src.mkdir()
        for c in range(args.copies):
            for k in range(1, 5):
                shutil.copy(args.data / EWT.format(k), src / f"c{c}-part{k}.conllu")
        size = sum(p.stat().st_size for p in src.iterdir()) / 1e6
        if "bigfile" in only:
            big = tmp / "big.conllu"
            with big.open("wb") as fh:
                for p in sorted(src.iterdir()):
                    fh.write(p.read_bytes())
            walls: dict[str, list[float]] = {"local": [], "ray-1": [], f"ray-{n}": []}
            for r in range(args.rounds):
                for name, w in (("local", 0), ("ray-1", 1), (f"ray-{n}", n)):
                    out = tmp / f"big-{name}-{r}"
                    if w == 0:
                        _timed(walls, name, lambda o=out: convert_corpus(big, o, jobs=n, shard_size=20_000))
                    else:
                        _timed(walls, name, lambda o=out, w=w: convert_corpus_ray(
                            big, o, ray=True, workers=w, jobs=n, shard_size=20_000))  # fmt: skip
            first = _tree(tmp / "big-local-0")
            assert all(_tree(tmp / f"big-{k}-0") == first for k in walls), "outputs differ"
            _print_walls(f"convert one file ({size:.0f} MB), -j {n} parts of 20,000 tokens; "
                         f"{len(first)} shards identical", walls, n)  # fmt: skip
        if "debug" in only:
            dev = args.data / "ud_english_ewt/en_ewt-ud-dev.conllu"
            walls = {"local": [], "ray-1": [], f"ray-{n}": []}
            reports: dict[str, str] = {}
            for _ in range(args.rounds):
                for name, w in (("local", 0), ("ray-1", 1), (f"ray-{n}", n)):
                    if w == 0:
                        report = _timed(walls, name, lambda: debug_corpus(src, dev))
                    else:
                        run = lambda w=w: debug_corpus_ray(src, dev, ray=True, workers=w)  # noqa: E731
                        report = _timed(walls, name, run)
                    reports[name] = json.dumps(report.to_dict(), indent=1)
                    if reports[name] != reports["local"]:
                        for k, text in reports.items():
                            (Path(tempfile.gettempdir()) / f"scaling-debug-{k}.json").write_text(text)
                        raise AssertionError(f"reports differ: {name} vs local (/tmp/scaling-debug-*)")
            n_files = len(list(src.iterdir()))
            _print_walls(f"debug-data: TRAIN {n_files} EWT files ({size:.0f} MB), DEV EWT dev; "
                         "reports identical", walls, n)  # fmt: skip
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
