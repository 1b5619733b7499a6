"""spaCy 3.8's alignment, BILUO / offsets and gold tests (spacy/tests/training/test_training.py), ported.

Each test names the spaCy test it comes from. spaCy's ``en_tokenizer`` output is written out as
word lists (checked against spaCy's English tokenizer when the port was made). Where corpuskit
deliberately differs, the test asserts corpuskit's behaviour and says so ("DIFFERENCE");
docs/alignment.md lists every difference with its reason.
"""

from __future__ import annotations

import numpy as np
import pytest

from corpuskit.alignment import Alignment, AlignmentArray, offsets_to_biluo, token_offsets
from corpuskit.doc import Doc
from corpuskit.tags import biluo_to_spans, iob_to_biluo
from corpuskit.train.example import Example

PREFIX = "Mr and Mrs Smith flew to "
LOC = (len(PREFIX), len(PREFIX + "San Francisco Valley"), "LOC")
SILICON = Doc(
    words=["I", "flew", "to", "Silicon", "Valley", "via", "London", "."],  # en_tokenizer's
    spaces=[True, True, True, True, True, True, False, False],
)


def _ner(pred: Doc, gold: dict[str, object]) -> list[str | None]:
    return Example.from_dict(pred, gold).get_aligned_ner()


# spacy/tests/training/test_training.py::test_gold_biluo_U
def test_gold_biluo_u() -> None:
    doc = Doc(words=["I", "flew", "to", "London", "."], spaces=[True, True, True, False, True])
    tags, problems = offsets_to_biluo(doc, [(len("I flew to "), len("I flew to London"), "LOC")])
    assert tags == ["O", "O", "O", "U-LOC", "O"]
    assert problems == []


# spacy/tests/training/test_training.py::test_gold_biluo_BL
def test_gold_biluo_bl() -> None:
    doc = Doc(
        words=["I", "flew", "to", "San", "Francisco", "."], spaces=[True, True, True, True, False, True]
    )
    tags, _ = offsets_to_biluo(doc, [(len("I flew to "), len("I flew to San Francisco"), "LOC")])
    assert tags == ["O", "O", "O", "B-LOC", "L-LOC", "O"]


# spacy/tests/training/test_training.py::test_gold_biluo_BIL
def test_gold_biluo_bil() -> None:
    words = ["I", "flew", "to", "San", "Francisco", "Valley", "."]
    doc = Doc(words=words, spaces=[True, True, True, True, True, False, True])
    tags, _ = offsets_to_biluo(doc, [(len("I flew to "), len("I flew to San Francisco Valley"), "LOC")])
    assert tags == ["O", "O", "O", "B-LOC", "I-LOC", "L-LOC", "O"]


# spacy/tests/training/test_training.py::test_gold_biluo_overlap
def test_gold_biluo_overlap() -> None:
    words = ["I", "flew", "to", "San", "Francisco", "Valley", "."]
    doc = Doc(words=words, spaces=[True, True, True, True, True, False, True])
    entities = [
        (len("I flew to "), len("I flew to San Francisco Valley"), "LOC"),
        (len("I flew to "), len("I flew to San Francisco"), "LOC"),
    ]
    # DIFFERENCE: spaCy's offsets_to_biluo_tags raises E103 on the first overlap; corpuskit's
    # offsets_to_biluo places the first span and reports the second (Example.from_dict raises).
    tags, problems = offsets_to_biluo(doc, entities)
    assert tags == ["O", "O", "O", "B-LOC", "I-LOC", "L-LOC", "O"]
    assert [(p.index, p.reasons, p.overlaps) for p in problems] == [(1, ("overlap",), 0)]
    with pytest.raises(ValueError, match="overlap"):
        Example.from_dict(doc, {"entities": entities})


# spacy/tests/training/test_training.py::test_gold_biluo_misalign
def test_gold_biluo_misalign() -> None:
    words = ["I", "flew", "to", "San", "Francisco", "Valley."]
    doc = Doc(words=words, spaces=[True, True, True, True, True, False])
    entities = [(len("I flew to "), len("I flew to San Francisco Valley"), "LOC")]
    # DIFFERENCE: spaCy warns W030; offsets_to_biluo returns the span as a problem with the
    # tokens it cuts and the nearest fit (Example.from_dict warns, as spaCy).
    tags, problems = offsets_to_biluo(doc, entities)
    assert tags == ["O", "O", "O", "-", "-", "-"]
    assert [p.reasons for p in problems] == [("end-inside-token",)]
    with pytest.warns(UserWarning, match="end inside token"):
        Example.from_dict(doc, {"entities": entities})


# spacy/tests/training/test_training.py::test_example_constructor
def test_example_constructor() -> None:
    words = ["I", "like", "stuff"]
    eg = Example(Doc(words=words), Doc(words=words, tags=["NOUN", "VERB", "NOUN"]))
    assert eg.get_aligned("tags") == ["NOUN", "VERB", "NOUN"]


# spacy/tests/training/test_training.py::test_example_from_dict_tags
def test_example_from_dict_tags() -> None:
    eg = Example.from_dict(Doc(words=["I", "like", "stuff"]), {"TAGS": ["NOUN", "VERB", "NOUN"]})
    assert eg.get_aligned("tags") == ["NOUN", "VERB", "NOUN"]


# spacy/tests/training/test_training.py::test_example_from_dict_no_ner
def test_example_from_dict_no_ner() -> None:
    words = ["a", "b", "c", "d"]
    eg = Example.from_dict(Doc(words=words, spaces=[True, True, False, True]), {"words": words})
    assert eg.get_aligned_ner() == [None, None, None, None]


# spacy/tests/training/test_training.py::test_example_from_dict_some_ner
def test_example_from_dict_some_ner() -> None:
    words = ["a", "b", "c", "d"]
    gold = {"words": words, "entities": ["U-LOC", None, None, None]}
    assert _ner(Doc(words=words, spaces=[True, True, False, True]), gold) == ["U-LOC", None, None, None]


# spacy/tests/training/test_training.py::test_gold_biluo_one_to_many
def test_gold_biluo_one_to_many() -> None:
    doc = Doc(
        words=["Mr and ", "Mrs Smith", "flew to", "San Francisco Valley", "."],
        spaces=[True, True, True, False, False],
    )
    gold_words = ["Mr and Mrs Smith", "flew", "to", "San", "Francisco", "Valley", "."]
    assert _ner(doc, {"words": gold_words, "entities": [LOC]}) == ["O", "O", "O", "U-LOC", "O"]
    gold_words = ["Mr and", "Mrs", "Smith", "flew", "to", "San", "Francisco", "Valley", "."]
    person = (len("Mr and "), len("Mr and Mrs Smith"), "PERSON")  # "Mrs Smith" is a PERSON
    assert _ner(doc, {"words": gold_words, "entities": [person, LOC]}) == ["O", "U-PERSON", "O", "U-LOC", "O"]
    person = (len("Mr and "), len("Mr and Mrs"), "PERSON")  # "Mrs" is a PERSON
    assert _ner(doc, {"words": gold_words, "entities": [person, LOC]}) == ["O", None, "O", "U-LOC", "O"]


# spacy/tests/training/test_training.py::test_gold_biluo_many_to_one
def test_gold_biluo_many_to_one() -> None:
    words = ["Mr and", "Mrs", "Smith", "flew", "to", "San", "Francisco", "Valley", "."]
    doc = Doc(words=words, spaces=[True] * 7 + [False, False])
    gold_words = ["Mr and Mrs Smith", "flew to", "San Francisco Valley", "."]
    expected = ["O", "O", "O", "O", "O", "B-LOC", "I-LOC", "L-LOC", "O"]
    assert _ner(doc, {"words": gold_words, "entities": [LOC]}) == expected
    person = (len("Mr and "), len("Mr and Mrs Smith"), "PERSON")
    gold_words = ["Mr and", "Mrs Smith", "flew to", "San Francisco Valley", "."]
    expected = ["O", "B-PERSON", "L-PERSON", "O", "O", "B-LOC", "I-LOC", "L-LOC", "O"]
    assert _ner(doc, {"words": gold_words, "entities": [person, LOC]}) == expected


# spacy/tests/training/test_training.py::test_gold_biluo_misaligned
def test_gold_biluo_misaligned() -> None:
    words = ["Mr and Mrs", "Smith", "flew", "to", "San Francisco", "Valley", "."]
    doc = Doc(words=words, spaces=[True, True, True, True, True, False, False])
    gold_words = ["Mr", "and Mrs Smith", "flew to", "San", "Francisco Valley", "."]
    assert _ner(doc, {"words": gold_words, "entities": [LOC]}) == ["O", "O", "O", "O", "B-LOC", "L-LOC", "O"]
    person = (len("Mr and "), len("Mr and Mrs Smith"), "PERSON")
    gold_words = ["Mr and", "Mrs Smith", "flew to", "San", "Francisco Valley", "."]
    expected = [None, None, "O", "O", "B-LOC", "L-LOC", "O"]
    assert _ner(doc, {"words": gold_words, "entities": [person, LOC]}) == expected


# spacy/tests/training/test_training.py::test_gold_biluo_additional_whitespace
def test_gold_biluo_additional_whitespace() -> None:
    # spaCy's get_words_and_spaces(["I", "flew", "to", "San Francisco", "Valley", "."],
    #                              "I flew  to San Francisco Valley.")
    words = ["I", "flew", " ", "to", "San Francisco", "Valley", "."]
    doc = Doc(words=words, spaces=[True, True, False, True, True, False, False])
    prefix = "I flew  to "
    gold = {
        "words": ["I", "flew", " ", "to", "San Francisco Valley", "."],
        "spaces": [True, True, False, True, False, False],
        "entities": [(len(prefix), len(prefix + "San Francisco Valley"), "LOC")],
    }
    assert _ner(doc, gold) == ["O", "O", "O", "O", "B-LOC", "L-LOC", "O"]


# spacy/tests/training/test_training.py::test_gold_biluo_4791
def test_gold_biluo_4791() -> None:
    gold_words = ["I", "'ll", "return", "the", "A", "54", "amount"]
    gold_spaces = [False, True, True, True, False, True, False]
    doc = Doc(
        words=["I", "'ll", "return", "the", "A54", "amount"], spaces=[False, True, True, True, True, False]
    )
    gold = {"words": gold_words, "spaces": gold_spaces, "entities": [(16, 19, "MONEY")]}
    assert _ner(doc, gold) == ["O", "O", "O", "O", "U-MONEY", "O"]
    gold_words = ["I", "'ll", "return", "the", "$", "54", "amount"]
    doc = Doc(words=list(gold_words), spaces=list(gold_spaces))
    gold = {"words": gold_words, "spaces": gold_spaces, "entities": [(16, 19, "MONEY")]}
    assert _ner(doc, gold) == ["O", "O", "O", "O", "B-MONEY", "L-MONEY", "O"]


# spacy/tests/training/test_training.py::test_roundtrip_offsets_biluo_conversion
def test_roundtrip_offsets_biluo_conversion() -> None:
    biluo = ["O", "O", "O", "B-LOC", "L-LOC", "O", "U-GPE", "O"]
    offsets = [(10, 24, "LOC"), (29, 35, "GPE")]
    tags, _ = offsets_to_biluo(SILICON, offsets)
    assert tags == biluo
    starts, ends = token_offsets(SILICON)
    back = [(starts[s.start], ends[s.end - 1], s.label) for s in biluo_to_spans(biluo)]
    assert back == offsets


# spacy/tests/training/test_training.py::test_biluo_spans
def test_biluo_spans() -> None:
    spans = biluo_to_spans(["O", "O", "O", "B-LOC", "L-LOC", "O", "U-GPE", "O"])
    assert [(SILICON.words[s.start : s.end], s.label) for s in spans] == [
        (["Silicon", "Valley"], "LOC"),
        (["London"], "GPE"),
    ]


# spacy/tests/training/test_training.py::test_gold_ner_missing_tags
def test_gold_ner_missing_tags() -> None:
    eg = Example.from_dict(SILICON, {"entities": [None, "O", "O", "B-LOC", "L-LOC", "O", "U-GPE", "O"]})
    # spaCy's get_aligned("ENT_IOB") == [0, 2, 2, 3, 1, 2, 3, 2]: missing, O, O, B, I, O, B, O
    assert eg.reference.ent_iob() == ["", "O", "O", "B", "I", "O", "B", "O"]
    assert eg.get_aligned_ner() == [None, "O", "O", "B-LOC", "L-LOC", "O", "U-GPE", "O"]


# spacy/tests/training/test_training.py::test_projectivize
def test_projectivize() -> None:
    doc = Doc(words=["He", "pretty", "quickly", "walks", "away"], spaces=[True, True, True, True, False])
    heads = [3, 2, 3, 3, 2]
    eg = Example.from_dict(doc, {"heads": heads, "deps": ["dep"] * 5})
    # DIFFERENCE: spaCy's get_aligned_parse(projectivize=True) lifts the crossing arc
    # ([3, 2, 3, 3, 3]); corpuskit's biaffine parser learns non-projective trees, so the gold
    # heads are given as they are (spaCy's projectivize=False answer).
    assert eg.get_aligned_parse()[0] == [3, 2, 3, 3, 2]
    eg = Example.from_dict(Doc(words=["Conrail"]), {"heads": [0], "deps": ["dep"]})
    assert eg.get_aligned_parse() == ([0], ["dep"])
    # documents with no alignment
    doc_a = Doc(words=["Double-Jointed"], spaces=[False], deps=["ROOT"], heads=[0])
    doc_b = Doc(
        words=["Double", "-", "Jointed"],
        spaces=[True, True, True],
        deps=["amod", "punct", "ROOT"],
        heads=[2, 2, 2],
    )
    assert Example(doc_a, doc_b).get_aligned_parse() == ([None], [None])


# spacy/tests/training/test_training.py::test_iob_to_biluo
def test_iob_to_biluo() -> None:
    assert iob_to_biluo(["O", "O", "B-LOC", "I-LOC", "O", "B-PERSON"]) == [
        "O",
        "O",
        "B-LOC",
        "L-LOC",
        "O",
        "U-PERSON",
    ]
    with pytest.raises(ValueError):
        iob_to_biluo(["O", "O", '"', "B-LOC", "I-LOC"])


# spacy/tests/parser/test_ner.py::test_issue2385
def test_issue2385() -> None:
    assert iob_to_biluo(("B-BRAWLER", "I-BRAWLER", "I-BRAWLER")) == ["B-BRAWLER", "I-BRAWLER", "L-BRAWLER"]
    assert iob_to_biluo(("I-ORG", "I-ORG", "B-ORG")) == ["B-ORG", "L-ORG", "U-ORG"]  # IOB1
    assert iob_to_biluo(("B-PERSON", "I-PERSON", "B-PERSON")) == ["B-PERSON", "L-PERSON", "U-PERSON"]
    tags = ("B-MULTI-PERSON", "I-MULTI-PERSON", "B-MULTI-PERSON")  # hyphens in the label
    assert iob_to_biluo(tags) == ["B-MULTI-PERSON", "L-MULTI-PERSON", "U-MULTI-PERSON"]


# spacy/tests/training/test_training.py::test_align
@pytest.mark.parametrize(
    ("tokens_a", "tokens_b", "expected"),
    [
        (["a", "b", "c"], ["ab", "c"], ([[0], [0], [1]], [[0, 1], [2]])),
        (["a", "b", '"', "c"], ['ab"', "c"], ([[0], [0], [0], [1]], [[0, 1, 2], [3]])),
        (["a", "bc"], ["ab", "c"], ([[0], [0, 1]], [[0, 1], [1]])),
        (["ab", "c", "d"], ["a", "b", "cd"], ([[0, 1], [2], [2]], [[0], [0], [1, 2]])),
        (["a", "b", "cd"], ["a", "b", "c", "d"], ([[0], [1], [2, 3]], [[0], [1], [2], [2]])),
        ([" ", "a"], ["a"], ([[], [0]], [[1]])),
        (["a", "''", "'", ","], ["a'", "''", ","], ([[0], [0, 1], [1], [2]], [[0, 1], [1, 2], [3]])),
    ],
)
def test_align(
    tokens_a: list[str], tokens_b: list[str], expected: tuple[list[list[int]], list[list[int]]]
) -> None:
    al = Alignment.from_words(tokens_a, tokens_b)
    assert (al.x2y.to_lists(), al.y2x.to_lists()) == expected
    back = Alignment.from_words(tokens_b, tokens_a)  # symmetry
    assert (back.y2x.to_lists(), back.x2y.to_lists()) == expected


def _flat(al: Alignment) -> tuple[list[int], list[int], list[int], list[int]]:
    return (al.x2y.lengths.tolist(), al.x2y.data.tolist(), al.y2x.lengths.tolist(), al.y2x.data.tolist())


# spacy/tests/training/test_training.py::test_alignment
def test_alignment() -> None:
    other = ["i", "listened", "to", "obama", "'", "s", "podcasts", "."]
    ours = ["i", "listened", "to", "obama", "'s", "podcasts", "."]
    assert _flat(Alignment.from_words(other, ours)) == (
        [1, 1, 1, 1, 1, 1, 1, 1],
        [0, 1, 2, 3, 4, 4, 5, 6],
        [1, 1, 1, 1, 2, 1, 1],
        [0, 1, 2, 3, 4, 5, 6, 7],
    )


# spacy/tests/training/test_training.py::test_alignment_array
def test_alignment_array() -> None:
    a = AlignmentArray.from_lists([[0, 1, 2], [3], [], [4, 5, 6, 7], [8, 9]])
    assert a.data.tolist() == list(range(10))
    assert a.lengths.tolist() == [3, 1, 0, 4, 2]
    assert a[3].tolist() == [4, 5, 6, 7]
    assert a[2].tolist() == []
    assert a[-2].tolist() == [4, 5, 6, 7]
    # DIFFERENCE: spaCy's AlignmentArray also takes a slice (the concatenated partners of a token
    # range); corpuskit's takes an int only: a TypeError, not a silent flat result.
    with pytest.raises(TypeError):
        a[1:4]  # type: ignore[index]
    a = AlignmentArray.from_lists([[], [1, 2, 3], [4, 5]])
    assert a[0].tolist() == [] and a[2].tolist() == [4, 5]
    a = AlignmentArray.from_lists([[1, 2, 3], [4, 5], []])
    assert a[-1].tolist() == []
    assert isinstance(a[0], np.ndarray)


# spacy/tests/training/test_training.py::test_alignment_case_insensitive
def test_alignment_case_insensitive() -> None:
    other = ["I", "listened", "to", "obama", "'", "s", "podcasts", "."]
    ours = ["i", "listened", "to", "Obama", "'s", "PODCASTS", "."]
    assert _flat(Alignment.from_words(other, ours)) == (
        [1, 1, 1, 1, 1, 1, 1, 1],
        [0, 1, 2, 3, 4, 4, 5, 6],
        [1, 1, 1, 1, 2, 1, 1],
        [0, 1, 2, 3, 4, 5, 6, 7],
    )


COMPLEX = ([3, 1, 1, 1, 1, 1], [0, 1, 2, 3, 4, 4, 5, 5], [1, 1, 1, 1, 2, 2], [0, 0, 0, 1, 2, 3, 4, 5])


# spacy/tests/training/test_training.py::test_alignment_complex
def test_alignment_complex() -> None:
    other = ["i listened to", "obama", "'", "s", "podcasts", "."]
    ours = ["i", "listened", "to", "obama", "'s", "podcasts."]
    assert _flat(Alignment.from_words(other, ours)) == COMPLEX


# spacy/tests/training/test_training.py::test_alignment_complex_example
def test_alignment_complex_example() -> None:
    predicted = Doc(
        words=["i listened to", "obama", "'", "s", "podcasts", "."],
        spaces=[True, False, False, True, False, False],
    )
    reference = Doc(
        words=["i", "listened", "to", "obama", "'s", "podcasts."],
        spaces=[True, True, True, False, True, False],
    )
    assert predicted.text == reference.text == "i listened to obama's podcasts."
    al = Example(predicted, reference).alignment
    assert (
        [len(x) for x in al.x2y],
        [i for x in al.x2y for i in x],
        [len(y) for y in al.y2x],
        [i for y in al.y2x for i in y],
    ) == COMPLEX


# spacy/tests/training/test_training.py::test_alignment_different_texts
def test_alignment_different_texts() -> None:
    other = ["she", "listened", "to", "obama", "'s", "podcasts", "."]
    ours = ["i", "listened", "to", "obama", "'s", "podcasts", "."]
    with pytest.raises(ValueError, match="differ at character 0"):
        Alignment.from_words(other, ours)


# spacy/tests/training/test_training.py::test_alignment_spaces
@pytest.mark.parametrize(
    ("other", "ours", "expected"),
    [
        pytest.param(
            [" ", "i listened to", "obama", "'", "s", "podcasts", "."],
            ["i", "listened", "to", "obama", "'s", "podcasts."],
            ([0, 3, 1, 1, 1, 1, 1], [0, 1, 2, 3, 4, 4, 5, 5], [1, 1, 1, 1, 2, 2], [1, 1, 1, 2, 3, 4, 5, 6]),
            id="single leading whitespace",
        ),
        pytest.param(
            [" ", " ", "i listened to", "obama", "'", "s", "podcasts", "."],
            ["i", "listened", "to", "obama", "'s", "podcasts."],
            (
                [0, 0, 3, 1, 1, 1, 1, 1],
                [0, 1, 2, 3, 4, 4, 5, 5],
                [1, 1, 1, 1, 2, 2],
                [2, 2, 2, 3, 4, 5, 6, 7],
            ),
            id="multiple leading whitespace tokens",
        ),
        pytest.param(
            [" ", " ", "i listened to", "obama", "'", "s", "podcasts", "."],
            [" ", "i", "listened", "to", "obama", "'s", "podcasts."],
            (
                [1, 0, 3, 1, 1, 1, 1, 1],
                [0, 1, 2, 3, 4, 5, 5, 6, 6],
                [1, 1, 1, 1, 1, 2, 2],
                [0, 2, 2, 2, 3, 4, 5, 6, 7],
            ),
            id="both with leading whitespace, not identical",
        ),
        pytest.param(
            [" ", " ", "i listened to", "obama", "'", "s", "podcasts", "."],
            ["  ", "i", "listened", "to", "obama", "'s", "podcasts."],
            (
                [1, 1, 3, 1, 1, 1, 1, 1],
                [0, 0, 1, 2, 3, 4, 5, 5, 6, 6],
                [2, 1, 1, 1, 1, 2, 2],
                [0, 1, 2, 2, 2, 3, 4, 5, 6, 7],
            ),
            id="same leading whitespace, different tokenization",
        ),
        pytest.param(
            ["i listened to", "obama", "'", "s", "podcasts", ".", " "],
            ["i", "listened", "to", "obama", "'s", "podcasts."],
            ([3, 1, 1, 1, 1, 1, 0], [0, 1, 2, 3, 4, 4, 5, 5], [1, 1, 1, 1, 2, 2], [0, 0, 0, 1, 2, 3, 4, 5]),
            id="only one with trailing whitespace",
        ),
        pytest.param(
            ["i listened to", "obama", "'", "s", "podcasts", ".", " ", " "],
            ["i", "listened", "to", "obama", "'s", "podcasts.", " "],
            (
                [3, 1, 1, 1, 1, 1, 1, 0],
                [0, 1, 2, 3, 4, 4, 5, 5, 6],
                [1, 1, 1, 1, 2, 2, 1],
                [0, 0, 0, 1, 2, 3, 4, 5, 6],
            ),
            id="different trailing whitespace",
        ),
        pytest.param(
            ["i listened to", "obama", "'", "s", "podcasts", ".", " ", " "],
            ["i", "listened", "to", "obama", "'s", "podcasts.", "  "],
            (
                [3, 1, 1, 1, 1, 1, 1, 1],
                [0, 1, 2, 3, 4, 4, 5, 5, 6, 6],
                [1, 1, 1, 1, 2, 2, 2],
                [0, 0, 0, 1, 2, 3, 4, 5, 6, 7],
            ),
            id="same trailing whitespace, different tokenization",
        ),
    ],
)
def test_alignment_spaces(other: list[str], ours: list[str], expected: tuple[list[int], ...]) -> None:
    assert _flat(Alignment.from_words(other, ours)) == expected


# spacy/tests/training/test_training.py::test_alignment_spaces (the last three cases)
def test_alignment_spaces_differing_whitespace() -> None:
    al = Alignment.from_words(["a", " \n ", "b", "c"], ["a", "b", " ", "c"])
    assert al.x2y.data.tolist() == [0, 1, 3]
    assert al.y2x.data.tolist() == [0, 2, 3]
    # other differences in whitespace are allowed (no error)
    Alignment.from_words([" ", "a"], ["  ", "a", " "])
    al = Alignment.from_words(["a", " "], ["a", "  "])
    # DIFFERENCE: spaCy returns three x2y entries for these two tokens; corpuskit one per token
    assert len(al.x2y) == 2


# spacy/tests/training/test_training.py::test_goldparse_startswith_space
def test_goldparse_startswith_space() -> None:
    doc = Doc(words=[" ", "a"], spaces=[False, False])  # en_tokenizer(" a")
    eg = Example.from_dict(doc, {"words": ["a"], "entities": ["U-DATE"], "deps": ["ROOT"], "heads": [0]})
    assert eg.get_aligned_ner() == ["O", "U-DATE"]
    assert eg.get_aligned("deps") == [None, "ROOT"]


# spacy/tests/training/test_training.py::test_goldparse_endswith_space
def test_goldparse_endswith_space() -> None:
    doc = Doc(words=["a", "\n"], spaces=[False, False])  # en_tokenizer("a\n")
    eg = Example.from_dict(doc, {"words": ["a"], "entities": ["U-DATE"], "deps": ["ROOT"], "heads": [0]})
    assert eg.get_aligned_ner() == ["U-DATE", "O"]
    assert eg.get_aligned("deps") == ["ROOT", None]


# spacy/tests/training/test_training.py::test_gold_constructor
def test_gold_constructor() -> None:
    doc = Doc(words=["This", "is", "a", "sentence"], spaces=[True, True, True, False])
    eg = Example.from_dict(doc, {"cats": {"cat1": 1.0, "cat2": 0.0}})
    assert eg.get_aligned("words") == ["This", "is", "a", "sentence"]
    assert eg.reference.cats["cat1"]
    assert not eg.reference.cats["cat2"]


# spacy/tests/training/test_training.py::test_tuple_format_implicit_invalid
def test_tuple_format_implicit_invalid() -> None:
    # DIFFERENCE: spaCy raises KeyError; corpuskit a UsageError (a ValueError) naming the key.
    doc = Doc(words=["Uber", "blew", "through", "$", "1", "million", "a", "week"])
    with pytest.raises(ValueError, match="'frumble'"):
        Example.from_dict(doc, {"frumble": [(0, 4, "ORG")]})


# spacy/tests/training/test_training.py::test_tuple_format_implicit (the examples, not the training)
def test_tuple_format_implicit() -> None:
    doc = Doc(words=["Spotify", "steps", "up", "Asia", "expansion"], spaces=[True, True, True, True, False])
    eg = Example.from_dict(doc, {"entities": [(0, 7, "ORG"), (17, 21, "LOC")]})
    assert eg.get_aligned_ner() == ["U-ORG", "O", "O", "U-LOC", "O"]


# spacy/tests/training/test_training.py::test_split_sentences (sentence starts across tokenizations)
def test_split_sentences_starts() -> None:
    # corpuskit has no Example.split_sents; the sentence starts it splits at are ported.
    words = ["I", "flew", "to", "San Francisco Valley", "had", "loads of fun"]
    gold_words = ["I", "flew", "to", "San", "Francisco", "Valley", "had", "loads", "of", "fun"]
    starts = [True, False, False, False, False, False, True, False, False, False]
    eg = Example.from_dict(Doc(words=words), {"words": gold_words, "sent_starts": starts})
    assert eg.get_aligned_sent_starts() == [True, False, False, False, True, False]
    words = ["I", "flew", "to", "San", "Francisco", "Valley", "had", "loads", "of fun"]
    gold_words = ["I", "flew", "to", "San Francisco", "Valley", "had", "loads of", "fun"]
    starts = [True, False, False, False, False, True, False, False]
    eg = Example.from_dict(Doc(words=words), {"words": gold_words, "sent_starts": starts})
    assert eg.get_aligned_sent_starts() == [True, False, False, False, False, False, True, False, False]
