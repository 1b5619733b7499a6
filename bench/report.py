"""Benchmark: what rendering a report costs beside the analysis it reports.

    python bench/report.py [--data ../shared/data] [--runs 3]

The reports have no peer that renders the same findings (spaCy's `debug data` prints as it goes
and has no SARIF or JSON), so the measure is the ratio of rendering to the analysis it renders:
`debug_corpus` on UD English-EWT train (part 1) against the text, JSON and SARIF renderings of its
report (SARIF reads the lines its results quote: the snippets and fingerprints), and `check_files`
on the first 8,000 lines of the Turkish web treebank (not valid UD: thousands of findings, every
one kept; copied to a temporary file) against its `check` lines and its SARIF.
Each run times the analysis and then each rendering, so the load of a shared machine hits all
of them; the medians and the ratios are printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"


def _timed(func: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ewt = sorted((args.data / "ud_english_ewt").glob("*train*.conllu"))
    with tempfile.TemporaryDirectory() as tmp:
        web = (args.data / "turkish_web_treebank_pypi" / "web.conllu").read_text("utf-8").split("\n")
        turkish = Path(tmp) / "web-8000.conllu"
        turkish.write_text("\n".join(web[:8000]) + "\n", "utf-8")
        _bench(ewt[0], turkish, args.runs)


def _bench(ewt: Path, turkish: Path, runs: int) -> None:
    from corpuskit.debug import Options, check_files, debug_corpus
    from corpuskit.debug.report import render, render_check_lines

    times: dict[str, list[float]] = {}
    sizes: dict[str, int] = {}
    for _ in range(runs):
        t, report = _timed(debug_corpus, ewt, options=Options(converter="conllu", max_examples=1000))
        times.setdefault("debug_corpus (EWT train part 1)", []).append(t)
        for fmt in ("text", "json", "sarif"):
            t, out = _timed(render, report, fmt)
            times.setdefault(f"  render {fmt}", []).append(t)
            sizes[f"  render {fmt}"] = len(out)
        opts = Options(converter="conllu", max_examples=None)
        t, checked = _timed(check_files, [turkish], options=opts)
        times.setdefault("check_files (Turkish web, 8,000 lines)", []).append(t)
        t, lines = _timed(render_check_lines, checked, infos=True)
        times.setdefault("  check lines", []).append(t)
        sizes["  check lines"] = len(lines)
        t, out = _timed(render, checked, "sarif")
        times.setdefault("  render sarif (every finding)", []).append(t)
        sizes["  render sarif (every finding)"] = len(out)
    medians = {k: statistics.median(v) for k, v in times.items()}
    base = 0.0
    print(f"{'step':<40} {'median s':>9} {'x analysis':>11} {'output':>12}")
    for name, m in medians.items():
        if not name.startswith("  "):
            base = m
            print(f"{name:<40} {m:>9.3f} {'':>11} {'':>12}")
            continue
        print(f"{name:<40} {m:>9.3f} {m / base:>11.3f} {sizes.get(name, 0):>12,}")


if __name__ == "__main__":
    main()
