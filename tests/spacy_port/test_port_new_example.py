"""spaCy 3.8's own Example tests (spacy/tests/training/test_new_example.py), ported.

Each test names the spaCy test it comes from. Inputs and expected outputs are spaCy's, rewritten
for corpuskit's API (spaCy's ``token.tag_`` is ``doc.tags[i]``, ``get_aligned("TAG",
as_string=True)`` is ``get_aligned("tags")``, ``ENT_IOB`` is ``Doc.ent_iob()``). Where corpuskit
deliberately differs, the test asserts corpuskit's behaviour and says so ("DIFFERENCE");
docs/alignment.md lists every difference with its reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from corpuskit.doc import Doc
from corpuskit.errors import UsageError
from corpuskit.train.example import EntityOffsetWarning, Example
from corpuskit.train.scorer import score_deps, score_sents, score_spans, score_tokenization

CITIES = ["I", "like", "New", "York", "and", "Berlin", "."]


def _sents(doc: Doc) -> int:
    return len(doc.sentence_bounds())


# spacy/tests/training/test_new_example.py::test_Example_init_requires_doc_objects
def test_init_requires_doc_objects() -> None:
    # DIFFERENCE: spaCy raises TypeError; corpuskit's UsageError (a ValueError and CorpusError)
    # names both types, and the CLI turns it into one line.
    for a, b in [(None, None), (Doc(words=["hi"]), None), (None, Doc(words=["hi"]))]:
        with pytest.raises(UsageError, match="two corpuskit Docs"):
            Example(a, b)  # type: ignore[arg-type]


# spacy/tests/training/test_new_example.py::test_Example_from_dict_basic
def test_from_dict_basic() -> None:
    eg = Example.from_dict(Doc(words=["hello", "world"]), {"words": ["hello", "world"]})
    assert isinstance(eg.x, Doc)
    assert isinstance(eg.y, Doc)


# spacy/tests/training/test_new_example.py::test_Example_from_dict_invalid
def test_from_dict_invalid() -> None:
    # DIFFERENCE: spaCy raises KeyError; corpuskit a UsageError naming the key and the known keys.
    with pytest.raises(UsageError, match="'weirdannots'"):
        Example.from_dict(
            Doc(words=["ice", "cream"]), {"words": ["ice", "cream"], "weirdannots": ["something", "such"]}
        )


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_tags
@pytest.mark.parametrize("pred_words", [["ice", "cream"], ["icecream"], ["i", "ce", "cream"]])
def test_from_dict_with_tags(pred_words: list[str]) -> None:
    annots = {"words": ["icecream"], "tags": ["NN"]}
    eg = Example.from_dict(Doc(words=pred_words), annots)
    assert eg.reference.tags == ["NN"]
    assert eg.get_aligned("tags") == ["NN"] * len(pred_words)


# spacy/tests/training/test_new_example.py::test_aligned_tags
def test_aligned_tags() -> None:
    pred_words = ["Apply", "some", "sunscreen", "unless", "you", "can", "not"]
    gold_words = ["Apply", "some", "sun", "screen", "unless", "you", "cannot"]
    gold_tags = ["VERB", "DET", "NOUN", "NOUN", "SCONJ", "PRON", "VERB"]
    eg = Example.from_dict(Doc(words=pred_words), {"words": gold_words, "tags": gold_tags})
    assert eg.get_aligned("tags") == ["VERB", "DET", "NOUN", "SCONJ", "PRON", "VERB", "VERB"]
    # (spaCy's second half round-trips through Example.to_dict, which corpuskit does not have.)


# spacy/tests/training/test_new_example.py::test_aligned_tags_multi
def test_aligned_tags_multi() -> None:
    pred_words = ["Applysome", "sunscreen", "unless", "you", "can", "not"]
    gold_words = ["Apply", "somesun", "screen", "unless", "you", "cannot"]
    gold_tags = ["VERB", "DET", "NOUN", "SCONJ", "PRON", "VERB"]
    eg = Example.from_dict(Doc(words=pred_words), {"words": gold_words, "tags": gold_tags})
    assert eg.get_aligned("tags") == [None, None, "SCONJ", "PRON", "VERB", "VERB"]


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_parse
def test_from_dict_with_parse() -> None:
    annots = {
        "words": ["I", "like", "London", "and", "Berlin", "."],
        "deps": ["nsubj", "ROOT", "dobj", "cc", "conj", "punct"],
        "heads": [1, 1, 1, 2, 2, 1],
    }
    eg = Example.from_dict(Doc(words=annots["words"]), annots)
    assert eg.reference.deps == annots["deps"]
    assert eg.reference.heads == annots["heads"]


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_morphology
def test_from_dict_with_morphology() -> None:
    morphs = ["NounType=prop|Number=sing", "Poss=yes", "Number=sing", "Tense=past|VerbForm=fin"]
    annots = {"words": ["Sarah", "'s", "sister", "flew"], "morphs": morphs}
    eg = Example.from_dict(Doc(words=annots["words"]), annots)
    assert eg.reference.morphs == morphs


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_sent_start
def test_from_dict_with_sent_start() -> None:
    words = ["This", "is", "one", "sentence", "this", "is", "another"]
    eg = Example.from_dict(
        Doc(words=words), {"words": words, "sent_starts": [1, False, 0, None, True, -1, -5.7]}
    )
    assert _sents(eg.reference) == 2
    # spaCy's to_ternary_int: 1 -> start, 0/None -> unknown, anything else -> not a start
    assert eg.reference.sent_starts == [True, False, None, None, True, False, False]


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_cats
def test_from_dict_with_cats() -> None:
    cats = {"cat1": 1.0, "cat2": 0.0, "cat3": 0.5}
    eg = Example.from_dict(Doc(words=["This", "is", "a", "sentence"]), {"cats": cats})
    assert eg.reference.cats == cats


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_entities
def test_from_dict_with_entities() -> None:
    eg = Example.from_dict(
        Doc(words=CITIES), {"words": CITIES, "entities": [(7, 15, "LOC"), (20, 26, "LOC")]}
    )
    assert eg.reference.ents is not None and len(eg.reference.ents) == 2
    assert eg.reference.ent_iob() == ["O", "O", "B", "I", "O", "B", "O"]
    assert eg.reference.ent_types()[2:6] == ["LOC", "LOC", "", "LOC"]
    # spaCy's get_aligned("ENT_IOB") == [2, 2, 3, 1, 2, 3, 2] (O, O, B, I, O, B, O), in BILUO:
    assert eg.get_aligned_ner() == ["O", "O", "B-LOC", "L-LOC", "O", "U-LOC", "O"]


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_empty_entities
def test_from_dict_with_empty_entities() -> None:
    annots: dict[str, Any] = {"words": CITIES, "entities": []}
    eg = Example.from_dict(Doc(words=CITIES), annots)
    assert eg.reference.ents == []  # an empty list sets every token to O
    assert eg.reference.ent_iob() == ["O"] * 7
    annots["entities"] = None
    assert Example.from_dict(Doc(words=CITIES), annots).reference.ents is None
    annots.pop("entities")
    assert Example.from_dict(Doc(words=CITIES), annots).reference.ents is None


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_entities_invalid
def test_from_dict_with_entities_invalid() -> None:
    annots = {"words": CITIES, "entities": [(0, 4, "LOC"), (21, 27, "LOC")]}  # off token boundaries
    assert issubclass(EntityOffsetWarning, UserWarning)  # spaCy's W030 is a UserWarning
    with pytest.warns(EntityOffsetWarning, match="2 entity offset"):
        eg = Example.from_dict(Doc(words=CITIES), annots)
    assert eg.reference.ents == []
    # the tokens they touch are missing (spaCy's "-"), not O
    assert eg.reference.ent_iob() == ["", "", "O", "O", "O", "", "O"]


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_entities_overlapping
def test_from_dict_with_entities_overlapping() -> None:
    annots = {"words": CITIES, "entities": [(7, 15, "LOC"), (11, 15, "LOC"), (20, 26, "LOC")]}
    with pytest.raises(ValueError, match=r"overlap.*\[11:15\] 'York'"):
        Example.from_dict(Doc(words=CITIES), annots)


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_spans
def test_from_dict_with_spans() -> None:
    spans = {"cities": [(7, 15, "LOC"), (20, 26, "LOC")], "people": [(0, 1, "PERSON")]}
    eg = Example.from_dict(Doc(words=CITIES), {"words": CITIES, "spans": spans})
    assert eg.reference.ents is None
    assert [(s.start, s.end, s.label) for s in eg.reference.spans["cities"]] == [(2, 4, "LOC"), (5, 6, "LOC")]
    assert [s.label for s in eg.reference.spans["people"]] == ["PERSON"]


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_spans_overlapping
def test_from_dict_with_spans_overlapping() -> None:
    spans = {"cities": [(7, 15, "LOC"), (11, 15, "LOC"), (20, 26, "LOC")], "people": [(0, 1, "PERSON")]}
    eg = Example.from_dict(Doc(words=CITIES), {"words": CITIES, "spans": spans})
    assert eg.reference.ents is None
    assert len(eg.reference.spans["cities"]) == 3
    assert {s.label for s in eg.reference.spans["cities"]} == {"LOC"}
    assert len(eg.reference.spans["people"]) == 1


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_spans_invalid
@pytest.mark.parametrize(
    "spans",
    [[(0, 1, "PERSON")], {"cities": (7, 15, "LOC")}, {"cities": [7, 11]}, {"cities": [[7]]}],
)
def test_from_dict_with_spans_invalid(spans: Any) -> None:
    with pytest.raises(ValueError, match="spans"):
        Example.from_dict(Doc(words=CITIES), {"words": CITIES, "spans": spans})


# spacy/tests/training/test_new_example.py::test_Example_from_dict_sentences
def test_from_dict_sentences() -> None:
    eg = Example.from_dict(
        Doc(words=["One", "sentence", ".", "one", "more"]), {"sent_starts": [1, 0, 0, 1, 0]}
    )
    assert _sents(eg.reference) == 2
    eg = Example.from_dict(
        Doc(words=["One", "sentence", "not", "one", "more"]), {"sent_starts": [1, -1, 0, 0, 0]}
    )
    assert _sents(eg.reference) == 1
    assert eg.get_aligned_sent_starts() == [True, False, None, None, None]


# spacy/tests/training/test_new_example.py::test_Example_missing_deps
def test_missing_deps() -> None:
    words = ["I", "like", "London", "and", "Berlin", "."]
    deps = ["nsubj", "ROOT", "dobj", "cc", "conj", "punct"]
    heads = [1, 1, 1, 2, 2, 1]
    eg = Example.from_dict(Doc(words=words), {"words": words, "heads": heads, "deps": deps})
    assert eg.reference.heads == heads
    # DIFFERENCE: spaCy drops heads given without deps (a head needs a label in its token
    # array, so every head becomes missing); a corpuskit Doc holds an unlabelled parse, so
    # the heads are kept and the labels are unknown.
    eg = Example.from_dict(Doc(words=words), {"words": words, "heads": heads})
    assert eg.reference.heads == heads
    assert eg.reference.deps is None
    assert eg.get_aligned_parse() == (heads, [None] * 6)


# spacy/tests/training/test_new_example.py::test_Example_missing_heads
def test_missing_heads() -> None:
    words = ["I", "like", "London", "and", "Berlin", "."]
    deps = ["nsubj", "ROOT", "dobj", None, "conj", "punct"]
    heads = [1, 1, 1, None, 2, 1]
    eg = Example.from_dict(Doc(words=words), {"words": words, "heads": heads, "deps": deps})
    assert [h is not None for h in eg.reference.heads or []] == [True, True, True, False, True, True]
    assert eg.reference.heads == heads
    # the missing head does not create an artificial new sentence start
    assert eg.get_aligned_sent_starts() == [True, False, False, False, False, False]


# spacy/tests/training/test_new_example.py::test_Example_aligned_whitespace
def test_aligned_whitespace() -> None:
    words = ["a", " ", "b"]
    tags = ["A", "SPACE", "B"]
    eg = Example(Doc(words=words), Doc(words=words, tags=list(tags)))
    assert eg.get_aligned("tags") == tags


# spacy/tests/training/test_new_example.py::test_issue11260
def test_issue11260_span_kb_ids() -> None:
    spans = {"cities": [(7, 15, "LOC", "")], "people": [(0, 1, "PERSON", "")]}
    words = ["I", "like", "New", "York", "."]
    eg = Example.from_dict(Doc(words=words), {"words": words, "spans": spans})
    (city,) = eg.reference.spans["cities"]
    (person,) = eg.reference.spans["people"]
    assert (city.label, words[city.start : city.end]) == ("LOC", ["New", "York"])
    assert (person.label, person.start, person.kb_id) == ("PERSON", 0, "")
    # (spaCy's round trip through Example.to_dict is not ported: corpuskit has no to_dict.)


# spacy/tests/doc/test_token_api.py::test_missing_head_dep
def test_missing_head_dep() -> None:
    heads = [1, 1, 1, 1, 2, None]  # element 5 is missing
    deps = ["", "ROOT", "dobj", "cc", "conj", None]  # elements 0 and 5 are missing
    words = ["I", "like", "London", "and", "Berlin", "."]
    eg = Example.from_dict(Doc(words=words), {"heads": heads, "deps": deps})
    assert eg.get_aligned_sent_starts() == [True, False, False, False, False, False]
    aligned_heads, aligned_deps = eg.get_aligned_parse()
    assert aligned_heads[1:5] == [1, 1, 1, 2]
    assert aligned_deps[1:5] == ["ROOT", "dobj", "cc", "conj"]
    assert aligned_heads[5] is None and aligned_deps[5] is None


# spacy/tests/parser/test_ner.py::test_beam_ner_scores ("ner" is spaCy's alias of "entities")
def test_ner_key_alias() -> None:
    words = ["Telerate", "Systems", "Inc.", "said"]
    eg = Example.from_dict(Doc(words=words), {"ner": ["B-ORG", "I-ORG", "L-ORG", "O"]})
    assert eg.get_aligned_ner() == ["B-ORG", "I-ORG", "L-ORG", "O"]


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_links
def test_from_dict_with_links() -> None:
    links = {(7, 15): {"Q60": 1.0, "Q64": 0.0}, (20, 26): {"Q60": 0.0, "Q64": 1.0}}
    eg = Example.from_dict(
        Doc(words=CITIES), {"words": CITIES, "entities": [(7, 15, "LOC"), (20, 26, "LOC")], "links": links}
    )
    kb = [""] * len(CITIES)
    for span in eg.reference.ents or ():
        kb[span.start : span.end] = [span.kb_id] * (span.end - span.start)
    assert kb == ["", "", "Q60", "Q60", "", "Q64", ""]


# spacy/tests/training/test_new_example.py::test_Example_from_dict_with_links_invalid
def test_from_dict_with_links_invalid() -> None:
    links = {(7, 14): {"Q7381115": 1.0, "Q2146908": 0.0}}
    with pytest.raises(ValueError, match="token boundaries"):
        Example.from_dict(Doc(words=CITIES), {"words": CITIES, "links": links})


# spacy/tests/test_cli.py::test_issue4924 (an empty doc with an empty dict evaluates)
def test_issue4924_empty_example_scores() -> None:
    eg = Example.from_dict(Doc(words=[]), {})
    assert eg.get_aligned("tags") == [] and eg.get_aligned_ner() == []
    assert eg.get_aligned_parse() == ([], []) and eg.get_aligned_sent_starts() == []
    assert score_tokenization([eg])["token_acc"] is None
    assert score_deps([eg])["dep_uas"] is None
    assert score_spans([eg])["ents_f"] is None
    assert score_sents([eg])["sents_f"] is None


# spacy/tests/doc/test_token_api.py::test_missing_head_dep (the Doc half: pred_sent_starts)
def test_doc_sentence_bounds_with_missing_heads() -> None:
    words = ["I", "like", "London", "and", "Berlin", "."]
    doc = Doc(words=words, heads=[1, 1, 1, 1, 2, None], deps=["", "ROOT", "dobj", "cc", "conj", None])
    assert doc.sentence_bounds() == [(0, 6)]


# spacy/tests/training/test_new_example.py::test_Example_missing_heads (the reference Doc's sentences)
def test_reference_sentence_bounds_with_missing_heads() -> None:
    words = ["I", "like", "London", "and", "Berlin", "."]
    heads = [1, 1, 1, None, 2, 1]
    eg = Example.from_dict(
        Doc(words=words), {"heads": heads, "deps": ["nsubj", "ROOT", "dobj", None, "conj", "punct"]}
    )
    assert eg.reference.sentence_bounds() == [(0, 6)]


# spacy/tests/training/test_new_example.py::test_Example_from_dict_sentences, through a DocBin:
# spaCy's SENT_START values 1 / -1 / 0 are read as start / not a start / unknown, both ways.
def test_sent_start_values_through_docbin(tmp_path: Path) -> None:
    from spacy.tokens import Doc as SDoc
    from spacy.tokens import DocBin as SDocBin
    from spacy.vocab import Vocab

    from corpuskit.docbin import read_docbin, write_docbin

    words = ["One", "sentence", "not", "one", "more"]
    vocab = Vocab()
    sdoc = SDoc(vocab, words=words, sent_starts=[True, False, None, None, None])
    assert sdoc.to_array("SENT_START").astype("int64").tolist() == [1, -1, 0, 0, 0]
    SDocBin(docs=[sdoc], attrs=["ORTH", "SENT_START"]).to_disk(tmp_path / "spacy.spacy")
    (doc,) = read_docbin(tmp_path / "spacy.spacy")
    assert doc.sent_starts == [True, False, None, None, None]
    assert doc.sentence_bounds() == [(0, 5)]
    write_docbin([doc], tmp_path / "corpuskit.spacy")
    (back,) = SDocBin().from_disk(tmp_path / "corpuskit.spacy").get_docs(vocab)
    assert back.to_array("SENT_START").astype("int64").tolist() == [1, -1, 0, 0, 0]
    assert len(list(back.sents)) == 1


# spacy/tests/training/test_new_example.py::test_Example_missing_heads, through a DocBin: a head
# that is None but has a label is written as HEAD 0 + DEP, which spaCy (and corpuskit) read as a
# root, so the missing head becomes a sentence start in the .spacy file.
def test_missing_head_with_label_through_docbin(tmp_path: Path) -> None:
    from corpuskit.docbin import read_docbin, write_docbin

    words = ["I", "like", "London", "and", "Berlin", "."]
    deps = ["nsubj", "ROOT", "dobj", "cc", "conj", "punct"]
    write_docbin([Doc(words=words, heads=[1, 1, 1, None, 2, 1], deps=deps)], tmp_path / "d.spacy")
    (doc,) = read_docbin(tmp_path / "d.spacy")
    assert doc.heads == [1, 1, 1, None, 2, 1]
    assert doc.sent_starts == [True, False, False, False, False, False]
