"""Sentence-level ranking (`find-errors --by sentence`): the CRF path probabilities, the evidence,
the ranking on real slices with known injected errors, and the JSON that carries the scores."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from finderrors_helpers import WNUT, WNUT_EDITS

from corpuskit.cli import cli
from corpuskit.finderrors import Suspect
from corpuskit.finderrors.corpus import load_corpora
from corpuskit.finderrors.model import (
    FoldSettings,
    cross_validate,
)
from corpuskit.finderrors.ngram import find_variation
from corpuskit.finderrors.queue import find_errors
from corpuskit.finderrors.score import _biluo_ids, gold_iob_probs
from corpuskit.finderrors.sentences import rank_sentences, sentence_evidence

TINY = FoldSettings(folds=2, epochs=1, width=32, depth=1, parser_width=32)


def test_ngram_sentence_ranking_puts_the_injected_sentences_first():
    docs = load_corpora([WNUT])
    queue = find_errors([WNUT], method="ngram", docs=docs)
    ranked = queue.sentences()
    assert len(ranked) == sum(len(ld.doc.sentence_bounds()) for ld in docs)
    where = [(s.file, s.line) for s in ranked]
    for line, (_layer, _cur, _sug, doc, _a, _b) in WNUT_EDITS.items():
        rank = next(r for r, s in enumerate(ranked) if s.doc == doc)
        # Each of the 3 injected sentences is in the first 5% of the 900 (most have no evidence).
        assert rank < len(ranked) * 0.05, (line, rank, where[:rank])
        assert any(s.line == line or s.start <= WNUT_EDITS[line][4] < s.end for s in ranked[rank].suspects)
    scores = [s.score for s in ranked]
    assert scores == sorted(scores, reverse=True)
    assert ranked[-1].score == 0.0 and ranked[-1].suspects == []


def test_model_sentence_evidence_is_the_most_doubtful_token(tmp_path: Path):
    docs = load_corpora([WNUT])[:120]
    probs = cross_validate(docs, TINY, cache_dir=tmp_path)
    evidence = sentence_evidence(docs, probs, [])
    # Recompute by hand: per IOB class the mean probability of the gold tag is its threshold.
    pg, cls = [], []
    for ld, p in zip(docs, probs, strict=True):
        g = _biluo_ids(ld.doc, p.labels["ents"])
        pg.append(gold_iob_probs(p.ents, g))
        cls.append(
            [("O" if t == 0 else ("B" if (t - 1) % 4 in (0, 3) else "I") + str((t - 1) // 4)) for t in g]
        )
    flat = [(c, p) for cs, ps in zip(cls, pg, strict=True) for c, p in zip(cs, ps, strict=True)]
    t = {c: np.mean([p for c2, p in flat if c2 == c]) for c in {c for c, _ in flat}}
    for ps, cs, ev in zip(pg, cls, evidence, strict=True):
        want = max(-np.log(min(1.0, p / t[c])) for p, c in zip(ps, cs, strict=True))
        assert ev[0].ents == pytest.approx(want) and ev[0].total == pytest.approx(want)
    ranked = rank_sentences(docs, [], evidence)
    totals = [s.evidence["total"] for s in ranked]
    assert totals == sorted(totals, reverse=True) and totals[0] > 0


def test_by_sentence_json_and_jsonl_carry_the_sentence_scores(tmp_path: Path):
    runner = CliRunner()
    res = runner.invoke(
        cli,
        ["find-errors", str(WNUT), "--method", "ngram", "--by", "sentence", "--format", "json", "--top", "5"],
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert len(rows) == 5
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    for r in rows:
        assert set(r) == {"file", "line", "doc", "start", "end", "text", "score", "evidence", "suspects"}
        assert r["file"] == str(WNUT) and 0 < r["score"] <= 1
        assert r["evidence"]["ngram"] > 0 and r["suspects"]
        for s in map(Suspect.from_dict, r["suspects"]):
            assert s.doc == r["doc"] and r["start"] <= s.start < r["end"]
    jsonl = runner.invoke(
        cli,
        [
            "find-errors",
            str(WNUT),
            "--method",
            "ngram",
            "--by",
            "sentence",
            "--format",
            "jsonl",
            "--top",
            "5",
        ],
    )
    assert [json.loads(line) for line in jsonl.stdout.splitlines()] == rows
    text = runner.invoke(
        cli, ["find-errors", str(WNUT), "--method", "ngram", "--by", "sentence", "--top", "3"]
    )
    assert text.exit_code == 0 and "sentence(s), most likely wrong first; the top 3:" in text.stdout
    assert f"{WNUT}:" in text.stdout
    # The export of a sentence ranking holds the suspects of the sentences shown.
    out = tmp_path / "tasks.jsonl"
    exported = runner.invoke(
        cli,
        [
            "find-errors",
            str(WNUT),
            "--method",
            "ngram",
            "--by",
            "sentence",
            "--top",
            "5",
            "--export",
            "doccano",
            "--export-output",
            str(out),
        ],
    )
    assert exported.exit_code == 0, exported.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == sum(len(r["suspects"]) for r in rows)


def test_ngram_evidence_without_a_model_is_a_noisy_or_of_the_suspects():
    docs = load_corpora([WNUT])[:300]
    ngram = find_variation(docs)
    evidence = sentence_evidence(docs, None, ngram)
    for ld, ev in zip(docs, evidence, strict=True):
        mine = [s.score for s in ngram if s.doc == ld.index]
        assert ev[0].total == pytest.approx(-np.log(np.prod([1.0 - s for s in mine])) if mine else 0.0)
