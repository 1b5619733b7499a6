"""Example: gold annotation paired with the predicted tokens, and projected onto them."""

from __future__ import annotations

import pytest

from corpuskit.doc import Doc, Span
from corpuskit.errors import UsageError
from corpuskit.train import Example
from corpuskit.train.biluo import biluo_to_ents, doc_to_biluo, is_valid_biluo
from corpuskit.train.example import EntityOffsetWarning


def test_from_dict_biluo_entities_as_in_the_seed() -> None:
    doc = Doc(words=["Facebook", "released", "React", "in", "2014"])
    eg = Example.from_dict(doc, {"entities": ["U-ORG", "O", "U-TECHNOLOGY", "O", "U-DATE"]})
    assert eg.reference.ents == [Span(0, 1, "ORG"), Span(2, 3, "TECHNOLOGY"), Span(4, 5, "DATE")]
    assert eg.get_aligned_ner() == ["U-ORG", "O", "U-TECHNOLOGY", "O", "U-DATE"]


def test_from_dict_tags_as_in_the_seed() -> None:
    eg = Example.from_dict(Doc(words=["I", "like", "stuff"]), {"tags": ["N", "V", "N"]})
    assert eg.get_aligned("tags") == ["N", "V", "N"]
    assert eg.get_aligned("pos") == [None, None, None]


def test_from_dict_char_offsets() -> None:
    doc = Doc(words=["Who", "is", "Shaka", "Khan", "?"], spaces=[True, True, True, False, False])
    eg = Example.from_dict(doc, {"entities": [(7, 17, "PERSON")]})
    assert eg.get_aligned_ner() == ["O", "O", "B-PERSON", "L-PERSON", "O"]


def test_offsets_off_token_boundaries_are_missing_not_wrong() -> None:
    doc = Doc(words=["Who", "is", "Shaka", "Khan", "?"], spaces=[True, True, True, False, False])
    with pytest.warns(EntityOffsetWarning, match=r"end inside token; tokens 2-3 \['Shaka', 'Khan'\]"):
        eg = Example.from_dict(doc, {"entities": [(7, 15, "PERSON")]})  # ends inside "Khan"
    assert eg.get_aligned_ner() == ["O", "O", None, None, "O"]


def test_missing_biluo_tags() -> None:
    eg = Example.from_dict(Doc(words=["a", "b", "c"]), {"entities": ["-", "U-X", "O"]})
    assert eg.get_aligned_ner() == [None, "U-X", "O"]


def test_from_dict_rejects_unknown_keys_and_bad_sequences() -> None:
    doc = Doc(words=["a", "b"])
    with pytest.raises(UsageError, match="'tagz'"):
        Example.from_dict(doc, {"tagz": ["N", "V"]})
    with pytest.raises(UsageError, match="I-X"):
        Example.from_dict(doc, {"entities": ["O", "I-X"]})
    with pytest.raises(UsageError, match="3 entity tags for 2 tokens"):
        Example.from_dict(doc, {"entities": ["O", "O", "O"]})


def test_different_tokenizations_are_aligned() -> None:
    gold = Doc(
        words=["I", "do", "n't", "like", "New", "York", "."],
        spaces=[True, False, True, True, True, False, False],
        tags=["PRP", "VBP", "RB", "VB", "NNP", "NNP", "."],
        heads=[3, 3, 3, 3, 5, 3, 3],
        deps=["nsubj", "aux", "neg", "ROOT", "compound", "obj", "punct"],
        ents=[Span(4, 6, "GPE")],
    )
    predicted = Doc(words=["I", "don't", "like", "New", "York."], spaces=[True, True, True, True, False])
    eg = Example(predicted, gold)
    assert eg.alignment.x2y == [[0], [1, 2], [3], [4], [5, 6]]
    assert eg.get_aligned("tags") == ["PRP", None, "VB", "NNP", None]
    heads, deps = eg.get_aligned_parse()
    # "New" is inside one gold token whose head ("York") is inside one predicted token ("York."):
    # the arc survives (as in spaCy); "don't" and "York." cover two gold tokens each.
    assert heads == [2, None, 2, 4, None]
    assert deps == ["nsubj", None, "ROOT", "compound", None]
    # "York." merges the entity's last token with the full stop: not representable.
    assert eg.get_aligned_ner()[:3] == ["O", "O", "O"]  # "don't" merges two O tokens: O
    assert eg.get_aligned_ner()[3:] == [None, None]


def test_texts_that_differ_cannot_be_aligned() -> None:
    with pytest.raises(Exception, match="differ"):
        Example(Doc(words=["a", "b"]), Doc(words=["a", "c"])).alignment  # noqa: B018


def test_biluo_round_trip_and_validity() -> None:
    doc = Doc(
        words=list("abcdef"), ents=[Span(0, 2, "X"), Span(3, 4, "Y")], ents_missing=[False] * 5 + [True]
    )
    tags = doc_to_biluo(doc)
    assert tags == ["B-X", "L-X", "O", "U-Y", "O", "-"]
    spans, missing = biluo_to_ents(tags)
    assert spans == doc.ents and missing == doc.ents_missing
    assert is_valid_biluo(tags)
    assert is_valid_biluo(["B-X", "O"]) is not False  # BIO-style unfinished entities are read as ended
    assert not is_valid_biluo(["L-X"])
    assert not is_valid_biluo(["B-X", "I-Y", "L-Y"])


def test_sentence_start_values_and_partial_parses() -> None:
    from corpuskit.train.example import sent_starts_from_heads, to_ternary

    assert [to_ternary(v) for v in (1, True, 1.0, 0, None, False, -1, -5.7, 2)] == [
        True,
        True,
        True,
        None,
        None,
        False,
        False,
        False,
        False,
    ]
    assert sent_starts_from_heads([None, None]) is None
    # two trees; the missing heads (None, out of range) split nothing
    assert sent_starts_from_heads([1, 1, None, 4, 4, 99]) == [True, False, False, True, False, False]
    # a doc starting with a missing head still starts a sentence at token 0
    assert sent_starts_from_heads([None, 1, 1]) == [True, True, False]
    # a cycle with no root: one sentence
    assert sent_starts_from_heads([1, 0]) == [True, False]
