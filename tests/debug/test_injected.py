"""A corpus made from real files with known injected faults: the JSON report counts each exactly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from debug_helpers import DEBUG, edit, ewt_docs, wnut_docs, write_spacy

from corpuskit.cli import cli
from corpuskit.doc import Span


def _build(tmp_path: Path) -> tuple[Path, Path]:
    train = tmp_path / "train"
    train.mkdir()
    # cycle, two roots, head out of range, text mismatch, 2 bad FEATS, bad UPOS, punct non-proj
    shutil.copy(DEBUG / "broken_ewt_dev.conllu", train / "a_ewt.conllu")
    # two bad tag sequences, one entity ending on punctuation
    shutil.copy(DEBUG / "broken_wnut17_dev.conll", train / "b_wnut.conll")
    ewt = ewt_docs()
    wnut = wnut_docs()
    extra = [ewt[10], ewt[11], ewt[12], ewt[12], ewt[12]]  # 5 duplicates of docs in a_ewt.conllu
    d = wnut[2]  # "... [Rick and Morty] ..." (creative-work 9:12)
    words = list(d.words)
    words[12] = " "
    extra.append(edit(d, words=words, ents=[Span(9, 13, "creative-work")]))  # ends on whitespace
    extra.append(edit(wnut[5], ents=[Span(0, 1, "RARE")]))  # a rare label
    write_spacy(train / "c_more.spacy", extra)
    dev_docs = [ewt[13], ewt[14], ewt[15]]  # 3 docs also in train
    deps = list(ewt[16].deps)
    deps[0] = "dislocated"  # a label train never has
    dev_docs.append(edit(ewt[16], deps=deps))
    dev = write_spacy(tmp_path / "dev.spacy", dev_docs)
    return train, dev


def _report(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["debug-data", *args, "--format", "json", "--max-examples", "50"])
    return result.exit_code, json.loads(result.stdout)


def _counts(report: dict) -> dict[str, int]:
    return {f["id"]: f["count"] for f in report["findings"]}


def test_every_injected_fault_is_counted(tmp_path):
    train, dev = _build(tmp_path)
    code, report = _report(str(train), str(dev))
    assert code == 1
    counts = _counts(report)
    expected = {
        "dep-cycle": 1,
        "multiple-roots": 1,
        "head-out-of-range": 1,
        "text-form-mismatch": 1,
        "invalid-feature": 2,
        "unknown-upos": 1,
        "punct-non-projective": 1,
        "invalid-tag-sequence": 2,
        "punct-entity-boundary": 1,
        "whitespace-entity": 1,
        "duplicate-docs": 6,  # the 5 copies, and wnut[5] relabelled (same text)
        "train-dev-overlap": 4,  # the 3 copies, and ewt[16] relabelled (same text)
    }
    assert {k: counts.get(k, 0) for k in expected} == expected
    assert "corpus-unreadable" not in counts
    labels = report["stats"]["train"]["labels"]["ent"]
    assert labels["RARE"] == 1
    low = next(f for f in report["findings"] if f["id"] == "low-count-label")
    assert low["count"] == len(labels)  # every label of this small corpus is rare
    assert any("'RARE' has 1 example" in e["message"] for e in low["examples"])
    only_dev = next(f for f in report["findings"] if f["id"] == "label-only-in-dev")
    assert [e["message"] for e in only_dev["examples"]] == [
        "dependency label 'dislocated' (1 in dev, 0 in train)"
    ]
    assert report["summary"]["errors"] == sum(1 for f in report["findings"] if f["severity"] == "error")
    # The files each fault is in.
    by_id = {f["id"]: f for f in report["findings"]}
    assert [Path(e["file"]).name for e in by_id["invalid-tag-sequence"]["examples"]] == ["b_wnut.conll"] * 2
    assert [e["line"] for e in by_id["dep-cycle"]["examples"]] == [24]
    dups = [(Path(e["file"]).name, e["doc"]) for e in by_id["duplicate-docs"]["examples"]]
    # The copies are docs 0-4 and 6 of c_more.spacy: the .spacy file checked is named, not the
    # file its docs were converted from (where those indices mean other docs).
    assert sorted(dups) == [("c_more.spacy", i) for i in (0, 1, 2, 3, 4, 6)]


def test_offset_spans_from_jsonl(tmp_path):
    """Misaligned, overlapping and whitespace-edged character spans of an annotation tool's JSONL."""
    text = "Nervous people make mistakes, so I suppose there will be a wave of attacks."
    records = [
        {"text": text, "spans": [{"start": 1, "end": 14, "label": "GROUP"}]},  # starts inside 'Nervous'
        {
            "text": text,
            "spans": [
                {"start": 8, "end": 14, "label": "GROUP"},
                {"start": 15, "end": 24, "label": "X"},
                {"start": 8, "end": 19, "label": "Y"},
            ],
        },  # 'mistakes'->'mistake' cut, overlap
        {"text": text, "spans": [{"start": 7, "end": 14, "label": "GROUP"}]},  # starts on the space
    ]
    path = tmp_path / "spans.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    code, report = _report(str(path), "--ignore", "few-docs")
    counts = _counts(report)
    assert code == 1
    assert counts.get("misaligned-entity") == 2
    assert counts.get("overlapping-entities") == 1
    assert counts.get("whitespace-entity") == 1
    lines = {f["id"]: [e["line"] for e in f["examples"]] for f in report["findings"]}
    assert lines["misaligned-entity"] == [1, 2]
    assert lines["overlapping-entities"] == [2]
    assert lines["whitespace-entity"] == [3]


def test_utf16_offsets(tmp_path):
    """Offsets counted in UTF-16 units (an emoji before the entity) are an offset-units error."""
    mixed = [
        {"text": "😀 Paris is big and Rome is old.", "spans": [{"start": 2, "end": 7, "label": "LOC"}]},
        {"text": "😀 Rome is old and Paris is big.", "spans": [{"start": 3, "end": 7, "label": "LOC"}]},
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in mixed), encoding="utf-8")
    code, report = _report(str(path), "--ignore", "few-docs")
    counts = _counts(report)
    assert code == 1
    # The file's unit is code points (a tie); record 2 fits only in UTF-16: one span cut, one record.
    assert (counts.get("misaligned-entity"), counts.get("offset-units")) == (1, 1)
    assert "whitespace-entity" not in counts  # one span counts once
    units = next(f for f in report["findings"] if f["id"] == "offset-units")
    assert [(e["line"], e["message"]) for e in units["examples"]] == [
        (2, "the offsets fit the text counted in utf-16, not code points")
    ]
    utf16 = tmp_path / "utf16.jsonl"
    record = {"text": "I ❤ 😀 Paris and Rome", "spans": [{"start": 7, "end": 12, "label": "LOC"}]}
    utf16.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    code, report = _report(str(utf16), "--ignore", "few-docs")
    assert _counts(report).get("offset-units") == 1
    assert "misaligned-entity" not in _counts(report)  # converted: the span is placed
