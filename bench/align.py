"""Alignment and offset mapping over ~1 M tokens, corpuskit against spaCy, side by side.

Input: UD English-EWT train five times (about 1.02 M gold tokens). Each sentence's text is
rebuilt from its tokens, tokenized by corpuskit's English tokenizer, and

1. the tokenizer's words are aligned to the gold words: ``Alignment.from_words`` against spaCy's
   ``Alignment.from_strings``, one call per sentence and one call per document (runs of 20
   sentences);
2. character-offset spans (up to three per sentence, cut on gold token boundaries, so that some
   of them do not fit the tokenizer's tokens) are mapped onto the tokenizer's tokens:
   ``offsets_to_biluo`` against spaCy's ``offsets_to_biluo_tags``.

Correctness first: both sides must give the same alignments and the same tags on every input;
then each job is timed, corpuskit and spaCy runs interleaved (best of ``--repeat``, wall
and CPU time), and the ratios printed.

    python bench/align.py [--data ../shared/data] [--copies 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tabulate import tabulate

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tokenizer import read_conllu_tokens

from corpuskit.alignment import Alignment, offsets_to_biluo, token_offsets
from corpuskit.doc import Doc
from corpuskit.tokenizer import Tokenizer

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DOC_SENTS = 20


def _side_by_side(ours: Callable[[], Any], theirs: Callable[[], Any], repeat: int) -> list[float]:
    """Best wall and CPU seconds of each, the two runs interleaved so that load hits both alike."""
    best = [float("inf")] * 4  # ours wall, ours cpu, theirs wall, theirs cpu
    for _ in range(repeat):
        for k, fn in ((0, ours), (2, theirs)):
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            best[k] = min(best[k], time.perf_counter() - wall)
            best[k + 1] = min(best[k + 1], time.process_time() - cpu)
    return best


def _spans(doc: Doc, rng: random.Random) -> list[tuple[int, int, str]]:
    starts, ends = token_offsets(doc)
    n = len(starts)
    out: list[tuple[int, int, str]] = []
    i = rng.randrange(max(n, 1))
    for _ in range(3):
        if i >= n:
            break
        j = min(n, i + rng.randint(1, 3))
        out.append((starts[i], ends[j - 1], rng.choice(["PER", "ORG", "LOC"])))
        i = j + rng.randint(1, 8)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import spacy  # the peer
    from spacy.tokens import Doc as SpacyDoc
    from spacy.training import Alignment as SpacyAlignment
    from spacy.training import offsets_to_biluo_tags

    files = sorted((args.data / "ud_english_ewt").glob("en_ewt-ud-train*.conllu"))
    if not files:
        print(f"no UD English-EWT train files under {args.data}", file=sys.stderr)
        return 2
    sents = [s for path in files for s in read_conllu_tokens(path, view="words")] * args.copies
    tokenizer = Tokenizer("en")
    gold = [s[2] for s in sents]
    gold_spaces = [s[3] for s in sents]
    predicted = [tokenizer.tokenize(s[0]) for s in sents]
    pred_words = [p[0] for p in predicted]
    n_gold = sum(map(len, gold))
    n_pred = sum(map(len, pred_words))
    print(f"{len(sents):,} sentences, {n_gold:,} gold tokens, {n_pred:,} tokenizer tokens", file=sys.stderr)

    # Documents: runs of sentences joined with a space.
    doc_pred: list[list[str]] = []
    doc_gold: list[list[str]] = []
    for i in range(0, len(sents), DOC_SENTS):
        doc_pred.append([w for p in pred_words[i : i + DOC_SENTS] for w in p])
        doc_gold.append([w for g in gold[i : i + DOC_SENTS] for w in g])

    # Offsets: spans on gold token boundaries, mapped onto the tokenizer's tokens.
    rng = random.Random(0)
    gold_docs = [Doc(words=g, spaces=s) for g, s in zip(gold, gold_spaces, strict=True)]
    spans = [_spans(d, rng) for d in gold_docs]
    ours_docs = [Doc(words=w, spaces=s) for w, s in predicted]
    vocab = spacy.blank("en").vocab
    spacy_docs = [SpacyDoc(vocab, words=w, spaces=s) for w, s in predicted]
    n_spans = sum(map(len, spans))

    # 1. Correctness against the peer.
    for a, b in [*zip(pred_words, gold, strict=True), *zip(doc_pred, doc_gold, strict=True)][
        :: max(args.copies, 1)
    ]:
        ours = Alignment.from_words(a, b)
        theirs = SpacyAlignment.from_strings(a, b)
        if not (
            ours.x2y.lengths.tolist() == theirs.x2y.lengths.tolist()
            and ours.x2y.data.tolist() == theirs.x2y.data.tolist()
            and ours.y2x.lengths.tolist() == theirs.y2x.lengths.tolist()
            and ours.y2x.data.tolist() == theirs.y2x.data.tolist()
        ):
            raise AssertionError(f"alignments differ for {a[:10]} / {b[:10]}")
    warnings.simplefilter("ignore")  # spaCy's W030 for every span that does not fit
    not_placed = 0
    for d, sd, sp in zip(ours_docs, spacy_docs, spans, strict=True):
        tags, problems = offsets_to_biluo(d, sp)
        if tags != offsets_to_biluo_tags(sd, sp):
            raise AssertionError(f"BILUO tags differ for {d.text!r} {sp}")
        not_placed += len(problems)
    print(
        f"correctness: same alignments and same tags ({n_spans:,} spans, {not_placed:,} not placed)",
        file=sys.stderr,
    )

    # 2. Timing, side by side.
    jobs = [
        (
            f"align per sentence ({len(sents):,} calls)",
            lambda: [Alignment.from_words(a, b) for a, b in zip(pred_words, gold, strict=True)],
            lambda: [SpacyAlignment.from_strings(a, b) for a, b in zip(pred_words, gold, strict=True)],
        ),
        (
            f"align per document ({len(doc_gold):,} calls of {DOC_SENTS} sentences)",
            lambda: [Alignment.from_words(a, b) for a, b in zip(doc_pred, doc_gold, strict=True)],
            lambda: [SpacyAlignment.from_strings(a, b) for a, b in zip(doc_pred, doc_gold, strict=True)],
        ),
        (
            f"offsets -> BILUO ({n_spans:,} spans)",
            lambda: [offsets_to_biluo(d, sp) for d, sp in zip(ours_docs, spans, strict=True)],
            lambda: [offsets_to_biluo_tags(d, sp) for d, sp in zip(spacy_docs, spans, strict=True)],
        ),
    ]
    rows = []
    for name, ours_fn, theirs_fn in jobs:
        ow, oc, tw, tc = _side_by_side(ours_fn, theirs_fn, args.repeat)
        speed = [f"{tw / ow:.1f}x", f"{tc / oc:.1f}x"]
        rows.append([name, f"{ow:.2f} / {oc:.2f}", f"{tw:.2f} / {tc:.2f}", *speed])
        print(f"timed: {name}", file=sys.stderr)
    headers = ["job", "corpuskit s (wall / cpu)", "spaCy s (wall / cpu)", "speed-up wall", "speed-up cpu"]
    print(tabulate(rows, headers=headers, tablefmt="github"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
