"""Offset JSONL in and out: corpuskit's ``jsonl`` converter against spaCy, side by side.

Inputs:

- the JSONL samples of ``spacy_example_data`` (``textcat_example_data/*.jsonl``: text + cats);
- a large JSONL built from UD English-EWT train (``--copies`` times, about 204 k tokens each):
  one record per sentence, ``{"text", "spans"}``, the text rebuilt from the gold tokens and
  their spacing, a span for every run of ``PROPN`` tokens and of ``NUM`` tokens (code points).

Jobs, each checked first, then timed with corpuskit and spaCy interleaved (best of ``--repeat``):

1. read: corpuskit ``parse_jsonl(lang="en")`` (JSON, tokenizer, offsets to tokens, every span
   that does not fit listed) against spaCy's ``json.loads`` + ``nlp.make_doc`` +
   ``offsets_to_biluo_tags`` + ``biluo_tags_to_spans``. Check: on every record where the two
   tokenizers give the same words, the BILUO tags are the same.
2. round trip: Docs -> ``.spacy`` bytes -> Docs -> JSONL, corpuskit (``write_docbin`` /
   ``read_docbin`` / ``write_jsonl``) against spaCy (``DocBin`` / ``ents`` to offsets +
   ``json.dumps``). Check: the JSONL written keeps every span that was placed.

    python bench/jsonl_roundtrip.py [--data ../shared/data] [--copies 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tabulate import tabulate

from converters.jsonl_spans import PROBLEMS_KEY, parse_jsonl, write_jsonl
from corpuskit.doc import Doc
from corpuskit.docbin import read_docbin, write_docbin

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
EWT_TRAIN = [f"en_ewt-ud-train.part{i}of4.conllu" for i in range(1, 5)]


def _side_by_side(ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int) -> list[float]:
    """Best wall seconds of each, the runs interleaved so that load on the machine hits both alike."""
    best = [float("inf")] * 2
    for _ in range(repeat):
        for k, fn in enumerate((ours, theirs)):
            t = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t)
    return best


def _ewt_records(path: Path) -> Iterator[dict[str, Any]]:
    """One ``{"text", "spans"}`` record per sentence: runs of PROPN and of NUM tokens as spans."""
    words: list[tuple[str, str, bool]] = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line:
                if words:
                    yield _record(words)
                words = []
                continue
            if line.startswith("#"):
                continue
            cols = line.split("\t")
            if "." in cols[0] or "-" in cols[0]:
                continue  # empty nodes; multiword ranges (their words spell them in EWT)
            words.append((cols[1], cols[3], "SpaceAfter=No" not in cols[9]))
    if words:
        yield _record(words)


def _record(words: list[tuple[str, str, bool]]) -> dict[str, Any]:
    text_parts: list[str] = []
    spans: list[dict[str, Any]] = []
    pos = 0
    run: tuple[int, int, str] | None = None
    for form, upos, space in words:
        label = upos if upos in ("PROPN", "NUM") else None
        if run is not None and (label != run[2]):
            spans.append({"start": run[0], "end": run[1], "label": run[2]})
            run = None
        if label is not None:
            run = (run[0] if run else pos, pos + len(form), label)
        text_parts.append(form + (" " if space else ""))
        pos += len(form) + (1 if space else 0)
    if run is not None:
        spans.append({"start": run[0], "end": run[1], "label": run[2]})
    return {"text": "".join(text_parts).rstrip(" "), "spans": spans}


def _biluo(doc: Doc) -> list[str]:
    missing = doc.ents_missing or [False] * len(doc.words)
    tags = ["-" if m else "O" for m in missing]
    for s in doc.ents or ():
        if s.end - s.start == 1:
            tags[s.start] = f"U-{s.label}"
        else:
            tags[s.start] = f"B-{s.label}"
            tags[s.start + 1 : s.end - 1] = [f"I-{s.label}"] * (s.end - s.start - 2)
            tags[s.end - 1] = f"L-{s.label}"
    return tags


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import spacy  # the peer
    from spacy.tokens import DocBin
    from spacy.training import biluo_tags_to_spans, offsets_to_biluo_tags

    nlp = spacy.blank("en")
    warnings.filterwarnings("ignore", message=r".*W030")
    rows = []

    # --- the example JSONL samples (text + cats)
    samples = sorted((args.data / "spacy_example_data").rglob("*.jsonl"))
    samples = [p for p in samples if "vocab" not in p.name]  # vocab-data.jsonl is lexical data, not a corpus
    for path in samples:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)

        def ours_small(lines: list[str] = lines) -> list[Doc]:
            return list(parse_jsonl(lines, lang="en"))

        def theirs_small(lines: list[str] = lines) -> list[Any]:
            out = []
            for line in lines:
                rec = json.loads(line)
                doc = nlp.make_doc(rec["text"])
                doc.cats = rec.get("cats", {})
                out.append(doc)
            return out

        a, b = ours_small(), theirs_small()
        assert [d.cats for d in a] == [{k: float(v) for k, v in d.cats.items()} for d in b], path
        same = sum(x.words == [t.text for t in y] for x, y in zip(a, b, strict=True))
        t_ours, t_theirs = _side_by_side(ours_small, theirs_small, args.repeat)
        rows.append([f"read {path.name}", len(a), f"{same}/{len(a)} same words", t_ours, t_theirs])

    # --- the large JSONL from UD EWT
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "ewt_spans.jsonl"
        n_tokens = 0
        with open(big, "w", encoding="utf-8") as f:
            for _ in range(args.copies):
                for name in EWT_TRAIN:
                    for rec in _ewt_records(args.data / "ud_english_ewt" / name):
                        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        lines = big.read_text(encoding="utf-8").splitlines(keepends=True)
        records = [json.loads(x) for x in lines]

        def ours_read() -> list[Doc]:
            return list(parse_jsonl(lines, lang="en"))

        def theirs_read() -> list[Any]:
            out = []
            for line in lines:
                rec = json.loads(line)
                doc = nlp.make_doc(rec["text"])
                spans = [(s["start"], s["end"], s["label"]) for s in rec["spans"]]
                tags = offsets_to_biluo_tags(doc, spans)
                doc.ents = biluo_tags_to_spans(doc, tags)
                out.append((doc, tags))
            return out

        docs, theirs = ours_read(), theirs_read()
        n_tokens = sum(len(d.words) for d in docs)
        same_words = compared = 0
        for doc, (sdoc, tags) in zip(docs, theirs, strict=True):
            if doc.words == [t.text for t in sdoc]:
                same_words += 1
                assert _biluo(doc) == tags, (doc.text, _biluo(doc), tags)
                compared += 1
        n_spans = sum(len(r["spans"]) for r in records)
        placed = sum(len(d.ents or ()) for d in docs)
        listed = sum(len(d.user_data.get(PROBLEMS_KEY, ())) for d in docs)
        assert placed + listed == n_spans
        t_ours, t_theirs = _side_by_side(ours_read, theirs_read, args.repeat)
        rows.append(
            [
                f"read EWT x{args.copies} ({n_tokens:,} tokens, {n_spans:,} spans)",
                len(docs),
                f"{compared:,}/{len(docs):,} same words, same tags; {listed:,} spans listed",
                t_ours,
                t_theirs,
            ]
        )

        # --- round trip: Docs -> .spacy -> Docs -> JSONL
        sdocs = [d for d, _ in theirs]
        ours_path = Path(tmp) / "ours.spacy"  # a directory of shards beyond 500 k tokens
        spacy_path = Path(tmp) / "spacy.spacy"

        def ours_rt() -> str:
            write_docbin(docs, ours_path)
            out = io.StringIO()
            write_jsonl(read_docbin(ours_path), out)
            return out.getvalue()

        def theirs_rt() -> str:
            DocBin(docs=sdocs, store_user_data=True).to_disk(spacy_path)
            back = DocBin().from_disk(spacy_path).get_docs(nlp.vocab)
            return "".join(
                json.dumps(
                    {
                        "text": d.text,
                        "spans": [
                            {"start": e.start_char, "end": e.end_char, "label": e.label_} for e in d.ents
                        ],
                    },
                    ensure_ascii=False,
                )
                + "\n"
                for d in back
            )

        written = [json.loads(x) for x in ours_rt().splitlines()]
        assert len(written) == len(docs)
        for doc, rec in zip(docs, written, strict=True):
            offsets = doc.token_offsets()
            expect = [
                {"start": offsets[s.start][0], "end": offsets[s.end - 1][1], "label": s.label}
                for s in doc.ents or ()
            ]
            assert rec.get("spans", []) == expect and rec["text"] == doc.text
        kept = sum(len(r.get("spans", [])) for r in written)
        assert kept == placed
        theirs_rt()
        t_ours, t_theirs = _side_by_side(ours_rt, theirs_rt, args.repeat)
        rows.append(
            [
                "round trip Docs -> .spacy -> JSONL",
                len(docs),
                f"{kept:,} spans kept, {listed:,} listed",
                t_ours,
                t_theirs,
            ]
        )

    table = [[*r[:3], f"{r[3]:.3f}", f"{r[4]:.3f}", f"{r[4] / r[3]:.2f}x"] for r in rows]
    print(tabulate(table, headers=["job", "docs", "check", "corpuskit s", "spaCy s", "spaCy/corpuskit"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
