"""Benchmark: `corpuskit find-errors` against cleanlab and variation n-grams alone, on injected errors.

Run: python bench/find_errors.py [--data ../shared/data] [--corpus ewt,ner] [--sentences 2500]
                                 [--rate 0.08] [--folds 5] [--epochs 8] [--seed 0]
                                 [--part all|first|second] [--cache-dir DIR] [--speed] [--copies 5]

Quality (default). For each corpus, the first ``--sentences`` sentences are read and realistic
errors are injected into about ``--rate`` of them (one per sentence, seeded):

- ``ewt`` (UD English-EWT train, tags/heads/deps; the POS, morphology and lemma columns are
  dropped so that every method sees the same layers): confusable tag swaps (NN/NNS, NN/JJ, VBD/VBN,
  VB/VBP, IN/RP, NNP/NN, JJ/RB, VBG/NN, ...), dependency-label swaps (nsubj/obj, obl/nmod,
  amod/compound, advmod/obl, ...) and wrong attachments (the head moved to a neighbouring token).
- ``ner`` (CoNLL-2002 Spanish train, entities only; research-only data, read from ``--data``):
  entity type swaps following a confusion matrix (ORG<->LOC most, then PER<->ORG, MISC<->ORG,
  MISC<->LOC ...), boundaries shifted by one token, missed mentions (the entity removed) and
  spurious mentions (a capitalised run of words that is not an entity, labelled).

Then K-fold out-of-fold probabilities are computed once (``corpuskit.finderrors.model``) and three
queues are ranked: corpuskit's (``--method all``: model and n-grams combined), variation n-grams
alone, and cleanlab's (``cleanlab.token_classification.filter.find_label_issues`` on the SAME
probabilities, its issues ranked by ``rank.get_label_quality_scores``' token scores; sentences by
its sentence scores). corpuskit's sentences are ranked by the product's own sentence ranking
(``find-errors --by sentence``, :mod:`corpuskit.finderrors.sentences`); the row "max span score"
ranks them by their highest suspect score instead (the bench's aggregation before there was one),
for comparison. cleanlab gets one classification task per layer: tags and dependency labels
as they are, heads as the relative offset of the head (-20..+20, root, further), entities as IOB2
tags (B = B + U, I = I + L of the BILUO marginals). Printed: average precision and precision at
50/100/200, sentence-level (a sentence with an injected error is a hit) and span-level (a ranked
item is a hit when it overlaps an injected error not found before; AP is over all injected
errors). cleanlab is pip-installed into the running environment when missing (not a corpuskit
dependency). ``--seed`` draws other errors (so other fold models are trained: the cache is keyed by
the data); ``--part first|second`` scores one half of the sentences only (a tune / held-out split).

``--speed``: the n-gram method against ``corpuskit convert`` on EWT train x ``--copies`` (about a
million tokens), interleaved runs, median wall times and their ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from corpuskit.doc import Span
from corpuskit.finderrors.corpus import LoadedDoc, load_corpora
from corpuskit.finderrors.model import DocProbs, FoldSettings, cross_validate
from corpuskit.finderrors.ngram import find_variation
from corpuskit.finderrors.score import combine, model_suspects
from corpuskit.finderrors.sentences import SentenceScore, rank_sentences, sentence_evidence
from corpuskit.finderrors.suspect import Suspect

ROOT = Path(__file__).resolve().parent.parent

TAG_SWAPS = {
    "NN": ["NNS", "JJ", "NNP", "VBG"],
    "NNS": ["NN", "VBZ"],
    "NNP": ["NN", "NNPS", "JJ"],
    "JJ": ["NN", "RB", "VBN"],
    "VBD": ["VBN"],
    "VBN": ["VBD", "JJ"],
    "VB": ["VBP", "NN"],
    "VBP": ["VB"],
    "VBZ": ["NNS"],
    "VBG": ["NN", "JJ"],
    "IN": ["RP", "RB"],
    "RP": ["IN", "RB"],
    "RB": ["JJ", "IN"],
    "DT": ["PDT", "WDT"],
    "WDT": ["IN", "DT"],
}
DEP_SWAPS = {
    "nsubj": ["obj", "nsubj:pass"],
    "obj": ["nsubj", "iobj", "obl"],
    "obl": ["nmod", "advmod", "obj"],
    "nmod": ["obl", "compound"],
    "amod": ["compound", "nmod"],
    "compound": ["amod", "flat"],
    "advmod": ["obl", "amod"],
    "xcomp": ["ccomp", "advcl"],
    "ccomp": ["xcomp", "advcl"],
    "advcl": ["ccomp", "xcomp"],
    "mark": ["case"],
    "case": ["mark"],
    "det": ["amod"],
}
# Entity type confusions and their weights (ORG/LOC confusions are the most common in practice).
ENT_SWAPS = {
    "ORG": [("LOC", 5), ("PER", 2), ("MISC", 2)],
    "LOC": [("ORG", 5), ("MISC", 1), ("PER", 1)],
    "PER": [("ORG", 2), ("LOC", 1), ("MISC", 1)],
    "MISC": [("ORG", 2), ("LOC", 1), ("PER", 1)],
}


@dataclass(slots=True)
class Injected:
    doc: int
    start: int
    end: int
    kind: str


# -- injection ------------------------------------------------------------------------------------


def inject_ewt(docs: list[LoadedDoc], rate: float, rng: random.Random) -> list[Injected]:
    out = []
    for d, ld in enumerate(docs):
        doc = ld.doc
        if rng.random() >= rate or doc.tags is None or doc.heads is None or doc.deps is None:
            continue
        kind = rng.choice(["tag", "tag", "dep", "head"])
        order = list(range(len(doc)))
        rng.shuffle(order)
        for i in order:
            if kind == "tag" and doc.tags[i] in TAG_SWAPS:
                doc.tags[i] = rng.choice(TAG_SWAPS[doc.tags[i]])  # type: ignore[index]
            elif kind == "dep" and doc.deps[i] in DEP_SWAPS:
                doc.deps[i] = rng.choice(DEP_SWAPS[doc.deps[i]])  # type: ignore[index]
            elif kind == "head" and doc.heads[i] not in (None, i) and doc.deps[i] != "punct":
                h = doc.heads[i]
                assert h is not None
                cands = [j for j in (h - 2, h - 1, h + 1, h + 2) if 0 <= j < len(doc) and j != i]
                cands = [j for j in cands if not _descends(doc.heads, j, i)]
                if not cands:
                    continue
                doc.heads[i] = rng.choice(cands)
            else:
                continue
            out.append(Injected(d, i, i + 1, kind))
            break
    return out


def _descends(heads: list[int | None], j: int, i: int) -> bool:
    """Whether token ``j`` is in the subtree of ``i`` (moving i under j would make a cycle)."""
    seen = 0
    while j is not None and seen < len(heads):
        if j == i:
            return True
        h = heads[j]
        if h is None or h == j:
            return False
        j = h
        seen += 1
    return False


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    total = sum(w for _, w in choices)
    x = rng.uniform(0, total)
    for label, w in choices:
        x -= w
        if x <= 0:
            return label
    return choices[-1][0]


def inject_ner(docs: list[LoadedDoc], rate: float, rng: random.Random) -> list[Injected]:
    out = []
    for d, ld in enumerate(docs):
        doc = ld.doc
        if rng.random() >= rate or doc.ents is None or len(doc) < 3:
            continue
        ents = sorted(doc.ents, key=lambda e: e.start)
        kind = rng.choice(["type", "type", "boundary", "missed", "spurious"])
        if kind != "spurious" and not ents:
            kind = "spurious"
        if kind == "type":
            k = rng.randrange(len(ents))
            e = ents[k]
            ents[k] = Span(e.start, e.end, _weighted(rng, ENT_SWAPS.get(e.label, [("MISC", 1)])))
            hit = (e.start, e.end)
        elif kind == "boundary":
            k = rng.randrange(len(ents))
            e = ents[k]
            lo = ents[k - 1].end if k else 0
            hi = ents[k + 1].start if k + 1 < len(ents) else len(doc)
            moves = [(e.start - 1, e.end), (e.start, e.end + 1)]
            if e.end - e.start > 1:
                moves += [(e.start + 1, e.end), (e.start, e.end - 1)]
            moves = [(a, b) for a, b in moves if lo <= a < b <= hi]
            if not moves:
                continue
            a, b = rng.choice(moves)
            ents[k] = Span(a, b, e.label)
            hit = (min(a, e.start), max(b, e.end))
        elif kind == "missed":
            k = rng.randrange(len(ents))
            e = ents.pop(k)
            hit = (e.start, e.end)
        else:
            taken = {i for e in ents for i in range(e.start, e.end)}
            cands = [
                i
                for i in range(1, len(doc))
                if i not in taken and doc.words[i][:1].isupper() and doc.words[i].isalpha()
            ]
            if not cands:
                continue
            i = rng.choice(cands)
            j = i + 1
            while j < len(doc) and j not in taken and doc.words[j][:1].isupper() and j - i < 3:
                j += 1
            ents.append(Span(i, j, rng.choice(["ORG", "LOC", "PER", "MISC"])))
            ents.sort(key=lambda e: e.start)
            hit = (i, j)
        doc.ents = ents
        out.append(Injected(d, hit[0], hit[1], kind))
    return out


# -- cleanlab -------------------------------------------------------------------------------------


def _ensure_cleanlab() -> None:
    try:
        import cleanlab  # noqa: F401
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "cleanlab"], check=True)


_OFF = 20


def _head_classes(doc_heads: list[int | None], hp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Heads as classes: offset -20..+20 (0 = root) and 41 = further; probabilities folded in."""
    n = len(doc_heads)
    k = 2 * _OFF + 2
    probs = np.zeros((n, k))
    j = np.arange(n)
    for i in range(n):
        off = j - i
        cls = np.where(np.abs(off) <= _OFF, off + _OFF, k - 1)
        np.add.at(probs[i], cls, hp[i])
    given = np.asarray(
        [
            (h - i + _OFF if abs(h - i) <= _OFF else k - 1) if h is not None else 0
            for i, h in enumerate(doc_heads)
        ]
    )
    return given, probs


def _iob_classes(doc: Any, marg: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    labels = [n[2:] for n in names[1::4]]
    k = 1 + 2 * len(labels)
    probs = np.zeros((len(doc), k))
    probs[:, 0] = marg[:, 0]
    for li in range(len(labels)):
        b, i, last, u = 1 + 4 * li, 2 + 4 * li, 3 + 4 * li, 4 + 4 * li
        probs[:, 1 + 2 * li] = marg[:, b] + marg[:, u]
        probs[:, 2 + 2 * li] = marg[:, i] + marg[:, last]
    given = np.zeros(len(doc), dtype=int)
    index = {lab: li for li, lab in enumerate(labels)}
    for e in doc.ents or ():
        li = index[e.label]
        given[e.start] = 1 + 2 * li
        given[e.start + 1 : e.end] = 2 + 2 * li
    return given, probs


def cleanlab_queue(
    docs: list[LoadedDoc], probs: list[DocProbs], layers: list[str]
) -> tuple[list[Any], np.ndarray]:
    """cleanlab's ranked token issues (doc, start, end, score) and its sentence scores."""
    from cleanlab.token_classification.filter import find_label_issues
    from cleanlab.token_classification.rank import get_label_quality_scores

    items: list[tuple[int, int, int, float]] = []
    sentence = np.ones(len(docs))
    for layer in layers:
        labels_l: list[np.ndarray] = []
        probs_l: list[np.ndarray] = []
        keep: list[int] = []
        for d, (ld, p) in enumerate(zip(docs, probs, strict=True)):
            doc = ld.doc
            if layer == "heads" and p.heads is not None and doc.heads is not None:
                given, pr = _head_classes(doc.heads, p.heads)
            elif layer == "ents" and p.ents is not None:
                given, pr = _iob_classes(doc, p.ents, p.labels["ents"])
            elif layer in ("tags", "deps") and getattr(p, layer) is not None:
                names = p.labels[layer]
                index = {n: i for i, n in enumerate(names)}
                values = getattr(doc, layer)
                given = np.asarray([index.get(v, 0) for v in values])
                pr = getattr(p, layer).copy()
                if layer == "deps":
                    # Roots have no dependency-label probabilities: give them their own label, certain.
                    roots = [i for i, h in enumerate(doc.heads) if h == i]
                    pr[roots] = 0.0
                    pr[roots, given[roots]] = 1.0
            else:
                continue
            if not len(given):
                continue
            pr = np.clip(pr, 1e-9, None)
            pr /= pr.sum(axis=1, keepdims=True)
            labels_l.append(given)
            probs_l.append(pr)
            keep.append(d)
        if not keep:
            continue
        issues = find_label_issues(labels_l, probs_l)
        sent_scores, token_scores = get_label_quality_scores(labels_l, probs_l)
        for s, t in issues:
            d = keep[s]
            items.append((d, t, t + 1, float(token_scores[s][t])))
        for s, d in enumerate(keep):
            sentence[d] = min(sentence[d], float(sent_scores[s]))
    items.sort(key=lambda x: x[3])
    return items, -sentence


# -- metrics --------------------------------------------------------------------------------------


def span_metrics(ranked: list[tuple[int, int, int]], errors: list[Injected]) -> dict[str, float]:
    by_doc: dict[int, list[int]] = {}
    for k, e in enumerate(errors):
        by_doc.setdefault(e.doc, []).append(k)
    found = np.zeros(len(errors), dtype=bool)
    hits = np.zeros(len(ranked), dtype=bool)
    for r, (d, s, t) in enumerate(ranked):
        for k in by_doc.get(d, []):
            e = errors[k]
            if not found[k] and s < e.end and e.start < t:
                found[k] = True
                hits[r] = True
                break
    return _ap_at(hits, len(errors))


def _ap_at(hits: np.ndarray, n_true: int) -> dict[str, float]:
    cum = np.cumsum(hits)
    prec = cum / np.arange(1, len(hits) + 1) if len(hits) else np.zeros(0)
    ap = float(prec[hits].sum() / n_true) if n_true else 0.0
    out = {"AP": ap}
    for k in (50, 100, 200):
        out[f"P@{k}"] = float(cum[min(k, len(hits)) - 1] / k) if len(hits) else 0.0
    return out


def sentence_metrics(scores: np.ndarray, errors: list[Injected]) -> dict[str, float]:
    truth = np.zeros(len(scores), dtype=bool)
    truth[[e.doc for e in errors]] = True
    order = np.argsort(-scores, kind="stable")
    return _ap_at(truth[order], int(truth.sum()))


def queue_items(queue: list[Suspect], docs: list[LoadedDoc]) -> tuple[list[tuple[int, int, int]], np.ndarray]:
    """The queue's spans as (doc, start, end), and per doc the highest score of its suspects."""
    where = {(ld.file, ld.index): d for d, ld in enumerate(docs)}
    items = [(where[(s.file, s.doc)], s.start, s.end) for s in queue]
    sent = np.zeros(len(docs))
    for s, (d, _a, _b) in zip(queue, items, strict=True):
        sent[d] = max(sent[d], s.score)
    return items, sent


def sentence_order(ranked: list[SentenceScore], docs: list[LoadedDoc]) -> np.ndarray:
    """The product's sentence ranking as a score per doc (its best-ranked sentence: higher first)."""
    where = {(ld.file, ld.index): d for d, ld in enumerate(docs)}
    out = np.full(len(docs), -float(len(ranked)))
    for rank, s in enumerate(ranked):
        d = where[(s.file, s.doc)]
        out[d] = max(out[d], -float(rank))
    return out


# -- runs -----------------------------------------------------------------------------------------


def load(data: Path, corpus: str, n: int) -> tuple[list[LoadedDoc], list[str]]:
    if corpus == "ewt":
        docs = load_corpora([data / "ud_english_ewt" / "en_ewt-ud-train.part1of4.conllu"])[:n]
        for ld in docs:
            ld.doc.pos = ld.doc.morphs = ld.doc.lemmas = None
        return docs, ["tags", "deps", "heads"]
    docs = load_corpora([data / "conll2002_es" / "esp.train"])[:n]
    for ld in docs:
        ld.doc.tags = ld.doc.pos = None
    return docs, ["ents"]


def _part(part: str, n: int) -> np.ndarray:
    """Which sentences are scored: all, or the first or second half (a tune / held-out split)."""
    keep = np.zeros(n, dtype=bool)
    if part == "first":
        keep[: n // 2] = True
    elif part == "second":
        keep[n // 2 :] = True
    else:
        keep[:] = True
    return keep


def run_quality(args: argparse.Namespace, corpus: str) -> None:
    docs, layers = load(args.data, corpus, args.sentences)
    rng = random.Random(args.seed)
    errors = (inject_ewt if corpus == "ewt" else inject_ner)(docs, args.rate, rng)
    n_tok = sum(len(ld.doc) for ld in docs)
    kinds: dict[str, int] = {}
    for e in errors:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    print(f"\n== {corpus}: {len(docs)} sentences, {n_tok} tokens, {len(errors)} injected errors {kinds}")
    t0 = time.perf_counter()
    settings = FoldSettings(folds=args.folds, epochs=args.epochs)
    if args.cache_dir:
        probs = cross_validate(docs, settings, cache_dir=Path(args.cache_dir))
    else:
        with tempfile.TemporaryDirectory() as cache:
            probs = cross_validate(docs, settings, cache_dir=Path(cache))
    t1 = time.perf_counter()
    ngram = find_variation(docs, layers=tuple(layers))
    t2 = time.perf_counter()
    ngram_raw = find_variation(docs, layers=tuple(layers))
    evidence = sentence_evidence(docs, probs, ngram_raw)  # before combine (which rescores n-grams)
    ours = combine(docs, model_suspects(docs, probs), ngram_raw, probs)
    ours = [s for s in ours if s.layer in layers]
    ours_sent = sentence_order(rank_sentences(docs, ours, evidence), docs)
    t3 = time.perf_counter()
    _ensure_cleanlab()
    cl_items, cl_sent = cleanlab_queue(docs, probs, layers)
    t4 = time.perf_counter()
    print(
        f"   cross-validation {t1 - t0:.1f} s ({args.folds} folds x {args.epochs} epochs); "
        f"n-grams {t2 - t1:.2f} s; "
        f"ranking {t3 - t2:.2f} s; cleanlab {t4 - t3:.2f} s"
    )
    ngram_sent = sentence_order(rank_sentences(docs, ngram, sentence_evidence(docs, None, ngram)), docs)
    ours_items, ours_max = queue_items(ours, docs)
    keep = _part(args.part, len(docs))
    errors = [e for e in errors if keep[e.doc]]
    if args.part != "all":
        print(f"   scored on the {args.part} half of the sentences only: {len(errors)} injected errors")
    rows = []
    for name, items, sent in (
        ("corpuskit (all)", ours_items, ours_sent),
        ("  max span score", ours_items, ours_max),
        ("n-grams alone", queue_items(ngram, docs)[0], ngram_sent),
        ("cleanlab", [(d, a, b) for d, a, b, _ in cl_items], cl_sent),
    ):
        items = [it for it in items if keep[it[0]]]
        sent = np.where(keep, sent, -np.inf)  # sentences of the other half rank last, never hits
        rows.append((name, len(items), sentence_metrics(sent, errors), span_metrics(items, errors)))
    print(f"   {'queue':<16} {'items':>6}  sentence AP  P@50  P@100  P@200 |  span AP  P@50  P@100  P@200")
    for name, n, sm, pm in rows:
        print(
            f"   {name:<16} {n:>6}  {sm['AP']:>11.3f} {sm['P@50']:>5.2f} {sm['P@100']:>6.2f}"
            f" {sm['P@200']:>6.2f}"
            f" | {pm['AP']:>8.3f} {pm['P@50']:>5.2f} {pm['P@100']:>6.2f} {pm['P@200']:>6.2f}"
        )


def run_speed(args: argparse.Namespace) -> None:
    parts = sorted((args.data / "ud_english_ewt").glob("en_ewt-ud-train.part*of4.conllu"))
    text = "".join(p.read_text(encoding="utf-8") for p in parts)
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "ewt_x.conllu"
        big.write_text(text * args.copies, encoding="utf-8")
        env = dict(os.environ)
        conv = [sys.executable, "-m", "corpuskit", "convert", str(big), str(Path(tmp) / "out"), "-n", "10"]
        find = [
            sys.executable,
            "-m",
            "corpuskit",
            "find-errors",
            str(big),
            "--method",
            "ngram",
            "--top",
            "10",
        ]
        times: dict[str, list[float]] = {"convert": [], "find-errors --method ngram": []}
        for _ in range(args.runs):
            for name, cmd in (("convert", conv), ("find-errors --method ngram", find)):
                t = time.perf_counter()
                subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
                times[name].append(time.perf_counter() - t)
        n_tok = 204577 * args.copies
        print(f"\n== speed: EWT train x{args.copies} (~{n_tok:,} tokens), {args.runs} interleaved runs")
        for name, ts in times.items():
            print(f"   {name:<28} median {np.median(ts):6.2f} s  runs {', '.join(f'{t:.2f}' for t in ts)}")
        ratio = np.median(times["find-errors --method ngram"]) / np.median(times["convert"])
        print(f"   find-errors --method ngram / convert: {ratio:.2f}x (target: at most 3x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--corpus", default="ewt,ner")
    ap.add_argument("--sentences", type=int, default=2500)
    ap.add_argument("--rate", type=float, default=0.08)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--part",
        choices=["all", "first", "second"],
        default="all",
        help="Score only the first or second half of the sentences (a tune / held-out split).",
    )
    ap.add_argument("--cache-dir", help="Keep the fold models here (reused by a later run).")
    ap.add_argument("--speed", action="store_true", help="Only the speed comparison with convert.")
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if args.speed:
        run_speed(args)
        return
    for corpus in args.corpus.split(","):
        run_quality(args, corpus)


if __name__ == "__main__":
    main()
