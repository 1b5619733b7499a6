"""The entity recogniser learns, only outputs valid BILUO, leaves missing tokens out, saves and loads."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np

from corpuskit.doc import Doc, Span
from corpuskit.tags import biluo_to_spans, spans_to_biluo
from corpuskit.train import Example, Pipeline, load
from corpuskit.train.decoders import biluo_tag_names
from corpuskit.train.ner import EntityRecognizer

_PEOPLE = [["Ana", "Lopez"], ["Bob"], ["Carla", "Maria", "Diaz"], ["Dan"], ["Eva", "Ruiz"]]
_PLACES = [["Madrid"], ["New", "York"], ["Lima"], ["Rio", "de", "Janeiro"], ["Oslo"]]
_ORGS = [["Acme"], ["Banco", "Central"], ["UNESCO"]]


def _corpus(n: int, seed: int = 0) -> list[Doc]:
    """Small sentences with PER, LOC and ORG entities of one to three tokens."""
    rng = random.Random(seed)
    docs = []
    for _ in range(n):
        per, loc, org = rng.choice(_PEOPLE), rng.choice(_PLACES), rng.choice(_ORGS)
        parts: list[tuple[list[str], str]] = [
            (per, "PER"),
            (["works", "for"], ""),
            (org, "ORG"),
            (["in"], ""),
            (loc, "LOC"),
            (["."], ""),
        ]
        if rng.random() < 0.5:
            parts = [(["Yesterday", ","], ""), *parts]
        words: list[str] = []
        ents = []
        for toks, label in parts:
            if label:
                ents.append(Span(len(words), len(words) + len(toks), label))
            words.extend(toks)
        docs.append(Doc(words=words, ents=ents))
    return docs


def _examples(docs: list[Doc]) -> list[Example]:
    return [Example(Doc(words=list(d.words), spaces=list(d.spaces or [])), d) for d in docs]


def _train(nlp: Pipeline, train: list[Example], epochs: int) -> list[float]:
    optimizer = nlp.initialize(lambda: train)
    losses = []
    for _ in range(epochs):
        epoch: dict[str, float] = {}
        for i in range(0, len(train), 8):
            nlp.update(train[i : i + 8], sgd=optimizer, losses=epoch)
        losses.append(epoch["ner"])
    return losses


def test_loss_falls_and_f_rises(small_config: Any) -> None:
    cfg = small_config(["ner"])
    cfg["training"]["optimizer"]["learn_rate"] = 0.01
    nlp = Pipeline.from_config(cfg)
    train = _examples(_corpus(24))
    nlp.initialize(lambda: train)
    before = nlp.evaluate(train)["ents_f"] or 0.0
    losses = _train(nlp, train, 4)
    after = nlp.evaluate(_examples(_corpus(20, seed=1)))
    assert losses[-1] < losses[0] / 2, losses
    assert after["ents_f"] > before + 0.5, (before, after["ents_f"])
    assert set(after["ents_per_type"]) == {"LOC", "ORG", "PER"}


def test_predictions_are_valid_biluo_and_survive_save_and_load(small_config: Any, tmp_path: Path) -> None:
    nlp = Pipeline.from_config(small_config(["ner"]))
    _train(nlp, _examples(_corpus(30)), 1)  # barely trained: its raw argmax is often invalid
    ner = nlp.get_pipe("ner")
    assert isinstance(ner, EntityRecognizer)
    assert ner.tag_names == biluo_tag_names(["LOC", "ORG", "PER"])
    docs = [Doc(words=list(d.words)) for d in _corpus(30, seed=2)]
    list(nlp.pipe(docs))
    for doc in docs:
        assert doc.ents is not None and doc.ents_missing is None
        tags = spans_to_biluo(len(doc), doc.ents)
        assert biluo_to_spans(tags) == doc.ents
        ends = [0] + [s.end for s in doc.ents]
        assert all(s.start >= e for s, e in zip(doc.ents, ends, strict=False))  # no overlaps
    nlp.to_disk(tmp_path / "model")
    again = load(tmp_path / "model")
    docs2 = [Doc(words=list(d.words)) for d in _corpus(30, seed=2)]
    list(again.pipe(docs2))
    assert [d.ents for d in docs2] == [d.ents for d in docs]


def _ner_config(small_config: Any, *, crf: bool) -> Any:
    cfg = small_config(["ner"])
    cfg["components"]["ner"]["model"]["crf"] = crf
    return cfg


def test_missing_tokens_are_left_out_of_the_softmax_loss(small_config: Any) -> None:
    nlp = Pipeline.from_config(_ner_config(small_config, crf=False))
    full = Doc(words=["Ana", "met", "Bob", "."], ents=[Span(0, 1, "PER"), Span(2, 3, "PER")])
    optimizer = nlp.initialize(lambda: [Example(Doc(words=full.words), full)])
    nlp.update([Example(Doc(words=full.words), full)], sgd=optimizer)  # the output starts at zero
    ner = nlp.get_pipe("ner")
    docs = [Doc(words=full.words)]
    tokvecs = nlp.tok2vec.predict(docs)
    partial = Doc(words=full.words, ents=[Span(0, 1, "PER")], ents_missing=[False, False, True, True])
    loss, d_tokvecs = ner.update([Example(docs[0], partial)], tokvecs)
    d = np.asarray(d_tokvecs[0])
    assert loss > 0
    assert np.abs(d[2:]).sum() == 0  # no gradient from the missing tokens
    assert np.abs(d[:2]).sum() > 0
    unannotated = Doc(words=full.words)  # ents None: every token missing
    loss, d_tokvecs = ner.update([Example(docs[0], unannotated)], tokvecs)
    assert loss == 0.0 and np.abs(np.asarray(d_tokvecs[0])).sum() == 0


def test_missing_tokens_are_marginalised_by_the_crf(small_config: Any) -> None:
    nlp = Pipeline.from_config(_ner_config(small_config, crf=True))
    words = ["Ana", "met", "Bob", "."]
    full = Doc(words=words, ents=[Span(0, 1, "PER"), Span(2, 3, "PER")])
    optimizer = nlp.initialize(lambda: [Example(Doc(words=words), full)])
    for _ in range(3):
        nlp.update([Example(Doc(words=words), full)], sgd=optimizer)
    ner = nlp.get_pipe("ner")
    docs = [Doc(words=words)]
    tokvecs = nlp.tok2vec.predict(docs)
    missing = [False, False, True, True]
    partial = Doc(words=words, ents=[Span(0, 1, "PER")], ents_missing=missing)
    as_o = Doc(words=words, ents=[Span(0, 1, "PER")])
    as_per = Doc(words=words, ents=[Span(0, 1, "PER"), Span(2, 3, "PER")])
    loss_partial, _ = ner.update([Example(docs[0], partial)], tokvecs)
    loss_o, _ = ner.update([Example(docs[0], as_o)], tokvecs)
    loss_per, _ = ner.update([Example(docs[0], as_per)], tokvecs)
    # The missing tokens may be anything: the likelihood sums over them, so it is higher.
    assert 0 < loss_partial < min(loss_o, loss_per)
    unannotated = Doc(words=words)
    loss, d_tokvecs = ner.update([Example(docs[0], unannotated)], tokvecs)
    assert loss == 0.0 and np.abs(np.asarray(d_tokvecs[0])).sum() == 0


def test_labels_unknown_to_the_model_are_left_out(small_config: Any) -> None:
    nlp = Pipeline.from_config(_ner_config(small_config, crf=False))
    seen = Doc(words=["Ana", "sleeps"], ents=[Span(0, 1, "PER")])
    optimizer = nlp.initialize(lambda: [Example(Doc(words=seen.words), seen)])
    nlp.update([Example(Doc(words=seen.words), seen)], sgd=optimizer)
    ner = nlp.get_pipe("ner")
    assert ner.labels == ["PER"]
    other = Doc(words=["Oslo", "sleeps"], ents=[Span(0, 1, "LOC")])
    docs = [Doc(words=other.words)]
    loss, d_tokvecs = ner.update([Example(docs[0], other)], nlp.tok2vec.predict(docs))
    d = np.asarray(d_tokvecs[0])
    assert np.abs(d[0]).sum() == 0 and np.abs(d[1]).sum() > 0
    assert loss > 0  # "sleeps" is still O
