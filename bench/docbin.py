"""Benchmark: reading and writing ~1 M tokens as DocBin, corpuskit against spaCy.

The corpus is UD English-EWT train converted by spaCy's own CoNLL-U converter (``-n 10``, as
``spacy convert`` does it), five times over (about 1.02 M tokens). Correctness first: corpuskit
must read spaCy's file into Docs that serialise to the very same bytes, and must write the same
bytes as spaCy for the same documents. Then both sides are timed side by side (median of
``--repeat`` runs) and the ratios printed.

    python bench/docbin.py [--data /work/shared/data] [--copies 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["main"]

_DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times = []
    result: Any = None
    for _ in range(repeat):
        result = None
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def _spacy_corpus(data: Path, copies: int, out: Path) -> int:
    """EWT train converted by spaCy (n_sents=10), ``copies`` times, written by spaCy's DocBin."""
    from spacy.tokens import DocBin as SDocBin
    from spacy.training.converters import conllu_to_docs

    parts = sorted((data / "ud_english_ewt").glob("en_ewt-ud-train.part*of4.conllu"))
    if not parts:
        raise SystemExit(f"no en_ewt-ud-train.part*of4.conllu under {data / 'ud_english_ewt'}")
    text = "".join(p.read_text(encoding="utf-8") for p in parts)
    docs = list(conllu_to_docs(text, n_sents=10, no_print=True))
    one = SDocBin(docs=docs, store_user_data=True)
    corpus = SDocBin(store_user_data=True)
    for _ in range(copies):
        corpus.merge(one)
    out.write_bytes(corpus.to_bytes())
    return sum(len(d) for d in docs) * copies


_STREAM = """
import resource, sys
from corpuskit.docbin import read_docbin, write_docbin, DocBin
src, dst, mode = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "stream":
    stats = write_docbin(read_docbin(src), dst, shard_tokens=100_000)
else:
    DocBin(docs=list(read_docbin(src))).to_disk(dst)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print(int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def _peak_mb(src: Path, dst: Path, mode: str) -> float:
    """Peak RSS (MB) of a fresh process copying ``src`` to ``dst`` (streamed shards, or whole)."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-c", _STREAM, str(src), str(dst), mode], capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=_DEFAULT_DATA)
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from spacy.tokens import DocBin as SDocBin
    from spacy.vocab import Vocab

    from corpuskit.docbin import DocBin, read_docbin, write_docbin

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ewt_train_x5.spacy"
        t0 = time.perf_counter()
        n_tokens = _spacy_corpus(args.data, args.copies, path)
        print(
            f"corpus: {n_tokens:,} tokens, {path.stat().st_size / 1e6:.1f} MB, built by spaCy in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        data = path.read_bytes()

        # Correctness first.
        ck_docs = list(read_docbin(path))
        if DocBin(docs=ck_docs).to_bytes() != data:
            print("FAIL: corpuskit's re-serialisation of spaCy's file differs from it", file=sys.stderr)
            return 1
        sdocs = list(SDocBin().from_bytes(data).get_docs(Vocab()))
        if len(sdocs) != len(ck_docs) or any(len(a) != len(b) for a, b in zip(sdocs, ck_docs, strict=True)):
            print("FAIL: corpuskit and spaCy read different docs", file=sys.stderr)
            return 1
        if bytes(SDocBin(docs=sdocs, store_user_data=True).to_bytes()) != DocBin(docs=ck_docs).to_bytes():
            print("FAIL: corpuskit and spaCy write different bytes for the same docs", file=sys.stderr)
            return 1
        print(f"check: {len(ck_docs):,} docs; same docs read, same bytes written (byte for byte)")

        # Reading: file -> Docs.
        sp_read, _ = _median_time(lambda: list(SDocBin().from_disk(path).get_docs(Vocab())), args.repeat)
        ck_read, _ = _median_time(lambda: list(read_docbin(path)), args.repeat)
        # Writing: Docs -> bytes (what DocBin(docs).to_bytes() does in both libraries).
        sp_write, _ = _median_time(lambda: SDocBin(docs=sdocs, store_user_data=True).to_bytes(), args.repeat)
        ck_write, _ = _median_time(lambda: DocBin(docs=ck_docs).to_bytes(), args.repeat)
        # Writing to disk in shards (500 k tokens each), compressing in a background thread.
        shard_dir = Path(tmp) / "sharded.spacy"
        ck_shards, stats = _median_time(lambda: write_docbin(ck_docs, shard_dir), args.repeat)
        ck_docs.clear()
        sdocs.clear()
        shards = Path(tmp) / "shards.spacy"
        write_docbin(read_docbin(path), shards, shard_tokens=100_000)
        mem_stream = _peak_mb(shards, Path(tmp) / "streamed.spacy", "stream")
        mem_whole = _peak_mb(shards, Path(tmp) / "whole.spacy", "whole")

    rows = [
        ("read  (file -> Docs)", sp_read, ck_read),
        ("write (Docs -> bytes)", sp_write, ck_write),
    ]
    print(f"{'job':<24}{'spaCy s':>10}{'corpuskit s':>13}{'speed-up':>10}")
    for name, sp, ck in rows:
        print(f"{name:<24}{sp:>10.2f}{ck:>13.2f}{sp / ck:>9.1f}x")
    print(f"write_docbin: {ck_shards:.2f} s for {stats.n_tokens:,} tokens in {len(stats.paths)} shard(s)")
    print(
        f"peak RSS, copying the corpus from 100 k-token shards: {mem_stream:.0f} MB streamed "
        f"(read_docbin -> write_docbin) vs {mem_whole:.0f} MB with every Doc in memory (one file)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
