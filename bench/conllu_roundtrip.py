"""CoNLL-U round trips and reading speed: corpuskit's converter against spaCy's reader.

For every CoNLL-U file below ``--data`` this

1. reads it with corpuskit and with spaCy's ``conllu_to_docs`` (one doc per sentence) and checks
   that both give the same annotation token by token (correctness first);
2. writes it back: CoNLL-U -> Docs -> CoNLL-U, CoNLL-U -> .spacy (corpuskit DocBin) -> CoNLL-U, and
   CoNLL-U -> Docs of 10 sentences -> CoNLL-U (and checks that reading 10 sentences a group
   at a time, as ``convert -n 10`` does, gives those Docs), and says which come back
   byte-identical;
3. times both readers side by side (CPU time of the process, best of ``--repeat`` runs for
   corpuskit, one run for spaCy) on the file (and on UD English-EWT train, all parts joined,
   built in a temporary folder) and prints tokens per second and the ratio.

Run: ``python bench/conllu_roundtrip.py [--data ../shared/data] [--repeat 3] [--no-big]``.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from converters.conllu import detect, read_conllu, write_conllu  # noqa: E402
from corpuskit import Doc, DocBin  # noqa: E402
from corpuskit.errors import CorpusError  # noqa: E402
from corpuskit.io import sniff_lines  # noqa: E402
from corpuskit.transforms import group_sents  # noqa: E402

__all__ = ["main"]

_WALL = False


def _spacy_docs(text: str) -> list[Any]:
    from spacy.training.converters.conllu_to_docs import conllu_to_docs

    return list(conllu_to_docs(text, n_sents=1, no_print=True))


def _first_difference(ours: list[Doc], theirs: list[Any]) -> str | None:
    """None when both readers agree on every annotation, else where they first differ."""
    if len(ours) != len(theirs):
        return f"{len(ours)} docs != spaCy's {len(theirs)}"
    for d, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        if len(a) != len(b):
            return f"doc {d}: {len(a)} tokens != spaCy's {len(b)}"
        iob = a.ent_iob()
        types = a.ent_types()
        for i, t in enumerate(b):
            pos = a.pos[i] if a.pos is not None else None
            mine = (
                a.words[i],
                " " if a.spaces and a.spaces[i] else "",
                a.tags[i] if a.tags else "",
                pos or "",
                a.morphs[i] if a.morphs else "",
                a.lemmas[i] if a.lemmas else "",
                a.heads[i] if a.heads else i,
                a.deps[i] if a.deps else "",
                iob[i],
                types[i],
            )
            spacy_side = (
                t.text,
                t.whitespace_,
                t.tag_,
                t.pos_,
                str(t.morph),
                t.lemma_,
                t.head.i,
                t.dep_,
                t.ent_iob_,
                t.ent_type_,
            )
            if mine != spacy_side:
                return f"doc {d} token {i} ({t.text!r}): corpuskit {mine} != spaCy {spacy_side}"
    return None


def _write(docs: list[Doc]) -> str:
    buf = io.StringIO()
    write_conllu(docs, buf)
    return buf.getvalue()


def _clock() -> float:
    """CPU time of this process: both readers are single-threaded, and on a shared machine CPU
    time is steadier than wall time (pass --wall for wall time)."""
    return time.perf_counter() if _WALL else time.process_time()


def _best(fn: Any, repeat: int) -> tuple[float, Any]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = _clock()
        out = fn()
        best = min(best, _clock() - t)
    return best, out


def _time_both(path: Path, repeat: int) -> tuple[int, float, float]:
    text = path.read_text(encoding="utf-8")
    ours_s, n = _best(lambda: sum(len(d.words) for d in read_conllu(path)), repeat)
    spacy_s, _ = _best(lambda: _spacy_docs(text), max(1, repeat // 2))
    return n, ours_s, spacy_s


def _check_file(path: Path, repeat: int) -> dict[str, Any]:
    row: dict[str, Any] = {"file": str(path)}
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    try:
        docs = list(read_conllu(path))
    except CorpusError as e:
        row["error"] = str(e)
        return row
    row["sents"] = len(docs)
    row["tokens"] = sum(len(d) for d in docs)
    spacy_s = None
    try:
        t = _clock()
        theirs = _spacy_docs(text)
        spacy_s = _clock() - t
        diff = _first_difference(docs, theirs)
        row["spacy"] = "same" if diff is None else f"DIFFERENT: {diff}"
    except Exception as e:  # spaCy's own failure on this file
        row["spacy"] = f"spaCy fails: {type(e).__name__}: {str(e)[:90]}"
    row["text"] = _write(docs) == text
    back = list(DocBin().from_bytes(DocBin(docs=docs).to_bytes()))
    row["docbin"] = _write(back) == text
    grouped = list(group_sents(iter(docs), 10))
    # -n 10 as convert reads it: a group at a time, the same Docs as grouping the sentences
    row["n10"] = _write(grouped) == text and list(read_conllu(path, group=10)) == grouped
    if not row["text"]:
        out = _write(docs)
        k = next(
            (i for i, (x, y) in enumerate(zip(out, text, strict=False)) if x != y), min(len(out), len(text))
        )
        line = text.count("\n", 0, k) + 1
        row["why"] = f"first difference at line {line}" + (
            " (the file does not end with a newline)" if not text.endswith("\n") else ""
        )
    ours_s, n = _best(lambda: sum(len(d.words) for d in read_conllu(path)), repeat)
    row["ours_tps"] = n / ours_s
    row["spacy_tps"] = n / spacy_s if spacy_s else float("nan")
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per file (best is kept)")
    parser.add_argument("--no-big", action="store_true", help="skip the joined EWT train timing")
    parser.add_argument("--wall", action="store_true", help="time wall clock instead of CPU time")
    args = parser.parse_args(argv)
    global _WALL
    _WALL = args.wall
    files = sorted(p for p in args.data.rglob("*") if p.suffix in (".conllu", ".conll") and p.is_file())
    files = [p for p in files if detect(sniff_lines(p)) >= 0.5]  # CoNLL-U, not NER columns
    if not files:
        print(f"no CoNLL-U files below {args.data}")
        return 1
    rows = [_check_file(p, args.repeat) for p in files]
    head = f"{'file':<58} {'sents':>6} {'tokens':>7}  spaCy  text docbin -n10"
    print(f"{head}  {'ours tok/s':>10} {'spaCy':>7} ratio")
    total_ours = total_spacy = 0.0
    total_tokens = 0
    for r in rows:
        name = str(Path(r["file"]).relative_to(args.data))
        if "error" in r:
            print(f"{name:<58} ERROR {r['error'][:150]}")
            continue
        sp = "same" if r["spacy"] == "same" else ("fails" if "fails" in r["spacy"] else "DIFF")
        yes = {True: "yes", False: "NO"}
        trips = f"{yes[r['text']]:<4} {yes[r['docbin']]:<6} {yes[r['n10']]:<4}"
        speed = f"{r['ours_tps']:>10,.0f} {r['spacy_tps']:>7,.0f} {r['ours_tps'] / r['spacy_tps']:>5.1f}x"
        print(f"{name:<58} {r['sents']:>6} {r['tokens']:>7}  {sp:<5}  {trips}  {speed}")
        if sp != "same":
            print(f"    {r['spacy']}")
        if "why" in r:
            print(f"    not identical: {r['why']}")
        total_tokens += r["tokens"]
        total_ours += r["tokens"] / r["ours_tps"]
        total_spacy += r["tokens"] / r["spacy_tps"]
    if total_tokens:
        ours_tps = total_tokens / total_ours
        print(
            f"\nall readable files: {total_tokens:,} tokens; corpuskit {ours_tps:,.0f} tok/s, "
            f"spaCy {total_tokens / total_spacy:,.0f} tok/s: {total_spacy / total_ours:.1f}x faster"
        )
    parts = sorted(args.data.glob("ud_english_ewt/en_ewt-ud-train.part*of4.conllu"))
    if parts and not args.no_big:
        with tempfile.TemporaryDirectory() as tmp:
            big = Path(tmp) / "en_ewt-ud-train.conllu"
            big.write_bytes(b"".join(p.read_bytes() for p in parts))
            docs = list(read_conllu(big))
            same = _first_difference(docs, _spacy_docs(big.read_text(encoding="utf-8")))
            print(f"\nEWT train joined ({sum(len(d) for d in docs):,} tokens): spaCy agrees: {same is None}")
            n, ours_s, spacy_s = _time_both(big, args.repeat)
            print(
                f"  corpuskit {n / ours_s:,.0f} tok/s ({ours_s:.2f} s), spaCy conllu_to_docs "
                f"{n / spacy_s:,.0f} tok/s ({spacy_s:.2f} s): {spacy_s / ours_s:.1f}x faster"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
