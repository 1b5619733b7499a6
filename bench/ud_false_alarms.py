"""Benchmark: no false alarms on valid UD treebanks, and the speed of `corpuskit check` against
the UD validator (udtools `udvalidate --lang ud --level 2`).

    python bench/ud_false_alarms.py [--data ../shared/data] [--validator PATH] [--baseline DIR]
                                    [--rounds 3] [--speed-only | --no-speed]

1. False alarms: `corpuskit check` on every file of every UD treebank in ``--data`` (``ud_*``:
   EWT, French GSD, German GSD, Czech CLTT; the validator's test cases are not a treebank) and,
   where ``--validator`` exists, the validator on the same file. Prints errors (must be 0) and
   warnings per file, and exits 1 on any error.
2. Speed: on EWT dev and EWT train (its four parts joined), ``--rounds`` rounds of the validator,
   this tree's `check` and, with ``--baseline`` (a corpuskit checkout, e.g. the main branch before
   this change), that tree's `check`, interleaved so that the load of a busy machine hits all of
   them alike; the medians of wall and CPU seconds, and the ratios.

The validator is not a dependency: ``python -m venv /tmp/udvenv && /tmp/udvenv/bin/pip install
udtools==0.2.9``; it is fetched, never committed.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
LINE = re.compile(r"^(.+?):(\d+):(?:\d+:)? ([a-z-]+)( \(warning\))?")


def corpuskit(tree: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, PYTHONPATH=str(tree))
    return [sys.executable, "-m", "corpuskit", *args], env


def run(
    cmd: list[str], env: dict[str, str] | None = None
) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall and CPU seconds of one child process, and its result."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def treebank_files(data: Path) -> list[Path]:
    return sorted(
        p for d in sorted(data.glob("ud_*")) if d.name != "ud_validator_testcases" for p in d.glob("*.conllu")
    )


def false_alarms(data: Path, validator: Path | None) -> int:
    print("== false alarms: corpuskit check on every UD treebank file (errors must be 0)")
    print(f"  {'file':<48} {'errors':>6} {'warnings':>8}  validator")
    total = 0
    for path in treebank_files(data):
        cmd, env = corpuskit(ROOT, "check", str(path))
        _, _, proc = run(cmd, env)
        errors = warnings = 0
        kinds: dict[str, int] = {}
        for line in proc.stdout.splitlines():
            m = LINE.match(line)
            if m is None:
                continue
            if m.group(4):
                warnings += 1
            else:
                errors += 1
            kinds[m.group(3)] = kinds.get(m.group(3), 0) + 1
        verdict = "-"
        if validator is not None:
            _, _, v = run([str(validator), "--lang", "ud", "--level", "2", "-q", str(path)])
            verdict = "passes" if v.returncode == 0 else f"fails (exit {v.returncode})"
        total += errors
        what = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        print(f"  {path.parent.name + '/' + path.name:<48} {errors:>6} {warnings:>8}  {verdict}   {what}")
    print(f"  errors on valid treebanks: {total}")
    return total


def speed(data: Path, validator: Path | None, baseline: Path | None, rounds: int) -> None:
    ewt = data / "ud_english_ewt"
    tmp = Path(tempfile.mkdtemp(prefix="bench-ud-"))
    try:
        train = tmp / "en_ewt-ud-train.conllu"
        with train.open("wb") as out:
            for part in sorted(ewt.glob("en_ewt-ud-train.part*of4.conllu")):
                out.write(part.read_bytes())
        inputs = [("EWT dev", ewt / "en_ewt-ud-dev.conllu"), ("EWT train", train)]
        sides: list[tuple[str, list[str] | None, Path | None]] = [("check (this tree)", None, ROOT)]
        if baseline is not None:
            sides.append(("check (baseline)", None, baseline))
        if validator is not None:
            sides.append(
                ("udvalidate --level 2", [str(validator), "--lang", "ud", "--level", "2", "-q"], None)
            )
        print(f"\n== speed ({rounds} interleaved rounds, medians; a busy machine: compare ratios)")
        for label, path in inputs:
            times: dict[str, list[tuple[float, float]]] = {name: [] for name, _, _ in sides}
            for _ in range(rounds):
                for name, cmd, tree in sides:
                    if tree is not None:
                        full, env = corpuskit(tree, "check", str(path))
                        wall, cpu, _ = run(full, env)
                    else:
                        assert cmd is not None
                        wall, cpu, _ = run([*cmd, str(path)])
                    times[name].append((wall, cpu))
            med = {
                k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
                for k, v in times.items()
            }
            for name, (wall, cpu) in med.items():
                print(f"  {label:<10} {name:<22} wall {wall:7.2f} s  cpu {cpu:7.2f} s")
            mine = med["check (this tree)"]
            for name, (wall, cpu) in med.items():
                if name != "check (this tree)":
                    ratio = f"wall {wall / mine[0]:.2f}x, cpu {cpu / mine[1]:.2f}x"
                    print(f"  {label:<10} {name} / this check: {ratio}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument(
        "--validator", type=Path, default=shutil.which("udvalidate") or "/tmp/udvenv/bin/udvalidate"
    )
    ap.add_argument("--baseline", type=Path, help="another corpuskit checkout to time beside this one")
    ap.add_argument("--rounds", type=int, default=3)
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--speed-only", action="store_true")
    group.add_argument("--no-speed", action="store_true")
    args = ap.parse_args()
    validator = args.validator if args.validator.exists() else None
    if validator is None:
        print(f"(no validator at {args.validator}: its columns are left out)")
    errors = 0 if args.speed_only else false_alarms(args.data, validator)
    if not args.no_speed:
        speed(args.data, validator, args.baseline, args.rounds)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
