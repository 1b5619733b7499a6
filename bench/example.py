"""Gold annotation projected onto a tokenizer's tokens: corpuskit's Example against spaCy's.

Input: UD English-EWT (by default the train split's first part and dev), as documents of
``--doc-sents`` sentences, with a parse, tags and sentence starts; WikiGold (CoNLL columns) for
entities. Each document's text is tokenized by corpuskit's English tokenizer (its tokens differ
from the gold ones here and there: merged, split), and both libraries build an ``Example`` from
the same two tokenizations and project the gold annotation onto the predicted tokens:
``get_aligned("tags")`` (spaCy: ``get_aligned("TAG", as_string=True)``), ``get_aligned_parse()``
(spaCy: ``projectivize=False``; a missing head, spaCy's self-loop with the label "", counts as
None), ``get_aligned_sent_starts()`` and ``get_aligned_ner()``.

Correctness first: every projection must be equal on every document. Then the projections are
timed (a fresh Example per run, so the alignment is computed inside the timing), corpuskit and
spaCy runs interleaved, best of ``--repeat``, wall and CPU time, and the ratios printed.

    python bench/example.py [--data ../shared/data] [--doc-sents 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from oracle import to_spacy
from spacy.tokens import Doc as SDoc
from spacy.training import Example as SExample
from spacy.vocab import Vocab
from tabulate import tabulate

from converters.conll_ner import read_conll
from converters.conllu import read_conllu
from corpuskit.doc import Doc
from corpuskit.tokenizer import Tokenizer
from corpuskit.train.example import Example
from corpuskit.transforms import group_sents

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _pairs(golds: list[Doc], vocab: Vocab) -> list[tuple[Doc, Doc, SDoc, SDoc]]:
    tok = Tokenizer("en")
    out = []
    for gold in golds:
        pred = tok(gold.text)
        sgold = to_spacy(gold, vocab)
        spred = SDoc(vocab, words=list(pred.words), spaces=list(pred.spaces or []))
        out.append((pred, gold, spred, sgold))
    return out


def _ours(pairs: list[tuple[Doc, Doc, SDoc, SDoc]], ner: bool) -> list[Any]:
    out = []
    for pred, gold, _, _ in pairs:
        eg = Example(pred, gold)
        if ner:
            out.append(eg.get_aligned_ner())
        else:
            out.append((eg.get_aligned("tags"), eg.get_aligned_parse(), eg.get_aligned_sent_starts()))
    return out


def _theirs(pairs: list[tuple[Doc, Doc, SDoc, SDoc]], ner: bool) -> list[Any]:
    out = []
    for _, _, spred, sgold in pairs:
        eg = SExample(spred, sgold)
        if ner:
            out.append(eg.get_aligned_ner())
            continue
        heads, deps = eg.get_aligned_parse(projectivize=False)
        heads = [None if d == "" else h for h, d in zip(heads, deps, strict=True)]
        deps = [None if d == "" else d for d in deps]
        out.append((eg.get_aligned("TAG", as_string=True), (heads, deps), eg.get_aligned_sent_starts()))
    return out


def _side_by_side(ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int) -> list[float]:
    best = [float("inf")] * 4  # ours wall, ours cpu, theirs wall, theirs cpu
    for _ in range(repeat):
        for k, fn in ((0, ours), (2, theirs)):
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            best[k] = min(best[k], time.perf_counter() - wall)
            best[k + 1] = min(best[k + 1], time.process_time() - cpu)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--doc-sents", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ewt = args.data / "ud_english_ewt"
    sents = [
        d
        for f in ("en_ewt-ud-train.part1of4.conllu", "en_ewt-ud-dev.conllu")
        for d in read_conllu(str(ewt / f))
    ]
    golds = list(group_sents(sents, args.doc_sents))
    wikigold = args.data / "wikiner_iob" / "wikigold.conll.txt"
    ner_golds = list(group_sents(read_conll(str(wikigold)), args.doc_sents))
    vocab = Vocab()
    jobs = [("tags + parse + sentence starts (EWT)", _pairs(golds, vocab), False)]
    jobs.append(("entities (WikiGold)", _pairs(ner_golds, vocab), True))
    rows = []
    for name, pairs, ner in jobs:
        n_tok = sum(len(p[1]) for p in pairs)
        differing = sum(p[0].words != p[1].words for p in pairs)
        ours, theirs = _ours(pairs, ner), _theirs(pairs, ner)
        bad = [k for k, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
        if bad:
            raise SystemExit(
                f"{name}: {len(bad)} of {len(pairs)} docs differ from spaCy, first: doc {bad[0]}"
            )
        ow, oc, tw, tc = _side_by_side(
            lambda p=pairs, e=ner: _ours(p, e), lambda p=pairs, e=ner: _theirs(p, e), args.repeat
        )
        rows.append(
            [
                name,
                len(pairs),
                differing,
                n_tok,
                f"{oc:.2f}",
                f"{tc:.2f}",
                f"{tc / oc:.1f}x",
                f"{tw / ow:.1f}x",
            ]
        )
    print(
        tabulate(
            rows,
            headers=[
                "job",
                "docs",
                "docs re-tokenized",
                "gold tokens",
                "corpuskit CPU s",
                "spaCy CPU s",
                "speed-up (CPU)",
                "speed-up (wall)",
            ],
        )
    )
    print("every projection equal to spaCy's on every doc")


if __name__ == "__main__":
    main()
