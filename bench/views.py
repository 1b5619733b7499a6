"""Benchmark: the spaCy-like views against spaCy, and the column API and nlp.pipe before/after them.

Run: python bench/views.py --corpus dev.conllu [--converter conllu] [--model model-dir]
                           [--baseline DIR] [--rounds 5]

1. Views against spaCy (the peer): every token's ``text``, ``tag_``, ``pos_``, ``dep_``,
   ``head.i``, ``ent_iob_``, ``ent_type_`` and every sentence's ``text``, read from the same
   ``.spacy`` file: corpuskit (``read_docbin`` + views) against spaCy (``DocBin`` + its Token).
   Printed: words/s of each and the ratio (correctness first: the values must be equal).
2. With ``--baseline DIR`` (a checkout of corpuskit from before the views, e.g.
   ``git archive <commit> | tar -x -C DIR``): the column API (``read_corpus`` of the CoNLL-U
   corpus, ``read_docbin`` of its ``.spacy``, then ``doc.ents`` and ``doc.ent_iob()`` of every doc)
   and, with ``--model``, ``nlp.pipe`` inference words/s, each timed in a fresh process with the
   current code and with DIR's, alternating, ``--rounds`` times. Printed: the medians and the
   current/baseline ratio (1.00 = unchanged).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_COLUMN_API = """
import json, sys, time
from corpuskit.corpus import read_corpus
from corpuskit.docbin import read_docbin, write_docbin
corpus, spacy_file, converter = sys.argv[1], sys.argv[2], sys.argv[3]
t = time.perf_counter()
docs = list(read_corpus(corpus, converter=converter))
read_s = time.perf_counter() - t
write_docbin(docs, spacy_file)
t = time.perf_counter()
docs = list(read_docbin(spacy_file))
n = 0
for d in docs:
    n += len(d.ents or ()) + len(d.ent_iob())
docbin_s = time.perf_counter() - t
words = sum(len(d.words) for d in docs)
print(json.dumps({"read_corpus": words / read_s, "read_docbin+ents": words / docbin_s}))
"""

_PIPE = """
import json, sys, time
from corpuskit.doc import Doc
from corpuskit.docbin import read_docbin
from corpuskit.train import load
nlp = load(sys.argv[1])
docs = [Doc(words=list(d.words), spaces=list(d.spaces)) for d in read_docbin(sys.argv[2])]
list(nlp.pipe(docs[:20]))
t = time.perf_counter()
for _ in nlp.pipe(docs):
    pass
print(json.dumps({"nlp.pipe": sum(len(d) for d in docs) / (time.perf_counter() - t)}))
"""


def _run(code: str, pythonpath: Path, *args: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(pythonpath), OPENBLAS_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def views_vs_spacy(spacy_file: Path) -> None:
    from spacy.tokens import DocBin as SDocBin
    from spacy.vocab import Vocab

    from corpuskit.docbin import read_docbin

    def rows(docs: object) -> list[tuple[object, ...]]:
        out: list[tuple[object, ...]] = []
        for doc in docs:  # type: ignore[attr-defined]
            for t in doc:
                out.append((t.text, t.tag_, t.pos_, t.dep_, t.head.i, t.ent_iob_, t.ent_type_))
            out.extend((s.text,) for s in doc.sents)
        return out

    times: dict[str, list[float]] = {"corpuskit": [], "spacy": []}
    results = {}
    for _ in range(3):
        t = time.perf_counter()
        results["corpuskit"] = rows(read_docbin(spacy_file))
        times["corpuskit"].append(time.perf_counter() - t)
        t = time.perf_counter()
        results["spacy"] = rows(SDocBin().from_disk(spacy_file).get_docs(Vocab()))
        times["spacy"].append(time.perf_counter() - t)
    assert results["corpuskit"] == results["spacy"], "the views and spaCy disagree"
    words = sum(1 for r in results["spacy"] if len(r) > 1)
    ours, theirs = (words / statistics.median(times[k]) for k in ("corpuskit", "spacy"))
    print(
        f"views: read + every token attribute, {words:,} words: corpuskit {ours:,.0f} words/s, "
        f"spaCy {theirs:,.0f} words/s, ratio {ours / theirs:.2f}x"
    )


def before_after(corpus: Path, converter: str, model: Path | None, baseline: Path, rounds: int) -> None:
    runs: dict[str, dict[str, list[float]]] = {"current": {}, "baseline": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for name, path in (("current", REPO), ("baseline", baseline)):
                spacy_file = Path(tmp) / f"{name}.spacy"
                result = _run(_COLUMN_API, path, str(corpus), str(spacy_file), converter)
                if model is not None:
                    result.update(_run(_PIPE, path, str(model), str(spacy_file)))
                for key, value in result.items():
                    runs[name].setdefault(key, []).append(value)
    for key in runs["current"]:
        now, before = (statistics.median(runs[n][key]) for n in ("current", "baseline"))
        print(
            f"{key}: current {now:,.0f} words/s, baseline {before:,.0f} words/s, ratio {now / before:.3f} "
            f"(medians of {rounds} interleaved runs)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="a corpus file")
    parser.add_argument("--converter", default="conllu", help="its format (conllu, conll, iob ...)")
    parser.add_argument("--model", type=Path, help="a corpuskit model directory (for nlp.pipe)")
    parser.add_argument("--baseline", type=Path, help="a corpuskit checkout from before the views")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spacy_file = Path(tmp) / "corpus.spacy"
        _run(_COLUMN_API, REPO, str(args.corpus), str(spacy_file), args.converter)
        views_vs_spacy(spacy_file)
    if args.baseline is not None:
        before_after(args.corpus, args.converter, args.model, args.baseline, args.rounds)


if __name__ == "__main__":
    main()
