"""nlp.pipe as spaCy's (batch_size, n_process, as_tuples, disable) and add_label on a trained
component: the entity recogniser grows keeping every prediction, the tagger refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from corpuskit.corpus import read_corpus
from corpuskit.doc import Doc
from corpuskit.errors import CorpusError
from corpuskit.train import Pipeline, default_config, load
from corpuskit.train.loop import make_examples

WIKINER = Path(__file__).resolve().parents[2] / "fixtures" / "train" / "wikiner-en-60.iob"


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Doc]]:
    """A small tagger + entity recogniser trained on a real NER slice, saved."""
    docs = list(read_corpus(WIKINER, converter="iob"))
    cfg = default_config(["tagger", "ner"], lang="en")
    encode = cfg["components"]["tok2vec"]["model"]["encode"]
    encode["width"], encode["depth"] = 32, 1
    cfg["training"]["optimizer"]["learn_rate"] = 0.01
    nlp = Pipeline.from_config(cfg)
    examples = make_examples(docs, nlp, gold_preproc=True)
    sgd = nlp.initialize(lambda: examples)
    for _ in range(3):
        for i in range(0, len(examples), 8):
            nlp.update(examples[i : i + 8], sgd=sgd)
    path = tmp_path_factory.mktemp("model") / "m"
    nlp.to_disk(path)
    return path, docs


def _texts(docs: list[Doc]) -> list[str]:
    return [d.text for d in docs]


def _annotations(docs: list[Doc]) -> list[Any]:
    return [(d.words, d.tags, d.ents) for d in docs]


def test_pipe_options_as_spacys(trained: tuple[Path, list[Doc]]) -> None:
    path, docs = trained
    nlp = load(path)
    texts = _texts(docs[:30])
    one = _annotations(nlp.pipe(texts, batch_size=7))
    assert any(d[2] for d in one) and all(d[1] is not None for d in one)
    assert _annotations(nlp.pipe(texts, batch_size=1000)) == one
    pairs = list(nlp.pipe([(t, {"n": i}) for i, t in enumerate(texts)], as_tuples=True, batch_size=4))
    assert [c["n"] for _, c in pairs] == list(range(30))
    assert _annotations(d for d, _ in pairs) == one
    no_ner = list(nlp.pipe(texts, disable=["ner"]))
    assert all(d.ents is None for d in no_ner) and [d.tags for d in no_ner] == [t for _, t, _ in one]
    with pytest.raises(CorpusError, match="disable names no component"):
        list(nlp.pipe(texts, disable=["lemmatizer"]))


def test_pipe_in_two_processes_gives_the_same_results(trained: tuple[Path, list[Doc]]) -> None:
    path, docs = trained
    nlp = load(path)
    texts = _texts(docs)
    one = _annotations(nlp.pipe(texts, batch_size=8))
    two = _annotations(nlp.pipe(texts, batch_size=8, n_process=2))
    assert two == one
    pairs = list(nlp.pipe([(t, i) for i, t in enumerate(texts)], as_tuples=True, n_process=2, batch_size=8))
    assert [i for _, i in pairs] == list(range(len(texts)))
    assert _annotations(d for d, _ in pairs) == one


def test_add_label_after_training_never_changes_existing_predictions(
    trained: tuple[Path, list[Doc]], tmp_path: Path
) -> None:
    path, docs = trained
    nlp = load(path)
    texts = _texts(docs)
    before = _annotations(nlp.pipe(texts))
    ner = nlp.get_pipe("ner")
    labels = list(ner.labels)
    ner.add_label("AAA_NEW")  # sorts first: a re-sorted label list would shift every tag
    ner.add_label("AAA_NEW")
    assert ner.labels == [*labels, "AAA_NEW"]
    assert _annotations(nlp.pipe(texts)) == before
    # saved and loaded with the new label, still the same predictions
    nlp.to_disk(tmp_path / "m2")
    again = load(tmp_path / "m2")
    assert again.get_pipe("ner").labels == [*labels, "AAA_NEW"]
    assert _annotations(again.pipe(texts)) == before
    # and it trains on: an update with the new label runs and the label can be predicted
    doc = Doc(words=["Zork", "visited", "Paris", "."])
    from corpuskit.doc import Span

    gold = Doc(words=list(doc.words), ents=[Span(0, 1, "AAA_NEW"), Span(2, 3, "LOC")])
    egs = make_examples([gold], again, gold_preproc=True)
    losses = again.update(egs, sgd=again.create_optimizer())
    assert losses["ner"] > 0 and again.get_pipe("ner").cfg["unseen_labels"] == []


def test_the_tagger_refuses_a_label_after_training(trained: tuple[Path, list[Doc]]) -> None:
    path, docs = trained
    nlp = load(path)
    texts = _texts(docs[:20])
    before = _annotations(nlp.pipe(texts))
    tagger = nlp.get_pipe("tagger")
    labels = list(tagger.labels)
    with pytest.raises(CorpusError, match="after initialisation"):
        tagger.add_label("AAA")
    tagger.add_label(labels[0])  # a known label is no change
    assert tagger.labels == labels and _annotations(nlp.pipe(texts)) == before


def test_a_new_entity_label_is_learnt_with_the_optimizer_of_the_training() -> None:
    from corpuskit.doc import Span

    docs = list(read_corpus(WIKINER, converter="iob"))
    cfg = default_config(["ner"], lang="en")
    cfg["components"]["tok2vec"]["model"]["encode"]["width"] = 32
    nlp = Pipeline.from_config(cfg)
    examples = make_examples(docs, nlp, gold_preproc=True)
    sgd = nlp.initialize(lambda: examples)
    nlp.update(examples[:8], sgd=sgd)
    nlp.get_pipe("ner").add_label("NEW")  # the optimizer holds moments of the old shapes
    gold = Doc(words=["Zork", "visited", "Paris"], ents=[Span(0, 1, "NEW")])
    for _ in range(30):
        nlp.update(make_examples([gold], nlp, gold_preproc=True), sgd=sgd)
    assert [e.label for e in nlp(Doc(words=list(gold.words))).ents or ()] == ["NEW"]


def test_the_parser_refuses_a_label_after_initialisation() -> None:
    # spaCy's E922 for every component that cannot resize: a re-sorted label list would shift
    # every predicted dependency label silently.
    ewt = Path(__file__).resolve().parents[2] / "fixtures" / "train" / "ewt-train-40.conllu"
    docs = list(read_corpus(ewt, converter="conllu"))[:10]
    cfg = default_config(["parser"], lang="en")
    cfg["components"]["tok2vec"]["model"]["encode"]["width"] = 32
    nlp = Pipeline.from_config(cfg)
    parser = nlp.get_pipe("parser")
    parser.add_label("aaa_before")  # before initialisation: allowed
    assert "aaa_before" in parser.labels and not parser.is_initialized
    examples = make_examples(docs, nlp, gold_preproc=True)
    nlp.initialize(lambda: examples)
    labels = list(parser.labels)
    before = [(d.heads, d.deps) for d in nlp.pipe(_texts(docs))]
    with pytest.raises(CorpusError, match="after initialisation"):
        parser.add_label("aaa_after")
    parser.add_label(labels[0])  # a known label is no change
    assert parser.labels == labels
    assert [(d.heads, d.deps) for d in nlp.pipe(_texts(docs))] == before
