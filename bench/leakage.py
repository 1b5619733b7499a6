"""Benchmark: the cost of the leakage checks in `debug-data` (near-duplicate sentences and docs,
dev entities seen in train), on UD English EWT train + dev and on CoNLL-2002 Spanish train + testa.

    python bench/leakage.py [--data ../shared/data] [--runs 3]

Each run times ``debug_corpus`` in this process twice, interleaved so that the machine's load
hits both: once with the three leakage checks ignored, once with them. It prints the findings
(so that the cost is measured on a run that found what it should), the median CPU seconds of
each side, the extra cost, its ratio, and the peak memory the leakage index took (tracemalloc).
There is no peer: spaCy's `debug data` compares exact texts only (its "overlap" line), which
corpuskit's `train-dev-overlap` already does in the main pass.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
LEAKAGE = frozenset({"near-duplicate-sentences", "near-duplicate-docs", "dev-entities-in-train"})


def _corpora(data: Path, tmp: Path) -> list[tuple[str, Path, Path, str]]:
    ewt = data / "ud_english_ewt"
    train = tmp / "en_ewt-ud-train.conllu"
    with train.open("wb") as out:
        for part in sorted(ewt.glob("en_ewt-ud-train.part*of4.conllu")):
            out.write(part.read_bytes())
    out_list = [("EWT train + dev (CoNLL-U)", train, ewt / "en_ewt-ud-dev.conllu", "conllu")]
    es = data / "conll2002_es"
    if (es / "esp.train").exists():
        out_list.append(("CoNLL-2002 es train + testa", es / "esp.train", es / "esp.testa", "conll"))
    return out_list


def _run(train: Path, dev: Path, conv: str, ignore: frozenset[str]) -> tuple[float, object]:
    from corpuskit.debug import Options, debug_corpus

    t = time.process_time()
    report = debug_corpus(train, dev, options=Options(converter=conv, ignore=ignore))
    return time.process_time() - t, report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    tmp = Path(tempfile.mkdtemp(prefix="bench-leakage-"))
    try:
        for name, train, dev, conv in _corpora(args.data, tmp):
            without: list[float] = []
            with_: list[float] = []
            report = None
            for _ in range(args.runs):
                without.append(_run(train, dev, conv, LEAKAGE)[0])
                secs, report = _run(train, dev, conv, frozenset())
                with_.append(secs)
            assert report is not None
            print(f"== {name}: {train.name} + {dev.name}")
            for check_id in sorted(LEAKAGE):
                f = report.get(check_id)  # type: ignore[attr-defined]
                print(f"   {check_id}: {f.message if f else 'nothing found'}")
            a, b = statistics.median(without), statistics.median(with_)
            print(
                f"   debug-data CPU s, median of {args.runs}: without leakage {a:.2f}, with {b:.2f}; "
                f"leakage costs {b - a:.2f} s ({b / a:.2f}x the run without it)"
            )
            from corpuskit.debug import Options
            from corpuskit.debug.leakage import _build_train
            from corpuskit.debug.stats import SplitStats

            split = SplitStats("train")
            split.add_file(str(train))
            tracemalloc.start()
            index = _build_train(split, Options(converter=conv))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            n = len(index.sents.locs) + len(index.docs.locs)
            print(
                f"   train index: {n} units, peak {peak / 2**20:.1f} MiB while built "
                f"({peak / max(n, 1):.0f} B/unit)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
