"""export_queue: each tool's documented import format, and corpuskit's own readers of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from corpuskit.corpus import read_file
from corpuskit.errors import UsageError
from corpuskit.finderrors import Suspect
from corpuskit.finderrors.review import export_queue

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
WNUT = FIXTURES / "debug" / "wnut17_dev.conll"
EWT = FIXTURES / "debug" / "ewt_dev.conllu"


def _wnut() -> tuple[list, list[Suspect]]:
    docs = list(read_file(WNUT, "conll"))
    d1, d5 = docs[1], docs[5]
    suspects = [
        Suspect(
            str(WNUT), d1.lines[6], 1, 6, 9, "Redondo Beach Blvd", "ents", "location", "corporation", 0.8, "m"
        ),
        Suspect(str(WNUT), d1.lines[10], 1, 10, 11, "you", "ents", None, "person", 0.2, "m"),
        Suspect(str(WNUT), d5.lines[0], 5, 0, 1, "trump", "ents", "person", None, 0.6, "m"),
    ]
    return docs, suspects


def _ents(doc):
    return sorted((s.start, s.end, s.label) for s in doc.ents or ())


def test_doccano_export_is_its_sequence_labeling_jsonl(tmp_path):
    docs, suspects = _wnut()
    out = tmp_path / "q.jsonl"
    assert export_queue(suspects, {str(WNUT): docs}, "doccano", out) == 3
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for row, s in zip(rows, suspects, strict=True):
        # doccano's import: {"text": ..., "label": [[start, end, label], ...]}, other keys are metadata
        assert set(row) == {"text", "label", "meta"}
        assert all(isinstance(x, list) and len(x) == 3 for x in row["label"])
        meta = row["meta"]
        assert (meta["file"], meta["line"], meta["doc"], meta["start"], meta["end"], meta["layer"]) == (
            s.file,
            s.line,
            s.doc,
            s.start,
            s.end,
            "ents",
        )
        assert meta["source"] == f"{s.file}:{s.line}" and meta["suggested"] == s.suggested
    # the labels are the annotation now: the first task's sentence has its three locations
    assert [rows[0]["text"][a:b] for a, b, _ in rows[0]["label"]] == [
        "Redondo Beach Blvd",
        "Gardena",
        "Compton",
    ]
    assert rows[0]["meta"]["suggested_spans"][0] == [6, 9, "corporation"]
    # corpuskit's doccano reader reads the tasks back with the current entities
    back = list(read_file(out, "doccano"))
    assert [_ents(d) for d in back] == [_ents(docs[1]), _ents(docs[1]), _ents(docs[5])]
    assert back[0].words == docs[1].words


def test_labelstudio_export_has_annotations_and_predictions(tmp_path):
    docs, suspects = _wnut()
    out = tmp_path / "q.json"
    export_queue(suspects, {str(WNUT): docs}, "labelstudio", out)
    tasks = json.loads(out.read_text(encoding="utf-8"))  # Label Studio imports a JSON list of tasks
    assert isinstance(tasks, list) and len(tasks) == 3
    for task in tasks:
        text = task["data"]["text"]
        assert set(task) == {"data", "annotations", "predictions"}
        for block in (task["annotations"][0], task["predictions"][0]):
            for r in block["result"]:
                assert (r["from_name"], r["to_name"], r["type"]) == ("label", "text", "labels")
                v = r["value"]
                assert text[v["start"] : v["end"]] == v["text"] and len(v["labels"]) == 1
        assert task["predictions"][0]["model_version"].startswith("corpuskit find-errors")
        assert 0 <= task["predictions"][0]["score"] <= 1
    pred = [r["value"] for r in tasks[0]["predictions"][0]["result"]]
    assert (pred[0]["text"], pred[0]["labels"]) == ("Redondo Beach Blvd", ["corporation"])
    pred2 = [(r["value"]["text"], r["value"]["labels"]) for r in tasks[1]["predictions"][0]["result"]]
    assert ("you", ["person"]) in pred2
    assert tasks[2]["predictions"][0]["result"] == []  # the spurious "trump" removed
    assert tasks[2]["data"]["meta"]["current"] == "person"
    # corpuskit's labelstudio reader takes the (current) annotation
    back = list(read_file(out, "labelstudio"))
    assert [_ents(d) for d in back] == [_ents(docs[1]), _ents(docs[1]), _ents(docs[5])]


def test_prodigy_export_has_tokens_and_suggested_spans(tmp_path):
    docs, suspects = _wnut()
    out = tmp_path / "q.jsonl"
    export_queue(suspects, {str(WNUT): docs}, "prodigy", out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        text = row["text"]
        assert [t["id"] for t in row["tokens"]] == list(range(len(row["tokens"])))
        for t in row["tokens"]:
            assert text[t["start"] : t["end"]] == t["text"]
        for sp in row["spans"]:  # token_end is inclusive in Prodigy
            assert row["tokens"][sp["token_start"]]["start"] == sp["start"]
            assert row["tokens"][sp["token_end"]]["end"] == sp["end"]
        assert "answer" not in row and isinstance(row["meta"], dict)
    first = rows[0]["spans"]
    assert [(rows[0]["text"][s["start"] : s["end"]], s["label"]) for s in first] == [
        ("Redondo Beach Blvd", "corporation"),
        ("Gardena", "location"),
        ("Compton", "location"),
    ]
    # corpuskit's prodigy reader reads the suggestion (the pre-annotation)
    back = list(read_file(out, "prodigy"))
    assert _ents(back[0]) == [(6, 9, "corporation"), (16, 17, "location"), (18, 19, "location")]
    assert (10, 11, "person") in _ents(back[1])
    assert _ents(back[2]) == []


def test_token_layers_are_single_token_spans(tmp_path):
    docs = list(read_file(EWT, "conllu"))
    d = docs[1]
    tag = Suspect(str(EWT), d.lines[4], 1, 4, 5, "nominated", "tags", "VBD", "VBN", 0.9, "ngram")
    head = Suspect(str(EWT), d.lines[1], 1, 1, 2, "Bush", "heads", "4", "3", 0.5, "model")
    out = tmp_path / "q.jsonl"
    export_queue([tag, head], {str(EWT): docs}, "prodigy", out)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(s["token_start"], s["token_end"], s["label"]) for s in rows[0]["spans"]] == [(4, 4, "VBN")]
    assert rows[0]["meta"]["current_spans"] == [[4, 5, "VBD"]]
    assert [(s["token_start"], s["label"]) for s in rows[1]["spans"]] == [(1, "head=3")]
    assert rows[0]["text"].startswith("President Bush on Tuesday nominated")


def test_export_refuses_an_unknown_tool_or_doc(tmp_path):
    docs, suspects = _wnut()
    with pytest.raises(UsageError, match="unknown review tool 'brat'"):
        export_queue(suspects, {str(WNUT): docs}, "brat", tmp_path / "q")
    with pytest.raises(UsageError, match="no doc 5"):
        export_queue(suspects, {str(WNUT): docs[:2]}, "doccano", tmp_path / "q")
    assert not (tmp_path / "q").exists()
