"""Benchmark: `corpuskit debug-data --format html` on UD English-EWT train+dev: the page's size,
what it costs over the JSON report, and how fast Chromium renders it from disk.

    python bench/html_report.py [--data ../shared/data] [--runs 3] [--loads 5] [--chromium PATH]

1. Runs `corpuskit debug-data TRAIN DEV --format json` and `--format html` as subprocesses, one
   after the other in each run (so a busy machine loads both), and prints the median wall times and
   their ratio: the HTML page reads the corpus a second time (for the sentence and entity
   lengths and the examples' sentences), and this is what that costs.
2. Prints the page's size (bytes, and gzip-compressed).
3. Opens the page from file:// in headless Chromium (Debian's package, driven by Playwright)
   ``--loads`` times in fresh tabs, checks it makes no request and logs no error, and prints the
   median time to the load event and to the first contentful paint, and the SVG count.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _bytecode import compile_corpuskit

ROOT = Path(__file__).resolve().parents[1]
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _debug(train: Path, dev: Path, fmt: str, out: Path) -> float:
    cmd = [
        sys.executable,
        "-m",
        "corpuskit",
        "debug-data",
        str(train),
        str(dev),
        "--format",
        fmt,
        "-o",
        str(out),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()}")
    return took


def _browser(page_path: Path, loads: int, chromium: str) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    uri = page_path.resolve().as_uri()
    load_ms: list[float] = []
    paint_ms: list[float] = []
    svgs = 0
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=ARGS
        )
        try:
            for _ in range(loads):
                page = ctx.new_page()
                errors: list[str] = []
                requests: list[str] = []
                page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda x, e=errors: e.append(str(x)))
                page.on("request", lambda r, q=requests: q.append(r.url))
                page.goto(uri, wait_until="load")
                timing = page.evaluate(
                    "() => { const n = performance.getEntriesByType('navigation')[0];"
                    " const p = performance.getEntriesByName('first-contentful-paint')[0];"
                    " return [n.loadEventEnd - n.startTime, p ? p.startTime : -1]; }"
                )
                if errors or requests != [uri]:
                    raise SystemExit(f"the page is not clean: errors {errors}, requests {requests}")
                load_ms.append(timing[0])
                paint_ms.append(timing[1])
                svgs = page.locator("svg").count()
                page.close()
        finally:
            ctx.close()
    return {"load_ms": load_ms, "paint_ms": paint_ms, "svgs": svgs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    ewt = args.data / "ud_english_ewt"
    parts = sorted(ewt.glob("en_ewt-ud-train.part*of4.conllu"))
    dev = ewt / "en_ewt-ud-dev.conllu"
    if len(parts) != 4 or not dev.exists():
        raise SystemExit(f"{ewt}: expected the four train parts and the dev file")
    print(compile_corpuskit())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        train = work / "train"
        train.mkdir()
        for part in parts:  # the train split as a folder of its four parts
            (train / part.name).symlink_to(part)
        times: dict[str, list[float]] = {"json": [], "html": []}
        for _ in range(args.runs):
            for fmt in ("json", "html"):
                times[fmt].append(_debug(train, dev, fmt, work / f"report.{fmt}"))
        page = work / "report.html"
        size = page.stat().st_size
        packed = len(gzip.compress(page.read_bytes()))
        shown = _browser(page, args.loads, args.chromium)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"EWT train ({len(parts)} parts) + dev, {args.runs} runs interleaved (median wall seconds):")
    print(f"  debug-data --format json  {med['json']:6.2f} s")
    print(
        f"  debug-data --format html  {med['html']:6.2f} s   ratio html/json {med['html'] / med['json']:.2f}x"
    )
    print(
        f"page size: {size:,} bytes ({size / 1024:.0f} KiB), gzip {packed:,} bytes; "
        f"{shown['svgs']} SVG drawings"
    )
    load = shown["load_ms"]
    print(
        f"Chromium, {args.loads} loads from file://: load event median {statistics.median(load):.0f} ms "
        f"(min {min(load):.0f}, max {max(load):.0f}), first contentful paint median "
        f"{statistics.median(shown['paint_ms']):.0f} ms; no request, no console error"
    )


if __name__ == "__main__":
    main()
