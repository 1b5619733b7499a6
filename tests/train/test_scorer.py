"""Scores, hand-computed, under spaCy's names."""

from __future__ import annotations

import pytest

from corpuskit.doc import Doc, Span
from corpuskit.train import Example
from corpuskit.train.scorer import score_deps, score_sents, score_spans, score_token_attr, score_tokenization


def _pair(pred: Doc, gold: Doc) -> list[Example]:
    return [Example(pred, gold)]


def test_tag_accuracy_skips_missing_gold() -> None:
    gold = Doc(words=["a", "b", "c", "d"], tags=["X", "Y", None, "Z"])
    pred = Doc(words=["a", "b", "c", "d"], tags=["X", "X", "Q", "Z"])
    assert score_token_attr(_pair(pred, gold), "tags") == pytest.approx(2 / 3)
    assert score_token_attr(_pair(pred, Doc(words=["a", "b", "c", "d"])), "tags") is None


def test_uas_las_exclude_punctuation() -> None:
    gold = Doc(words=["He", "ran", "."], heads=[1, 1, 1], deps=["nsubj", "ROOT", "punct"])
    pred = Doc(words=["He", "ran", "."], heads=[1, 1, 0], deps=["obj", "ROOT", "punct"])
    scores = score_deps(_pair(pred, gold))
    assert scores["dep_uas"] == pytest.approx(1.0)  # the wrong punct arc does not count
    assert scores["dep_las"] == pytest.approx(0.5)
    assert scores["dep_las_per_type"]["ROOT"]["f"] == pytest.approx(1.0)
    assert scores["dep_las_per_type"]["nsubj"]["r"] == pytest.approx(0.0)


def test_entity_prf_and_per_type() -> None:
    gold = Doc(words=list("abcdef"), ents=[Span(0, 2, "PER"), Span(3, 4, "LOC")])
    pred = Doc(words=list("abcdef"), ents=[Span(0, 2, "PER"), Span(4, 5, "LOC"), Span(5, 6, "ORG")])
    s = score_spans(_pair(pred, gold))
    assert (s["ents_p"], s["ents_r"]) == (pytest.approx(1 / 3), pytest.approx(1 / 2))
    assert s["ents_f"] == pytest.approx(0.4)
    assert s["ents_per_type"]["PER"] == {
        "p": pytest.approx(1.0),
        "r": pytest.approx(1.0),
        "f": pytest.approx(1.0),
    }
    assert s["ents_per_type"]["LOC"]["f"] == pytest.approx(0.0)


def test_tokenization_errors_count_in_token_acc_and_not_in_ner() -> None:
    gold = Doc(words=["Ann", "New", "York"], ents=[Span(0, 1, "PER"), Span(1, 3, "GPE")])
    pred = Doc(words=["Ann", "New", "Yo", "rk"], spaces=[True, True, False, True])
    pred.ents = [Span(0, 1, "PER"), Span(1, 3, "GPE")]  # "New Yo": ends inside the gold "York"
    eg = _pair(pred, gold)
    gold.spaces, gold.has_unknown_spaces = [True, True, True], False
    tok = score_tokenization(eg)
    assert tok["token_acc"] == pytest.approx(2 / 4)
    s = score_spans(eg)
    # The entity cut by a tokenization error is left out of precision, and missed in recall.
    assert s["ents_p"] == pytest.approx(1.0) and s["ents_r"] == pytest.approx(0.5)


def test_sentence_prf() -> None:
    gold = Doc(words=list("abcd"), sent_starts=[True, False, True, False])
    pred = Doc(words=list("abcd"), sent_starts=[True, False, True, True])
    s = score_sents(_pair(pred, gold))
    assert s["sents_p"] == pytest.approx(1 / 3) and s["sents_r"] == pytest.approx(1 / 2)


def test_nothing_to_score_gives_none() -> None:
    eg = _pair(Doc(words=["a"]), Doc(words=["a"]))
    assert score_spans(eg)["ents_f"] is None
    assert score_deps(eg)["dep_uas"] is None
