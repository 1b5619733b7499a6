"""Every report the tests can produce, validated: SARIF against OASIS' SARIF 2.1.0 schema (with
format checking) and what GitHub code scanning asks beyond it, JSON against the package's schema."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from debug_helpers import DEBUG, EWT, edit, ewt_docs, wnut_docs, write_spacy
from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker

from corpuskit.cli import cli
from corpuskit.debug import Options, Report, check_files, debug_corpus
from corpuskit.debug.findings import Example, Finding
from corpuskit.debug.report import render
from corpuskit.debug.sarif import FINGERPRINT_KEY

ROOT = Path(__file__).resolve().parents[2]
SARIF_SCHEMA = json.loads((ROOT / "fixtures" / "schemas" / "sarif-schema-2.1.0.json").read_text("utf-8"))
REPORT_SCHEMA = json.loads(
    resources.files("corpuskit").joinpath("data/report.schema.json").read_text("utf-8")
)
# Every format jsonschema knows (draft-04's own checker lacks ``uri-reference``, which SARIF's
# artifactLocation.uri uses); ``uri`` and ``uri-reference`` are checked by rfc3987.
SARIF = Draft4Validator(SARIF_SCHEMA, format_checker=FormatChecker())
JSON = Draft202012Validator(REPORT_SCHEMA, format_checker=FormatChecker())
BROKEN_EWT = DEBUG / "broken_ewt_dev.conllu"
BROKEN_WNUT = DEBUG / "broken_wnut17_dev.conll"


def _opts(**kw: Any) -> Options:
    kw.setdefault("max_examples", None)
    return Options(**kw)


def _spacy_with_faults(tmp: Path) -> Path:
    """EWT docs in a .spacy file, one with a cycle, some duplicated: findings on its docs."""
    docs = ewt_docs()
    heads = list(docs[1].heads)
    heads[7], heads[9] = 9, 7
    return write_spacy(tmp / "faults.spacy", [docs[0], edit(docs[1], heads=heads), *docs[2:8], docs[3]])


def _odd(tmp: Path) -> Path:
    """A file whose name holds a newline and whose words hold an escape sequence."""
    lines = EWT.read_text("utf-8").split("\n")
    lines[3] = "# text = From the AP comes this st\x1b]0;pwned\x07ory :"
    lines[9] = (
        lines[9]
        .replace("\tstory\tstory\t", "\tst\x1b]0;pwned\x07ory\tstory\t")
        .replace("\t4\tnsubj", "\t6\tnsubj")
    )
    path = tmp / "odd\nname.conllu"
    path.write_text("\n".join(lines), "utf-8")
    return path


def _folder(tmp: Path) -> Path:
    folder = tmp / "corpus"
    folder.mkdir()
    shutil.copy(BROKEN_EWT, folder / "a.conllu")
    shutil.copy(BROKEN_WNUT, folder / "b.conll")
    (folder / "notes.txt").write_text("not a corpus\n", "utf-8")
    return folder


def _cats(tmp: Path) -> Path:
    docs = [edit(d, cats={"A": 1.0, "B": 1.0}) for d in wnut_docs()[:5]]
    return write_spacy(tmp / "cats.spacy", docs)


SCENARIOS: dict[str, Callable[[Path], Report]] = {
    "debug-data broken EWT": lambda t: debug_corpus(BROKEN_EWT, options=_opts(converter="conllu")),
    "debug-data train+dev": lambda t: debug_corpus(BROKEN_EWT, BROKEN_WNUT, options=_opts(max_examples=3)),
    "debug-data folder": lambda t: debug_corpus(_folder(t), options=_opts(max_examples=5)),
    "debug-data .spacy": lambda t: debug_corpus(_spacy_with_faults(t), EWT, options=_opts()),
    "debug-data odd name": lambda t: debug_corpus(_odd(t), options=_opts(converter="conllu")),
    "debug-data categories": lambda t: debug_corpus(_cats(t), options=_opts()),
    "check broken files": lambda t: check_files([BROKEN_EWT, BROKEN_WNUT], options=_opts()),
    "check .spacy": lambda t: check_files([_spacy_with_faults(t)], options=_opts()),
    "check odd name": lambda t: check_files([_odd(t)], options=_opts(converter="conllu")),
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    return {name: make(tmp_path_factory.mktemp("r")) for name, make in SCENARIOS.items()}


def _errors(validator: Any, data: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_sarif_output_is_valid_sarif_2_1_0(reports: dict[str, Report], name: str):
    report = reports[name]
    assert report.findings, "each scenario has findings to report"
    for kwargs in ({}, {"no_warnings": True}):
        sarif = json.loads(render(report, "sarif", **kwargs))
        assert _errors(SARIF, sarif) == []
        _assert_code_scanning_takes(sarif)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_json_report_matches_the_shipped_schema(reports: dict[str, Report], name: str):
    report = reports[name]
    for kwargs in ({}, {"no_warnings": True}):
        data = json.loads(render(report, "json", **kwargs))
        assert _errors(JSON, data) == []


def _assert_code_scanning_takes(sarif: dict[str, Any]) -> None:
    """What GitHub code scanning asks beyond the schema: rules with a full description and help
    text, no relative helpUri, every result located at a line and fingerprinted."""
    run = sarif["runs"][0]
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and "helpUri" not in rule
    prints = []
    for result in run["results"]:
        assert result["message"]["text"]
        loc = result["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"] and loc["region"]["startLine"] >= 1
        prints.append(result["partialFingerprints"][FINGERPRINT_KEY])
    assert len(prints) == len(set(prints)), "fingerprints tell results apart"


def test_the_validators_check_formats():
    """The schema check can fail: a relative helpUri (not a URI) and a missing column are caught."""
    report = debug_corpus(BROKEN_EWT, options=_opts(converter="conllu"))
    sarif = json.loads(render(report, "sarif"))
    bad = copy.deepcopy(sarif)
    bad["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] = "docs/checks.md#dep-cycle"
    assert any("is not a 'uri'" in e for e in _errors(SARIF, bad))
    bad = copy.deepcopy(sarif)
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b\n"
    assert _errors(SARIF, bad)
    data = json.loads(render(report, "json"))
    first = next(f for f in data["findings"] if f["examples"])
    del first["examples"][0]["column"]
    assert any("'column' is a required property" in e for e in _errors(JSON, data))


def test_sarif_snippet_is_the_file_line_and_the_column_is_kept():
    report = debug_corpus(BROKEN_EWT, options=_opts(converter="conllu"))
    sarif = json.loads(render(report, "sarif"))
    lines = BROKEN_EWT.read_text("utf-8").split("\n")
    located = [r for r in sarif["runs"][0]["results"] if not r["properties"].get("corpusWide")]
    assert located
    for result in located:
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["snippet"]["text"] == lines[region["startLine"] - 1]
    assert sarif["runs"][0]["columnKind"] == "unicodeCodePoints"
    # A bad HEAD (line 76) and UPOS (line 110) are located to the column, in all three formats.
    data = json.loads(render(report, "json"))
    for check_id, line, column in (("head-out-of-range", 76, 85), ("unknown-upos", 110, 17)):
        (result,) = [r for r in located if r["ruleId"] == check_id]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (line, column)
        (finding,) = [f for f in data["findings"] if f["id"] == check_id]
        assert (finding["examples"][0]["line"], finding["examples"][0]["column"]) == (line, column)
        assert f"broken_ewt_dev.conllu:{line}:{column}: {check_id} " in "\n".join(_check_lines(report))


def test_corpus_wide_results_sit_at_the_first_file_of_their_split():
    report = debug_corpus(BROKEN_EWT, options=_opts(converter="conllu"))
    sarif = json.loads(render(report, "sarif"))
    wide = [r for r in sarif["runs"][0]["results"] if r["properties"].get("corpusWide")]
    assert {r["ruleId"] for r in wide} >= {"few-docs", "sents-per-doc", "tag-stats"}
    for r in wide:
        loc = r["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uri"].endswith("broken_ewt_dev.conllu")
        assert loc["region"]["startLine"] == 1 and r["properties"]["split"] == "train"


def test_fingerprints_follow_the_line_text_not_its_number(tmp_path: Path):
    """Lines inserted above a finding move it; its fingerprint stays. Editing its line changes it."""
    a = tmp_path / "a.conllu"
    shutil.copy(BROKEN_EWT, a)

    def prints() -> dict[tuple[str, int], str]:
        report = check_files([a.name], options=_opts(converter="conllu"))
        sarif = json.loads(render(report, "sarif"))
        out = {}
        for r in sarif["runs"][0]["results"]:
            line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
            out[(r["ruleId"], line)] = r["partialFingerprints"][FINGERPRINT_KEY]
        return out

    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        before = prints()
        text = a.read_text("utf-8")
        a.write_text("# a new comment\n" + text, "utf-8")
        after = prints()
        a.write_text(text.replace("\treplace\t", "\treplaced\t"), "utf-8")
        edited = prints()
    finally:
        os.chdir(cwd)
    assert before[("dep-cycle", 24)] == after[("dep-cycle", 25)]
    assert {before[k] for k in before} == {after[k] for k in after}
    assert edited[("dep-cycle", 24)] != before[("dep-cycle", 24)]


def test_a_spacy_files_findings_name_it_with_the_source_alongside(tmp_path: Path):
    spacy = _spacy_with_faults(tmp_path)
    report = check_files([spacy], options=_opts())
    cycle = report.get("dep-cycle")
    assert cycle is not None
    ex = cycle.examples[0]
    assert (ex.file, ex.line, ex.doc, ex.source) == (str(spacy), None, 1, str(EWT))
    assert ex.token is not None
    at = ewt_docs()[1].lines[ex.token]  # the cycle's token in ewt_dev.conllu
    assert ex.source_line == at
    # check lines: the .spacy file, the doc/token, and where it came from.
    lines = [line for line in _check_lines(report) if " dep-cycle " in line]
    assert lines == [f"{spacy}:1:1: dep-cycle {ex.message} (doc 1, token {ex.token}, from {EWT}:{at})"]
    # JSON: the same, in fields.
    data = json.loads(render(report, "json"))
    got = next(f for f in data["findings"] if f["id"] == "dep-cycle")["examples"][0]
    assert (got["file"], got["line"], got["doc"], got["source_file"], got["source_line"]) == (
        str(spacy),
        None,
        1,
        str(EWT),
        at,
    )
    # SARIF: located in the .spacy file, the source line as a related location with its text.
    sarif = json.loads(render(report, "sarif"))
    result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "dep-cycle")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == spacy.as_uri()
    assert result["locations"][0]["logicalLocations"][0]["name"] == f"doc[1]/token[{ex.token}]"
    related = result["relatedLocations"][0]["physicalLocation"]
    assert related["region"]["snippet"]["text"] == EWT.read_text("utf-8").split("\n")[at - 1]
    # "files" counts the one file checked, not its source as well.
    assert data["stats"]["files"]["files"] == 1


def test_files_row_counts_the_files_checked(tmp_path: Path):
    spacy = _spacy_with_faults(tmp_path)
    report = debug_corpus(spacy, EWT, options=_opts())
    assert report.stats["train"]["files"] == 1 and report.stats["dev"]["files"] == 1
    assert report.files == {"train": [str(spacy)], "dev": [str(EWT)]}
    dups = report.get("duplicate-docs")
    assert dups is not None and [(Path(e.file).name, e.doc) for e in dups.examples] == [("faults.spacy", 8)]
    text = render(report, "text", verbose=True)
    assert f"{spacy}:" not in text  # a .spacy file has no lines: it is named with its doc
    at = ewt_docs()[1].lines[7]
    assert f"{spacy} (doc 1, token 7, from {EWT}:{at}):" in text


def _check_lines(report: Report) -> list[str]:
    from corpuskit.debug.report import render_check_lines

    return render_check_lines(report, infos=True)


def test_cli_sarif_and_json_outputs_validate(tmp_path: Path):
    for fmt, validator in (("sarif", SARIF), ("json", JSON)):
        out = tmp_path / f"r.{fmt}"
        args = ["debug-data", str(BROKEN_EWT), str(BROKEN_WNUT), "--format", fmt, "-o", str(out)]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert _errors(validator, json.loads(out.read_text("utf-8"))) == []


def test_synthetic_report_with_every_field_validates():
    """The hand-built report of test_report.py, with a column, a source and an unknown file."""
    ex = Example("x.spacy", None, 3, 2, "a [b] c", "m", None, "src.conllu", 7)
    findings = [
        Finding("dep-cycle", "error", "1 cycle", 1, [ex, Example("y.conllu", 4, 0, 1, "", "n", 5)], "parse"),
        Finding("few-docs", "error", "only 1 doc", 1, [], "corpus"),
    ]
    report = Report(findings, {}, ["dep-cycle", "few-docs"], files={"train": ["y.conllu"]})
    assert _errors(SARIF, json.loads(render(report, "sarif"))) == []
    assert _errors(JSON, json.loads(render(report, "json"))) == []
