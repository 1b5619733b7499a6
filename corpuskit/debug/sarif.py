"""A Report as SARIF 2.1.0 that GitHub code scanning takes: every result located, fingerprinted,
with the file's own text of its line as the snippet."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from .. import __version__
from .findings import Example, Finding, Report
from .registry import CHECKS

__all__ = ["FINGERPRINT_KEY", "SARIF_SCHEMA", "render_sarif"]

#: The schema the output declares: OASIS' SARIF 2.1.0 (errata 01).
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
#: The key of each result's ``partialFingerprints``: a hash of check id, file and the line's text.
FINGERPRINT_KEY = "corpuskitLineHash/v1"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_SRCROOT = "%SRCROOT%"
_MAX_SNIPPET = 4096  # a longer line is hashed but not copied into the report
_DOCS = "docs/checks.md"


def render_sarif(
    report: Report, *, findings: list[Finding] | None = None, encoding: str = "utf-8", ascii: bool = False
) -> str:
    """SARIF 2.1.0: one rule per check that ran, one result per example (per finding when it
    has none). ``findings`` (default: all) are the ones to show; ``encoding`` reads the lines
    that become snippets and fingerprints; ``ascii`` writes ``\\u`` escapes for the rest."""
    shown = report.findings if findings is None else findings
    index = {check_id: k for k, check_id in enumerate(report.checks_run)}
    texts = _line_texts(shown, encoding)
    results: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    unlocated: list[str] = []
    for finding in shown:
        examples: list[Example | None] = [e for e in finding.examples if e.file]
        if not examples:
            examples.append(None)
        for ex in examples:
            result = _result(finding, ex, report, texts)
            if result is None:
                unlocated.append(finding.id)
                continue
            if finding.id in index:
                result["ruleIndex"] = index[finding.id]
            key = result.pop("_hash")
            seen[key] = seen.get(key, 0) + 1
            result["partialFingerprints"] = {FINGERPRINT_KEY: f"{key}:{seen[key]}"}
            results.append(result)
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "corpuskit",
                "version": __version__,
                "informationUri": "https://github.com/corpuskit/corpuskit",
                "rules": [_rule(check_id) for check_id in report.checks_run],
            }
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if unlocated:
        run["properties"] = {"unlocatedFindings": sorted(set(unlocated))}
    sarif = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(sarif, indent=2, ensure_ascii=ascii) + "\n"


def _rule(check_id: str) -> dict[str, Any]:
    check = CHECKS[check_id]
    where = f"corpuskit's {_DOCS}, section `{check_id}`"
    text = f"{check.summary}. Default severity: {check.severity}. Documented in {where}."
    markdown = (
        f"**{check_id}** ({check.severity}, section {check.section}): {check.summary}.\n\n"
        f"Documented in {where} (`corpuskit debug-data --ignore {check_id}` turns it off)."
    )
    return {
        "id": check_id,
        "name": "".join(p.capitalize() for p in check_id.split("-")),
        "shortDescription": {"text": check.summary},
        "fullDescription": {"text": text},
        "help": {"text": text, "markdown": markdown},
        "defaultConfiguration": {"level": _LEVEL[check.severity]},
        "properties": {"section": check.section, "tags": [check.section]},
    }


def _result(
    finding: Finding, ex: Example | None, report: Report, texts: dict[tuple[str, int], str]
) -> dict[str, Any] | None:
    base: dict[str, Any] = {"ruleId": finding.id, "level": _LEVEL[finding.severity]}
    props: dict[str, Any] = {"count": finding.count}
    if ex is None or ex.file is None:  # corpus-wide: at line 1 of the first file of its split
        split, first = _first_file(report)
        if first is None:
            return None
        props.update(corpusWide=True, split=split)
        where = _physical(first, 1, None, None)
        return {
            **base,
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": where}],
            "properties": props,
            "_hash": _hash(finding.id, first, "\0corpus-wide\0" + split),
        }
    text = f"{finding.message}: {ex.message}" if ex.message else finding.message
    result: dict[str, Any] = {**base}
    if ex.doc is not None:
        props["doc"] = ex.doc
    if ex.token is not None:
        props["token"] = ex.token
    if ex.line is not None:
        line_text = texts.get((ex.file, ex.line))
        where = _physical(ex.file, ex.line, ex.column, line_text)
        key = _hash(finding.id, ex.file, line_text if line_text is not None else f"\0line {ex.line}")
    else:  # a .spacy file's doc: no line of its own; where it came from goes alongside
        where = _physical(ex.file, 1, None, None)
        place = f"doc {ex.doc}" + (f", token {ex.token}" if ex.token is not None else "")
        text += f" ({place})"
        source_text = texts.get((ex.source, ex.source_line)) if ex.source and ex.source_line else None
        key = _hash(finding.id, ex.file, f"\0{place}\0{source_text or ''}")
        if ex.doc is not None:
            name = f"doc[{ex.doc}]" + (f"/token[{ex.token}]" if ex.token is not None else "")
            result["locations"] = [{"physicalLocation": where, "logicalLocations": [{"name": name}]}]
        if ex.source is not None:
            text += f"; converted from {ex.source_location}"
            related = _physical(ex.source, ex.source_line or 1, None, source_text)
            result["relatedLocations"] = [
                {
                    "id": 1,
                    "physicalLocation": related,
                    "message": {"text": "the source this doc was converted from"},
                }
            ]
            props["source"] = ex.source_location
    result.setdefault("locations", [{"physicalLocation": where}])
    result["message"] = {"text": text}
    result["properties"] = props
    result["_hash"] = key
    return result


def _first_file(report: Report) -> tuple[str, str | None]:
    for split in ("train", "", "dev", *report.files):
        files = report.files.get(split)
        if files:
            return split or "files", files[0]
    return "train", None


def _physical(file: str, line: int, column: int | None, line_text: str | None) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": line}
    if column is not None:
        region["startColumn"] = column
    if line_text is not None and len(line_text) <= _MAX_SNIPPET:
        region["snippet"] = {"text": line_text}
    return {"artifactLocation": _artifact(file), "region": region}


def _artifact(path: str) -> dict[str, Any]:
    """A relative path as a URI reference under ``%SRCROOT%``; an absolute one as a file URI."""
    posix = path.replace("\\", "/")
    if os.path.isabs(path):
        return {"uri": Path(path).absolute().as_uri()}
    if posix.startswith("./"):
        posix = str(PurePosixPath(posix))
    return {"uri": quote(posix, safe="/._-~"), "uriBaseId": _SRCROOT}


def _hash(check_id: str, file: str, line_text: str) -> str:
    data = "\0".join((check_id, file.replace("\\", "/"), line_text)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:32]


def _line_texts(findings: list[Finding], encoding: str) -> dict[tuple[str, int], str]:
    """The text of each line the examples name, reading each regular file once."""
    wanted: dict[str, set[int]] = {}
    for f in findings:
        for ex in f.examples:
            if ex.file and ex.line is not None:
                wanted.setdefault(ex.file, set()).add(ex.line)
            if ex.source and ex.source_line is not None:
                wanted.setdefault(ex.source, set()).add(ex.source_line)
    out: dict[tuple[str, int], str] = {}
    for file, lines in wanted.items():
        out.update(_read_lines(file, lines, encoding))
    return out


def _read_lines(file: str, lines: set[int], encoding: str) -> dict[tuple[str, int], str]:
    """Lines ``lines`` of ``file`` as its text (undecodable bytes replaced); nothing when it is
    not a regular file that can be read (a FIFO would block, a device never end)."""
    out: dict[tuple[str, int], str] = {}
    try:
        if not stat.S_ISREG(os.stat(file).st_mode):
            return out
        last = max(lines)
        with open(file, "rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if n in lines:
                    text = raw.rstrip(b"\n").rstrip(b"\r").decode(encoding, errors="replace")
                    out[(file, n)] = text.removeprefix("\ufeff") if n == 1 else text
                if n >= last:
                    break
    except (OSError, LookupError):
        return out
    return out
