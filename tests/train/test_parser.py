"""The dependency parser learns, always outputs trees, leaves unknown heads out, saves and loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from corpuskit.doc import Doc
from corpuskit.train import Example, Pipeline
from corpuskit.train.decoders import is_tree
from corpuskit.train.parser import ROOT_LABEL, DependencyParser


def _config(small_config: Any) -> Any:
    """The tests' fast config, with a narrow parser."""
    cfg = small_config(["parser"])
    cfg["components"]["parser"]["model"]["hidden_width"] = 64
    cfg["components"]["parser"]["model"]["label_width"] = 32
    return cfg


def _examples(docs: list[Any]) -> list[Example]:
    return [Example(Doc(words=list(d.words), spaces=list(d.spaces)), d) for d in docs]


def _train(nlp: Pipeline, train: list[Example], epochs: int) -> list[float]:
    optimizer = nlp.initialize(lambda: train)
    losses = []
    for _ in range(epochs):
        epoch: dict[str, float] = {}
        for i in range(0, len(train), 8):
            nlp.update(train[i : i + 8], sgd=optimizer, losses=epoch)
        losses.append(epoch["parser"])
    return losses


def _check_trees(doc: Doc) -> None:
    assert doc.heads is not None and doc.deps is not None and doc.sent_starts is not None
    for start, end in doc.sentence_bounds():
        local = [h - start for h in doc.heads[start:end]]  # type: ignore[operator]
        assert is_tree(local), (start, end, doc.heads)
        for i, h in enumerate(doc.heads[start:end], start=start):
            assert (doc.deps[i] == ROOT_LABEL) == (h == i)


def test_loss_falls_and_attachment_rises(ewt_train: list[Any], small_config: Any) -> None:
    cfg = _config(small_config)
    cfg["training"]["optimizer"]["learn_rate"] = 0.01
    nlp = Pipeline.from_config(cfg)
    train = _examples(ewt_train)
    nlp.initialize(lambda: train)
    before = nlp.evaluate(train)
    losses = _train(nlp, train, 4)
    after = nlp.evaluate(train)
    assert losses[-1] < losses[0] / 2, losses
    assert after["dep_uas"] > before["dep_uas"] + 0.3, (before["dep_uas"], after["dep_uas"])
    assert after["dep_las"] > before["dep_las"] + 0.3, (before["dep_las"], after["dep_las"])


def test_predictions_are_trees_and_survive_save_and_load(
    ewt_train: list[Any], ewt_dev: list[Any], small_config: Any, tmp_path: Path
) -> None:
    nlp = Pipeline.from_config(_config(small_config))
    _train(nlp, _examples(ewt_train), 2)
    docs = [Doc(words=list(d.words)) for d in ewt_dev]
    # One sentence per doc, known: one root each.
    known = [Doc(words=list(d.words), sent_starts=[True] + [False] * (len(d) - 1)) for d in ewt_dev]
    # Three sentences in one doc, unknown: the parser cuts it into sentences, one tree each.
    joined = Doc(words=[w for d in ewt_dev[:3] for w in d.words])
    list(nlp.pipe([*docs, *known, joined]))
    for doc in [*docs, *known, joined]:
        _check_trees(doc)
    for doc in known:
        assert sum(1 for i, h in enumerate(doc.heads or []) if h == i) == 1
    nlp.to_disk(tmp_path / "model")
    from corpuskit.train import load

    again = load(tmp_path / "model")
    docs2 = [Doc(words=list(d.words)) for d in ewt_dev]
    list(again.pipe(docs2))
    assert [d.heads for d in docs2] == [d.heads for d in docs]
    assert [d.deps for d in docs2] == [d.deps for d in docs]
    assert isinstance(again.get_pipe("parser"), DependencyParser)


def test_unknown_heads_and_labels_are_left_out(small_config: Any) -> None:
    nlp = Pipeline.from_config(_config(small_config))
    full = Doc(words=["I", "saw", "it", "."], heads=[1, 1, 1, 1], deps=["nsubj", "root", "obj", "punct"])
    nlp.initialize(lambda: [Example(Doc(words=full.words), full)])
    parser = nlp.get_pipe("parser")
    assert parser.labels == ["nsubj", "obj", "punct"]  # "root" is the ROOT label, not learned
    docs = [Doc(words=full.words)]
    tokvecs = nlp.tok2vec.predict(docs)
    nothing = Doc(words=full.words, heads=[None] * 4, deps=[None] * 4)
    loss, d = parser.update([Example(docs[0], nothing)], tokvecs)
    assert loss == 0.0 and np.abs(np.asarray(d[0])).sum() == 0
    full_loss, _ = parser.update([Example(docs[0], full)], tokvecs)
    unlabelled = Doc(words=full.words, heads=[1, 1, 1, 1], deps=[None] * 4)
    arc_loss, d = parser.update([Example(docs[0], unlabelled)], tokvecs)
    assert 0 < arc_loss < full_loss
    partial = Doc(words=full.words, heads=[1, 1, None, None], deps=["nsubj", "root", None, None])
    part_loss, d = parser.update([Example(docs[0], partial)], tokvecs)
    assert 0 < part_loss < arc_loss
    assert np.isfinite(np.asarray(d[0])).all()


def test_sentences_come_from_the_predicted_doc(small_config: Any) -> None:
    gold = Doc(
        words=["Dogs", "bark", ".", "Cats", "sleep", "."],
        heads=[1, 1, 1, 4, 4, 4],
        deps=["nsubj", "ROOT", "punct", "nsubj", "ROOT", "punct"],
    )
    train = [Example(Doc(words=gold.words), gold)] * 4
    nlp = Pipeline.from_config(_config(small_config))
    _train(nlp, train, 8)
    doc = Doc(words=gold.words, sent_starts=[True, False, False, True, False, False])
    nlp(doc)
    _check_trees(doc)
    assert doc.heads is not None
    assert all(0 <= h < 3 for h in doc.heads[:3]) and all(3 <= h < 6 for h in doc.heads[3:])
    free = nlp(Doc(words=gold.words))
    _check_trees(free)
    assert free.heads == gold.heads
    assert free.sent_starts == [True, False, False, True, False, False]
