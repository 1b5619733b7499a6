"""Render a Report as text (sections and tables), JSON, or SARIF 2.1.0. Returns strings only.

Text (``render_text``, ``render_check_lines``) is for a terminal: what came from the corpus
(words, labels, file names) has its control characters escaped, and the marks and colour follow
the :class:`~corpuskit.console.Console` given. JSON and SARIF keep the real text.
"""

from __future__ import annotations

import json
from typing import Any

from ..console import Console, escape, quote_path
from .findings import Example, Finding, Report
from .registry import SECTIONS
from .sarif import render_sarif as _render_sarif

__all__ = [
    "DOCS_URL",
    "SECTION_TITLES",
    "render",
    "render_check_lines",
    "render_json",
    "render_sarif",
    "render_text",
]

#: Where each check id has a section (``#<id>``): the project's docs/checks.md (no published
#: site yet, so this is a path in corpuskit's source, shown in text reports only).
DOCS_URL = "docs/checks.md"
_PLAIN = Console()
#: The title of each section of the check catalogue, in the reports.
SECTION_TITLES = {
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


def render(
    report: Report,
    fmt: str,
    *,
    verbose: bool = False,
    no_warnings: bool = False,
    console: Console | None = None,
    encoding: str = "utf-8",
) -> str:
    """The report as ``"text"`` (for ``console``), ``"json"`` or ``"sarif"``; ``encoding`` is
    the corpus files' (SARIF quotes their lines). With an ``ascii`` console, JSON and SARIF
    are written in ASCII (``\\u`` escapes), which every console can show."""
    console = console or _PLAIN
    if fmt == "json":
        return render_json(report, no_warnings=no_warnings, ascii=console.ascii)
    if fmt == "sarif":
        return render_sarif(report, no_warnings=no_warnings, encoding=encoding, ascii=console.ascii)
    if fmt == "text":
        return render_text(report, verbose=verbose, no_warnings=no_warnings, console=console)
    raise ValueError(f"unknown report format {fmt!r}; expected text, json or sarif")


# ------------------------------------------------------------------------------------- JSON


def render_json(report: Report, *, no_warnings: bool = False, ascii: bool = False) -> str:
    """The JSON report: version, summary, stats, findings (``corpuskit/data/report.schema.json``)."""
    data = report.to_dict()
    if no_warnings:
        data["findings"] = [f.to_dict() for f in _visible(report, True)]
    return json.dumps(data, indent=2, ensure_ascii=ascii) + "\n"


def render_sarif(
    report: Report, *, no_warnings: bool = False, encoding: str = "utf-8", ascii: bool = False
) -> str:
    """SARIF 2.1.0 (see :mod:`corpuskit.debug.sarif`)."""
    return _render_sarif(report, findings=_visible(report, no_warnings), encoding=encoding, ascii=ascii)


# ------------------------------------------------------------------------------------- text


def _place(file: str | None, line: int | None = None, column: int | None = None) -> str:
    """``file:line:col`` as far as known, the file name quoted when odd."""
    parts = [quote_path(file) if file else "<unknown>"]
    if line is not None:
        parts.append(str(line))
        if column is not None:
            parts.append(str(column))
    return ":".join(parts)


def _where(ex: Example) -> str:
    """``file:line:col (doc d, token t)``; a .spacy file's doc adds ``from source:line``."""
    extra = []
    if ex.doc is not None:
        extra.append(f"doc {ex.doc}")
    if ex.token is not None:
        extra.append(f"token {ex.token}")
    if ex.source is not None:
        extra.append(f"from {_place(ex.source, ex.source_line)}")
    where = _place(ex.file, ex.line, ex.column)
    return where + (f" ({', '.join(extra)})" if extra else "")


def _finding_lines(f: Finding, verbose: bool, max_examples: int, console: Console) -> list[str]:
    head = console.paint(f"{f.severity:<7}", f.severity)
    lines = [f"{console.mark(f.severity)} {head} {f.id}: {escape(f.message)}"]
    shown = f.examples[: max_examples if verbose else 1]
    for ex in shown:
        detail = f" {escape(ex.message)}" if ex.message else ""
        lines.append(f"    {_where(ex)}:{detail}")
        if ex.text:
            lines.append(f"        {escape(ex.text)}")
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
    report: Report,
    *,
    verbose: bool = False,
    no_warnings: bool = False,
    max_examples: int = 20,
    console: Console | None = None,
) -> str:
    """A readable report in sections, with stats tables and each finding's docs link; corpus
    text escaped, marks and colour as ``console`` allows (default: Unicode, no colour)."""
    from tabulate import tabulate

    console = console or _PLAIN
    stats = report.stats
    splits: list[str] = [k for k in ("train", "dev") if k in stats]
    out: list[str] = ["corpuskit debug-data", "=" * 20, ""]
    visible = _visible(report, no_warnings)
    for section in SECTIONS:
        findings = [f for f in visible if f.section == section]
        has_data = _has_section_data(stats, section) if splits else False
        if not findings and not has_data:
            continue
        out += [SECTION_TITLES[section], "-" * len(SECTION_TITLES[section])]
        if has_data:
            out.append(tabulate(_stats_table(stats, section), headers=["", *splits], tablefmt="simple"))
            if verbose:
                for kind, name in _LABEL_TABLES.get(section, []):
                    out += _label_table(stats, splits, kind, name)
            out.append("")
        for f in findings:
            out += _finding_lines(f, verbose, max_examples, console)
        if findings:
            out.append("")
        elif has_data:
            out += [f"{console.mark('ok')} no problems found", ""]
    out += ["Summary", "-------"]
    summary = [
        f"{console.mark('ok')} {report.passed} check{'s' if report.passed != 1 else ''} passed",
        f"{console.mark('error')} {report.errors} error{'s' if report.errors != 1 else ''}",
    ]
    if not no_warnings:
        summary.append(
            f"{console.mark('warning')} {report.warnings} warning{'s' if report.warnings != 1 else ''}"
        )
        summary.append(f"{console.mark('info')} {report.infos} info")
    out.append("   ".join(summary))
    if report.ignored:
        out.append(f"ignored: {', '.join(report.ignored)}")
    skipped = stats.get("skipped_files")
    if skipped:
        out.append(f"skipped {len(skipped)} file(s) that are not corpora" + (":" if verbose else ""))
        if verbose:
            out += [f"    {escape(s)}" for s in skipped]
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
        [escape(str(label)), *[f"{n:,}" for n in counts]]
        for label, counts in sorted(labels.items(), key=lambda kv: -kv[1][0])
    ]
    return ["", tabulate(rows, headers=[name, *splits], tablefmt="simple")]


# --------------------------------------------------------------------------- check (lint lines)


def render_check_lines(
    report: Report, *, no_warnings: bool = False, infos: bool = False, console: Console | None = None
) -> list[str]:
    """``file:line:col: id message`` per example, sorted by file and line (``corpuskit check``).

    One finding is always one line: control characters in messages are escaped and odd file
    names quoted. A ``.spacy`` file's doc is at line 1, with its doc/token index and the
    ``source:line`` it was converted from in the message.
    """
    console = console or _PLAIN
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
            if ex.line is None and ex.doc is not None:  # a .spacy file's doc
                where = [f"doc {ex.doc}", *([f"token {ex.token}"] if ex.token is not None else [])]
                if ex.source is not None:
                    where.append(f"from {_place(ex.source, ex.source_line)}")
                msg += f" ({', '.join(where)})"
            sev = "" if f.severity == "error" else f"({f.severity}) "
            name = file if ex.file is None else quote_path(file)
            text = f"{name}:{line}:{col}: {console.paint(f.id, f.severity)} {sev}{escape(msg)}"
            rows.append((file, line, col, text))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [r[3] for r in rows]
