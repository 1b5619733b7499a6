"""Sentence-level ranking (`find-errors --by sentence`): the CRF path probabilities, the evidence,
the ranking on real slices with known injected errors, and the JSON that carries the scores."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from finderrors_helpers import WNUT, WNUT_EDITS

from corpuskit.cli import cli
from corpuskit.doc import Span
from corpuskit.finderrors import Suspect
from corpuskit.finderrors.corpus import load_corpora
from corpuskit.finderrors.model import (
    FoldSettings,
    _fold_config,
    _layers_of,
    _train_fold,
    cross_validate,
    score_with_model,
)
from corpuskit.finderrors.ngram import find_variation
from corpuskit.finderrors.paths import sentence_paths
from corpuskit.finderrors.queue import find_errors
from corpuskit.finderrors.sentences import rank_sentences, sentence_evidence
from corpuskit.train.decoders import biluo_crf_loss, is_valid_biluo

TINY = FoldSettings(folds=2, epochs=1, width=32, depth=1, parser_width=32)


def _brute_force(emit: np.ndarray, trans: np.ndarray, n_labels: int, gold: tuple[int, ...]):
    """log P(gold) and log P(best) by enumerating every valid BILUO sequence."""
    t, k = emit.shape
    seqs = [s for s in itertools.product(range(k), repeat=t) if is_valid_biluo(list(s), n_labels)]

    def score(s: tuple[int, ...]) -> float:
        return float(emit[np.arange(t), s].sum() + sum(trans[a, b] for a, b in itertools.pairwise(s)))

    scores = np.asarray([score(s) for s in seqs])
    log_z = np.log(np.exp(scores - scores.max()).sum()) + scores.max()
    return score(gold) - log_z, scores.max() - log_z


def test_sentence_paths_match_enumeration_and_the_crf_loss():
    rng = np.random.default_rng(7)
    n_labels, k = 2, 9
    trans = rng.normal(size=(k, k))
    emit = rng.normal(size=(3, 4, k))
    golds = [(0, 1, 3, 0), (4, 0, 5, 7), (0, 8)]  # the last one is 2 tokens long (padded)
    gold_ids = np.full((3, 4), -2, dtype=np.int64)
    for r, g in enumerate(golds):
        gold_ids[r, : len(g)] = g
    paths = sentence_paths(emit, gold_ids, n_labels, trans)
    for r, g in enumerate(golds):
        want_gold, want_best = _brute_force(emit[r, : len(g)], trans, n_labels, g)
        assert paths[r] == pytest.approx([want_gold, want_best])
        loss, _d, _t = biluo_crf_loss(
            emit[r : r + 1, : len(g)], np.asarray([len(g)]), gold_ids[r : r + 1, : len(g)], trans, n_labels
        )
        assert paths[r, 0] == pytest.approx(-loss)
    # An unknown gold tag (-1) is marginalised: P(gold) sums over what it could be.
    gold_ids[0, 0] = -1  # O, L-X or U-X before B-0
    unknown = sentence_paths(emit[:1], gold_ids[:1], n_labels, trans)
    assert unknown[0, 0] > paths[0, 0] and unknown[0, 0] <= unknown[0, 1] + 1e-9


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


def test_model_sentence_evidence_is_the_entity_log_ratio(tmp_path: Path):
    docs = load_corpora([WNUT])[:120]
    probs = cross_validate(docs, TINY, cache_dir=tmp_path)
    evidence = sentence_evidence(docs, probs, [])
    for ld, p, ev in zip(docs, probs, evidence, strict=True):
        assert p.ents_paths is not None and p.ents_paths.shape == (len(ld.doc.sentence_bounds()), 2)
        assert (p.ents_paths[:, 0] <= p.ents_paths[:, 1] + 1e-9).all() and (p.ents_paths <= 1e-9).all()
        assert [e.total for e in ev] == pytest.approx([e.model["ents"] for e in ev])
        assert [e.model["ents"] for e in ev] == pytest.approx(p.ents_paths[:, 1] - p.ents_paths[:, 0])
    ranked = rank_sentences(docs, [], evidence)
    assert [s.evidence["log_ratio"] for s in ranked] == sorted(
        (s.evidence["log_ratio"] for s in ranked), reverse=True
    )


@pytest.mark.slow
def test_an_injected_type_swap_ranks_above_the_sentences_the_model_agrees_with(tmp_path: Path):
    docs = load_corpora([WNUT])
    settings = FoldSettings(folds=2, epochs=2, width=64, depth=1)
    _train_fold(
        [d.doc for d in docs], _fold_config(_layers_of(docs), settings), settings, tmp_path / "m", print
    )
    evidence = sentence_evidence(docs, score_with_model(tmp_path / "m", docs), [])
    # Docs whose entities are the model's best reading: no evidence against them.
    agree = [d for d, ev in enumerate(evidence) if ev[0].total == 0.0 and docs[d].doc.ents]
    assert len(agree) >= 2
    d = agree[0]
    e = docs[d].doc.ents[0]
    other = next(lab for lab in ("person", "location", "corporation") if lab != e.label)
    docs[d].doc.ents = [Span(e.start, e.end, other), *docs[d].doc.ents[1:]]
    # The same model, the same words: only the annotation of doc d changed.
    ranked = rank_sentences(docs, [], sentence_evidence(docs, score_with_model(tmp_path / "m", docs), []))
    swapped = next(r for r, s in enumerate(ranked) if s.doc == docs[d].index)
    assert ranked[swapped].evidence["model"]["ents"] > 0
    assert all(ranked.index(s) > swapped for s in ranked if s.doc in {docs[k].index for k in agree[1:]})


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
