"""The pieces every page shares: the page shell, escaping, JSON in a script tag, and SVG charts.

Charts are small SVG drawn here (a few hundred bytes each) rather than a charting library: the
pages stay self-contained, offline and small, and nothing is fetched or evaluated at load time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

__all__ = [
    "SPLIT_COLOURS",
    "bars_svg",
    "esc",
    "hist_svg",
    "json_script",
    "label_colour",
    "lines_svg",
    "page",
]

#: One colour per split (train, dev) or per curve, as bars, lines and legends use them.
SPLIT_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")

_CSS = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;
 background:#fafafa}
header{background:#263238;color:#fff;padding:10px 20px}
header h1{font-size:18px;margin:0}
main{padding:12px 20px;max-width:1300px}
h2{font-size:16px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:22px}
h3{font-size:14px;margin:14px 0 4px}
.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{background:#fff;border:1px solid #ddd;border-radius:4px;padding:6px 12px;min-width:110px}
.card b{display:block;font-size:18px}
.err{color:#c62828}.warn{color:#b26a00}.info{color:#1565c0}.ok{color:#2e7d32}
.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
.chart{background:#fff;border:1px solid #ddd;border-radius:4px;padding:6px}
.chart h3{margin:0 0 4px}
.legend span{display:inline-block;margin-right:10px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}
svg text{font:11px system-ui,sans-serif}
.rare{fill:#c62828;font-weight:bold}
.filters{position:sticky;top:0;background:#eceff1;padding:6px 10px;border:1px solid #cfd8dc;z-index:2}
.filters label{margin-right:12px}
.finding{background:#fff;border:1px solid #ddd;border-left:4px solid #999;border-radius:3px;
 margin:8px 0;padding:6px 10px}
.finding.error{border-left-color:#c62828}.finding.warning{border-left-color:#f9a825}
.finding.info{border-left-color:#1565c0}
.ex{border-top:1px dashed #ddd;padding:6px 0;overflow-x:auto}
.where a{font-family:ui-monospace,monospace;font-size:12px}
.msg{color:#444}
.sent{font-size:15px;line-height:2.2}
.tok{padding:1px 2px;border-radius:3px}
.tok.hit{outline:2px solid #c62828;background:#ffebee}
mark.ent{padding:2px 4px;border-radius:4px;margin:0 1px;color:#111}
mark.ent .lab{font-size:10px;font-weight:bold;margin-left:4px;text-transform:uppercase;opacity:.8}
mark.ent.hit{outline:2px solid #c62828}
.chars{font-family:ui-monospace,monospace;font-size:13px;border-collapse:collapse}
.chars td{padding:1px 2px;text-align:center;border:1px solid #eee;min-width:12px}
.chars td.b{border-left:2px solid #555}
.chars td.bad{background:#ffcdd2;color:#b71c1c;font-weight:bold}
.chars td.span{background:#fff59d}
.chars th{font-weight:normal;text-align:right;padding-right:6px;color:#666;white-space:nowrap}
pre.src{background:#f5f5f5;padding:4px 6px;margin:4px 0;font-size:12px;overflow-x:auto}
pre.src .bad{background:#ffcdd2}
.arcs .arc{fill:none;stroke:#555;stroke-width:1.3}
.arcs .arc.cyc{stroke:#c62828;stroke-width:2.2}
.arcs .arc.np{stroke:#8e24aa;stroke-dasharray:4 2}
.arcs .hd{fill:#555}.arcs .hd.cyc{fill:#c62828}
.arcs .root{fill:#2e7d32;font-weight:bold}.arcs .root.xroot{fill:#c62828}
.arcs rect.hit{fill:#ffebee;stroke:#c62828}
.arcs .w{font-size:13px}.arcs .lab{fill:#333}.arcs .pos{fill:#888;font-size:10px}
#counts td,#counts th{padding:2px 10px}
.hidden{display:none!important}
"""


def esc(text: object) -> str:
    """``text`` escaped for HTML text and attribute values."""
    return escape(str(text), quote=True)


def json_script(element_id: str, data: Any) -> str:
    """``data`` as JSON in a ``<script type="application/json">`` (``</`` cannot end it early)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" id="{esc(element_id)}">{text}</script>'


def page(title: str, body: str, *, script: str = "", css: str = "", head: str = "") -> str:
    """A whole self-contained HTML document. The Content-Security-Policy forbids every fetch,
    so a page that tried to load anything would fail in the browser rather than leak."""
    csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data: blob:"
    js = f"<script>{script}</script>" if script else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">{head}'
        f"<title>{esc(title)}</title><style>{_CSS}{css}</style></head>\n"
        f"<body>{body}\n{js}</body></html>\n"
    )


def label_colour(label: str) -> str:
    """A stable light colour for a label (the same label has the same colour on every page)."""
    h = 0
    for ch in label:
        h = (h * 31 + ord(ch)) & 0xFFFFFF
    return f"hsl({h % 360},70%,82%)"


def _legend(splits: Sequence[str]) -> str:
    items = "".join(
        f'<span><i style="background:{SPLIT_COLOURS[k % len(SPLIT_COLOURS)]}"></i>{esc(s)}</span>'
        for k, s in enumerate(splits)
    )
    return f'<div class="legend">{items}</div>'


def bars_svg(
    series: Mapping[str, Mapping[str, int]],
    *,
    rare: int = 0,
    max_rows: int = 60,
    label_width: int = 130,
    width: int = 420,
) -> str:
    """Horizontal bars, one row per label and one bar per split side by side, as the share of
    that split's total (so splits of different sizes compare). Labels whose count in the first
    split is at most ``rare`` (or absent from it) are marked in red. Rows sorted by the first
    split's count; at most ``max_rows``."""
    splits = list(series)
    totals = {s: sum(series[s].values()) or 1 for s in splits}
    labels: dict[str, int] = {}
    for s in splits:
        for label in series[s]:
            labels.setdefault(label, 0)
    first = series[splits[0]] if splits else {}
    order = sorted(labels, key=lambda lab: (-first.get(lab, 0), lab))[:max_rows]
    if not order:
        return ""
    bar_h = 9
    row_h = bar_h * len(splits) + 5
    plot_w = width - label_width - 60
    peak = max(series[s].get(lab, 0) / totals[s] for s in splits for lab in order) or 1.0
    out = []
    for r, label in enumerate(order):
        y = r * row_h + 2
        is_rare = first.get(label, 0) <= rare
        cls = ' class="rare"' if is_rare else ""
        mark = " ▲" if is_rare else ""
        out.append(
            f'<text x="{label_width - 4}" y="{y + row_h / 2 + 1:.0f}" text-anchor="end"{cls}>'
            f"{esc(label[:22])}{mark}</text>"
        )
        for k, s in enumerate(splits):
            n = series[s].get(label, 0)
            w = max(n / totals[s] / peak * plot_w, 1 if n else 0)
            colour = SPLIT_COLOURS[k % len(SPLIT_COLOURS)]
            by = y + k * bar_h
            out.append(
                f'<rect x="{label_width}" y="{by}" width="{w:.1f}" height="{bar_h - 1}" fill="{colour}">'
                f"<title>{esc(label)} in {esc(s)}: {n:,} ({n / totals[s]:.1%})</title></rect>"
                f'<text x="{label_width + w + 3:.1f}" y="{by + bar_h - 1}" font-size="9">{n:,}</text>'
            )
    height = len(order) * row_h + 4
    more = len(labels) - len(order)
    note = f"<div>… and {more} more labels</div>" if more > 0 else ""
    return (
        f'{_legend(splits)}<svg class="bars" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{"".join(out)}</svg>{note}'
    )


def hist_svg(
    series: Mapping[str, Sequence[int]], bins: Sequence[str], *, width: int = 420, height: int = 170
) -> str:
    """A histogram per split side by side (share of each split's total per bin), bins named
    below the axis."""
    splits = list(series)
    if not splits or not bins:
        return ""
    totals = {s: sum(series[s]) or 1 for s in splits}
    peak = max(series[s][b] / totals[s] for s in splits for b in range(len(bins))) or 1.0
    left, bottom, top = 34, 30, 8
    plot_h = height - bottom - top
    slot = (width - left - 4) / len(bins)
    bar_w = max((slot - 2) / len(splits), 1.0)
    out = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 2}" y2="{top + plot_h}" stroke="#999"/>',
        f'<text x="{left - 3}" y="{top + 8}" text-anchor="end">{peak:.0%}</text>',
        f'<text x="{left - 3}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    step = max(1, round(len(bins) / 10))
    for b, name in enumerate(bins):
        x0 = left + b * slot + 1
        for k, s in enumerate(splits):
            n = series[s][b]
            h = n / totals[s] / peak * plot_h
            colour = SPLIT_COLOURS[k % len(SPLIT_COLOURS)]
            out.append(
                f'<rect x="{x0 + k * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{esc(name)} in {esc(s)}: {n:,} '
                f"({n / totals[s]:.1%})</title></rect>"
            )
        if b % step == 0:
            out.append(
                f'<text x="{x0 + slot / 2:.1f}" y="{top + plot_h + 13}" '
                f'text-anchor="middle">{esc(name)}</text>'
            )
    return (
        f'{_legend(splits)}<svg class="hist" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{"".join(out)}</svg>'
    )


def lines_svg(
    series: Mapping[str, Sequence[tuple[float, float]]],
    *,
    width: int = 460,
    height: int = 220,
    percent: bool = False,
) -> str:
    """Line charts of ``(x, y)`` points, one line per series, with min/max ticks on both axes."""
    pts = [p for line in series.values() for p in line]
    if not pts:
        return ""
    x_lo, x_hi = min(p[0] for p in pts), max(p[0] for p in pts)
    y_lo, y_hi = min(0.0, min(p[1] for p in pts)), max(p[1] for p in pts)
    x_hi = x_hi if x_hi > x_lo else x_lo + 1
    y_hi = y_hi if y_hi > y_lo else y_lo + 1
    left, bottom, top, right = 48, 24, 8, 8
    pw, ph = width - left - right, height - top - bottom

    def fmt(v: float) -> str:
        return f"{v:.1%}" if percent else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}")

    def xy(p: tuple[float, float]) -> str:
        x = left + (p[0] - x_lo) / (x_hi - x_lo) * pw
        y = top + ph - (p[1] - y_lo) / (y_hi - y_lo) * ph
        return f"{x:.1f},{y:.1f}"

    out = [
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#999"/>',
        f'<text x="{left - 3}" y="{top + 8}" text-anchor="end">{fmt(y_hi)}</text>',
        f'<text x="{left - 3}" y="{top + ph}" text-anchor="end">{fmt(y_lo)}</text>',
        f'<text x="{left}" y="{height - 6}">{x_lo:,.0f}</text>',
        f'<text x="{left + pw}" y="{height - 6}" text-anchor="end">step {x_hi:,.0f}</text>',
    ]
    for k, (_name, line) in enumerate(series.items()):
        colour = SPLIT_COLOURS[k % len(SPLIT_COLOURS)]
        path = " ".join(xy(p) for p in line)
        out.append(
            f'<polyline class="curve" points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        for p in line:
            x, y = xy(p).split(",")
            out.append(
                f'<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}"><title>{esc(_name)} at step '
                f"{p[0]:,.0f}: {fmt(p[1])}</title></circle>"
            )
    return (
        f'{_legend(list(series))}<svg class="lines" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">{"".join(out)}</svg>'
    )
