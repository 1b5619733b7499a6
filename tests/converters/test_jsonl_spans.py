"""Offset JSONL from annotation tools (doccano, Label Studio, Prodigy, plain): spaCy as the oracle."""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc as SDoc
from spacy.training import offsets_to_biluo_tags
from spacy.vocab import Vocab

from converters.jsonl_spans import (
    PROBLEMS_KEY,
    UNITS_KEY,
    JsonlReport,
    doccano,
    jsonl,
    labelstudio,
    parse_doccano,
    parse_jsonl,
    parse_labelstudio,
    parse_prodigy,
    prodigy,
    read_jsonl,
    resolve_units,
    write_jsonl,
)
from corpuskit.alignment import biluo_to_spans
from corpuskit.doc import Doc
from corpuskit.docbin import read_docbin, write_docbin
from corpuskit.errors import FormatError, UsageError
from corpuskit.registry import get_converter

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "jsonl"


def read(name: str, flavour: str = "jsonl", **options: Any) -> tuple[list[Doc], JsonlReport]:
    reports: list[JsonlReport] = []
    docs = list(read_jsonl(str(FIX / name), flavour=flavour, on_report=reports.append, lang="en", **options))  # type: ignore[arg-type]
    assert len(reports) == 1
    return docs, reports[0]


def lines_of(*records: Any) -> list[str]:
    return [json.dumps(r, ensure_ascii=False) + "\n" for r in records]


def ents_text(doc: Doc) -> list[tuple[str, str]]:
    offsets = doc.token_offsets()
    return [(doc.text[offsets[s.start][0] : offsets[s.end - 1][1]], s.label) for s in doc.ents or ()]


def problems(docs: list[Doc]) -> list[dict[str, Any]]:
    return [p for d in docs for p in d.user_data.get(PROBLEMS_KEY, [])]


# ------------------------------------------------------------------------------ registry


def test_entry_points_give_the_converters() -> None:
    for conv in (jsonl, doccano, labelstudio, prodigy):
        assert get_converter(conv.name) is conv
        assert {"offset_units", "lang"} <= conv.options
        assert conv.write is not None


def test_detect_tells_the_flavours_apart() -> None:
    head = (FIX / "prodigy_ner.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    assert prodigy.detect is not None and prodigy.detect(head) > 0.8
    head = (FIX / "misaligned.doccano.jsonl").read_text(encoding="utf-8").splitlines()[:5]
    assert doccano.detect is not None and doccano.detect(head) > (jsonl.detect or (lambda h: 1.0))(head)
    head = (FIX / "labelstudio_export.json").read_text(encoding="utf-8").splitlines()[:50]
    assert labelstudio.detect is not None and labelstudio.detect(head) > 0.8
    assert doccano.detect(head) == 0.0
    assert labelstudio.detect(['[{"id": 1, "paragraphs": []}]']) == 0.0


def test_resolve_units_names() -> None:
    assert resolve_units("auto") is None
    assert resolve_units("chars") == "codepoints"
    assert resolve_units("utf16") == "utf-16"
    assert resolve_units("utf8") == "utf-8"
    assert resolve_units("crlf") == "crlf"
    with pytest.raises(UsageError, match="utf32"):
        resolve_units("utf32")


# ------------------------------------------------------------------------------ spans that fit


def test_wnut_doccano_matches_spacy_offsets_to_biluo() -> None:
    docs, report = read("wnut17_dev.doccano.jsonl", "doccano")
    assert report.unit == "codepoints" and report.spans == report.placed == 57
    vocab = Vocab()
    records = [
        json.loads(line) for line in (FIX / "wnut17_dev.doccano.jsonl").read_text("utf-8").splitlines()
    ]
    assert len(docs) == len(records) == 40
    for doc, rec in zip(docs, records, strict=True):
        assert doc.text == rec["text"]
        sdoc = SDoc(vocab, words=doc.words, spaces=doc.spaces)
        expected = offsets_to_biluo_tags(sdoc, [tuple(s) for s in rec["label"]])
        assert doc.ents == biluo_to_spans(expected)
        assert doc.ents_missing is None
        assert doc.lines == [records.index(rec) + 1] * len(doc.words)


def test_records_without_tokens_match_spacy_on_spacy_tokens() -> None:
    """Our tokens where they agree with spaCy's English tokenizer: the same BILUO tags."""
    from spacy.lang.en import English

    nlp = English()
    texts = [
        ("Apple's CEO Tim Cook visited Paris, France.", [(0, 5, "ORG"), (12, 20, "PER"), (29, 34, "GPE")]),
        ("I (Ann) don't live in the U.S. anymore!", [(3, 6, "PER"), (26, 30, "GPE")]),
    ]
    docs = list(parse_jsonl(lines_of(*({"text": t, "spans": s} for t, s in texts)), lang="en"))
    for doc, (text, spans) in zip(docs, texts, strict=True):
        sdoc = nlp.make_doc(text)
        assert doc.words == [t.text for t in sdoc]
        assert doc.ents == biluo_to_spans(offsets_to_biluo_tags(sdoc, spans))


def test_prodigy_tokens_answers_and_cats() -> None:
    docs, report = read("prodigy_ner.jsonl", "prodigy")
    assert report.skipped == {"reject": 1, "ignore": 1}
    assert report.docs == 4
    ner, textcat, choice, bad = docs
    assert ner.words == ["Sundar", "Pichai", "runs", "Google", "'s", "Mountain", "View", "office", "."]
    assert ents_text(ner) == [("Sundar Pichai", "PERSON"), ("Google", "ORG"), ("Mountain View", "GPE")]
    assert textcat.ents is None and textcat.cats == {"POSITIVE": 1.0}
    assert choice.cats == {"BOOK": 1.0, "CANCEL": 0.0}
    assert bad.ents == [] and bad.ents_missing == [
        False,
        False,
        False,
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    (p,) = bad.user_data[PROBLEMS_KEY]
    assert (p["line"], p["reasons"], p["fix"], p["fix_text"]) == (6, ["end-inside-token"], [19, 25], "Google")


def test_prodigy_tokens_with_newlines_and_double_spaces_rebuild_the_text() -> None:
    text = "Hello  New York\nbye"
    tokens = [
        {"text": "Hello", "start": 0, "end": 5, "id": 0, "ws": True},
        {"text": "New", "start": 7, "end": 10, "id": 1, "ws": True},
        {"text": "York", "start": 11, "end": 15, "id": 2, "ws": False},
        {"text": "bye", "start": 16, "end": 19, "id": 3, "ws": False},
    ]
    (doc,) = parse_prodigy(
        lines_of({"text": text, "tokens": tokens, "spans": [{"start": 7, "end": 15, "label": "GPE"}]})
    )
    assert doc.text == text
    assert doc.words == ["Hello", " ", "New", "York", "\n", "bye"]
    assert ents_text(doc) == [("New York", "GPE")]


def test_labelstudio_export_utf16_and_choices() -> None:
    docs, report = read("labelstudio_export.json", "labelstudio")
    assert report.unit == "utf-16" and report.auto
    assert report.skipped == {"cancelled": 1}
    assert [ents_text(d) for d in docs] == [
        [("Grace Hopper", "PER"), ("Yale", "ORG")],
        [("Boston", "LOC")],
        [],
    ]
    assert [d.cats for d in docs] == [{"positive": 1.0}, {"negative": 1.0}, {"neutral": 1.0}]
    assert docs[2].ents is None  # choices only: no NER annotation
    assert docs[0].user_data[UNITS_KEY]["unit"] == "utf-16"
    assert UNITS_KEY not in docs[1].user_data  # ASCII: nothing converted
    starts = [
        i
        for i, x in enumerate((FIX / "labelstudio_export.json").read_text("utf-8").split("\n"), 1)
        if x == "  {"
    ]
    assert [d.lines[0] for d in docs if d.lines] == starts[:3]


def test_plain_jsonl_cats_only() -> None:
    docs, report = read("cooking_cats.jsonl")
    assert len(docs) == 3 and report.spans == 0
    assert docs[0].cats == {"baking": 0.0, "not_baking": 1.0}
    assert docs[0].ents is None
    assert docs[0].user_data["jsonl.meta"] == {"id": "2"}
    out = io.StringIO()
    write_jsonl(docs, out)
    original = (FIX / "cooking_cats.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(x) for x in out.getvalue().splitlines()] == [json.loads(x) for x in original]


def test_doccano_entities_dicts_and_text_classes() -> None:
    rec1 = {
        "text": "Ann met Bob",
        "entities": [{"id": 1, "start_offset": 0, "end_offset": 3, "label": "PER"}],
    }
    rec2 = {"text": "good film", "label": ["POS", "FILM"]}
    docs = list(parse_doccano(lines_of(rec1, rec2)))
    assert ents_text(docs[0]) == [("Ann", "PER")]
    assert docs[1].cats == {"POS": 1.0, "FILM": 1.0} and docs[1].ents is None


# ------------------------------------------------------------------------------ offset units


@pytest.mark.parametrize(
    ("name", "flavour", "unit", "n_spans", "n_told"),
    [
        ("emoji_utf16.jsonl", "jsonl", "utf-16", 7, 5),  # the last record is ASCII: it cannot tell
        ("accents_utf8.jsonl", "doccano", "utf-8", 4, 4),
        ("crlf_offsets.jsonl", "jsonl", "crlf", 5, 5),
    ],
)
def test_units_detected_and_every_span_placed(
    name: str, flavour: str, unit: str, n_spans: int, n_told: int
) -> None:
    docs, report = read(name, flavour)
    assert (report.unit, report.auto, report.total) == (unit, True, n_told)
    assert (report.spans, report.placed, report.problems) == (n_spans, n_spans, 0)
    assert report.fits[unit] == n_told and report.fits["codepoints"] < n_told
    assert "detected" in report.message and f"{n_told} of the {n_told} spans" in report.message
    assert not problems(docs)
    explicit = {"utf-16": "utf16", "utf-8": "utf8", "crlf": "crlf"}[unit]
    docs2, report2 = read(name, flavour, offset_units=explicit)
    assert not report2.auto and report2.placed == n_spans
    assert [d.ents for d in docs2] == [d.ents for d in docs]
    # what the spans cover is what the file meant
    texts = {t for d in docs for t, _ in ents_text(d)}
    assert {"London", "Taylor Swift", "Köln", "José Núñez", "Acme Corp", "Lisbon"} & texts


def _within_code_points(name: str) -> list[str]:
    """The fixture's records whose offsets all lie within the text counted in code points."""
    keep = []
    for line in (FIX / name).read_text("utf-8").splitlines():
        rec = json.loads(line)
        if all(s["end"] <= len(rec["text"]) for s in rec["spans"]):
            keep.append(line + "\n")
    return keep


def test_emoji_in_code_points_lists_every_misplaced_span() -> None:
    lines = _within_code_points("emoji_utf16.jsonl")
    reports: list[JsonlReport] = []
    docs = list(parse_jsonl(lines, offset_units="chars", on_report=reports.append, lang="en"))
    (report,) = reports
    assert report.unit == "codepoints" and not report.auto
    found = problems(docs)
    # every span after an emoji is shifted; the record without emoji still fits
    assert report.placed + len(found) == report.spans
    assert report.placed == 2 and len(found) == report.spans - 2 > 0
    for p in found:
        assert p["reasons"] and p["message"].startswith(f"span {p['index']}") and p["fix"] is not None
    assert docs[-1].ents is not None and len(docs[-1].ents) == 2
    # and auto detection on the same lines places them all
    docs = list(parse_jsonl(lines, on_report=reports.append, lang="en"))
    assert reports[-1].unit == "utf-16" and reports[-1].placed == reports[-1].spans


@pytest.mark.parametrize(("name", "unit"), [("emoji_utf16.jsonl", "UTF-16"), ("crlf_offsets.jsonl", "CRLF")])
def test_beyond_the_text_in_the_wrong_unit_says_which_fits(name: str, unit: str) -> None:
    with pytest.raises(FormatError, match=f"beyond the text.*spans all fit counted in {unit}") as info:
        read(name, offset_units="chars")
    assert info.value.line == 1


def test_crlf_in_code_points_is_listed() -> None:
    text = "Dear Mr Smith,\nthank you for your letter from Oslo.\nBest wishes"
    spans = [[8, 13, "PER"], [46 + 1, 50 + 1, "LOC"]]  # counted on CRLF text: Oslo shifted by one
    (doc,) = parse_jsonl(lines_of({"text": text, "spans": spans}), offset_units="chars", lang="en")
    (p,) = doc.user_data[PROBLEMS_KEY]
    assert p["line"] == 1 and p["label"] == "LOC" and p["text"] == "slo."
    assert p["reasons"] == ["start-inside-token"] and p["fix"][0] == 46
    (doc,) = parse_jsonl(lines_of({"text": text, "spans": spans}), offset_units="crlf", lang="en")
    assert ents_text(doc) == [("Smith", "PER"), ("Oslo", "LOC")]


def test_utf16_offset_inside_a_surrogate_pair_is_a_problem() -> None:
    text = "😀x"  # the emoji is two UTF-16 units: offset 1 falls inside it
    (doc,) = parse_jsonl(
        lines_of({"text": text, "spans": [{"start": 1, "end": 3, "label": "X"}]}), offset_units="utf16"
    )
    (p,) = doc.user_data[PROBLEMS_KEY]
    assert "start-inside-token" in p["reasons"] and p["given"] == [1, 3]
    assert doc.ents == []


# ------------------------------------------------------------------------------ what does not fit


def test_misaligned_spans_each_listed_with_line_reason_and_fix() -> None:
    docs, report = read("misaligned.doccano.jsonl", "doccano")
    assert report.unit == "codepoints"
    found = [(p["line"], p["reasons"], p["fix_text"]) for p in problems(docs)]
    assert found == [
        (2, ["start-inside-token"], "Nervous people"),
        (3, ["end-inside-token"], "mistakes"),
        (4, ["whitespace-edge"], "people"),
        (5, ["overlap"], None),
        (6, ["empty-label"], None),
    ]
    assert report.spans == 11 and report.placed == 6 and report.problems == 5
    # tokens of a span that was not placed are missing, not O; the rest of the record is kept
    assert docs[2].ents is not None and ents_text(docs[2]) == [("Nervous", "GROUP")]
    assert docs[2].ents_missing is not None and docs[2].ents_missing[3]
    assert ents_text(docs[0]) == [
        ("Apple", "ORG"),
        ("iPhone 15", "PRODUCT"),
        ("Cupertino", "GPE"),
        ("Tuesday", "DATE"),
    ]


def test_problems_match_spacy_missing_tags() -> None:
    """Where spans do not fit, our tags are spaCy's (offsets_to_biluo_tags marks them '-')."""
    docs, _ = read("misaligned.doccano.jsonl", "doccano")
    records = [json.loads(x) for x in (FIX / "misaligned.doccano.jsonl").read_text("utf-8").splitlines()]
    vocab = Vocab()
    compared = 0
    for doc, rec in zip(docs, records, strict=True):
        sdoc = SDoc(vocab, words=doc.words, spaces=doc.spaces)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                tags = offsets_to_biluo_tags(sdoc, [tuple(s) for s in rec["label"]])
            except ValueError:  # spaCy refuses overlapping spans (E103); we list them
                assert [p["reasons"] for p in doc.user_data[PROBLEMS_KEY]] == [["overlap"]]
                continue
        listed = [p for p in doc.user_data.get(PROBLEMS_KEY, []) if p["reasons"] != ["empty-label"]]
        assert bool(listed) == any("W030" in str(w.message) for w in caught)
        ours = ["-" if m else "O" for m in (doc.ents_missing or [False] * len(doc.words))]
        for s in doc.ents or ():
            ours[s.start : s.end] = tags[s.start : s.end]
        assert ours == tags
        compared += 1
    assert compared == 5


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("data", "line", "needles"),
    [
        ('{"text": "a", "spans": []}\n{"text": "b", spans: []}\n', 2, ["invalid JSON"]),
        ('{"text": "a"}\n\n{"spans": []}\n', 3, ["no 'text'"]),
        ('{"text": 5}\n', 1, ["'text' is int 5", "expected a string"]),
        ('{"text": "abc", "spans": [[0, 4, "X"]]}\n', 1, ["beyond the text", "3 long"]),
        ('{"text": "abc", "spans": [[-1, 2, "X"]]}\n', 1, ["-1 is negative"]),
        ('{"text": "abc", "spans": [[0, 1.5, "X"]]}\n', 1, ["float 1.5", "integer"]),
        ('{"text": "abc", "spans": [["0", 1, "X"]]}\n', 1, ["a string '0'", "integer"]),
        ('{"text": "abc", "spans": [[2, 1, "X"]]}\n', 1, ["ends before it starts"]),
        ('{"text": "abc", "spans": [[0, 1]]}\n', 1, ["has 2 items"]),
        ('{"text": "abc", "spans": [{"start": 0, "label": "X"}]}\n', 1, ["no start or end"]),
        ('{"text": "abc", "spans": [[0, 1, 7]]}\n', 1, ["label is int 7"]),
        ('["text"]\n', 1, ["expected a JSON object"]),
        ('{"text": "abc", "answer": "maybe"}\n', 1, ["'answer'"]),
    ],
)
def test_bad_input_is_a_located_format_error(data: str, line: int, needles: list[str]) -> None:
    with pytest.raises(FormatError) as info:
        list(parse_jsonl(data.splitlines(keepends=True), source="in.jsonl"))
    err = info.value
    assert (err.path, err.line) == ("in.jsonl", line)
    assert str(err).startswith(f"in.jsonl:{line}")
    assert "\n" not in str(err)
    for needle in needles:
        assert needle in str(err), str(err)


def test_beyond_the_text_is_measured_in_the_unit_used() -> None:
    rec = {"text": "é", "spans": [[0, 2, "X"]]}  # two UTF-8 bytes: fits as bytes, not as code points
    (doc,) = parse_jsonl(lines_of(rec), offset_units="utf8")
    assert doc.ents is not None and len(doc.ents) == 1
    with pytest.raises(FormatError, match="1 long"):
        list(parse_jsonl(lines_of(rec), offset_units="chars", source="x"))


@pytest.mark.parametrize(
    ("data", "line", "needle"),
    [
        ("", 1, "empty"),
        ('{"data": {"text": "a"}}\n', 1, "expected a JSON array"),
        ('[\n  {"data": {"text": "a"}, "annotations": []},\n  {"data": {}}\n]\n', 3, "no 'text'"),
        ('[\n  {"data": {"text": "a"},\n', 2, "truncated"),
        ('[\n  {"data": {"text": "a"}} {"data": {}}\n]', 2, "expected ',' or ']'"),
        (
            '[\n  {"data": {"text": "a"}, "annotations": [{"result": [{"type": "labels", '
            '"value": {"start": 0, "end": 9, "labels": ["X"]}}]}]}\n]',
            2,
            "beyond the text",
        ),
    ],
)
def test_labelstudio_bad_input(data: str, line: int, needle: str) -> None:
    with pytest.raises(FormatError) as info:
        list(parse_labelstudio(data.splitlines(keepends=True), source="ls.json"))
    assert info.value.line == line and needle in str(info.value), str(info.value)


def test_prodigy_token_mismatch_is_an_error() -> None:
    rec = {
        "text": "ab cd",
        "tokens": [{"text": "ab", "start": 0, "end": 2}, {"text": "cx", "start": 3, "end": 5}],
    }
    with pytest.raises(FormatError, match="token 1 is 'cx'"):
        list(parse_prodigy(lines_of(rec), source="p"))


def test_unknown_units_fail_before_reading() -> None:
    with pytest.raises(UsageError):
        parse_jsonl(["not json\n"], offset_units="utf32")


# ------------------------------------------------------------------------------ writing, round trips


@pytest.mark.parametrize("flavour", ["jsonl", "doccano", "prodigy", "labelstudio"])
def test_roundtrip_through_docbin_keeps_placed_spans_and_lists_the_rest(tmp_path: Path, flavour: str) -> None:
    docs, report = read("misaligned.doccano.jsonl", "doccano")
    write_docbin(docs, tmp_path / "c.spacy")
    back = list(read_docbin(tmp_path / "c.spacy"))
    assert [d.ents for d in back] == [d.ents for d in docs]
    out = io.StringIO()
    write_jsonl(back, out, flavour=flavour)  # type: ignore[arg-type]
    text = out.getvalue()
    report2: list[JsonlReport] = []
    readers = {
        "jsonl": parse_jsonl,
        "doccano": parse_doccano,
        "prodigy": parse_prodigy,
        "labelstudio": parse_labelstudio,
    }
    reader = readers[flavour]
    docs2 = list(reader(text.splitlines(keepends=True), on_report=report2.append, lang="en"))
    assert [d.words for d in docs2] == [d.words for d in docs]
    assert [ents_text(d) for d in docs2] == [ents_text(d) for d in docs]
    assert report2[0].placed == report.placed and report2[0].problems == 0
    # the spans that could not be placed travel along, listed
    if flavour == "labelstudio":
        unplaced = [u for rec in json.loads(text) for u in rec.get("unplaced_spans", [])]
    else:
        unplaced = [u for line in text.splitlines() for u in json.loads(line).get("unplaced_spans", [])]
    assert [(u["line"], u["reasons"]) for u in unplaced] == [
        (p["line"], p["reasons"]) for p in problems(docs)
    ]


def test_write_utf16_offsets_read_back(tmp_path: Path) -> None:
    docs, _ = read("emoji_utf16.jsonl")
    out = io.StringIO()
    write_jsonl(docs, out, flavour="labelstudio", offset_units="utf16")
    original = json.loads((FIX / "emoji_utf16.jsonl").read_text("utf-8").splitlines()[0])
    task = json.loads(out.getvalue())[0]
    values = [r["value"] for r in task["annotations"][0]["result"]]
    assert [(v["start"], v["end"]) for v in values] == [(s["start"], s["end"]) for s in original["spans"]]
    back = list(parse_labelstudio(out.getvalue().splitlines(keepends=True), offset_units="utf16", lang="en"))
    assert [ents_text(d) for d in back] == [ents_text(d) for d in docs]
    with pytest.raises(UsageError):
        write_jsonl(docs, io.StringIO(), offset_units="crlf")


def test_write_code_points_and_cats() -> None:
    docs, _ = read("labelstudio_export.json", "labelstudio")
    out = io.StringIO()
    jsonl.dump(docs, out)
    recs = [json.loads(x) for x in out.getvalue().splitlines()]
    assert recs[0]["spans"][0] == {"start": 16, "end": 28, "label": "PER"}
    assert recs[0]["text"][16:28] == "Grace Hopper"
    assert recs[2] == {"text": "Just a sentiment", "cats": {"neutral": 1.0}}
    out = io.StringIO()
    doccano.dump(docs, out)
    recs = [json.loads(x) for x in out.getvalue().splitlines()]
    assert recs[2]["label"] == ["neutral"] and recs[1]["label"] == [[20, 26, "LOC"]]


# ------------------------------------------------------------------------------ property


_WORDS = ["Ann", "Zürich", "😀", "naïve", "🇬🇧", "Bob", "x", "日本", "e\u0301"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=12),
    seps=st.lists(st.sampled_from([" ", "\n", "  "]), min_size=12, max_size=12),
    picks=st.lists(st.booleans(), min_size=12, max_size=12),
    unit=st.sampled_from(["utf16", "utf8", "chars"]),
)
def test_spans_on_tokens_survive_any_unit(
    words: list[str], seps: list[str], picks: list[bool], unit: str
) -> None:
    text = "".join(w + (seps[i] if i < len(words) - 1 else "") for i, w in enumerate(words))
    tokens = []
    pos = 0
    for i, w in enumerate(words):
        tokens.append({"text": w, "start": pos, "end": pos + len(w), "id": i})
        pos += len(w) + (len(seps[i]) if i < len(words) - 1 else 0)
    encode = {"utf16": "utf-16-le", "utf8": "utf-8", "chars": "utf-32-le"}[unit]
    width = {"utf16": 2, "utf8": 1, "chars": 4}[unit]

    def off(k: int) -> int:
        return len(text[:k].encode(encode)) // width

    chosen = [t for t, p in zip(tokens, picks, strict=False) if p]
    spans = [{"start": off(t["start"]), "end": off(t["end"]), "label": "X"} for t in chosen]
    rec = {"text": text, "tokens": tokens, "spans": spans, "answer": "accept"}
    (doc,) = parse_prodigy(lines_of(rec), offset_units=unit)
    assert doc.text == text
    assert PROBLEMS_KEY not in doc.user_data
    assert [t for t, _ in ents_text(doc)] == [t["text"] for t in chosen]
    out = io.StringIO()
    write_jsonl([doc], out, flavour="prodigy", offset_units=unit)
    again = json.loads(out.getvalue())
    assert [(s["start"], s["end"]) for s in again["spans"]] == [(s["start"], s["end"]) for s in spans]


def test_a_record_in_another_unit_than_the_file_is_marked() -> None:
    mixed = [
        {"text": "😀 Paris is big and Rome is old.", "spans": [{"start": 2, "end": 7, "label": "LOC"}]},
        {"text": "😀 Rome is old and Paris is big.", "spans": [{"start": 3, "end": 7, "label": "LOC"}]},
    ]
    reports: list[JsonlReport] = []
    first, second = parse_jsonl(lines_of(*mixed), on_report=reports.append)
    assert reports[0].unit == "codepoints"  # a tie: code points win
    assert UNITS_KEY not in first.user_data and ents_text(first) == [("Paris", "LOC")]
    assert second.user_data[UNITS_KEY] == {
        "unit": "utf-16",
        "file_unit": "codepoints",
        "auto": True,
        "converted": False,
    }
    (p,) = second.user_data[PROBLEMS_KEY]
    assert p["line"] == 2 and "all fit counted in UTF-16 code units" in p["message"]
