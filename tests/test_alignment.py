"""The gold-alignment engine against spaCy as the oracle, and its precise problem reports."""

from __future__ import annotations

import json
import random
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc as SDoc
from spacy.training import Alignment as SpacyAlignment
from spacy.training import offsets_to_biluo_tags
from spacy.vocab import Vocab

import corpuskit.tags
from corpuskit.alignment import (
    Alignment,
    AlignmentArray,
    AlignmentError,
    biluo_to_spans,
    char_span,
    detect_offset_units,
    detect_scheme,
    iob_to_biluo,
    offset_table,
    offsets_to_biluo,
    spans_from_offsets,
    spans_to_biluo,
    to_codepoints,
    token_offsets,
)
from corpuskit.doc import Doc, Span

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "alignment"
VOCAB = Vocab()


def _load(name: str) -> list[dict[str, object]]:
    with open(FIXTURES / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


SENTENCES = [rec for name in sorted(p.name for p in FIXTURES.glob("*.sample.jsonl")) for rec in _load(name)]
TEXTS = [str(rec["text"]) for rec in SENTENCES]


def _retokenize(text: str, rng: random.Random) -> list[str]:
    """A random tokenization of ``text`` in the shape of a spaCy Doc's words: cut anywhere
    between non-space characters; a single space is usually dropped (a trailing space), other
    whitespace becomes whitespace tokens, and now and then a token starts with whitespace."""
    tokens: list[str] = []
    current = ""
    cut = rng.choice([0.1, 0.3, 0.7])
    for ch in text:
        if ch.isspace():
            if current:
                tokens.append(current)
                current = ""
            r = rng.random()
            if r < 0.08:
                tokens.append(ch * rng.randint(1, 2))
            elif r < 0.12:
                tokens.append(rng.choice(["\n", "\t", "  "]))
            elif r < 0.15:
                current = ch
            continue
        current += ch
        if rng.random() < cut:
            tokens.append(current)
            current = ""
    if current:
        tokens.append(current)
    if rng.random() < 0.2:
        tokens = [_recase(t, upper=rng.random() < 0.5) for t in tokens]
    return tokens


def _recase(token: str, *, upper: bool) -> str:
    # Change case only where that keeps the lowercased text (not "ß" -> "SS").
    out = []
    for ch in token:
        new = ch.upper() if upper else ch.lower()
        out.append(new if len(new) == 1 and new.lower() == ch.lower() else ch)
    return "".join(out)


def _same_as_spacy(a: list[str], b: list[str]) -> bool | None:
    """Compare with spaCy; None where spaCy's own output is malformed (see test below)."""
    theirs = SpacyAlignment.from_strings(a, b)
    if len(theirs.x2y.lengths) != len(a) or len(theirs.y2x.lengths) != len(b):
        return None
    ours = Alignment.from_words(a, b)
    return (
        ours.x2y.lengths.tolist() == theirs.x2y.lengths.tolist()
        and ours.x2y.data.tolist() == theirs.x2y.data.tolist()
        and ours.y2x.lengths.tolist() == theirs.y2x.lengths.tolist()
        and ours.y2x.data.tolist() == theirs.y2x.data.tolist()
    )


def test_agrees_with_spacy_on_thousands_of_retokenizations() -> None:
    rng = random.Random(20261125)
    compared = 0
    for _ in range(8):
        for i, text in enumerate(TEXTS):
            if rng.random() < 0.1:
                # Several sentences as one text: exercises the vectorised path for long inputs.
                text = " ".join(TEXTS[i : i + rng.randint(2, 8)])
            a, b = _retokenize(text, rng), _retokenize(text, rng)
            same = _same_as_spacy(a, b)
            if same is None:
                continue
            assert same, (a, b)
            compared += 1
    assert compared > 1500


def test_agrees_with_spacy_on_gold_tokens() -> None:
    rng = random.Random(7)
    for rec in SENTENCES:
        words = [str(w) for w in rec["words"]]  # type: ignore[attr-defined]
        other = _retokenize(str(rec["text"]), rng)
        assert _same_as_spacy(words, other) in (True, None)
        assert _same_as_spacy(other, words) in (True, None)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(TEXTS), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_property_agrees_with_spacy(text: str, repeat: int, seed: int) -> None:
    rng = random.Random(seed)
    text = " ".join([text] * repeat)
    a, b = _retokenize(text, rng), _retokenize(text, rng)
    assert _same_as_spacy(a, b) in (True, None)


def test_spacy_malformed_case_is_well_formed_here() -> None:
    # spaCy returns three entries for two tokens when a whitespace token at the end is only
    # partly paired; corpuskit gives one entry per token.
    a, b = ["a", "  "], ["a", " "]
    assert len(SpacyAlignment.from_strings(a, b).x2y.lengths) == 3
    ours = Alignment.from_words(a, b)
    assert ours.x2y.to_lists() == [[0], [1]]
    assert ours.y2x.to_lists() == [[0], [1]]


def test_basic_alignments() -> None:
    al = Alignment.from_words(["a", "b c", "d"], ["ab", "c", "d"])
    assert al.x2y.to_lists() == [[0], [0, 1], [2]]
    assert al.y2x.to_lists() == [[0, 1], [1], [2]]
    # Whitespace tokens only one side has align to nothing.
    al = Alignment.from_words(["New", " ", "York"], ["New", "York"])
    assert al.x2y.to_lists() == [[0], [], [1]]
    assert al.y2x.to_lists() == [[0], [2]]
    # Case is ignored, as in spaCy.
    assert Alignment.from_words(["Hello", "World"], ["hello", "wor", "ld"]).x2y.to_lists() == [[0], [1, 2]]
    # Empty tokens align to nothing (spaCy cannot represent them).
    assert Alignment.from_words(["a", "", "b"], ["ab"]).x2y.to_lists() == [[0], [], [0]]
    assert Alignment.from_strings(["a", "b"], ["ab"]).y2x.to_lists() == [[0, 1]]  # spaCy's name
    empty = Alignment.from_words([], [])
    assert len(empty.x2y) == 0 and len(empty.y2x) == 0


def _cut(total: int, rng: random.Random) -> list[int]:
    """Random token lengths (zeros included) summing to ``total``."""
    cuts = sorted(rng.randint(0, total) for _ in range(rng.randint(0, total)))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def test_merge_walk_and_vectorised_paths_agree() -> None:
    # Short inputs take a Python merge walk, long ones numpy searchsorted: same answers.
    rng = random.Random(3)
    for _ in range(300):
        total = rng.randint(0, 60)
        la, lb = _cut(total, rng), _cut(total, rng)
        short = Alignment._from_lengths_short(la, lb)
        vector = Alignment._from_lengths_long(np.array(la, dtype=np.int64), np.array(lb, dtype=np.int64))
        assert short == vector, (la, lb)
        assert len(short.x2y) == len(la) and len(short.y2x) == len(lb)


def test_alignment_array_access() -> None:
    arr = AlignmentArray([1, 0, 2], [5, 6, 7])
    assert arr[0].tolist() == [5]
    assert arr[1].tolist() == []
    assert arr[2].tolist() == [6, 7]
    assert arr[-1].tolist() == [6, 7]
    assert [x.tolist() for x in arr] == [[5], [], [6, 7]]
    assert arr.starts.tolist() == [0, 1, 1]
    assert arr == AlignmentArray.from_lists([[5], [], [6, 7]])
    with pytest.raises(IndexError, match="token 3 is out of range for 3 tokens"):
        arr[3]
    with pytest.raises(ValueError, match="lengths sum to 2 but data has 3 items"):
        AlignmentArray([1, 1], [1, 2, 3])


def test_one_to_one() -> None:
    al = Alignment.from_words(["do", "n't", "go", "!"], ["don't", "go", "!"])
    x_ok, y_ok = al.one_to_one()
    assert x_ok.tolist() == [False, False, True, True]
    assert y_ok.tolist() == [False, True, True]


def test_error_shows_first_difference_with_context() -> None:
    a = ["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog"]
    b = ["the", "quick", "brown", "fax", "jumps", "over", "the", "lazy", "dog"]
    with pytest.raises(AlignmentError) as info:
        Alignment.from_words(a, b)
    err = info.value
    assert err.position == 14 and err.a_token == 3 and err.b_token == 3
    msg = str(err)
    assert "first differ at character 14" in msg
    assert "'o' in token 3 'fox'" in msg and "'a' in token 3 'fax'" in msg
    assert "the quick brown f[o]x jumps over the lazy" in msg
    # Far into a long text, the message still points at the place, not at the first tokens.
    long_a = [*TEXTS[0].split(), *("word " * 500).split(), "end"]
    long_b = [*TEXTS[0].split(), *("word " * 500).split(), "End!"]
    with pytest.raises(AlignmentError, match=r"b has '!' in token \d+ 'End!'") as info:
        Alignment.from_words(long_a, long_b)
    assert info.value.a_token is None
    assert "a ends there" in str(info.value)
    assert isinstance(info.value, ValueError)


def test_whitespace_differences_are_not_errors() -> None:
    al = Alignment.from_words(["a", "\n", "b"], ["a", "b"])
    assert al.x2y.to_lists() == [[0], [], [1]]


# --------------------------------------------------------------------------------------------
# Offsets onto tokens


def _doc(rec: dict[str, object]) -> Doc:
    return Doc(words=list(rec["words"]), spaces=list(rec["spaces"]))  # type: ignore[call-overload]


def _sdoc(doc: Doc) -> SDoc:
    return SDoc(VOCAB, words=doc.words, spaces=doc.spaces)


def test_token_offsets_match_doc() -> None:
    for rec in SENTENCES[:30]:
        doc = _doc(rec)
        starts, ends = token_offsets(doc)
        assert list(zip(starts, ends, strict=True)) == doc.token_offsets()


def test_offsets_to_biluo_agrees_with_spacy() -> None:
    rng = random.Random(11)
    checked = 0
    for _ in range(6):
        for rec in SENTENCES:
            doc = _doc(rec)
            size = len(doc.text)
            spans: list[tuple[int, int, str]] = []
            used: set[int] = set()
            for _ in range(rng.randint(0, 4)):
                start = rng.randint(-2, size + 1)
                end = start + rng.randint(1, 15)
                if used & set(range(start, end)):
                    continue
                used |= set(range(start, end))
                spans.append((start, end, rng.choice(["PER", "LOC", ""])))
            ours, problems = offsets_to_biluo(doc, spans)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = offsets_to_biluo_tags(_sdoc(doc), spans)
            assert ours == theirs, (doc.text, spans)
            placed = {(s.start, s.end) for s in biluo_to_spans(ours)}
            assert len(placed) + len(problems) == len(spans)
            checked += 1
    assert checked > 1000


def test_char_span_agrees_with_spacy() -> None:
    rng = random.Random(5)
    for rec in SENTENCES:
        doc = _doc(rec)
        sdoc = _sdoc(doc)
        size = len(doc.text)
        for mode in ("strict", "contract", "expand"):
            for _ in range(5):
                start = rng.randint(0, size)
                end = rng.randint(start, size)
                ours = char_span(doc, start, end, "X", alignment_mode=mode)  # type: ignore[arg-type]
                theirs = sdoc.char_span(start, end, alignment_mode=mode)
                assert (None if ours is None else (ours.start, ours.end)) == (
                    None if theirs is None else (theirs.start, theirs.end)
                )
    with pytest.raises(ValueError, match="alignment_mode 'loose'"):
        char_span(_doc(SENTENCES[0]), 0, 1, alignment_mode="loose")  # type: ignore[arg-type]


DOC = Doc(
    words=["I", "like", "New", "York", ".", "Really", "!"],
    spaces=[True, True, True, False, True, False, False],
)  # "I like New York. Really!"


def test_problems_are_listed_precisely() -> None:
    text = DOC.text
    assert text == "I like New York. Really!"
    spans = [
        (7, 15, "GPE"),  # fits: New York
        (17, 21, "X"),  # ends inside "Really"
        (3, 6, "Y"),  # starts inside "like"
        (6, 10, "Z"),  # starts on the space before "New" (and overlaps span 0)
        (22, 30, "W"),  # beyond the text
        (0, 1, ""),  # empty label
        (16, 16, "V"),  # empty span
    ]
    tags, problems = offsets_to_biluo(DOC, spans)
    assert tags == ["O", "-", "B-GPE", "L-GPE", "O", "-", "-"]
    by_index = {p.index: p for p in problems}
    assert sorted(by_index) == [1, 2, 3, 4, 5, 6]

    p = by_index[1]
    assert p.reasons == ("end-inside-token",)
    assert (p.start, p.end, p.label, p.text) == (17, 21, "X", "Real")
    assert p.tokens == (5, 6) and p.token_texts == ("Really",)
    assert p.fix == (17, 23) and p.fix_text == "Really"
    assert p.message == (
        "span 1 [17:21] 'Real' ('X'): end inside token; token 5 'Really'; nearest fit [17:23] 'Really'"
    )

    p = by_index[2]
    assert p.reasons == ("start-inside-token",)
    assert p.token_texts == ("like",) and p.fix == (2, 6) and p.fix_text == "like"

    p = by_index[3]
    assert p.reasons == ("whitespace-edge", "overlap")
    assert p.overlaps == 0
    assert p.fix is None

    p = by_index[4]
    assert p.reasons == ("out-of-range",)
    assert p.tokens == (5, 7)

    assert by_index[5].reasons == ("empty-label",)
    assert by_index[6].reasons == ("empty-span",) and by_index[6].tokens is None


def test_whitespace_edge_fix_trims() -> None:
    tags, problems = offsets_to_biluo(DOC, [(6, 15, "GPE")])
    assert tags == ["O", "O", "-", "-", "O", "O", "O"]
    (p,) = problems
    assert p.reasons == ("whitespace-edge",)
    assert p.fix == (7, 15) and p.fix_text == "New York"


def test_overlap_where_spacy_raises() -> None:
    spans = [(7, 15, "GPE"), (11, 15, "LOC")]
    with pytest.raises(ValueError, match="E103"):
        offsets_to_biluo_tags(_sdoc(DOC), spans)
    tags, problems = offsets_to_biluo(DOC, spans)
    assert tags == ["O", "O", "B-GPE", "L-GPE", "O", "O", "O"]
    assert [(p.index, p.reasons, p.overlaps) for p in problems] == [(1, ("overlap",), 0)]


def test_spans_from_offsets_sets_ents_and_missing() -> None:
    doc = Doc(words=list(DOC.words), spaces=list(DOC.spaces or []))
    problems = spans_from_offsets(doc, [(7, 15, "GPE"), (17, 20, "X")])
    assert doc.ents == [Span(2, 4, "GPE")]
    assert doc.ents_missing == [False, False, False, False, False, True, False]
    assert doc.ent_iob() == ["O", "O", "B", "I", "O", "", "O"]
    assert [p.index for p in problems] == [1]
    clean = Doc(words=["a", "b"])
    assert spans_from_offsets(clean, [(0, 1, "X")]) == []
    assert clean.ents == [Span(0, 1, "X")] and clean.ents_missing is None


# --------------------------------------------------------------------------------------------
# Offset units


EMOJI_TEXT = "Loved it 😀😀 in Paris with Ann"


def _js_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-16-le")) // 2


def test_utf16_offsets_after_emoji() -> None:
    start = EMOJI_TEXT.index("Paris")
    js = _js_offset(EMOJI_TEXT, start)
    assert js == start + 2
    assert to_codepoints(EMOJI_TEXT, [js, js + 5], "utf-16") == [start, start + 5]
    # Half a surrogate pair is not a character boundary.
    emoji = EMOJI_TEXT.index("😀")
    assert to_codepoints(EMOJI_TEXT, [_js_offset(EMOJI_TEXT, emoji) + 1], "utf-16") == [None]
    assert to_codepoints(EMOJI_TEXT, [-1, 10_000], "codepoints") == [None, None]
    # In code points, the span is two characters off and cuts a token.
    doc = Doc(words=["Loved", "it", "😀😀", "in", "Paris", "with", "Ann"])
    _, problems = offsets_to_biluo(doc, [(js, js + 5, "GPE")])
    assert problems and problems[0].fix == (start, start + 5)
    ann = EMOJI_TEXT.index("Ann")
    ann_js = _js_offset(EMOJI_TEXT, ann)
    guess = detect_offset_units(EMOJI_TEXT, [(js, js + 5, "GPE"), (ann_js, ann_js + 3, "PER")])
    assert guess.unit == "utf-16" and guess.exact
    assert guess.fits["codepoints"] < guess.fits["utf-16"]


def test_utf8_byte_offsets() -> None:
    text = "Café in Zürich"
    b = text.encode()
    start = b.index("Zürich".encode())
    spans = [(start, start + len("Zürich".encode()), "LOC"), (0, len("Café".encode()), "ORG")]
    assert to_codepoints(text, [spans[0][0], spans[0][1]], "utf-8") == [8, 14]
    assert to_codepoints(text, [4], "utf-8") == [None]  # inside the two bytes of "é"
    assert detect_offset_units(text, spans).unit == "utf-8"


def test_crlf_offsets() -> None:
    text = "First line\nI met Ann\nin Rome"
    crlf = text.replace("\n", "\r\n")
    spans = [
        (crlf.index("Ann"), crlf.index("Ann") + 3, "PER"),
        (crlf.index("Rome"), crlf.index("Rome") + 4, "LOC"),
    ]
    guess = detect_offset_units(text, spans)
    assert guess.unit == "crlf" and guess.exact and guess.fits["codepoints"] == 0
    assert to_codepoints(text, [s for sp in spans for s in sp[:2]], "crlf") == [17, 20, 24, 28]
    # The reverse: the text has CRLF, the offsets were counted without the \r.
    lf_spans = [(text.index("Rome"), text.index("Rome") + 4, "LOC")]
    assert detect_offset_units(crlf, lf_spans).unit == "crlf"
    assert offset_table("a\r\nb", "crlf").tolist() == [0, 1, 1, 2, 3]


def test_detect_with_tokens_and_ties() -> None:
    text = "Ann met Bob"
    tokens = [(0, 3), (4, 7), (8, 11)]
    assert detect_offset_units(text, [(0, 3, "PER")], tokens).unit == "codepoints"
    assert detect_offset_units(text, [(1, 3, "PER")], tokens).unit is None
    assert detect_offset_units(text, []).unit == "codepoints"
    with pytest.raises(ValueError, match="offset unit 'bytes'"):
        offset_table(text, "bytes")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Re-exported tag-scheme functions


def test_scheme_functions_are_reexported() -> None:
    assert iob_to_biluo is corpuskit.tags.iob_to_biluo
    assert biluo_to_spans is corpuskit.tags.biluo_to_spans
    assert spans_to_biluo is corpuskit.tags.spans_to_biluo
    assert detect_scheme is corpuskit.tags.detect_scheme
    assert iob_to_biluo(["B-PER", "I-PER", "O", "I-LOC"]) == ["B-PER", "L-PER", "O", "U-LOC"]
    tags, _ = offsets_to_biluo(DOC, [(7, 15, "GPE")])
    assert spans_to_biluo(len(DOC), biluo_to_spans(tags)) == tags
