"""The pipeline API: save/load, the seed's training loop, reproducibility, NaN, whole pipeline."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from thinc.api import Model, chain

import corpuskit
from corpuskit.doc import Doc
from corpuskit.errors import UsageError
from corpuskit.train import Example, Pipeline, TrainingError, registry
from corpuskit.train.config import resolve_training
from corpuskit.train.loop import train_pipeline


def _train(nlp: Pipeline, train: list[Any], dev: list[Any], cfg: Any) -> list[Any]:
    settings = resolve_training(cfg.interpolate())
    return list(train_pipeline(nlp, train, dev, settings))


def test_saved_model_loads_and_predicts_the_same(
    ewt_train: list[Any], ewt_dev: list[Any], small_config: Any, tmp_path: Path
) -> None:
    cfg = small_config(["tagger", "parser"], max_steps=2)
    nlp = Pipeline.from_config(cfg)
    _train(nlp, ewt_train[:10], ewt_dev[:5], cfg)
    nlp.to_disk(tmp_path / "model")
    loaded = corpuskit.load(tmp_path / "model")
    assert loaded.pipe_names == ["tagger", "parser"]
    texts = [d.text for d in ewt_dev[:5]]
    a = [(d.tags, d.heads, d.deps) for d in nlp.pipe(texts)]
    b = [(d.tags, d.heads, d.deps) for d in loaded.pipe(texts)]
    assert a == b
    assert all(d.tags is not None and len(d.tags) == len(d) for d in loaded.pipe(texts))
    # Saving over an existing model replaces it whole.
    loaded.to_disk(tmp_path / "model")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_load_refuses_a_directory_that_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a corpuskit model"):
        corpuskit.load(tmp_path)


def test_the_seeds_training_loop_works_as_written(small_config: Any) -> None:
    train_data = [
        ("Uber blew through $1 million a week", [(0, 4, "ORG")]),
        ("Android Pay expands to Canada", [(0, 11, "PRODUCT"), (23, 29, "GPE")]),
        ("Spotify steps up Asia expansion", [(0, 7, "ORG"), (17, 21, "LOC")]),
        ("Google Maps launches location sharing", [(0, 11, "PRODUCT")]),
        ("Google rebrands its business apps", [(0, 6, "ORG")]),
        ("look what i found on google! 😂", [(21, 27, "PRODUCT")]),
    ]
    nlp = Pipeline.from_config(small_config(["ner"]))

    def get_data() -> list[Example]:
        return [Example.from_dict(nlp.make_doc(text), {"entities": ents}) for text, ents in train_data]

    optimizer = nlp.initialize(get_data)
    rng = random.Random(0)
    losses: dict[str, float] = {}
    for _ in range(40):
        rng.shuffle(train_data)
        for raw_text, entity_offsets in train_data:
            doc = nlp.make_doc(raw_text)
            example = Example.from_dict(doc, {"entities": entity_offsets})
            nlp.update([example], drop=0.2, sgd=optimizer, losses=losses)
    doc = nlp("Spotify steps up Asia expansion")
    assert [(doc.words[s.start], s.label) for s in doc.ents or []] == [("Spotify", "ORG"), ("Asia", "LOC")]


def test_training_is_reproducible(ewt_train: list[Any], ewt_dev: list[Any], small_config: Any) -> None:
    runs = []
    for _ in range(2):
        cfg = small_config(["tagger"], max_steps=6, dropout=0.1)
        runs.append(
            [
                (i.step, i.losses, i.scores["tag_acc"])
                for i in _train(Pipeline.from_config(cfg), ewt_train, ewt_dev, cfg)
            ]
        )
    assert runs[0] == runs[1]
    cfg = small_config(["tagger"], max_steps=6, dropout=0.1, seed=1)
    other = [
        (i.step, i.losses, i.scores["tag_acc"])
        for i in _train(Pipeline.from_config(cfg), ewt_train, ewt_dev, cfg)
    ]
    assert other != runs[0]


@registry.architectures("test.NaNTagger.v1")
def _nan_tagger(nO: int | None = None, normalize: bool = False) -> Model:
    from corpuskit.train.tagger import build_tagger_model

    def forward(model: Model, X: Any, is_train: bool) -> Any:
        return [x * np.nan for x in X], lambda dY: dY

    inner = build_tagger_model(nO, normalize)
    model = chain(Model("nan", forward), inner)
    model.set_ref("output_layer", inner.get_ref("output_layer"))
    return model


def test_a_nan_loss_stops_training_with_a_clear_error(
    ewt_train: list[Any], ewt_dev: list[Any], small_config: Any
) -> None:
    cfg = small_config(["tagger"])
    cfg["components"]["tagger"]["model"]["@architectures"] = "test.NaNTagger.v1"
    nlp = Pipeline.from_config(cfg)
    with pytest.raises(
        TrainingError, match=r"the tagger loss is nan \(not a finite number\): training diverged"
    ):
        _train(nlp, ewt_train, ewt_dev, cfg)


def test_the_whole_pipeline_learns(ewt_train: list[Any], small_config: Any) -> None:
    cfg = small_config(["tagger", "parser"])
    cfg["training"]["optimizer"]["learn_rate"] = 0.005
    nlp = Pipeline.from_config(cfg)
    train = [Example(Doc(words=list(d.words), spaces=list(d.spaces)), d) for d in ewt_train[:12]]
    optimizer = nlp.initialize(lambda: train)
    before = nlp.evaluate(train)
    first: dict[str, float] = {}
    nlp.update(train, sgd=optimizer, losses=first)
    for _ in range(6):
        last: dict[str, float] = {}
        nlp.update(train, sgd=optimizer, losses=last)
    after = nlp.evaluate(train)
    assert last["tagger"] < first["tagger"] and last["parser"] < first["parser"]
    assert after["tag_acc"] > before["tag_acc"] + 0.2, (before["tag_acc"], after["tag_acc"])
    assert after["dep_uas"] > before["dep_uas"] + 0.1, (before["dep_uas"], after["dep_uas"])


def test_nlp_call_tokenizes_and_annotates(ewt_train: list[Any], small_config: Any) -> None:
    nlp = Pipeline.from_config(small_config(["tagger"]))
    nlp.initialize(lambda: [Example(Doc(words=list(d.words)), d) for d in ewt_train])
    doc = nlp("Hello, world! It's me.")
    assert "".join(doc.words) == "Hello,world!It'sme."
    assert doc.tags is not None and len(doc.tags) == len(doc.words)
    assert [len(d) for d in nlp.pipe(["a b", "c"], batch_size=1)] == [2, 1]
