"""The training loop's settings: batching, limit, max_length, accumulation, augmentation, stopping."""

from __future__ import annotations

import random
import subprocess
import sys
from typing import Any

import corpuskit
from corpuskit.doc import Doc, Span
from corpuskit.train import Example, Pipeline
from corpuskit.train.config import resolve_training
from corpuskit.train.loop import (
    batch_by_words,
    make_examples,
    orth_variant,
    train_pipeline,
    weighted_score,
)


def test_import_corpuskit_does_not_import_thinc() -> None:
    code = "import sys, corpuskit; assert 'thinc' not in sys.modules; print(corpuskit.Example.__module__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "corpuskit.train.example"
    assert corpuskit.load is corpuskit.train.load


def test_batches_hold_about_size_words() -> None:
    egs = [Example(Doc(words=["w"] * n), Doc(words=["w"] * n)) for n in (3, 3, 3, 9, 2, 20, 1)]
    batches = list(batch_by_words(egs, iter([6, 6, 6, 6, 6, 6, 6]), discard_oversize=False))
    # An oversize doc gets a batch of its own at once; the others keep filling the current one.
    assert [[len(e.predicted) for e in b] for b in batches] == [[3, 3], [9], [20], [3, 2, 1]]
    batches = list(batch_by_words(egs, 10, discard_oversize=True))
    assert [[len(e.predicted) for e in b] for b in batches] == [[3, 3, 3], [9], [2, 1]]


def test_limit_and_max_length(ewt_train: list[Any], small_config: Any) -> None:
    nlp = Pipeline.from_config(small_config(["tagger"]))
    assert len(make_examples(ewt_train, nlp, gold_preproc=True, limit=7)) == 7
    two = Doc(
        words=["A", "b", ".", "C", "d", "e", "."],
        heads=[1, 1, 1, 4, 4, 4, 4],
        deps=["x", "ROOT", "p", "x", "ROOT", "x", "p"],
        ents=[Span(3, 4, "X")],
    )
    parts = make_examples([two], nlp, gold_preproc=True, max_length=5)
    assert [p.reference.words for p in parts] == [["A", "b", "."], ["C", "d", "e", "."]]
    assert parts[1].reference.heads == [1, 1, 1, 1]
    assert parts[1].reference.ents == [Span(0, 1, "X")]
    assert [p.reference.words for p in make_examples([two], nlp, gold_preproc=True, max_length=3)] == [
        ["A", "b", "."]
    ]


def test_gold_preproc_false_uses_the_tokenizer(small_config: Any) -> None:
    nlp = Pipeline.from_config(small_config(["tagger"]))
    gold = Doc(words=["I", "do", "n't", "know", "U.K.", "!"], spaces=[True, False, True, True, False, False])
    (eg,) = make_examples([gold], nlp, gold_preproc=False)
    assert "".join(eg.predicted.words) == "Idon'tknowU.K.!"
    assert eg.predicted is not gold
    (eg,) = make_examples([gold], nlp, gold_preproc=True)
    assert eg.predicted.words == gold.words


def test_orth_variants_keep_the_annotation() -> None:
    gold = Doc(words=["“", "Hi", "”"], tags=["``", "UH", "''"])
    eg = Example(Doc(words=list(gold.words)), gold)
    rng = random.Random(3)
    variants = {tuple(orth_variant(eg, rng, 1.0).predicted.words) for _ in range(20)}
    assert variants == {('"', "Hi", '"'), ('"', "hi", '"')}
    assert orth_variant(eg, rng, 1.0).reference.tags == gold.tags
    assert orth_variant(eg, rng, 0.0) is eg


def test_weighted_score() -> None:
    assert (
        weighted_score({"tag_acc": 0.8, "dep_las": 0.6}, {"tag_acc": 0.5, "dep_las": 0.5, "x": None}) == 0.7
    )
    assert weighted_score({"tag_acc": None}, {"tag_acc": 1.0}) == 0.0


def test_stopping_rules_and_accumulation(ewt_train: list[Any], ewt_dev: list[Any], small_config: Any) -> None:
    def run(learn_rate: float = 0.001, **training: Any) -> list[Any]:
        cfg = small_config(["tagger"], **training)
        cfg["training"]["optimizer"]["learn_rate"] = learn_rate
        nlp = Pipeline.from_config(cfg)
        return list(train_pipeline(nlp, ewt_train, ewt_dev[:5], resolve_training(cfg.interpolate())))

    infos = run(max_steps=0, max_epochs=2, batch_size=100000, eval_frequency=100)
    assert [(i.epoch, i.step) for i in infos] == [(1, 2)]  # one batch per epoch, evaluated at the end
    infos = run(max_steps=7, eval_frequency=3, accumulate_gradient=2, orth_variant_level=0.5)
    assert [i.step for i in infos] == [3, 6, 7]
    assert all(i.losses["tagger"] > 0 for i in infos)
    # Nothing is learnt (learn rate 0): the first score stays the best; patience 2 stops at step 3.
    infos = run(learn_rate=0.0, max_steps=50, patience=2, eval_frequency=1, batch_size=300)
    assert [(i.step, i.is_best) for i in infos] == [(1, True), (2, False), (3, False)]


def test_averaged_weights_are_scored_and_saved(
    ewt_train: list[Any], ewt_dev: list[Any], small_config: Any, tmp_path: Any
) -> None:
    cfg = small_config(["tagger"], max_steps=6, eval_frequency=3)
    cfg["training"]["optimizer"]["use_averages"] = True
    nlp = Pipeline.from_config(cfg)
    settings = resolve_training(cfg.interpolate())
    infos = list(train_pipeline(nlp, ewt_train, ewt_dev[:5], settings, output_dir=tmp_path))
    saved = corpuskit.load(tmp_path / "model-last")
    live = [nlp(d.text).tags for d in ewt_dev[:5]]
    averaged = [saved(d.text).tags for d in ewt_dev[:5]]
    assert averaged != live  # model-last holds the averages, not the last step's weights
    # ... and they are what the last evaluation scored
    rescored = saved.evaluate([Example(saved(d.text), d) for d in ewt_dev[:5]])
    assert rescored["tag_acc"] == infos[-1].scores["tag_acc"]
