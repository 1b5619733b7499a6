"""Variation n-grams on real slices with injected errors: found, ranked, pointing at file:line."""

from __future__ import annotations

from pathlib import Path

from finderrors_helpers import EWT_EDITS, EWT_SAMPLE, WNUT_EDITS

from corpuskit.doc import Doc, Span
from corpuskit.finderrors.corpus import LoadedDoc, load_corpora
from corpuskit.finderrors.ngram import find_variation


def _by_line(suspects):
    out = {}
    for s in suspects:
        out.setdefault((s.line, s.layer), []).append(s)
    return out


def test_ewt_injected_tags_deps_heads_are_found_at_their_line(ewt_injected: Path):
    suspects = find_variation(load_corpora([ewt_injected]))
    found = _by_line(suspects)
    for line, (_col, old, new, layer, doc, token) in EWT_EDITS.items():
        hits = found.get((line, layer))
        assert hits, f"edit at line {line} ({layer} {old} -> {new}) not found"
        s = hits[0]
        assert s.file == str(ewt_injected)
        assert (s.doc, s.start, s.end) == (doc, token, token + 1)
        if layer == "heads":  # a Suspect's head is a token index in the doc (CoNLL-U's HEAD - 1)
            old, new = str(int(old) - 1), str(int(new) - 1)
        assert s.current == new
        assert s.suggested == old
        assert 0 < s.score <= 1
        assert s.method == "ngram"
        # The evidence quotes the other occurrences with their file:line and label.
        other = s.evidence["others"][0]
        assert other["file"] == str(ewt_injected) and isinstance(other["line"], int)
        assert s.evidence["context"] >= 2


def test_injected_errors_rank_above_the_clean_copy(ewt_injected: Path):
    # The same edits are absent from the original: none of them is a suspect there.
    clean = _by_line(find_variation(load_corpora([EWT_SAMPLE])))
    for line, (*_x, layer, _doc, _tok) in EWT_EDITS.items():
        assert not any(s.current != s.suggested and s.line == line for s in clean.get((line, layer), []))


def test_wnut_injected_type_swap_missed_and_boundary(wnut_injected: Path):
    suspects = find_variation(load_corpora([wnut_injected]), layers=("ents",))
    found = _by_line(suspects)
    for line, (layer, current, suggested, doc, start, end) in WNUT_EDITS.items():
        hits = [s for s in found.get((line, layer), []) if (s.start, s.end) == (start, end)]
        assert hits, f"edit at line {line} not found: {found.get((line, layer))}"
        s = hits[0]
        assert s.doc == doc
        assert s.current == current
        assert s.suggested == suggested
    # The two clear cases lead the queue.
    top = {(s.line, s.current, s.suggested) for s in suspects[:2]}
    assert top == {(12205, "product", "corporation"), (4762, None, "person")}


def test_same_mention_labelled_differently_across_files(tmp_path: Path):
    def doc(label: str, words: list[str]) -> Doc:
        return Doc(words=words, ents=[Span(0, 2, label)], lines=list(range(1, len(words) + 1)))

    a = [LoadedDoc("train.spacy", i, doc("ORG", ["Acme", "Corp", "rose", str(i)])) for i in range(3)]
    b = [LoadedDoc("dev.spacy", 0, doc("LOC", ["Acme", "Corp", "fell"]))]
    suspects = find_variation(a + b, layers=("ents",))
    assert [(s.file, s.current, s.suggested) for s in suspects] == [("dev.spacy", "LOC", "ORG")]
    assert suspects[0].evidence["context"] == 0
    # In one file, a mention with no shared context is not reported (it may be ambiguous).
    same_file = [LoadedDoc("train.spacy", i, d.doc) for i, d in enumerate(a + b)]
    assert find_variation(same_file, layers=("ents",)) == []


def test_no_annotation_no_suspects():
    docs = [LoadedDoc("x", 0, Doc(words=["a", "b", "c"]))]
    assert find_variation(docs) == []
