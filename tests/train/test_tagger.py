"""The tagger learns: loss falls, accuracy rises; missing tags are left out of the loss."""

from __future__ import annotations

from typing import Any

import numpy as np

from corpuskit.doc import Doc
from corpuskit.train import Example, Pipeline


def _examples(docs: list[Any]) -> list[Example]:
    return [Example(Doc(words=list(d.words), spaces=list(d.spaces)), d) for d in docs]


def test_loss_falls_and_accuracy_rises(ewt_train: list[Any], small_config: Any) -> None:
    cfg = small_config(["tagger"])
    cfg["training"]["optimizer"]["learn_rate"] = 0.005
    nlp = Pipeline.from_config(cfg)
    train = _examples(ewt_train)
    optimizer = nlp.initialize(lambda: train)
    before = nlp.evaluate(train)["tag_acc"]
    losses = []
    for _ in range(4):
        epoch: dict[str, float] = {}
        for i in range(0, len(train), 8):
            nlp.update(train[i : i + 8], sgd=optimizer, losses=epoch)
        losses.append(epoch["tagger"])
    after = nlp.evaluate(train)["tag_acc"]
    assert losses[-1] < losses[0] / 2, losses
    assert after > before + 0.3, (before, after)


def test_missing_tags_are_left_out_of_the_loss(small_config: Any) -> None:
    nlp = Pipeline.from_config(small_config(["tagger"]))
    full = Doc(words=["a", "b", "c"], tags=["X", "Y", "X"])
    optimizer = nlp.initialize(lambda: [Example(Doc(words=full.words), full)])
    nlp.update([Example(Doc(words=full.words), full)], sgd=optimizer)  # W starts at zero
    tagger = nlp.get_pipe("tagger")
    partial = Doc(words=["a", "b", "c"], tags=[None, "Y", None])
    docs = [Doc(words=partial.words)]
    tokvecs = nlp.tok2vec.predict(docs)
    loss, d_tokvecs = tagger.update([Example(docs[0], partial)], tokvecs)
    d = np.asarray(d_tokvecs[0])
    assert loss > 0
    assert np.abs(d[0]).sum() == 0 and np.abs(d[2]).sum() == 0  # no gradient from missing tokens
    assert np.abs(d[1]).sum() > 0
    nothing = Doc(words=["a", "b", "c"], tags=[None, None, None])
    loss, d_tokvecs = tagger.update([Example(docs[0], nothing)], tokvecs)
    assert loss == 0.0 and np.abs(np.asarray(d_tokvecs[0])).sum() == 0


def test_tags_are_projected_through_the_alignment(small_config: Any) -> None:
    nlp = Pipeline.from_config(small_config(["tagger"]))
    gold = Doc(words=["I", "do", "n't", "go"], spaces=[True, False, True, False], tags=["P", "V", "R", "V"])
    predicted = Doc(words=["I", "don't", "go"], spaces=[True, True, False])
    eg = Example(predicted, gold)
    nlp.initialize(lambda: [eg])
    assert nlp.get_pipe("tagger").labels == ["P", "R", "V"]
    assert eg.get_aligned("tags") == ["P", None, "V"]
    losses = nlp.update([eg], sgd=nlp.create_optimizer())
    assert losses["tagger"] > 0
