"""Process-level faults: SIGINT, SIGTERM and SIGKILL at seeded random points of a multi-shard,
multi-process `corpuskit convert` and of `corpuskit train`; what is left on disk afterwards.

After any signal OUTPUT holds the earlier outputs or the complete new set (a SIGKILL during the
final moves is completed by the next run, from its journal), no worker outlives its parent, and
the next run leaves no staging folder. Real data: the EWT slice of fixtures/ made large by
repetition in tmp (CC BY-SA 4.0).
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from corpuskit.docbin import read_docbin
from corpuskit.io import STAGING_NAME, OutputRun

ROOT = Path(__file__).resolve().parents[2]
EWT = ROOT / "fixtures" / "convert" / "en_ewt-ud-dev.slice.conllu"  # 607 tokens
DE = ROOT / "fixtures" / "convert" / "de_gsd-ud-dev.slice.conllu"
TRAIN = ROOT / "fixtures" / "train" / "ewt-train-40.conllu"
DEV = ROOT / "fixtures" / "train" / "ewt-dev-15.conllu"
CORPUSKIT = [sys.executable, "-m", "corpuskit"]
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGKILL)


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    out = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                text = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(text.rsplit(")", 1)[1].split()[1]) == pid:
                out.add(int(entry))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: set[int], limit: float = 10.0) -> set[int]:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        left = {p for p in pids if alive(p)}
        if not left:
            return left
        time.sleep(0.05)
    return {p for p in pids if alive(p)}


def wait_until(cond: Callable[[], bool], proc: subprocess.Popen[bytes], limit: float = 120.0) -> bool:
    """Until ``cond()``; False if the process ended first."""
    end = time.monotonic() + limit
    while not cond():
        if proc.poll() is not None:
            return False
        assert time.monotonic() < end
        time.sleep(0.005)
    return True


def tokens_of(out: Path) -> dict[str, int]:
    return {
        p.name: sum(len(d) for d in read_docbin(p)) for p in sorted(out.iterdir()) if p.name != STAGING_NAME
    }


def digest(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(out.rglob("*"))
        if STAGING_NAME not in p.parts
    }


def make_inputs(folder: Path, repeat: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "big.conllu").write_bytes(EWT.read_bytes() * repeat)
    (folder / "small.conllu").write_bytes(DE.read_bytes())
    return folder


# ------------------------------------------------------------------- workers die with their parent


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_their_parent(tmp_path: Path, sig: signal.Signals) -> None:
    src = make_inputs(tmp_path / "in", 300)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*CORPUSKIT, "convert", str(src / "big.conllu"), str(out), "-j", "2", "--shard-size", "3000"],
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_until(lambda: len(children(proc.pid)) >= 2, proc), "no workers started"
        workers = children(proc.pid)
        time.sleep(0.3)  # the workers are converting their parts
        proc.send_signal(sig)
        proc.wait(timeout=60)
        assert wait_gone(workers) == set(), "workers outlived their parent"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # a SIGKILL leaves a staging folder (nothing can run in a killed process); the next run
    # removes it, and the folder holds nothing half-written meanwhile
    if out.exists():
        assert set(os.listdir(out)) <= {STAGING_NAME}
    with OutputRun(out):
        pass
    assert not (out / STAGING_NAME).exists()


# ------------------------------------------------------------------- convert, killed at random


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(6))
def test_convert_killed_at_random_points(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    out = tmp_path / "out"
    # the earlier run: smaller inputs of the same names
    earlier = make_inputs(tmp_path / "earlier", 20)
    assert subprocess.run([*CORPUSKIT, "convert", str(earlier), str(out), "--shard-size", "3000"],
                          capture_output=True).returncode == 0  # fmt: skip
    before = digest(out)
    src = make_inputs(tmp_path / "in", 120)
    new = {"big.spacy": 607 * 120, "small.spacy": tokens_of(out)["small.spacy"]}
    for trial in range(3):
        sig = rng.choice(SIGNALS)
        delay = rng.uniform(0.0, 2.5)
        proc = subprocess.Popen(
            [*CORPUSKIT, "convert", str(src), str(out), "-j", "2", "--shard-size", "3000"],
            stderr=subprocess.PIPE,
        )
        # from the moment it takes OUTPUT (Python's own start-up is not corpuskit's to guard)
        wait_until(lambda: (out / STAGING_NAME).exists(), proc)
        time.sleep(delay)
        workers = children(proc.pid)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        text = err.decode()
        assert "Traceback" not in text, text
        # 130/143: it stopped and cleaned up; -9: killed; 0 or -15 (a SIGTERM during the
        # interpreter's exit): it had finished
        assert proc.returncode in (0, 130, 143, -9, -15), (proc.returncode, text)
        if proc.returncode == -15:
            assert text.endswith("written\n"), text
        assert wait_gone(workers) == set(), f"seed {seed} trial {trial}: orphans after {sig!r}"
        now = digest(out)
        journal = (out / STAGING_NAME / "journal").exists()
        if not journal:  # not killed during the final moves: the earlier set, or the new one
            assert now == before or tokens_of(out) == new, (seed, trial, sig, delay)
        # the next run (here: one that only takes the folder) completes or cleans up
        with OutputRun(out):
            pass
        assert not (out / STAGING_NAME).exists()
        assert digest(out) == before or tokens_of(out) == new, (seed, trial, sig, delay)
        if tokens_of(out) == new:
            before = digest(out)  # the new set is now the earlier one


# ------------------------------------------------------------------- train, killed at random

_TRAIN_ARGS = [
    "--components.tok2vec.model.encode.width",
    "32",
    "--components.tok2vec.model.encode.depth",
    "1",
    "--training.batch_size",
    "300",
    "--training.eval_frequency",
    "2",
    "--training.max_steps",
    "400",
    "--training.patience",
    "0",
]
_FALLBACK = (
    "import sys, corpuskit.io as io; io.exchange = lambda a, b: False; from corpuskit.cli import main; main()"
)


def complete_model(path: Path) -> bool:
    from corpuskit.train.pipeline import load

    names = sorted(p.name for p in path.iterdir())
    if names != ["config.cfg", "meta.json", "tagger.bin", "tok2vec.bin"]:
        return False
    load(path)
    return True


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["exchange", "rename-aside"])
@pytest.mark.parametrize("seed", range(3))
def test_train_killed_at_random_points_leaves_a_complete_model_best(
    tmp_path: Path, seed: int, strategy: str
) -> None:
    rng = random.Random(seed)
    config = tmp_path / "config.cfg"
    assert subprocess.run([*CORPUSKIT, "init-config", "--pipeline", "tagger", str(config)]).returncode == 0
    out = tmp_path / "out"
    start = [*CORPUSKIT] if strategy == "exchange" else [sys.executable, "-c", _FALLBACK]
    cmd = [*start, "train", str(TRAIN), str(DEV), str(config), "--output", str(out)]
    cmd += ["-c", "conllu", "--no-validate", *_TRAIN_ARGS]
    for trial in range(3):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        best = out / "model-best"
        # once it has taken OUTPUT and a model-best exists (of this or an earlier trial), a
        # signal at a random point
        if not wait_until(lambda: best.exists() and (out / STAGING_NAME).exists(), proc):  # noqa: B023
            pytest.fail(proc.communicate()[1].decode())
        time.sleep(rng.uniform(0.0, 1.5))
        sig = rng.choice(SIGNALS)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        assert "Traceback" not in err.decode(), err.decode()
        assert proc.returncode in (0, 130, 143, -9), (proc.returncode, err.decode())
        if strategy == "exchange" or sig != signal.SIGKILL:
            assert complete_model(best), (seed, trial, sig)  # at once, with no recovery
        with OutputRun(out):
            pass  # the next run recovers what a kill between two renames left
        assert complete_model(best), (seed, trial, sig)
        # the training log (written with atomic_open beside the models) may or may not be there yet
        models = sorted(n for n in os.listdir(out) if n not in ("training.jsonl", "training.html"))
        assert models in (["model-best"], ["model-best", "model-last"]), os.listdir(out)


@pytest.mark.slow
def test_jobs_are_capped_at_the_cpu_count(tmp_path: Path) -> None:
    """`-j 64` starts at most one worker per CPU (the issue saw 65 processes on 2 cores)."""
    from corpuskit.parts import default_jobs

    src = make_inputs(tmp_path / "in", 300)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [*CORPUSKIT, "convert", str(src / "big.conllu"), str(out), "-j", "64", "--shard-size", "3000"],
        stderr=subprocess.DEVNULL,
    )
    most = 0
    while proc.poll() is None:
        most = max(most, len(children(proc.pid)))
        time.sleep(0.01)
    assert proc.returncode == 0
    assert most <= default_jobs()
    assert most > 0 or default_jobs() == 1  # on one CPU the file converts in this process


@pytest.mark.slow
def test_ctrl_c_early_in_a_parallel_convert_is_never_lost(tmp_path: Path) -> None:
    """SIGINT in the first 0.2 s after the run takes OUTPUT (the workers are being forked and
    scan the file): every run stops with 130 within the timeout; none goes on to finish (a
    signal that came during fork used to be lost) and none hangs (a worker killed mid-result
    used to leave the pool waiting forever)."""
    src = make_inputs(tmp_path / "in", 120)
    out = tmp_path / "out"
    rng = random.Random(3)
    for trial in range(20):
        proc = subprocess.Popen(
            [*CORPUSKIT, "convert", str(src), str(out), "-j", "2", "--shard-size", "3000"],
            stderr=subprocess.PIPE,
        )
        wait_until(lambda: (out / STAGING_NAME).exists(), proc)
        time.sleep(rng.uniform(0.0, 0.2))
        workers = children(proc.pid)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, (trial, proc.returncode, err.decode())
        assert err.decode().splitlines()[-1] == "corpuskit: interrupted", err.decode()
        assert wait_gone(workers) == set()
        assert not out.exists()
