"""Benchmark: what hostile input costs (docs/limits.md), each side by side with its peer.

    python bench/limits.py [--data ../shared/data] [--copies 10] [--token-mb 50]

1. `corpuskit debug-data` peak RSS (/usr/bin/time -f %M) on UD English-EWT train and on that file
   ``--copies`` times over: memory must not grow with the corpus (ratio about 1).
2. One huge token hashed by corpuskit (`hash_strings`) and by spaCy's `StringStore`, interleaved,
   after checking both give the same ID.
3. A zlib bomb (about 1 MB inflating to 1 GiB) read by corpuskit (refused) and by spaCy's DocBin:
   peak RSS of each, as a child process. spaCy's side needs over 2 GB; ``--no-spacy-bomb`` skips it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "hardening"))
PY = sys.executable


def peak_rss_mb(cmd: list[str]) -> tuple[float, int]:
    """Peak RSS (MB) and exit code of ``cmd`` as a child process."""
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
    return int(proc.stderr.strip().splitlines()[-1]) / 1024, proc.returncode


def debug_memory(data: Path, copies: int, tmp: Path) -> None:
    parts = sorted((data / "ud_english_ewt").glob("en_ewt-ud-train.part*.conllu"))
    one = tmp / "train-1x.conllu"
    one.write_bytes(b"".join(p.read_bytes() for p in parts))
    many = tmp / f"train-{copies}x.conllu"
    with many.open("wb") as fh:
        for _ in range(copies):
            fh.write(one.read_bytes())
    rss = {}
    for f in (one, many, one, many):  # interleaved, twice: the machine is shared
        mb, rc = peak_rss_mb([PY, "-m", "corpuskit", "debug-data", str(f)])
        assert rc in (0, 1), rc
        rss.setdefault(f.name, []).append(mb)
    a, b = min(rss[one.name]), min(rss[many.name])
    print(f"debug-data peak RSS: 1x {a:.0f} MB, {copies}x {b:.0f} MB, ratio {b / a:.2f}")


def hash_time(token_mb: int) -> None:
    from spacy.strings import StringStore

    from corpuskit.strings import hash_strings

    token = "ab" * (token_mb << 19)
    ours = theirs = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        (h,) = hash_strings([token]).tolist()
        ours = min(ours, time.perf_counter() - t)
        t = time.perf_counter()
        ref = StringStore().add(token)
        theirs = min(theirs, time.perf_counter() - t)
        assert h == ref, (h, ref)
    ratio = ours / theirs
    print(f"hash of one {token_mb} MB token: corpuskit {ours:.2f} s, spaCy {theirs:.3f} s, ratio {ratio:.0f}")


def bomb_memory(tmp: Path, spacy_side: bool) -> None:
    from hardening_helpers import token_bomb

    bomb = token_bomb(tmp / "bomb.spacy", 1 << 30)
    ours = [
        PY,
        "-c",
        f"from corpuskit.docbin import read_docbin\ntry: list(read_docbin({str(bomb)!r}))\n"
        "except Exception as e: print(e)",
    ]
    mb, _ = peak_rss_mb(ours)
    line = f"1 GiB bomb ({bomb.stat().st_size:,} bytes): corpuskit {mb:.0f} MB (refused)"
    if spacy_side:
        theirs = [PY, "-c", f"from spacy.tokens import DocBin\nDocBin().from_disk({str(bomb)!r})"]
        smb, _ = peak_rss_mb(theirs)
        line += f", spaCy {smb:.0f} MB (loaded), ratio {smb / mb:.1f}"
    print(line)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--token-mb", type=int, default=50)
    ap.add_argument("--no-spacy-bomb", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        debug_memory(args.data, args.copies, tmp)
        hash_time(args.token_mb)
        bomb_memory(tmp, not args.no_spacy_bomb)


if __name__ == "__main__":
    main()
