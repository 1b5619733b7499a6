"""Example's projections against spaCy's own Example on real sentences, re-tokenized at random.

Gold docs: UD English-EWT (tags, parse, sentences; three sentences per doc) and WikiNER
(entities), from fixtures/. Predicted tokens: the gold text cut differently at random (tokens
merged with a neighbour, split inside), so that one-to-many and many-to-one alignments occur in
most docs. spaCy's ``Example`` built from the same two docs is the oracle for
``get_aligned("tags")``, ``get_aligned_parse()`` (spaCy's ``projectivize=False``: corpuskit does
not projectivize), ``get_aligned_sent_starts()`` and ``get_aligned_ner()``.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from oracle import to_spacy
from spacy.tokens import Doc as SDoc
from spacy.training import Example as SExample
from spacy.vocab import Vocab

from converters.conllu import read_conllu
from converters.iob import read_iob
from corpuskit.doc import Doc
from corpuskit.train.example import Example
from corpuskit.transforms import group_sents

TRAIN = Path(__file__).resolve().parents[2] / "fixtures" / "train"


def _retokenize(doc: Doc, rng: random.Random) -> tuple[list[str], list[bool]]:
    """The text of ``doc`` cut differently: some tokens merged with the next, some split."""
    words: list[str] = []
    spaces: list[bool] = []
    for word, space in zip(doc.words, doc.spaces or [True] * len(doc), strict=True):
        if words and not spaces[-1] and rng.random() < 0.5:
            words[-1] += word  # merge with the previous token (no space between them)
            spaces[-1] = space
        elif words and spaces[-1] and rng.random() < 0.08:
            words[-1] += " " + word  # a token holding a space ("New York")
            spaces[-1] = space
        elif len(word) > 3 and rng.random() < 0.2:
            cut = rng.randrange(1, len(word))
            words += [word[:cut], word[cut:]]
            spaces += [False, space]
        else:
            words.append(word)
            spaces.append(space)
    return words, spaces


def _pairs(docs: list[Doc], seed: int) -> list[tuple[Example, SExample]]:
    rng = random.Random(seed)
    vocab = Vocab()
    out = []
    for gold in docs:
        words, spaces = _retokenize(gold, rng)
        if gold.has_unknown_spaces:
            spaces = [True] * len(words)
        pred = Doc(words=words, spaces=spaces)
        ours = Example(pred, gold)
        theirs = SExample(SDoc(vocab, words=words, spaces=spaces), to_spacy(gold, vocab))
        out.append((ours, theirs))
    return out


@pytest.fixture(scope="module")
def ewt() -> list[tuple[Example, SExample]]:
    docs = list(group_sents(read_conllu(str(TRAIN / "ewt-train-40.conllu")), 3))
    return _pairs(docs, 11)


@pytest.fixture(scope="module")
def wikiner() -> list[tuple[Example, SExample]]:
    return _pairs(list(read_iob(str(TRAIN / "wikiner-en-60.iob"))), 12)


def test_the_retokenization_differs(ewt: list[tuple[Example, SExample]]) -> None:
    differing = sum(not eg.alignment.is_identity for eg, _ in ewt)
    assert differing >= len(ewt) * 0.8


def test_tags_as_spacy(ewt: list[tuple[Example, SExample]]) -> None:
    for ours, theirs in ewt:
        assert ours.get_aligned("tags") == theirs.get_aligned("TAG", as_string=True), ours.predicted.words


def test_parse_as_spacy(ewt: list[tuple[Example, SExample]]) -> None:
    for ours, theirs in ewt:
        heads, deps = theirs.get_aligned_parse(projectivize=False)
        assert ours.get_aligned_parse() == (heads, deps), ours.predicted.words


def test_sent_starts_as_spacy(ewt: list[tuple[Example, SExample]]) -> None:
    for ours, theirs in ewt:
        assert ours.get_aligned_sent_starts() == theirs.get_aligned_sent_starts(), ours.predicted.words


def test_ner_as_spacy(wikiner: list[tuple[Example, SExample]]) -> None:
    for ours, theirs in wikiner:
        assert ours.get_aligned_ner() == theirs.get_aligned_ner(), ours.predicted.words


@pytest.fixture(scope="module")
def ewt_missing_heads() -> list[tuple[Example, SExample]]:
    """EWT docs with the head and label of about one token in eight removed (and no given
    sentence starts, so both sides derive them from the partial parse)."""
    rng = random.Random(13)
    docs = []
    for doc in group_sents(read_conllu(str(TRAIN / "ewt-train-40.conllu")), 3):
        heads = list(doc.heads or [])
        deps = list(doc.deps or [])
        for i in range(len(heads)):
            if rng.random() < 0.12:
                heads[i] = None
                deps[i] = None
        doc.heads, doc.deps, doc.sent_starts = heads, deps, None
        docs.append(doc)
    return _pairs(docs, 14)


def test_missing_heads_as_spacy(ewt_missing_heads: list[tuple[Example, SExample]]) -> None:
    assert sum(None in (eg.reference.heads or []) for eg, _ in ewt_missing_heads) >= 10
    for ours, theirs in ewt_missing_heads:
        assert ours.get_aligned_sent_starts() == theirs.get_aligned_sent_starts(), ours.predicted.words
        # DIFFERENCE: spaCy gives a missing head as the token itself with the label "" (its
        # token array has no "no head"); corpuskit gives None for both.
        heads, deps = theirs.get_aligned_parse(projectivize=False)
        missing = [d == "" for d in deps]
        heads = [None if m else h for h, m in zip(heads, missing, strict=True)]
        deps = [None if m else d for d, m in zip(deps, missing, strict=True)]
        assert ours.get_aligned_parse() == (heads, deps), ours.predicted.words
