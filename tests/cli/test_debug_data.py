"""`corpuskit debug-data`: exit codes, the output formats, the older LANG TRAIN DEV form."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from corpuskit.cli import cli
from corpuskit.debug import CHECKS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "debug"
EWT = FIXTURES / "ewt_dev.conllu"
BROKEN = FIXTURES / "broken_ewt_dev.conllu"


def invoke(*args: str):
    return CliRunner().invoke(cli, ["debug-data", *map(str, args)])


def test_clean_file_exits_0_and_prints_sections():
    result = invoke(EWT, "-c", "conllu", "--ignore", "few-docs")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for title in ("Corpus", "Tokens and text", "Dependency trees", "Tags and morphology", "Summary"):
        assert f"\n{title}\n" in out
    assert "✘ 0 errors" in out
    assert "see docs/checks.md#sents-per-doc" in out
    assert "ignored: few-docs" in out
    assert result.stderr == ""


def test_errors_exit_1_with_file_line():
    result = invoke(BROKEN, "-c", "conllu")
    assert result.exit_code == 1
    assert "dep-cycle" in result.stdout
    assert f"{BROKEN}:24 (doc 1, token 8): cycle: 8 'replace' -> 10 'jurists' -> 8 'replace'" in result.stdout
    assert "see docs/checks.md#dep-cycle" in result.stdout


def test_verbose_shows_label_counts_and_more_examples():
    quiet = invoke(EWT, "-c", "conllu")
    loud = invoke(EWT, "-c", "conllu", "--verbose")
    assert "dependency label      train" not in quiet.stdout
    assert "dependency label      train" in loud.stdout
    assert loud.stdout.count("low-count-dep-label") == quiet.stdout.count("low-count-dep-label")
    assert len(loud.stdout) > len(quiet.stdout)


def test_json_report_contract():
    result = invoke(BROKEN, "-c", "conllu", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert set(data) == {"version", "summary", "stats", "findings"}
    assert data["version"] == 1
    assert set(data["summary"]) == {"errors", "warnings", "infos", "passed"}
    assert data["summary"]["errors"] == sum(1 for f in data["findings"] if f["severity"] == "error")
    for finding in data["findings"]:
        assert set(finding) == {"id", "severity", "message", "count", "examples"}
        for ex in finding["examples"]:
            assert {"file", "line", "doc", "token", "text"} <= set(ex)
    cycle = next(f for f in data["findings"] if f["id"] == "dep-cycle")
    assert cycle["count"] == 1
    assert cycle["examples"][0]["line"] == 24
    assert data["stats"]["train"]["docs"] == 27  # 3 of 30 sentences cannot be read


def test_sarif_report():
    result = invoke(BROKEN, "-c", "conllu", "--format", "sarif")
    assert result.exit_code == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert "helpUri" not in rules["dep-cycle"]  # no published docs site: the help is inline
    assert "docs/checks.md" in rules["dep-cycle"]["help"]["text"]
    cycle = [r for r in run["results"] if r["ruleId"] == "dep-cycle"]
    assert len(cycle) == 1
    loc = cycle[0]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith("broken_ewt_dev.conllu")
    assert loc["region"]["startLine"] == 24
    assert loc["region"]["snippet"]["text"] == BROKEN.read_text(encoding="utf-8").split("\n")[23]
    assert cycle[0]["level"] == "error"
    levels = {r["level"] for r in run["results"]}
    assert levels <= {"error", "warning", "note"}


def test_output_file_and_no_warnings(tmp_path):
    out = tmp_path / "report.json"
    result = invoke(BROKEN, "-c", "conllu", "--format", "json", "--output", out, "--no-warnings")
    assert result.exit_code == 1
    assert result.stdout == ""
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {f["severity"] for f in data["findings"]} == {"error"}


def test_older_form_with_a_language(tmp_path):
    result = invoke("en", EWT, EWT, "-c", "conllu", "--format", "json")
    data = json.loads(result.stdout)
    assert data["stats"]["dev"]["docs"] == 30
    overlap = next(f for f in data["findings"] if f["id"] == "train-dev-overlap")
    assert overlap["count"] == 30


def test_misuse_exits_2(tmp_path):
    missing = invoke(tmp_path / "nope.spacy")
    assert missing.exit_code == 2
    assert "no such file or directory" in missing.stderr
    assert invoke().exit_code == 2
    assert invoke(EWT, "--bogus").exit_code == 2
    assert invoke(EWT, "--ignore", "no-such-check").exit_code == 2
    assert invoke(EWT, EWT, EWT).exit_code == 2
    assert invoke(EWT, "--format", "xml").exit_code == 2


def test_lang_turns_on_misaligned_tokens():
    result = invoke(EWT, "-c", "conllu", "--lang", "en", "--format", "json")
    data = json.loads(result.stdout)
    assert data["summary"]["passed"] + len(data["findings"]) == len(CHECKS)  # every check ran


def test_directory_with_other_files(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "sub" / "a.conllu").write_bytes(EWT.read_bytes())
    (corpus / "README.md").write_text("# About this corpus\n\nIt is a slice of UD.\n", encoding="utf-8")
    result = invoke(corpus, "--format", "json", "--ignore", "few-docs")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["stats"]["train"]["docs"] == 30
    assert [s.split(":")[0] for s in data["stats"]["skipped_files"]] == [str(corpus / "README.md")]


def test_progress_bar_only_on_a_terminal(monkeypatch):
    from corpuskit.cli.progress import ProgressBar

    bar = ProgressBar("checking", min_total=0)
    bar.tty = True
    with bar:
        bar(10, 100)
        bar(100, 100)
    assert bar.bar is not None
    quiet = ProgressBar("checking", min_total=0)
    quiet.tty = False
    quiet(10, 100)
    assert quiet.bar is None
