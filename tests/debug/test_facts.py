"""The checks read what a converter stated (text, raw features, unplaced spans) through
corpuskit.debug.facts: a converter that writes the neutral keys is checked exactly as CoNLL-U's
own layout is, and no check reads any converter's layout."""

from __future__ import annotations

import copy
from pathlib import Path

from debug_helpers import EWT, check, count, edit, ewt_docs, places, write_spacy

from corpuskit.corpus import read_file
from corpuskit.debug import facts
from corpuskit.doc import Doc
from corpuskit.registry import FEATS_KEY, SPAN_PROBLEMS_KEY, TEXT_KEY

CHECKS_DIR = Path(facts.__file__).parent / "checks"
#: a treebank with multiword tokens (zum = zu dem), whose surface forms the stated text spells
GSD = Path(__file__).resolve().parents[2] / "fixtures" / "convert" / "de_gsd-ud-dev.slice.conllu"


def _neutral(doc: Doc) -> Doc:
    """The doc with its CoNLL-U layout replaced by the neutral facts it states."""
    texts = [[a, b, text, [list(m) for m in mwts]] for a, b, text, mwts in facts.stated_texts(doc)]
    feats = facts._legacy_feats(doc)
    user_data = {TEXT_KEY: texts, **({FEATS_KEY: feats} if feats is not None else {})}
    return edit(doc, user_data=user_data)


def _state(doc: Doc, change: int, feats: str | None = None) -> Doc:
    """The doc with a ``# text`` (its own, one character changed at ``change`` from its end) and
    optionally its first FEATS, written in CoNLL-U's round-trip layout."""
    from corpuskit.debug.checks.tokens import _rebuilt_text

    (entry,) = copy.deepcopy(doc.user_data["conllu.sents"])
    text = _rebuilt_text(doc, 0, len(doc.words), facts._conllu_mwts(entry, 0))
    text = text[:-change] + "#" + text[len(text) - change + 1 :]
    entry["comments"] = tuple("# text = " + text if c is None else c for c in entry["comments"])
    if feats is not None:
        entry["feats"] = (feats, *entry["feats"][1:])
    return edit(doc, user_data={"conllu.sents": [entry]})


def _broken() -> list[Doc]:
    docs = list(read_file(GSD, "conllu"))
    mwt = next(k for k, d in enumerate(docs) if any(e.get("extra") for e in d.user_data["conllu.sents"]))
    docs[mwt] = _state(docs[mwt], 3, feats="Number=Sing|Case=Nom")  # after the multiword tokens
    docs[0] = _state(docs[0], 1)
    return docs


def test_neutral_facts_are_checked_as_conllu_layout(tmp_path: Path) -> None:
    docs = _broken()
    legacy = check(write_spacy(tmp_path / "legacy.spacy", docs))
    neutral_docs = [_neutral(d) for d in docs]
    assert not any("conllu.sents" in d.user_data for d in neutral_docs)
    neutral = check(write_spacy(tmp_path / "neutral.spacy", neutral_docs))
    assert count(legacy, "text-form-mismatch") == 2 and count(legacy, "invalid-feature") == 1
    for check_id in ("text-form-mismatch", "invalid-feature"):
        assert places(neutral, check_id) == places(legacy, check_id), check_id
        assert [e.message for e in neutral.get(check_id).examples] == [
            e.message for e in legacy.get(check_id).examples
        ]
    assert [f.id for f in neutral.findings] == [f.id for f in legacy.findings]


def test_the_stated_text_as_one_string(tmp_path: Path) -> None:
    from corpuskit.debug.checks.tokens import _rebuilt_text

    doc = ewt_docs()[1]
    text = _rebuilt_text(doc, 0, len(doc.words), [])
    good = edit(doc, user_data={TEXT_KEY: text})
    bad = edit(doc, user_data={TEXT_KEY: text.replace(" ", "  ", 1)[:-1] + "?"})
    assert list(facts.stated_texts(good)) == [(0, len(doc.words), text, [])]
    report = check(write_spacy(tmp_path / "t.spacy", [good, bad]))
    assert places(report, "text-form-mismatch") == [(EWT.name, doc.lines[-1])]


def test_raw_feats_and_span_problems_under_neutral_keys() -> None:
    doc = ewt_docs()[0]
    raw: list[str | None] = [None] * len(doc.words)
    raw[1] = "Foo"
    got = facts.raw_feats(edit(doc, user_data={FEATS_KEY: raw}))
    assert got is not None and got[1] == "Foo" and got[0] == (doc.morphs or [None])[0]
    assert facts.raw_feats(edit(doc, user_data={FEATS_KEY: raw[:-1]})) == doc.morphs  # wrong length
    problem = {"reasons": ["overlap"], "tokens": [0, 1], "text": "x"}
    for key in (SPAN_PROBLEMS_KEY, "jsonl.problems", "span_problems"):
        assert facts.span_problems(edit(doc, user_data={key: [problem]})) == [problem]


def test_no_check_reads_a_converters_layout() -> None:
    for path in sorted(CHECKS_DIR.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for private in ("conllu.", "jsonl.", 'split("\\t")', "user_data.get", "user_data["):
            assert private not in text, (path.name, private)
