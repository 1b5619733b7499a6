"""Character offsets onto tokens, and the unit the offsets were counted in.

- :func:`char_span`, :func:`offsets_to_biluo` and :func:`spans_from_offsets` map character-offset
  spans onto tokens; every span that cannot be placed is listed as a :class:`SpanProblem` with the
  reason, the tokens it cuts and the nearest token boundaries that would fit.
- :func:`to_codepoints` and :func:`detect_offset_units` convert offsets counted in UTF-16 units,
  UTF-8 bytes or against CRLF text into code points, and say which unit makes the spans fit.

(Two tokenizations of one text are mapped onto each other by :mod:`corpuskit.alignment`, which
re-exports these names.)
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from operator import add
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from .doc import Doc, Span
from .tags import biluo_to_spans

__all__ = [
    "OFFSET_UNITS",
    "OffsetUnit",
    "Reason",
    "SpanLike",
    "SpanProblem",
    "UnitGuess",
    "char_span",
    "detect_offset_units",
    "offset_table",
    "offsets_to_biluo",
    "spans_from_offsets",
    "to_codepoints",
    "token_offsets",
]

IntArray = npt.NDArray[np.int64]


def token_offsets(doc: Doc) -> tuple[list[int], list[int]]:
    """Character start and end of every token of ``doc`` in ``doc.text`` (two lists)."""
    spaces = doc.spaces if doc.spaces is not None else [True] * len(doc.words)
    lengths = list(map(len, doc.words))
    starts = [0]
    starts += accumulate(map(add, lengths, spaces))  # a bool adds as 0 or 1
    starts.pop()
    return starts, list(map(add, starts, lengths))


def char_span(
    doc: Doc,
    start: int,
    end: int,
    label: str = "",
    *,
    alignment_mode: Literal["strict", "contract", "expand"] = "strict",
) -> Span | None:
    """The tokens covering ``doc.text[start:end]``, as spaCy's ``Doc.char_span``.

    ``strict``: ``start`` must be a token start and ``end`` a token end; ``contract``: the
    tokens wholly inside the range; ``expand``: the tokens the range touches. ``None`` when no
    span fits.
    """
    if alignment_mode not in ("strict", "contract", "expand"):
        raise ValueError(f"alignment_mode {alignment_mode!r} is not one of 'strict', 'contract', 'expand'")
    starts, ends = token_offsets(doc)
    size = len(doc.text)
    first = _token_by_char(starts, size, start)
    if first < 0 or (alignment_mode == "strict" and starts[first] != start):
        return None
    last = _token_by_char(starts, size, end - 1)
    if last < 0 or (alignment_mode == "strict" and ends[last] != end):
        return None
    if alignment_mode == "contract":
        if starts[first] < start:
            first += 1
        if end < ends[last]:
            last -= 1
        if last < first:
            return None
    elif alignment_mode == "expand" and start == ends[first]:
        first += 1
    if last + 1 < first:
        return None
    return Span(first, last + 1, label)


def _token_by_char(starts: list[int], size: int, char: int) -> int:
    """The token whose text or trailing space holds ``char`` (-1 outside the text)."""
    if not 0 <= char < size:
        return -1
    return bisect.bisect_right(starts, char) - 1


#: A character-offset span: ``(start, end, label)``, ``end`` exclusive.
SpanLike = tuple[int, int, str]

#: Why a span could not be placed (a span may have several).
Reason = Literal[
    "start-inside-token",
    "end-inside-token",
    "whitespace-edge",
    "overlap",
    "out-of-range",
    "empty-span",
    "empty-label",
]


@dataclass(frozen=True, slots=True)
class SpanProblem:
    """A character-offset span that cannot become tokens of the doc, and why.

    ``index`` is the span's position in the input; ``start``/``end``/``label``/``text`` the span
    as given; ``tokens`` the ``(first, last + 1)`` token range it touches (``None`` when it
    touches none) and ``token_texts`` their words; ``reasons`` every way it fails;
    ``overlaps`` the index of the earlier span it overlaps; ``fix`` the nearest ``(start, end)``
    on token boundaries (whitespace at the edges trimmed first) and ``fix_text`` its text.
    """

    index: int
    start: int
    end: int
    label: str
    text: str
    reasons: tuple[Reason, ...]
    tokens: tuple[int, int] | None
    token_texts: tuple[str, ...]
    overlaps: int | None = None
    fix: tuple[int, int] | None = None
    fix_text: str | None = None

    @property
    def message(self) -> str:
        """One line: the span, why it fails, the tokens it cuts and the fix."""
        why = ", ".join(r.replace("-", " ") for r in self.reasons)
        if self.overlaps is not None:
            why += f" (span {self.overlaps})"
        msg = f"span {self.index} [{self.start}:{self.end}] {self.text!r} ({self.label!r}): {why}"
        if self.tokens is not None:
            first, end = self.tokens
            if end - first == 1:
                msg += f"; token {first} {self.token_texts[0]!r}"
            else:
                msg += f"; tokens {first}-{end - 1} {list(self.token_texts)!r}"
        if self.fix is not None:
            msg += f"; nearest fit [{self.fix[0]}:{self.fix[1]}] {self.fix_text!r}"
        return msg


def offsets_to_biluo(doc: Doc, spans: Iterable[SpanLike]) -> tuple[list[str], list[SpanProblem]]:
    """BILUO tags for character-offset ``(start, end, label)`` spans, and what did not fit.

    The tags follow spaCy's ``offsets_to_biluo_tags(..., missing="O")``: tokens of spans that
    fit get ``B-``/``I-``/``L-``/``U-`` tags, tokens touched by a span that does not fit get
    ``"-"`` (missing), every other token ``"O"``; a span with an empty label marks the tokens
    that start inside it ``"O"``. Where spaCy raises on overlapping spans (E103) and warns
    (W030) about the rest, every span that is not placed is returned as a :class:`SpanProblem`.
    """
    starts, ends = token_offsets(doc)
    n = len(starts)
    tags = ["O"] * n
    placed = bytearray(n)  # 1 where a span (or an empty label's "O") set the tag
    touched: list[tuple[int, int]] = []  # token ranges sharing a character with any span
    raw: list[tuple[int, SpanLike, tuple[Reason, ...], int | None]] = []
    # (start, end, index) of the labelled spans that overlap no earlier one: disjoint, sorted.
    taken: list[tuple[int, int, int]] = []
    bisect_left, bisect_right = bisect.bisect_left, bisect.bisect_right
    for index, span in enumerate(spans):
        start, end, label = span
        if end > start:
            first = bisect_right(ends, start)
            last = bisect_left(starts, end)
            if first < last:
                touched.append((first, last))
        if not label:
            for t in range(bisect_left(starts, start), bisect_left(starts, end)):
                tags[t] = "O"
                placed[t] = 1
            raw.append((index, span, ("empty-label",), None))
            continue
        overlaps = _find_overlap(taken, start, end) if taken else None
        if overlaps is None and end > start:
            bisect.insort(taken, (start, end, index))
        # As spaCy's dicts keyed by offset: the last token starting (ending) there.
        i = bisect_right(starts, start) - 1
        t0 = i if i >= 0 and starts[i] == start else None
        j = bisect_right(ends, end) - 1
        t1 = j if j >= 0 and ends[j] == end else None
        if overlaps is None and t0 is not None and t1 is not None and t0 <= t1:
            if t0 == t1:
                tags[t0] = f"U-{label}"
            else:
                tags[t0] = f"B-{label}"
                inside = f"I-{label}"
                for t in range(t0 + 1, t1):
                    tags[t] = inside
                tags[t1] = f"L-{label}"
            placed[t0 : t1 + 1] = b"\x01" * (t1 + 1 - t0)
            continue
        raw.append((index, span, (), overlaps))
    for first, last in touched:
        for t in range(first, last):
            if not placed[t]:
                tags[t] = "-"
    if not raw:
        return tags, []
    text = doc.text
    problems: list[SpanProblem] = []
    for index, span, given, overlaps in raw:
        start, end, _ = span
        if given:
            reasons = given
        else:
            i = bisect_right(starts, start) - 1
            j = bisect_right(ends, end) - 1
            reasons = _reasons(
                text,
                start,
                end,
                i >= 0 and starts[i] == start,
                j >= 0 and ends[j] == end,
                overlaps,
            )
        problems.append(_problem(index, span, reasons, text, starts, ends, doc, overlaps))
    return tags, problems


def _touched_range(starts: list[int], ends: list[int], start: int, end: int) -> tuple[int, int]:
    """Tokens sharing a character with ``[start, end)`` (first > last when none)."""
    if end <= start:
        return 0, -1
    first = bisect.bisect_right(ends, start)
    last = bisect.bisect_left(starts, end) - 1
    return first, last


def _find_overlap(taken: list[tuple[int, int, int]], start: int, end: int) -> int | None:
    """The index of an earlier span in ``taken`` (disjoint, sorted) sharing a character."""
    if end <= start:
        return None
    i = bisect.bisect_left(taken, (end, -1, -1)) - 1
    if i >= 0 and taken[i][1] > start:
        return taken[i][2]
    return None


def _reasons(
    text: str,
    start: int,
    end: int,
    starts_token: bool,
    ends_token: bool,
    overlaps: int | None,
) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    if start < 0 or end > len(text):
        reasons.append("out-of-range")
    elif end <= start:
        reasons.append("empty-span")
    else:
        if text[start].isspace() or text[end - 1].isspace():
            reasons.append("whitespace-edge")
        if not starts_token and not text[start].isspace():
            reasons.append("start-inside-token")
        if not ends_token and not text[end - 1].isspace():
            reasons.append("end-inside-token")
    if overlaps is not None:
        reasons.append("overlap")
    return tuple(reasons)


def _problem(
    index: int,
    span: SpanLike,
    reasons: tuple[Reason, ...],
    text: str,
    starts: list[int],
    ends: list[int],
    doc: Doc,
    overlaps: int | None = None,
) -> SpanProblem:
    start, end, label = span
    first, last = _touched_range(starts, ends, start, end)
    tokens = (first, last + 1) if first <= last else None
    token_texts = tuple(doc.words[first : last + 1]) if tokens else ()
    fix = None
    if "empty-label" not in reasons and "overlap" not in reasons:
        fix = _nearest_fit(text, starts, ends, start, end)
    return SpanProblem(
        index=index,
        start=start,
        end=end,
        label=label,
        text=text[max(start, 0) : max(end, 0)],
        reasons=reasons,
        tokens=tokens,
        token_texts=token_texts,
        overlaps=overlaps,
        fix=fix,
        fix_text=text[fix[0] : fix[1]] if fix else None,
    )


def _nearest_fit(
    text: str, starts: list[int], ends: list[int], start: int, end: int
) -> tuple[int, int] | None:
    """The closest ``(start, end)`` on token boundaries to a span, after trimming whitespace."""
    if not starts:
        return None
    start = min(max(start, 0), len(text))
    end = min(max(end, 0), len(text))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end <= start:
        return None
    s = _nearest(starts, start)
    e = _nearest(ends, end)
    if e <= s:
        # Snapping crossed over: take the token holding the span's first character.
        t = max(bisect.bisect_right(starts, start) - 1, 0)
        s, e = starts[t], ends[t]
    return s, e


def _nearest(bounds: list[int], x: int) -> int:
    i = bisect.bisect_left(bounds, x)
    if i == 0:
        return bounds[0]
    if i == len(bounds):
        return bounds[-1]
    before, after = bounds[i - 1], bounds[i]
    return before if x - before <= after - x else after


def spans_from_offsets(doc: Doc, spans: Iterable[SpanLike]) -> list[SpanProblem]:
    """Set ``doc.ents`` to the spans that fit the tokens; return the ones that do not.

    Tokens touched by a span that does not fit are marked missing in ``doc.ents_missing``
    (neither entity nor O), as spaCy marks them ``"-"``.
    """
    tags, problems = offsets_to_biluo(doc, spans)
    doc.ents = biluo_to_spans(tags)
    doc.ents_missing = [t == "-" for t in tags] if "-" in tags else None
    return problems


# -- offset units ------------------------------------------------------------------------------

OffsetUnit = Literal["codepoints", "utf-16", "utf-8", "crlf"]
#: Every unit, in the order :func:`detect_offset_units` prefers them on a tie.
OFFSET_UNITS: tuple[OffsetUnit, ...] = get_args(OffsetUnit)


def offset_table(text: str, unit: OffsetUnit) -> IntArray:
    """Where each of the ``len(text) + 1`` code-point boundaries of ``text`` falls in ``unit``.

    ``utf-16``: UTF-16 code units (JavaScript string indices; characters beyond U+FFFF count
    two); ``utf-8``: bytes; ``crlf``: offsets that disagree with the text about line ends
    (counted on CRLF text while the text has LF line ends, each ``\\n`` counting two; or, when the
    text has CRLF line ends, counted without the ``\\r``).
    """
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    if unit == "codepoints":
        widths = np.ones(len(cp), dtype=np.int64)
    elif unit == "utf-16":
        widths = 1 + (cp > 0xFFFF)
    elif unit == "utf-8":
        widths = 1 + (cp > 0x7F) + (cp > 0x7FF) + (cp > 0xFFFF)
    elif unit == "crlf":
        if "\r\n" in text:
            widths = np.ones(len(cp), dtype=np.int64)
            widths[:-1] -= (cp[:-1] == 13) & (cp[1:] == 10)
        else:
            widths = 1 + (cp == 10)
    else:
        raise ValueError(f"offset unit {unit!r} is not one of {', '.join(OFFSET_UNITS)}")
    table = np.zeros(len(cp) + 1, dtype=np.int64)
    np.cumsum(widths, out=table[1:])
    return table


def to_codepoints(text: str, offsets: Sequence[int] | npt.ArrayLike, unit: OffsetUnit) -> list[int | None]:
    """Convert offsets counted in ``unit`` into code-point offsets of ``text``.

    An offset that falls inside a character (half a surrogate pair, inside a UTF-8 sequence,
    between ``\\r`` and ``\\n``) or beyond the text becomes ``None``.
    """
    values = np.asarray(offsets, dtype=np.int64)
    if unit == "codepoints":
        ok = (values >= 0) & (values <= len(text))
        return [int(v) if good else None for v, good in zip(values.tolist(), ok.tolist(), strict=True)]
    table = offset_table(text, unit)
    idx = np.searchsorted(table, values, side="left")
    inside = idx < len(table)
    hit = inside & (table[np.minimum(idx, len(table) - 1)] == values) & (values >= 0)
    return [int(i) if good else None for i, good in zip(idx.tolist(), hit.tolist(), strict=True)]


@dataclass(frozen=True, slots=True)
class UnitGuess:
    """Which offset unit makes a record's spans fit its text.

    ``unit`` is the best unit (``None`` when no span fits in any), ``fits`` how many of the
    ``total`` spans fit in each unit, ``exact`` whether every span fits in ``unit``.
    """

    unit: OffsetUnit | None
    fits: dict[OffsetUnit, int] = field(default_factory=dict)
    total: int = 0

    @property
    def exact(self) -> bool:
        return self.unit is not None and self.fits.get(self.unit, 0) == self.total


def detect_offset_units(
    text: str,
    spans: Iterable[tuple[int, int] | SpanLike],
    tokens: Sequence[tuple[int, int]] | None = None,
) -> UnitGuess:
    """Say which offset unit (code points, UTF-16, UTF-8, CRLF) makes ``spans`` fit ``text``.

    With ``tokens`` (code-point ``(start, end)`` of each token), a span fits when it starts at a
    token start and ends at a token end. Without them, a span fits when both edges fall on
    character boundaries inside the text, neither edge is whitespace and neither edge splits a
    run of letters or digits. Ties go to the first unit of :data:`OFFSET_UNITS`; units that
    cannot differ from code points for this text (no character beyond ASCII, no line end) are
    skipped.
    """
    pairs = [(int(s[0]), int(s[1])) for s in spans]
    if not pairs:
        return UnitGuess("codepoints", {"codepoints": 0}, 0)
    flat = [x for p in pairs for x in p]
    units: list[OffsetUnit] = ["codepoints"]
    if not text.isascii():
        units += ["utf-16", "utf-8"]
    if "\n" in text:
        units.append("crlf")
    token_starts = {s for s, _ in tokens} if tokens is not None else None
    token_ends = {e for _, e in tokens} if tokens is not None else None
    fits: dict[OffsetUnit, int] = {}
    for unit in units:
        converted = to_codepoints(text, flat, unit)
        count = 0
        for k in range(len(pairs)):
            s, e = converted[2 * k], converted[2 * k + 1]
            if s is None or e is None or e <= s:
                continue
            if token_starts is not None and token_ends is not None:
                count += s in token_starts and e in token_ends
            else:
                count += _edges_look_right(text, s, e)
        fits[unit] = count
    best = max(units, key=lambda u: fits[u])  # max() keeps the first on a tie
    return UnitGuess(best if fits[best] else None, fits, len(pairs))


def _edges_look_right(text: str, start: int, end: int) -> bool:
    first, last = text[start], text[end - 1]
    if first.isspace() or last.isspace():
        return False
    if start > 0 and text[start - 1].isalnum() and first.isalnum():
        return False
    return not (end < len(text) and text[end].isalnum() and last.isalnum())
