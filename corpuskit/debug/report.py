"""Render a Report as text (sections and tables), JSON, or SARIF 2.1.0. Returns strings only."""

from __future__ import annotations

import json
from typing import Any

from .. import __version__
from .findings import Example, Finding, Report
from .registry import CHECKS, SECTIONS

__all__ = ["DOCS_URL", "render", "render_check_lines", "render_json", "render_sarif", "render_text"]

#: Where each check id has a section (``#<id>``): the project's docs/checks.md.
DOCS_URL = "docs/checks.md"
_SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_ICON = {"error": "✘", "warning": "⚠", "info": "ℹ"}
_TITLES = {
    "corpus": "Corpus",
    "tokens": "Tokens and text",
    "entities": "Named entities",
    "parse": "Dependency trees",
    "tags": "Tags and morphology",
    "categories": "Text categories",
}


def _visible(report: Report, no_warnings: bool) -> list[Finding]:
    if not no_warnings:
        return report.findings
    return [f for f in report.findings if f.severity == "error"]


def render(report: Report, fmt: str, *, verbose: bool = False, no_warnings: bool = False) -> str:
    """The report as ``"text"``, ``"json"`` or ``"sarif"``."""
    if fmt == "json":
        return render_json(report, no_warnings=no_warnings)
    if fmt == "sarif":
        return render_sarif(report, no_warnings=no_warnings)
    if fmt == "text":
        return render_text(report, verbose=verbose, no_warnings=no_warnings)
    raise ValueError(f"unknown report format {fmt!r}; expected text, json or sarif")


# ------------------------------------------------------------------------------------- JSON


def render_json(report: Report, *, no_warnings: bool = False) -> str:
    """CHECKS.md's JSON object: version, summary, stats, findings."""
    data = report.to_dict()
    if no_warnings:
        data["findings"] = [f.to_dict() for f in _visible(report, True)]
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------------ SARIF


def render_sarif(report: Report, *, no_warnings: bool = False) -> str:
    """SARIF 2.1.0: one rule per check that ran, one result per example (per finding when it
    has none), located at ``file:line`` for code-review annotations."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for check_id in report.checks_run:
        check = CHECKS[check_id]
        index[check_id] = len(rules)
        rules.append(
            {
                "id": check_id,
                "name": "".join(p.capitalize() for p in check_id.split("-")),
                "shortDescription": {"text": check.summary},
                "helpUri": f"{DOCS_URL}#{check_id}",
                "defaultConfiguration": {"level": _SARIF_LEVEL[check.severity]},
                "properties": {"section": check.section},
            }
        )
    results: list[dict[str, Any]] = []
    for finding in _visible(report, no_warnings):
        base: dict[str, Any] = {
            "ruleId": finding.id,
            "level": _SARIF_LEVEL[finding.severity],
            "properties": {"count": finding.count},
        }
        if finding.id in index:
            base["ruleIndex"] = index[finding.id]
        if not finding.examples:
            results.append({**base, "message": {"text": finding.message}})
            continue
        for ex in finding.examples:
            text = f"{finding.message}: {ex.message}" if ex.message else finding.message
            result: dict[str, Any] = {**base, "message": {"text": text}}
            if ex.file:
                region: dict[str, Any] = {}
                if ex.line is not None:
                    region["startLine"] = ex.line
                    if ex.column is not None:
                        region["startColumn"] = ex.column
                    if ex.text:
                        region["snippet"] = {"text": ex.text}
                loc: dict[str, Any] = {"artifactLocation": {"uri": _uri(ex.file)}}
                if region:
                    loc["region"] = region
                result["locations"] = [{"physicalLocation": loc}]
            results.append(result)
    sarif = {
        "$schema": _SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "corpuskit",
                        "version": __version__,
                        "informationUri": "https://github.com/corpuskit/corpuskit",
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path.replace("\\", "/"), safe="/:._-~")


# ------------------------------------------------------------------------------------- text


def _where(ex: Example) -> str:
    where = ex.location
    extra = []
    if ex.doc is not None:
        extra.append(f"doc {ex.doc}")
    if ex.token is not None:
        extra.append(f"token {ex.token}")
    return where + (f" ({', '.join(extra)})" if extra else "")


def _finding_lines(f: Finding, verbose: bool, max_examples: int) -> list[str]:
    lines = [f"{_ICON[f.severity]} {f.severity:<7} {f.id}: {f.message}"]
    shown = f.examples[: max_examples if verbose else 1]
    for ex in shown:
        detail = f" {ex.message}" if ex.message else ""
        lines.append(f"    {_where(ex)}:{detail}")
        if ex.text:
            lines.append(f"        {ex.text}")
    more = f.count - len(shown)
    if shown and more > 0 and f.examples:
        lines.append(f"    ... and {more} more" + ("" if verbose else " (--verbose shows more examples)"))
    lines.append(f"    see {DOCS_URL}#{f.id}")
    return lines


def _stats_table(stats: dict[str, Any], section: str) -> list[list[Any]]:
    splits = [k for k in ("train", "dev") if k in stats]
    rows: list[tuple[str, str]] = {
        "corpus": [
            ("files", "files"),
            ("docs", "docs"),
            ("tokens", "tokens"),
            ("sentences", "sentences"),
            ("empty docs", "empty_docs"),
        ],
        "tokens": [("docs with unknown spacing", "unknown_spaces_docs")],
        "entities": [
            ("docs with entity annotation", "ner_docs"),
            ("entities", "entities"),
            ("entity labels", "#ent"),
            ("tokens with missing annotation", "missing_ner_tokens"),
        ],
        "parse": [
            ("parsed docs", "parsed_docs"),
            ("parsed sentences", "parsed_sentences"),
            ("non-projective sentences", "nonprojective_sentences"),
            ("dependency labels", "#dep"),
        ],
        "tags": [("POS values", "#pos"), ("fine-grained tags", "#tag"), ("tag entropy", "tag_entropy")],
        "categories": [("docs with categories", "cat_docs"), ("categories", "#cat")],
    }[section]
    table: list[list[Any]] = []
    for title, key in rows:
        row: list[Any] = [title]
        for split in splits:
            s = stats[split]
            value = len(s["labels"][key[1:]]) if key.startswith("#") else s.get(key, "")
            row.append(f"{value:,}" if isinstance(value, int) else value)
        table.append(row)
    return table


def _has_section_data(stats: dict[str, Any], section: str) -> bool:
    splits = [stats[k] for k in ("train", "dev") if k in stats]
    if section == "corpus":
        return True
    if section == "tokens":
        return any(s["tokens"] for s in splits)
    if section == "entities":
        return any(s["ner_docs"] for s in splits)
    if section == "parse":
        return any(s["parsed_docs"] for s in splits)
    if section == "tags":
        return any(s["labels"]["pos"] or s["labels"]["tag"] for s in splits)
    return any(s["cat_docs"] for s in splits)


_LABEL_TABLES = {
    "entities": [("ent", "entity label")],
    "parse": [("dep", "dependency label")],
    "tags": [("pos", "POS"), ("tag", "tag")],
    "categories": [("cat", "category (positives)")],
}


def render_text(
    report: Report, *, verbose: bool = False, no_warnings: bool = False, max_examples: int = 20
) -> str:
    """A readable report in sections, with stats tables and each finding's docs link."""
    from tabulate import tabulate

    stats = report.stats
    splits: list[str] = [k for k in ("train", "dev") if k in stats]
    out: list[str] = ["corpuskit debug-data", "=" * 20, ""]
    visible = _visible(report, no_warnings)
    for section in SECTIONS:
        findings = [f for f in visible if f.section == section]
        has_data = _has_section_data(stats, section) if splits else False
        if not findings and not has_data:
            continue
        out += [_TITLES[section], "-" * len(_TITLES[section])]
        if has_data:
            out.append(tabulate(_stats_table(stats, section), headers=["", *splits], tablefmt="simple"))
            if verbose:
                for kind, name in _LABEL_TABLES.get(section, []):
                    out += _label_table(stats, splits, kind, name)
            out.append("")
        for f in findings:
            out += _finding_lines(f, verbose, max_examples)
        if findings:
            out.append("")
        elif has_data:
            out += ["✔ no problems found", ""]
    out += ["Summary", "-------"]
    summary = [
        f"✔ {report.passed} check{'s' if report.passed != 1 else ''} passed",
        f"✘ {report.errors} error{'s' if report.errors != 1 else ''}",
    ]
    if not no_warnings:
        summary.append(f"⚠ {report.warnings} warning{'s' if report.warnings != 1 else ''}")
        summary.append(f"ℹ {report.infos} info")
    out.append("   ".join(summary))
    if report.ignored:
        out.append(f"ignored: {', '.join(report.ignored)}")
    skipped = stats.get("skipped_files")
    if skipped:
        out.append(f"skipped {len(skipped)} file(s) that are not corpora" + (":" if verbose else ""))
        if verbose:
            out += [f"    {s}" for s in skipped]
    return "\n".join(out) + "\n"


def _label_table(stats: dict[str, Any], splits: list[str], kind: str, name: str) -> list[str]:
    from tabulate import tabulate

    labels: dict[str, list[int]] = {}
    for j, split in enumerate(splits):
        for label, n in stats[split]["labels"][kind].items():
            labels.setdefault(label, [0] * len(splits))[j] = n
    if not labels:
        return []
    rows = [
        [label, *[f"{n:,}" for n in counts]]
        for label, counts in sorted(labels.items(), key=lambda kv: -kv[1][0])
    ]
    return ["", tabulate(rows, headers=[name, *splits], tablefmt="simple")]


# --------------------------------------------------------------------------- check (lint lines)


def render_check_lines(report: Report, *, no_warnings: bool = False, infos: bool = False) -> list[str]:
    """``file:line:col: id message`` per example, sorted by file and line (``corpuskit check``)."""
    rows: list[tuple[str, int, int, str]] = []
    for f in report.findings:
        if f.severity == "info" and not infos:
            continue
        if f.severity == "warning" and no_warnings:
            continue
        examples = f.examples or [Example(None)]
        for ex in examples:
            file = ex.file or "<corpus>"
            line = ex.line or 1
            col = ex.column or 1
            msg = ex.message or f.message
            if ex.line is None and ex.doc is not None:  # no source lines (a spaCy-written .spacy)
                msg += f" (doc {ex.doc}" + (f", token {ex.token})" if ex.token is not None else ")")
            sev = "" if f.severity == "error" else f"({f.severity}) "
            rows.append((file, line, col, f"{file}:{line}:{col}: {f.id} {sev}{msg}"))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [r[3] for r in rows]
