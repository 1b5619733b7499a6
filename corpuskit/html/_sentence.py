"""A sentence drawn three ways: dependency arcs (SVG), entities highlighted, and characters.

The arcs show the annotation as it is, faults included: the arcs of a cycle and the extra roots
of a sentence with several are drawn in red, non-projective arcs dashed.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..doc import Doc
from ._page import esc, label_colour

__all__ = ["arcs_svg", "chars_table", "ents_html", "window"]


def window(doc: Doc, start: int, end: int | None = None, *, max_tokens: int = 40) -> tuple[int, int]:
    """The tokens to draw around ``start:end``: its sentence, cut to ``max_tokens`` around it."""
    n = len(doc.words)
    end = start + 1 if end is None else max(end, start + 1)
    a, b = 0, n
    for s, e in doc.sentence_bounds():
        if s <= start < e:
            a, b = s, max(e, min(end, n))
            break
    if b - a > max_tokens:
        half = max(0, (max_tokens - (end - start)) // 2)
        a = max(a, start - half)
        b = min(b, max(end, a + max_tokens))
    return a, b


def _cycles(heads: Sequence[int | None], a: int, b: int) -> set[int]:
    """Tokens of ``a:b`` that lie on a head cycle."""
    on: set[int] = set()
    for i in range(a, b):
        seen = [i]
        j = heads[i]
        while j is not None and 0 <= j < len(heads) and j != seen[-1] and len(seen) <= b - a + 1:
            if j == i:
                on.update(seen)
                break
            if j in seen:
                break
            seen.append(j)
            j = heads[j]
    return on


def _crossing(arcs: list[tuple[int, int]]) -> set[int]:
    """Indices of the arcs that cross another (non-projective)."""
    out: set[int] = set()
    spans = [(min(h, d), max(h, d)) for h, d in arcs]
    for k, (l1, r1) in enumerate(spans):
        for m in range(k + 1, len(spans)):
            l2, r2 = spans[m]
            if l1 < l2 < r1 < r2 or l2 < l1 < r2 < r1:
                out.update((k, m))
    return out


def arcs_svg(doc: Doc, a: int, b: int, *, mark: tuple[int, int] | None = None) -> str:
    """Tokens ``a:b`` with their dependency arcs (head to dependent, labelled) as SVG."""
    heads = doc.heads or [None] * len(doc.words)
    deps = doc.deps or [None] * len(doc.words)
    tags = doc.pos if doc.pos is not None else doc.tags
    xs: list[float] = []
    x = 6.0
    for i in range(a, b):
        tag = (tags[i] or "") if tags is not None else ""
        w = max(len(doc.words[i]) * 7.8, len(tag) * 6.5, 26) + 14
        xs.append(x + w / 2)
        x += w
    width = x + 6
    arcs = [(h, i) for i in range(a, b) if (h := heads[i]) is not None and h != i and a <= h < b]
    roots = [i for i in range(a, b) if heads[i] == i]
    cyc = _cycles(heads, a, b)
    crossing = _crossing(arcs)
    pairs = set(arcs)
    levels = [min(abs(h - d), 14) + (0.6 if (d, h) in pairs and h > d else 0) for h, d in arcs]
    top = int(max(levels, default=1) * 12 + 30)
    base = top
    parts: list[str] = []
    if mark is not None:
        lo, hi = max(mark[0], a), min(mark[1], b)
        if lo < hi:
            x0 = xs[lo - a] - (xs[lo - a] - (xs[lo - a - 1] if lo > a else 0)) / 2 + 2
            x1 = xs[hi - 1 - a] + ((xs[hi - a] if hi < b else width) - xs[hi - 1 - a]) / 2 - 2
            parts.append(
                f'<rect class="hit" x="{x0:.1f}" y="{base + 2}" width="{x1 - x0:.1f}" height="34" rx="3"/>'
            )
    for k, (h, d) in enumerate(arcs):
        x1, x2 = xs[h - a], xs[d - a]
        height = levels[k] * 16 + 8
        cls = "arc cyc" if h in cyc and d in cyc else ("arc np" if k in crossing else "arc")
        parts.append(
            f'<path class="{cls}" d="M{x1:.1f},{base} C{x1:.1f},{base - height} {x2:.1f},{base - height} '
            f'{x2:.1f},{base}"><title>{esc(doc.words[h])} → {esc(doc.words[d])}: '
            f"{esc(deps[d] or '')}</title></path>"
        )
        hd = "hd cyc" if "cyc" in cls else "hd"
        parts.append(
            f'<path class="{hd}" d="M{x2 - 4:.1f},{base - 7} L{x2 + 4:.1f},{base - 7} L{x2:.1f},{base} Z"/>'
        )
        parts.append(
            f'<text class="lab" x="{(x1 + x2) / 2:.1f}" y="{base - height * 0.75 - 2:.1f}" '
            f'text-anchor="middle">{esc(deps[d] or "")}</text>'
        )
    for r in roots:
        cls = "root xroot" if len(roots) > 1 else "root"
        parts.append(
            f'<text class="{cls}" x="{xs[r - a]:.1f}" y="{base - 4}" text-anchor="middle">ROOT ↓</text>'
        )
    for i in range(a, b):
        cx = xs[i - a]
        parts.append(
            f'<text class="w" x="{cx:.1f}" y="{base + 18}" text-anchor="middle">{esc(doc.words[i])}</text>'
        )
        tag = (tags[i] or "") if tags is not None else ""
        if tag:
            parts.append(
                f'<text class="pos" x="{cx:.1f}" y="{base + 32}" text-anchor="middle">{esc(tag)}</text>'
            )
    height_px = base + 40
    return (
        f'<svg class="arcs" width="{width:.0f}" height="{height_px}" viewBox="0 0 {width:.0f} {height_px}">'
        f"{''.join(parts)}</svg>"
    )


def ents_html(doc: Doc, a: int, b: int, *, mark: tuple[int, int] | None = None) -> str:
    """Tokens ``a:b`` with the entities marked and labelled; ``mark`` outlined in red."""
    spans = sorted((s.start, s.end, s.label) for s in doc.ents or () if s.end > a and s.start < b)
    starts: dict[int, tuple[int, str]] = {}
    last = a
    extra = []
    for s, e, label in spans:
        if s >= last:
            starts[max(s, a)] = (min(e, b), label)
            last = e
        else:
            extra.append(f"{' '.join(doc.words[s:e])} ({label})")
    out: list[str] = []
    i = a
    lo, hi = mark if mark is not None else (-1, -1)
    while i < b:
        if i in starts:
            e, label = starts[i]
            words = " ".join(esc(w) for w in doc.words[i:e])
            hit = " hit" if (i, e) == (lo, hi) or (lo <= i < hi) else ""
            out.append(
                f'<mark class="ent{hit}" style="background:{label_colour(label)}" data-label="{esc(label)}">'
                f'{words}<span class="lab">{esc(label)}</span></mark>'
            )
            i = e
            continue
        hit = " hit" if lo <= i < hi else ""
        out.append(f'<span class="tok{hit}">{esc(doc.words[i])}</span>')
        i += 1
    note = f'<div class="msg">overlapping: {esc("; ".join(extra))}</div>' if extra else ""
    return f'<div class="sent">{" ".join(out)}</div>{note}'


def chars_table(rows: Sequence[tuple[str, str, set[int], set[int]]], *, span: set[int] | None = None) -> str:
    """Characters in a grid, one row per reading: ``(name, text, token starts, bad positions)``.
    A token start gets a bold left border; bad positions are red; ``span`` is highlighted."""
    span = span or set()
    body = []
    for name, text, bounds, bad in rows:
        cells = []
        for k, ch in enumerate(text):
            cls = " ".join(c for c, on in (("b", k in bounds), ("bad", k in bad), ("span", k in span)) if on)
            shown = "␣" if ch == " " else ch
            cells.append(f'<td class="{cls}">{esc(shown)}</td>' if cls else f"<td>{esc(shown)}</td>")
        body.append(f"<tr><th>{esc(name)}</th>{''.join(cells)}</tr>")
    return f'<table class="chars">{"".join(body)}</table>'
