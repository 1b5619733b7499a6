"""Rendering a Report: text sections, JSON, SARIF, the lint lines of `corpuskit check`."""

from __future__ import annotations

import json

from corpuskit.debug.findings import Collector, Example, Finding, Hit, Report
from corpuskit.debug.report import render, render_check_lines

STATS = {
    "train": {
        "files": 1,
        "docs": 3,
        "tokens": 30,
        "sentences": 3,
        "empty_docs": 0,
        "unknown_spaces_docs": 0,
        "parsed_docs": 3,
        "parsed_sentences": 3,
        "nonprojective_sentences": 0,
        "ner_docs": 0,
        "entities": 0,
        "missing_ner_tokens": 0,
        "cat_docs": 0,
        "root_labels": {"ROOT": 3},
        "labels": {
            "ent": {},
            "tag": {"NN": 20, "VB": 10},
            "pos": {"NOUN": 20, "VERB": 10},
            "dep": {"ROOT": 3, "obj": 27},
            "cat": {},
        },
        "tag_entropy": 0.9,
        "pos_entropy": 0.9,
    }
}


def _report() -> Report:
    cycle = Finding(
        "dep-cycle",
        "error",
        "1 cycle in the heads",
        1,
        [Example("b.conllu", 24, 1, 8, "to [replace] it", "cycle: 8 -> 10 -> 8")],
        "parse",
    )
    few = Finding("few-docs", "error", "only 3 training docs", 3, [], "corpus")
    punct = Finding(
        "punct-non-projective",
        "warning",
        "1 punctuation token",
        1,
        [Example("a.conllu", 190, 8, 4, "[,]", "4 ','")],
        "parse",
    )
    info = Finding(
        "non-projective", "info", "1 sentence", 1, [Example("a.conllu", 7, 0, 1, "", "x")], "parse"
    )
    return Report(
        [cycle, few, punct, info],
        STATS,
        ["dep-cycle", "few-docs", "punct-non-projective", "non-projective", "no-root"],
    )


def test_summary_counts():
    r = _report()
    assert (r.errors, r.warnings, r.infos, r.passed) == (2, 1, 1, 1)
    assert r.to_dict()["summary"] == {"errors": 2, "warnings": 1, "infos": 1, "passed": 1}


def test_text_sections_and_links():
    text = render(_report(), "text")
    assert text.index("Corpus\n------") < text.index("Dependency trees\n") < text.index("Summary\n")
    assert "b.conllu:24 (doc 1, token 8): cycle: 8 -> 10 -> 8" in text
    assert "see docs/checks.md#dep-cycle" in text
    assert "✔ 1 check passed   ✘ 2 errors   ⚠ 1 warning   ℹ 1 info" in text
    quiet = render(_report(), "text", no_warnings=True)
    assert "punct-non-projective" not in quiet and "non-projective:" not in quiet
    verbose = render(_report(), "text", verbose=True)
    assert "obj" in verbose and "obj" not in text


def test_json_and_sarif():
    data = json.loads(render(_report(), "json", no_warnings=True))
    assert [f["id"] for f in data["findings"]] == ["dep-cycle", "few-docs"]
    assert data["findings"][0]["examples"][0]["column"] is None
    report = _report()
    report.files = {"train": ["a.conllu", "b.conllu"]}
    sarif = json.loads(render(report, "sarif"))
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == [
        "dep-cycle",
        "few-docs",
        "punct-non-projective",
        "non-projective",
    ]
    # A corpus-wide finding sits at line 1 of the first file of its split, and says so.
    few = results[1]
    assert few["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.conllu"
    assert few["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert few["properties"]["corpusWide"] is True and few["properties"]["split"] == "train"
    assert results[3]["level"] == "note"
    # b.conllu does not exist from here: no snippet rather than a made-up one.
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 24}
    assert all(r["partialFingerprints"] for r in results)


def test_sarif_without_any_file_leaves_corpus_wide_findings_out_and_says_so():
    sarif = json.loads(render(_report(), "sarif"))
    run = sarif["runs"][0]
    assert "few-docs" not in [r["ruleId"] for r in run["results"]]
    assert run["properties"]["unlocatedFindings"] == ["few-docs"]


def test_check_lines_sorted_by_file_and_line():
    lines = render_check_lines(_report())
    assert lines == [
        "<corpus>:1:1: few-docs only 3 training docs",
        "a.conllu:190:1: punct-non-projective (warning) 4 ','",
        "b.conllu:24:1: dep-cycle cycle: 8 -> 10 -> 8",
    ]
    assert len(render_check_lines(_report(), infos=True)) == 4
    assert len(render_check_lines(_report(), no_warnings=True)) == 2


def test_collector_keeps_a_bounded_number_of_examples():
    c = Collector(max_examples=2)
    for i in range(5):
        c.add("x", Hit(Example("f", i + 1), "train", n=2))
    c.add("x", Hit(Example("g", 1), "dev"))
    assert c.count("x") == 11
    assert c.by_split("x") == {"train": 10, "dev": 1}
    assert [e.line for e in c.examples("x")] == [1, 2]


def test_check_lines_without_source_lines_name_the_doc():
    finding = Finding(
        "no-root", "error", "1 sentence", 1, [Example("x.spacy", None, 3, 0, "", "no root")], "parse"
    )
    lines = render_check_lines(Report([finding], {}, ["no-root"]))
    assert lines == ["x.spacy:1:1: no-root no root (doc 3, token 0)"]
