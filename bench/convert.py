"""Benchmark: `corpuskit convert` against `spacy convert` on ~1 M tokens of CoNLL-U (UD EWT train x5).

Run: python bench/convert.py [--data /work/shared/data] [--runs 3] [--copies 5] [--n-sents 10]

Both tools run as subprocesses on the same file with the same options. The documents they write
are compared first (read back by spaCy, annotation by annotation); then wall time, CPU time (user +
system of the tool and its worker processes) and peak memory (of the tool and its workers
together, sampled from /proc) are measured, the median of ``--runs`` runs is printed for each
tool, and the ratios. spaCy is a test-only dependency; it must be installed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
sys.path.insert(0, str(REPO / "tests"))  # the spaCy oracle helpers

from _bytecode import compile_corpuskit  # noqa: E402  (bench/ is the script's directory)


def build_corpus(data: Path, out: Path, copies: int) -> int:
    """EWT train (its parts joined) ``copies`` times into ``out``; returns the token count."""
    parts = sorted((data / "ud_english_ewt").glob("en_ewt-ud-train.part*of4.conllu"))
    if len(parts) != 4:
        raise SystemExit(f"expected the 4 parts of EWT train under {data / 'ud_english_ewt'}, got {parts}")
    blob = b"".join(p.read_bytes() for p in parts)
    if not blob.endswith(b"\n\n"):
        blob = blob.rstrip(b"\n") + b"\n\n"
    with out.open("wb") as fh:
        for _ in range(copies):
            fh.write(blob)
    tokens = sum(1 for line in blob.split(b"\n") if line[:1].isdigit() and line.split(b"\t", 1)[0].isdigit())
    return tokens * copies


def _tree_memory_mb(root: int) -> tuple[float, float]:
    """(resident memory of process ``root`` and all its descendants now, the largest high-water
    mark among them), in MB, from Linux's /proc."""
    total = hwm = 0
    todo = [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"VmHWM:"):
                        hwm = max(hwm, int(line.split()[1]))
                    elif line.startswith(b"VmRSS:"):
                        total += int(line.split()[1])
            for task in os.scandir(f"/proc/{pid}/task"):
                with open(f"{task.path}/children", "rb") as fh:
                    todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total / 1024, hwm / 1024


def run(cmd: list[str]) -> tuple[float, float, float, int, str]:
    """Run ``cmd``; return (wall seconds, CPU seconds, peak memory in MB, exit code, stderr tail).

    Peak memory is sampled every 50 ms from /proc: the larger of the sum over the tool and its
    worker processes (corpuskit converts a large file in several processes at once; pages they
    share are counted in each) and the largest single process's high-water mark. (``wait4``'s
    ``ru_maxrss`` is not used: it keeps the size of this script at fork, before the exec.)
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.05):
            peak = max(peak, *_tree_memory_mb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    err = proc.stderr.read()
    stop.set()
    sampler.join()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, peak, proc.returncode, err.decode(errors="replace")[-2000:]


def commands(src: Path, out: Path, n_sents: int, extra: list[str]) -> dict[str, list[str]]:
    bindir = Path(sys.executable).parent
    ck = bindir / "corpuskit"
    corpuskit = [str(ck)] if ck.exists() else [sys.executable, "-m", "corpuskit"]
    return {
        "spacy": [
            sys.executable,
            "-m",
            "spacy",
            "convert",
            str(src),
            str(out / "spacy"),
            "-n",
            str(n_sents),
            *extra,
        ],
        "corpuskit": [*corpuskit, "convert", str(src), str(out / "corpuskit"), "-n", str(n_sents), *extra],
    }


def check_equal(out: Path) -> str:
    from oracle import assert_same_annotations, spacy_docs_from_file
    from spacy.vocab import Vocab

    vocab = Vocab()
    a = spacy_docs_from_file(out / "spacy", vocab=vocab)
    b = spacy_docs_from_file(out / "corpuskit", vocab=vocab)
    assert_same_annotations(a, b)
    return f"{len(a)} docs, {sum(len(d) for d in a)} tokens: equal"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--n-sents", type=int, default=10)
    ap.add_argument("--skip-check", action="store_true", help="do not compare the outputs")
    ap.add_argument("--target", type=float, default=10.0, help="the speed-up aimed at (issue 2: 10x)")
    ap.add_argument("extra", nargs="*", help="more options for both tools (e.g. -T -m)")
    args = ap.parse_args()
    print(compile_corpuskit())
    tmp = Path(tempfile.mkdtemp(prefix="bench-convert-"))
    try:
        src = tmp / f"ewt-train-x{args.copies}.conllu"
        tokens = build_corpus(args.data, src, args.copies)
        print(f"input: {src.name}, {src.stat().st_size / 1e6:.1f} MB, {tokens:,} tokens, -n {args.n_sents}")
        results: dict[str, list[tuple[float, float, float]]] = {"spacy": [], "corpuskit": []}
        for i in range(args.runs):
            for name, cmd in commands(src, tmp, args.n_sents, args.extra).items():
                shutil.rmtree(tmp / name, ignore_errors=True)
                (tmp / name).mkdir()
                wall, cpu, rss, rc, err = run(cmd)
                if rc != 0:
                    raise SystemExit(f"{name} failed (exit {rc}):\n{err}")
                results[name].append((wall, cpu, rss))
                print(
                    f"  run {i + 1} {name:9s} {wall:7.2f} s wall {cpu:7.2f} s CPU {rss:6.0f} MB", flush=True
                )
            if i == 0 and not args.skip_check:
                print("check:", check_equal(tmp))
        med = {k: tuple(statistics.median(r[c] for r in v) for c in range(3)) for k, v in results.items()}
        print()
        print(f"{'tool':10s} {'wall (median)':>14s} {'CPU':>9s} {'peak RSS':>9s} {'tokens/s':>10s}")
        for name, (wall, cpu, rss) in med.items():
            print(f"{name:10s} {wall:12.2f} s {cpu:7.2f} s {rss:6.0f} MB {tokens / wall:10,.0f}")
        sw, sc, sm = med["spacy"]
        cw, cc, cm = med["corpuskit"]
        print(
            f"\nspeed-up: {sw / cw:.1f}x faster wall time, {sc / cc:.1f}x less CPU time; "
            f"memory: {sm / cm:.1f}x less peak RSS"
        )
        # runs alternate between the tools: each run's pair, side by side, shows the spread
        per_run = [s[0] / c[0] for s, c in zip(results["spacy"], results["corpuskit"], strict=True)]
        print(
            f"per run: {min(per_run):.1f}x to {max(per_run):.1f}x wall "
            f"({sum(r >= args.target for r in per_run)} of {len(per_run)} runs at {args.target:g}x or more)"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
