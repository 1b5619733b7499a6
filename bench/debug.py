"""Benchmark: `corpuskit debug-data` against `spacy debug data`, `corpuskit check` against the UD
validator (udtools `udvalidate --level 2`), with peak memory at 1x and 5x the corpus.

    python bench/debug.py [--data /work/shared/data] [--runs 3] [--validator PATH]

The UD validator is not a dependency: install it into a venv of its own, e.g.
``python -m venv /tmp/udvenv && /tmp/udvenv/bin/pip install udtools==0.2.9`` (the default
``--validator`` is ``udvalidate`` on PATH, else ``/tmp/udvenv/bin/udvalidate``; without it the
validator comparison is skipped and BENCHMARKS.md's figure is printed as context).

Correctness first: both tools must see the same corpus (doc counts, non-projective sentences,
label counts) and the validator and `corpuskit check` must flag the same sentences of a broken
file; then each command is timed as a whole process (wall and CPU seconds, peak RSS from
/usr/bin/time -v), side by side, and the ratios are printed. Large inputs are built in a
temporary directory and deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _bytecode import compile_corpuskit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
PY = sys.executable
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def timed(cmd: list[str], *, cwd: Path | None = None) -> dict[str, float | int | str]:
    """Run ``cmd`` under /usr/bin/time -v: wall and CPU seconds, peak RSS (MB), exit code, stdout."""
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, capture_output=True, text=True)
    err = proc.stderr
    wall = _field(err, r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)")
    parts = [float(p) for p in str(wall).split(":")]
    seconds = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    user = float(_field(err, r"User time \(seconds\): (\S+)"))
    system = float(_field(err, r"System time \(seconds\): (\S+)"))
    rss = int(_field(err, r"Maximum resident set size \(kbytes\): (\d+)")) / 1024
    return {
        "wall": seconds,
        "cpu": user + system,
        "rss": rss,
        "rc": proc.returncode,
        "out": proc.stdout,
        "err": err,
    }


def _field(text: str, pattern: str) -> str:
    m = re.search(pattern, text)
    if not m:
        raise RuntimeError(f"no {pattern!r} in:\n{text[-2000:]}")
    return m.group(1)


def best_of(cmd: list[str], runs: int, **kw: object) -> dict[str, float | int | str]:
    results = [timed(cmd, **kw) for _ in range(runs)]  # type: ignore[arg-type]
    out = dict(results[0])
    for key in ("wall", "cpu", "rss"):
        out[key] = statistics.median(float(r[key]) for r in results)
    return out


def corpuskit(*args: str) -> list[str]:
    return [PY, "-m", "corpuskit", *args]


def spacy_stats(text: str) -> dict[str, int]:
    text = ANSI.sub("", text)
    grab = {
        "train_docs": r"(\d+) training docs",
        "dev_docs": r"(\d+) evaluation docs",
        "nonproj": r"Found (\d+) nonprojective train sentence",
    }
    out = {k: int(_field(text, p)) for k, p in grab.items()}
    tagger = text.split("Part-of-speech Tagging")[1]
    out["tags"] = int(_field(tagger, r"(\d+) label\(s\) in train data"))
    parser = text.split("Dependency Parsing")[1]
    out["deps"] = int(_field(parser, r"(\d+) label\(s\) in train data"))
    return out


def gold_nonproj(path: Path) -> int:
    """Non-projective sentences of a .spacy file by spaCy's own ``is_nonproj_tree``."""
    import spacy
    from spacy.pipeline._parser_internals.nonproj import is_nonproj_tree
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    n = 0
    for doc in DocBin().from_disk(path).get_docs(nlp.vocab):
        for sent in doc.sents:
            n += bool(is_nonproj_tree([t.head.i - sent.start for t in sent]))
    return n


def build(data: Path, tmp: Path, scale: int) -> dict[str, Path]:
    ewt = data / "ud_english_ewt"
    parts = sorted(ewt.glob("en_ewt-ud-train.part*of4.conllu"))
    train = tmp / "train.conllu"
    with train.open("wb") as out:
        for p in parts:
            out.write(p.read_bytes())
    big = tmp / f"train_x{scale}.conllu"
    with big.open("wb") as out:
        for _ in range(scale):
            out.write(train.read_bytes())
    dev = tmp / "dev.conllu"
    shutil.copy(ewt / "en_ewt-ud-dev.conllu", dev)
    spacy_dir = tmp / "spacy"
    spacy_dir.mkdir()
    for src in (train, dev):
        subprocess.run(
            [PY, "-m", "spacy", "convert", str(src), str(spacy_dir), "-c", "conllu"],
            check=True,
            capture_output=True,
        )
    # The memory series (1x, 5x) uses .spacy files written by corpuskit convert, both alike.
    ours = tmp / "corpuskit"
    for src in (train, big):
        subprocess.run(
            corpuskit("convert", str(src), str(ours), "-c", "conllu"), check=True, capture_output=True
        )
    subprocess.run(
        [PY, "-m", "spacy", "init", "config", "-p", "tagger,parser,ner", "-l", "en", str(tmp / "config.cfg")],
        check=True,
        capture_output=True,
    )
    return {
        "train": train,
        "dev": dev,
        "big": big,
        "config": tmp / "config.cfg",
        "train_spacy": spacy_dir / "train.spacy",
        "dev_spacy": spacy_dir / "dev.spacy",
        "train_ck": ours / "train.spacy",
        "big_ck": ours / f"train_x{scale}.spacy",
    }


def _sentence_of_lines(path: Path) -> list[int]:
    """Sentence number (1-based) of each physical line."""
    out = []
    n = 1
    for line in path.read_text(encoding="utf-8").split("\n"):
        out.append(n)
        if not line.strip():
            n += 1
    return out


def same_flags(validator: Path) -> None:
    broken = ROOT / "fixtures" / "debug" / "broken_ewt_dev.conllu"
    sent = _sentence_of_lines(broken)
    v = subprocess.run(
        [str(validator), "--lang", "ud", "--level", "2", "--max-err", "0", str(broken)],
        capture_output=True,
        text=True,
    )
    v_lines = {int(m) for m in re.findall(r"\[Line (\d+)", v.stdout + v.stderr)}
    c = subprocess.run(corpuskit("check", "--no-warnings", str(broken)), capture_output=True, text=True)
    c_lines = {int(line.split(":")[1]) for line in c.stdout.splitlines()}
    v_sents = {sent[i - 1] for i in v_lines}
    c_sents = {sent[i - 1] for i in c_lines}
    print(f"  broken twin: validator flags sentences {sorted(v_sents)}, corpuskit check {sorted(c_sents)}")
    if v_sents != c_sents or v.returncode == 0 or c.returncode != 1:
        raise SystemExit("corpuskit check and the UD validator disagree on the broken twin")


def row(name: str, r: dict[str, float | int | str]) -> str:
    wall, cpu, rss = float(r["wall"]), float(r["cpu"]), float(r["rss"])
    return f"  {name:<44} wall {wall:7.2f} s  cpu {cpu:7.2f} s  peak {rss:7.0f} MB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--runs", type=int, default=3, help="runs of each corpuskit command (median)")
    ap.add_argument("--spacy-runs", type=int, default=1)
    ap.add_argument("--scale", type=int, default=5)
    ap.add_argument(
        "--validator",
        default=shutil.which("udvalidate") or "/tmp/udvenv/bin/udvalidate",
        help="udvalidate from `pip install udtools` (in its own venv)",
    )
    args = ap.parse_args()
    print(compile_corpuskit())
    tmp = Path(tempfile.mkdtemp(prefix="bench-debug-"))
    try:
        print(f"building inputs in {tmp} (EWT train+dev, train x{args.scale}) ...")
        f = build(args.data, tmp, args.scale)

        print("\n== correctness: the same corpus through both tools")
        ours = timed(corpuskit("debug-data", str(f["train_spacy"]), str(f["dev_spacy"]), "--format", "json"))
        report = json.loads(str(ours["out"]))
        theirs = timed(
            [
                PY,
                "-m",
                "spacy",
                "debug",
                "data",
                str(f["config"]),
                "--paths.train",
                str(f["train_spacy"]),
                "--paths.dev",
                str(f["dev_spacy"]),
            ]
        )
        sp = spacy_stats(str(theirs["out"]))
        tr, dv = report["stats"]["train"], report["stats"]["dev"]
        mine = {
            "train_docs": tr["docs"],
            "dev_docs": dv["docs"],
            "nonproj": tr["nonprojective_sentences"],
            "tags": len(tr["labels"]["tag"]),
            "deps": len(tr["labels"]["dep"]),
        }
        # spaCy's debug data counts non-projective trees after aligning the gold heads to its own
        # tokenizer's tokens; the same function on the gold tokens is the like-for-like figure.
        print(f"  (spaCy debug data, on its re-tokenization: {sp['nonproj']} non-projective sentences)")
        sp["nonproj"] = gold_nonproj(f["train_spacy"])
        for k in sp:
            print(f"  {k:<12} spaCy {sp[k]:>7}  corpuskit {mine[k]:>7}")
        if sp != mine:
            raise SystemExit("spaCy and corpuskit disagree about the corpus")
        print(
            f"  checks: spaCy's debug data prints {ANSI.sub('', str(theirs['out'])).count(chr(10))} lines; "
            f"corpuskit ran {report['summary']['passed'] + len(report['findings'])} checks "
            f"({len(report['findings'])} with findings)"
        )

        print("\n== debug-data on EWT train+dev (.spacy written by spacy convert)")
        s = [theirs] + [
            timed(
                [
                    PY,
                    "-m",
                    "spacy",
                    "debug",
                    "data",
                    str(f["config"]),
                    "--paths.train",
                    str(f["train_spacy"]),
                    "--paths.dev",
                    str(f["dev_spacy"]),
                ]
            )
            for _ in range(args.spacy_runs - 1)
        ]
        spacy_r = {k: statistics.median(float(r[k]) for r in s) for k in ("wall", "cpu", "rss")}
        c = best_of(corpuskit("debug-data", str(f["train_spacy"]), str(f["dev_spacy"])), args.runs)
        cl = best_of(
            corpuskit("debug-data", str(f["train_spacy"]), str(f["dev_spacy"]), "--lang", "en"), args.runs
        )
        print(row("spacy debug data (tagger,parser,ner config)", spacy_r))
        print(row("corpuskit debug-data", c))
        print(row("corpuskit debug-data --lang en (+tokenizer)", cl))
        for name, r in (("", c), (" --lang en", cl)):
            print(
                f"  ratio spaCy / corpuskit{name}: wall {spacy_r['wall'] / float(r['wall']):.1f}x, "
                f"cpu {spacy_r['cpu'] / float(r['cpu']):.1f}x, "
                f"memory {spacy_r['rss'] / float(r['rss']):.1f}x less"
            )

        print(f"\n== memory as the corpus grows (1x vs {args.scale}x EWT train)")
        m1 = best_of(corpuskit("debug-data", str(f["train_ck"])), 1)
        m5 = best_of(corpuskit("debug-data", str(f["big_ck"])), 1)
        t1 = best_of(corpuskit("debug-data", str(f["train"])), 1)
        t5 = best_of(corpuskit("debug-data", str(f["big"])), 1)
        print(row("debug-data train.spacy (1x)", m1))
        print(row(f"debug-data train_x{args.scale}.spacy", m5))
        print(row("debug-data train.conllu (1x, converted on the fly)", t1))
        print(row(f"debug-data train_x{args.scale}.conllu", t5))
        print(
            f"  peak memory growth 1x -> {args.scale}x: .spacy {float(m5['rss']) / float(m1['rss']):.2f}x, "
            f"CoNLL-U {float(t5['rss']) / float(t1['rss']):.2f}x"
        )

        print("\n== check vs the UD validator (level 2)")
        validator = Path(args.validator)
        if not validator.exists():
            print("  udvalidate not found (pip install udtools==0.2.9 into a venv and pass --validator);")
            print("  context only: BENCHMARKS.md quotes 41.8 s for 1.02 M tokens, 21 s per million (L2).")
            return
        same_flags(validator)
        for label, path in (("1x train (205 k tokens)", f["train"]), (f"{args.scale}x train", f["big"])):
            v = timed([str(validator), "--lang", "ud", "--level", "2", "-q", str(path)])
            k = best_of(corpuskit("check", str(path)), args.runs)
            print(row(f"udvalidate --level 2, {label}", v))
            print(row(f"corpuskit check, {label}", k))
            print(
                f"  ratio validator / corpuskit: wall {float(v['wall']) / float(k['wall']):.1f}x, "
                f"cpu {float(v['cpu']) / float(k['cpu']):.1f}x"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
