"""`corpuskit convert` on annotation-tool JSONL: exit codes, stdout and stderr apart, nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from converters.jsonl_spans import PROBLEMS_KEY
from corpuskit.cli import cli
from corpuskit.docbin import read_docbin

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "jsonl"


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["convert", *map(str, args)])


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def test_doccano_to_spacy_keeps_spans_and_problems(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = ok(invoke(FIX / "misaligned.doccano.jsonl", out, "-c", "doccano"))
    assert result.stdout == ""
    assert f"wrote {out / 'misaligned.doccano.spacy'}" in result.stderr
    assert "6 docs" in result.stderr
    docs = list(read_docbin(out / "misaligned.doccano.spacy"))
    assert [len(d.ents or ()) for d in docs] == [4, 0, 1, 0, 1, 0]
    listed = [(p["line"], p["reasons"]) for d in docs for p in d.user_data.get(PROBLEMS_KEY, [])]
    assert listed == [
        (2, ["start-inside-token"]),
        (3, ["end-inside-token"]),
        (4, ["whitespace-edge"]),
        (5, ["overlap"]),
        (6, ["empty-label"]),
    ]
    # tokens of the spans not placed stay missing
    assert docs[1].ents_missing is not None and docs[1].ents_missing[:2] == [True, True]


def test_utf16_emoji_offsets_all_convert_by_default(tmp_path: Path) -> None:
    ok(invoke(FIX / "emoji_utf16.jsonl", tmp_path, "-c", "jsonl"))
    docs = list(read_docbin(tmp_path / "emoji_utf16.spacy"))
    assert sum(len(d.ents or ()) for d in docs) == 7
    assert not any(PROBLEMS_KEY in d.user_data for d in docs)
    assert docs[0].user_data["corpuskit.offset_units"]["unit"] == "utf-16"


def test_prodigy_to_jsonl_on_stdout(tmp_path: Path) -> None:
    result = ok(invoke(FIX / "prodigy_ner.jsonl", "-", "-c", "prodigy", "-t", "jsonl"))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 4  # the rejected and ignored answers are not converted
    assert [s["label"] for s in records[0]["spans"]] == ["PERSON", "ORG", "GPE"]
    assert records[3]["unplaced_spans"][0]["reasons"] == ["end-inside-token"]
    assert "{" not in result.stderr


def test_auto_detects_each_flavour(tmp_path: Path) -> None:
    result = ok(invoke(FIX, tmp_path / "out"))
    for name, flavour in [
        ("prodigy_ner.jsonl", "prodigy"),
        ("misaligned.doccano.jsonl", "doccano"),
        ("labelstudio_export.json", "labelstudio"),
        ("emoji_utf16.jsonl", "jsonl"),
    ]:
        assert f"{FIX / name}: {flavour}:" in result.stderr
    assert len(list((tmp_path / "out").glob("*.spacy"))) == len(list(FIX.glob("*.json*")))


def test_roundtrip_jsonl_spacy_jsonl(tmp_path: Path) -> None:
    ok(invoke(FIX / "wnut17_dev.doccano.jsonl", tmp_path / "a", "-c", "doccano"))
    result = ok(invoke(tmp_path / "a" / "wnut17_dev.doccano.spacy", "-", "-t", "doccano"))
    original = [json.loads(x) for x in (FIX / "wnut17_dev.doccano.jsonl").read_text("utf-8").splitlines()]
    back = [json.loads(x) for x in result.stdout.splitlines()]
    assert back == original


def test_labelstudio_roundtrip(tmp_path: Path) -> None:
    ok(invoke(FIX / "labelstudio_export.json", tmp_path / "a", "-c", "labelstudio"))
    result = ok(invoke(tmp_path / "a" / "labelstudio_export.spacy", tmp_path / "b", "-t", "labelstudio"))
    assert "wrote" in result.stderr
    (written,) = (tmp_path / "b").iterdir()
    tasks = json.loads(written.read_text("utf-8"))
    labels = [
        [r["value"]["text"] for r in t["annotations"][0]["result"] if r["type"] == "labels"] for t in tasks
    ]
    assert labels == [["Grace Hopper", "Yale"], ["Boston"], []]


@pytest.mark.parametrize(
    ("data", "converter", "needles"),
    [
        ('{"text": "a b", "spans": []}\n{"text": "b", "spans": [}\n', "jsonl", [":2:", "invalid JSON"]),
        ('{"text": "a"}\n{"label": [[0, 1, "X"]]}\n', "doccano", [":2:", "no 'text'"]),
        ('{"text": "abc", "label": [[0, 9, "X"]]}\n', "doccano", [":1:", "beyond the text"]),
        ('{"text": "abc", "label": [[-2, 1, "X"]]}\n', "doccano", [":1:", "negative"]),
        ('{"text": "abc", "label": [[0, "1", "X"]]}\n', "doccano", [":1:", "integer"]),
        ('{"text": "abc", "spans": [], "answer": "maybe"}\n', "prodigy", [":1:", "'answer'"]),
        ('[{"data": {"text": "a"}, "annotations": []},\n {"data": 5}]\n', "labelstudio", [":2:", "task 2"]),
    ],
)
def test_bad_input_exit_2_one_line_nothing_written(
    tmp_path: Path, data: str, converter: str, needles: list[str]
) -> None:
    src = tmp_path / ("in.json" if converter == "labelstudio" else "in.jsonl")
    src.write_text(data, encoding="utf-8")
    out = tmp_path / "out"
    result = invoke(src, out, "-c", converter)
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"corpuskit: error: {src}:"), result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert not out.exists() or list(out.iterdir()) == []


def test_offset_units_option_and_report_on_stderr(tmp_path: Path) -> None:
    result = ok(invoke(FIX / "emoji_utf16.jsonl", tmp_path / "a", "-c", "jsonl"))
    assert f"{FIX / 'emoji_utf16.jsonl'}: offsets counted in UTF-16 code units (detected" in result.stderr
    assert "7 of 7 spans placed" in result.stderr
    # told the wrong unit: the spans that land inside tokens are listed, the rest is an error
    src = tmp_path / "shifted.jsonl"
    src.write_text(
        json.dumps({"text": "😀 Paris and Rome", "spans": [{"start": 3, "end": 8, "label": "LOC"}]}) + "\n",
        encoding="utf-8",
    )
    result = ok(invoke(src, tmp_path / "b", "-c", "jsonl", "--offset-units", "chars"))
    assert (
        "offsets counted in code points (as set); 1 docs, 0 of 1 spans placed, 1 not placed" in result.stderr
    )
    (doc,) = read_docbin(tmp_path / "b" / "shifted.spacy")
    assert "start-inside-token" in doc.user_data[PROBLEMS_KEY][0]["reasons"]
    result = ok(invoke(src, tmp_path / "c", "-c", "jsonl", "--offset-units", "utf16"))
    (doc,) = read_docbin(tmp_path / "c" / "shifted.spacy")
    assert doc.ents is not None and len(doc.ents) == 1 and PROBLEMS_KEY not in doc.user_data
    result = invoke(src, tmp_path / "d", "-c", "jsonl", "--offset-units", "utf32")
    assert result.exit_code == 2 and "utf32" in result.stderr and not (tmp_path / "d").exists()


def test_lang_option_reaches_the_tokenizer(tmp_path: Path) -> None:
    src = tmp_path / "en.jsonl"
    src.write_text(
        json.dumps({"text": "I don't know Ann.", "spans": [[13, 16, "PER"]]}) + "\n", encoding="utf-8"
    )
    ok(invoke(src, tmp_path / "en", "-c", "jsonl", "--lang", "en"))
    (doc,) = read_docbin(tmp_path / "en" / "en.spacy")
    assert doc.words == ["I", "do", "n't", "know", "Ann", "."]
