"""``debug-data --format html``: the Report as one self-contained page, charts and examples drawn.

The findings, counts and label statistics come from the same :class:`~corpuskit.debug.Report`
the text, JSON and SARIF outputs render. What a report does not keep (the sentences its examples
point at, the sentence and entity lengths) :func:`collect_page_data` gathers in a second pass
over the corpus, reading the files exactly as ``debug_corpus`` does, so ``doc`` indices agree.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..debug import Options, Report
from ..debug.findings import Collector, Example, Finding
from ..debug.registry import SECTIONS
from ..debug.report import DOCS_URL, SECTION_TITLES
from ..doc import Doc
from ._page import bars_svg, esc, hist_svg, page
from ._sentence import arcs_svg, chars_table, ents_html, window

__all__ = ["PageData", "collect_page_data", "render_debug_html"]

_SENT_BINS = [f"{k * 5 + 1}-{k * 5 + 5}" for k in range(16)] + ["81+"]
_ENT_BINS = [str(k) for k in range(1, 10)] + ["10+"]
_CHAR_CHECKS = {
    "text-form-mismatch",
    "misaligned-tokens",
    "misaligned-entity",
    "offset-units",
    "whitespace-token",
}
_ICON = {"error": "✘", "warning": "⚠", "info": "ℹ"}
_SEV_CLASS = {"error": "err", "warning": "warn", "info": "info"}


@dataclass(slots=True)
class _Split:
    name: str
    files: set[str] = field(default_factory=set)
    sent_lengths: list[int] = field(default_factory=lambda: [0] * len(_SENT_BINS))
    ent_lengths: list[int] = field(default_factory=lambda: [0] * len(_ENT_BINS))


@dataclass(slots=True)
class PageData:
    """What the page draws beyond the report: per split the sentence- and entity-length
    histograms, the docs the examples point at, and source lines around reader errors."""

    splits: list[_Split]
    docs: dict[tuple[str, int], Doc]
    lines: dict[tuple[str, int], list[tuple[int, str]]]

    def split_of(self, file: str | None) -> str:
        return next((s.name for s in self.splits if file in s.files), "")


def collect_page_data(
    report: Report, train: str | Path, dev: str | Path | None = None, *, options: Options | None = None
) -> PageData:
    """Read the corpus again (as ``debug_corpus`` did) for the lengths and the examples' docs."""
    from ..corpus import iter_corpus_files
    from ..debug import _read_items

    opts = options or Options()
    wanted: set[tuple[str, int]] = set()
    raw: set[tuple[str, int]] = set()
    for f in report.findings:
        for ex in f.examples:
            if ex.file is not None and ex.doc is not None:
                wanted.add((ex.file, ex.doc))
            elif ex.file is not None and ex.line is not None:
                raw.add((ex.file, ex.line))
    splits: list[_Split] = []
    docs: dict[tuple[str, int], Doc] = {}
    for name, path in [("train", train), *([("dev", dev)] if dev is not None else [])]:
        split = _Split(name)
        splits.append(split)
        for file, conv, _why in iter_corpus_files(
            path, converter=opts.converter, encoding=opts.encoding, on_skip=lambda f, why: None
        ):
            split.files.add(str(file))
            for item in _read_items(file, conv, name, opts, Collector(max_examples=0), set(), None):
                doc = item.doc
                split.files.add(doc.source or item.file)
                key = (doc.source or item.file, item.index)
                if key in wanted:
                    docs[key] = doc
                for a, b in doc.sentence_bounds():
                    split.sent_lengths[min((b - a - 1) // 5, len(_SENT_BINS) - 1)] += 1
                for span in doc.ents or ():
                    if span.end > span.start:
                        split.ent_lengths[min(span.end - span.start, len(_ENT_BINS)) - 1] += 1
    return PageData(splits, docs, _source_lines(raw, opts.encoding))


def _source_lines(raw: set[tuple[str, int]], encoding: str) -> dict[tuple[str, int], list[tuple[int, str]]]:
    from ..io import read_lines

    out: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for file in sorted({f for f, _ in raw}):
        want = sorted(line for f, line in raw if f == file)
        try:
            for i, text in enumerate(read_lines(Path(file), encoding=encoding), start=1):
                for line in want:
                    if line - 2 <= i <= line + 2:
                        out.setdefault((file, line), []).append((i, text))
                if i > want[-1] + 2:
                    break
        except (OSError, ValueError):
            continue
    return out


# ------------------------------------------------------------------------------- rendering


def render_debug_html(
    report: Report, data: PageData, *, options: Options | None = None, no_warnings: bool = False
) -> str:
    """The whole page: summary, per-split charts, then every finding with its examples drawn."""
    opts = options or Options()
    findings = [f for f in report.findings if not no_warnings or f.severity == "error"]
    body = [
        "<header><h1>corpuskit debug-data</h1></header><main>",
        _summary(report),
        _charts(report, data, opts),
        _filters(findings, data),
        '<div id="findings">',
    ]
    for section in SECTIONS:
        in_section = [f for f in findings if f.section == section]
        if in_section:
            body.append(f'<h2 class="section">{esc(SECTION_TITLES.get(section, section))}</h2>')
            body += [_finding(f, data) for f in in_section]
    if not findings:
        body.append('<p class="ok">✔ no problems found</p>')
    body.append("</div></main>")
    return page("corpuskit debug-data", "".join(body), script=_FILTER_JS)


def _summary(report: Report) -> str:
    cards = [
        ("err", report.errors, "errors"),
        ("warn", report.warnings, "warnings"),
        ("info", report.infos, "info"),
        ("ok", report.passed, "checks passed"),
    ]
    html = ['<h2>Summary</h2><div class="cards" id="summary">']
    html += [f'<div class="card {c}"><b>{n:,}</b>{label}</div>' for c, n, label in cards]
    html.append("</div>")
    splits = [k for k in ("train", "dev") if k in report.stats]
    if splits:
        keys = [
            ("files", "files"),
            ("docs", "docs"),
            ("sentences", "sentences"),
            ("tokens", "tokens"),
            ("entities", "entities"),
            ("parsed sentences", "parsed_sentences"),
            ("non-projective sentences", "nonprojective_sentences"),
        ]
        head = "".join(f"<th>{esc(s)}</th>" for s in splits)
        rows = "".join(
            f"<tr><td>{name}</td>"
            + "".join(f'<td align="right">{report.stats[s].get(key, 0):,}</td>' for s in splits)
            + "</tr>"
            for name, key in keys
        )
        html.append(f'<table id="counts"><tr><th></th>{head}</tr>{rows}</table>')
    return "".join(html)


def _charts(report: Report, data: PageData, opts: Options) -> str:
    splits = [s for s in data.splits if s.name in report.stats]
    if not splits:
        return ""
    charts = [
        _chart("Sentence length (tokens)", hist_svg({s.name: s.sent_lengths for s in splits}, _SENT_BINS))
    ]
    if any(sum(s.ent_lengths) for s in splits):
        charts.append(
            _chart("Entity length (tokens)", hist_svg({s.name: s.ent_lengths for s in splits}, _ENT_BINS))
        )
    names = {"ent": "Entity labels", "pos": "POS", "tag": "Fine-grained tags", "dep": "Dependency labels"}
    for kind, title in names.items():
        series = {s.name: report.stats[s.name]["labels"].get(kind, {}) for s in splits}
        if not any(series.values()):
            continue
        rare = opts.low_count_label if kind == "ent" else opts.low_count_dep_label
        charts.append(_chart(f"{title} (▲ rare: ≤ {rare} in train)", bars_svg(series, rare=rare), kind=kind))
    return f'<h2>Statistics</h2><div class="charts" id="charts">{"".join(charts)}</div>'


def _chart(title: str, svg: str, *, kind: str = "") -> str:
    data = f' data-kind="{kind}"' if kind else ""
    return f'<div class="chart"{data}><h3>{esc(title)}</h3>{svg}</div>'


def _filters(findings: list[Finding], data: PageData) -> str:
    checks = "".join(f'<option value="{esc(f.id)}">{esc(f.id)}</option>' for f in findings)
    sevs = "".join(
        f'<label><input type="checkbox" class="f-sev" value="{s}" checked> {s}</label>'
        for s in ("error", "warning", "info")
    )
    splits = "".join(f'<option value="{esc(s.name)}">{esc(s.name)}</option>' for s in data.splits)
    return (
        '<h2>Findings</h2><div class="filters">'
        f'<label>check <select id="f-check"><option value="">all</option>{checks}</select></label>'
        f'{sevs}<label>split <select id="f-split"><option value="">all</option>{splits}</select></label>'
        '<span id="f-count"></span></div>'
    )


def _finding(f: Finding, data: PageData) -> str:
    splits = sorted({data.split_of(ex.file) for ex in f.examples} - {""})
    head = (
        f'<h3><span class="{_SEV_CLASS[f.severity]}">{_ICON[f.severity]} {f.severity}</span> '
        f"<code>{esc(f.id)}</code>: {esc(f.message)}</h3>"
    )
    more = f.count - len(f.examples)
    tail = f'<div class="msg">… and {more:,} more</div>' if f.examples and more > 0 else ""
    link = f'<div class="msg">see {esc(DOCS_URL)}#{esc(f.id)}</div>'
    examples = "".join(_example(f, ex, data) for ex in f.examples)
    return (
        f'<section class="finding {f.severity}" data-check="{esc(f.id)}" data-sev="{f.severity}" '
        f'data-splits="{esc(" ".join(splits))}">{head}{examples}{tail}{link}</section>'
    )


def _example(f: Finding, ex: Example, data: PageData) -> str:
    where = esc(ex.location)
    if ex.file:
        uri = Path(ex.file).resolve().as_uri()
        where = f'<a href="{esc(uri)}" title="open {esc(ex.file)}">{where}</a>'
    extra = ", ".join(p for p in (f"doc {ex.doc}" if ex.doc is not None else "", _tok(ex)) if p)
    msg = f' <span class="msg">{esc(ex.message)}</span>' if ex.message else ""
    return (
        f'<div class="ex" data-split="{esc(data.split_of(ex.file))}" data-check="{esc(f.id)}" '
        f'data-sev="{f.severity}"><div class="where">{where}{f" ({extra})" if extra else ""}:{msg}</div>'
        f"{_view(f, ex, data)}</div>"
    )


def _tok(ex: Example) -> str:
    return f"token {ex.token}" if ex.token is not None else ""


def _marked_len(text: str) -> int:
    m = re.search(r"\[([^\]]*)\]", text)
    return max(1, len(m.group(1).split())) if m else 1


def _view(f: Finding, ex: Example, data: PageData) -> str:
    doc = data.docs.get((ex.file, ex.doc)) if ex.file is not None and ex.doc is not None else None
    if doc is not None and doc.words:
        token = ex.token if ex.token is not None and 0 <= ex.token < len(doc.words) else None
        mark = None if token is None else (token, min(token + _marked_len(ex.text), len(doc.words)))
        a, b = window(doc, token or 0, mark[1] if mark else None)
        if f.id in _CHAR_CHECKS:
            return _chars_view(f.id, ex, doc, a, b, mark)
        if f.section in ("parse", "tags") and doc.heads is not None:
            return arcs_svg(doc, a, b, mark=mark)
        return ents_html(doc, a, b, mark=mark)
    lines = data.lines.get((ex.file or "", ex.line or 0))
    if lines:
        src = "\n".join(
            f'<span class="bad">{n:>6}  {esc(t)}</span>' if n == ex.line else f"{n:>6}  {esc(t)}"
            for n, t in lines
        )
        return f'<pre class="src">{src}</pre>'
    if ex.text:
        return f'<div class="sent">{_bracketed(ex.text)}</div>'
    return ""


def _bracketed(text: str) -> str:
    parts = re.split(r"(\[[^\]]*\])", text)
    return "".join(
        f'<span class="tok hit">{esc(p[1:-1])}</span>' if p.startswith("[") and p.endswith("]") else esc(p)
        for p in parts
    )


def _chars_view(check: str, ex: Example, doc: Doc, a: int, b: int, mark: tuple[int, int] | None) -> str:
    """The characters of tokens ``a:b``, token starts bordered; the faulty characters in red."""
    if check == "text-form-mismatch":
        got = _quoted_pair(ex.message, r"tokens give (.+), the text says (.+)$")
        if got is not None:
            from difflib import SequenceMatcher

            built, stated = got
            bad_built: set[int] = set()
            bad_stated: set[int] = set()
            for op, i1, i2, j1, j2 in SequenceMatcher(None, built, stated, autojunk=False).get_opcodes():
                if op != "equal":
                    bad_built.update(range(i1, max(i2, i1 + 1)))
                    bad_stated.update(range(j1, max(j2, j1 + 1)))
            bounds = {k for k in range(len(built)) if k == 0 or built[k - 1] == " "}
            return chars_table([("tokens", built, bounds, bad_built), ("# text", stated, set(), bad_stated)])
    text, starts = "", []
    for i in range(a, b):
        starts.append(len(text))
        text += doc.words[i] + (" " if (doc.spaces or [True] * len(doc.words))[i] and i + 1 < b else "")
    gold = set(starts)
    span: set[int] = set()
    if mark is not None:
        for i in range(max(mark[0], a), min(mark[1], b)):
            span.update(range(starts[i - a], starts[i - a] + len(doc.words[i])))
    rows: list[tuple[str, str, set[int], set[int]]] = [("gold tokens", text, gold, set())]
    pieces = _pieces(ex.message) if check == "misaligned-tokens" else None
    if pieces is not None and mark is not None and a <= mark[0] < b:
        at = starts[mark[0] - a]
        other = set(gold) - {at + k for k in range(1, len(doc.words[mark[0]]))}
        pos = at
        for p in pieces:
            other.add(pos)
            pos += len(p)
        rows.append(("tokenizer", text, other, other ^ gold))
    return chars_table(rows, span=span)


def _quoted_pair(message: str, pattern: str) -> tuple[str, str] | None:
    m = re.search(pattern, message)
    if m is None:
        return None
    try:
        first, second = ast.literal_eval(m.group(1)), ast.literal_eval(m.group(2))
    except (ValueError, SyntaxError):
        return None
    return (first, second) if isinstance(first, str) and isinstance(second, str) else None


def _pieces(message: str) -> list[str] | None:
    m = re.search(r"-> (\[.*\])$", message)
    if m is None:
        return None
    try:
        got: Any = ast.literal_eval(m.group(1))
    except (ValueError, SyntaxError):
        return None
    return [str(p) for p in got] if isinstance(got, list) else None


_FILTER_JS = """
(function(){
const q=s=>Array.from(document.querySelectorAll(s));
function apply(){
  const c=document.getElementById('f-check').value, sp=document.getElementById('f-split').value;
  const sev=new Set(q('.f-sev').filter(e=>e.checked).map(e=>e.value));
  let shown=0, exs=0;
  q('.finding').forEach(f=>{
    const ok=(c===''||f.dataset.check===c)&&sev.has(f.dataset.sev);
    const items=Array.from(f.querySelectorAll('.ex'));
    let any=false;
    items.forEach(e=>{const v=ok&&(sp===''||e.dataset.split===sp);
      e.classList.toggle('hidden',!v);if(v){any=true;exs++;}});
    const vis=ok&&(items.length?any:(sp===''||f.dataset.splits.split(' ').includes(sp)));
    f.classList.toggle('hidden',!vis); if(vis)shown++;
  });
  q('h2.section').forEach(h=>{let n=h.nextElementSibling,v=false;
    while(n&&n.classList.contains('finding')){if(!n.classList.contains('hidden'))v=true;n=n.nextElementSibling;}
    h.classList.toggle('hidden',!v);});
  document.getElementById('f-count').textContent=shown+' finding(s), '+exs+' example(s) shown';
}
q('#f-check,#f-split,.f-sev').forEach(e=>e.addEventListener('change',apply));
apply();
})();
"""
