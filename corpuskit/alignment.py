"""The gold-alignment engine: tokenizations, character offsets and tags mapped onto each other.

Three jobs, each saying precisely what does not fit instead of dropping it:

- :meth:`Alignment.from_words` maps two tokenizations of one text onto each other (``x2y`` and
  ``y2x`` ragged index arrays, as spaCy's ``Alignment``); when the texts differ,
  :class:`AlignmentError` names the first place they differ.
- :func:`char_span`, :func:`offsets_to_biluo` and :func:`spans_from_offsets` map character-offset
  spans onto tokens; every span that cannot be placed is listed as a :class:`SpanProblem` with the
  reason, the tokens it cuts and the nearest token boundaries that would fit.
- :func:`to_codepoints` and :func:`detect_offset_units` convert offsets counted in UTF-16 units,
  UTF-8 bytes or against CRLF text into code points, and say which unit makes the spans fit.

The tag-scheme functions (:func:`iob_to_biluo`, :func:`biluo_to_spans`, :func:`spans_to_biluo`,
:func:`detect_scheme`) live in :mod:`corpuskit.tags` and are re-exported here.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from operator import add
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from .doc import Doc, Span
from .errors import CorpusError
from .tags import biluo_to_spans, detect_scheme, iob_to_biluo, spans_to_biluo

__all__ = [
    "OFFSET_UNITS",
    "Alignment",
    "AlignmentArray",
    "AlignmentError",
    "OffsetUnit",
    "Reason",
    "SpanLike",
    "SpanProblem",
    "UnitGuess",
    "biluo_to_spans",
    "char_span",
    "detect_offset_units",
    "detect_scheme",
    "iob_to_biluo",
    "offset_table",
    "offsets_to_biluo",
    "spans_from_offsets",
    "spans_to_biluo",
    "to_codepoints",
    "token_offsets",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# Every code point for which str.isspace() (and the regex \s) is true; all are below U+3001.
_SPACE_TABLE = np.array([chr(i).isspace() for i in range(0x3001)], dtype=np.bool_)
_WS_RE = re.compile(r"\s+")
_CONTEXT_TOKENS = 4
# Below this many tokens (both sides together) a Python merge walk beats numpy's call overhead.
_SHORT = 160


def _codepoints(text: str) -> npt.NDArray[np.uint32]:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _space_mask(codepoints: npt.NDArray[np.uint32]) -> BoolArray:
    return _SPACE_TABLE[np.minimum(codepoints, 0x3000)] & (codepoints <= 0x3000)


def _lengths(words: Sequence[str]) -> IntArray:
    return np.fromiter(map(len, words), dtype=np.int64, count=len(words))


class AlignmentError(CorpusError, ValueError):
    """Two tokenizations whose texts differ (beyond whitespace and case).

    ``position`` is the index of the first differing character in the text with whitespace
    removed; ``a_token`` / ``b_token`` are the indices of the tokens holding it (``None`` when
    that side's text ends first).
    """

    def __init__(self, message: str, *, position: int, a_token: int | None, b_token: int | None) -> None:
        self.position = position
        self.a_token = a_token
        self.b_token = b_token
        super().__init__(message)


class AlignmentArray:
    """A ragged array of token indices: one int array per token, stored flat.

    ``lengths[i]`` is how many tokens of the other side token ``i`` aligns to, and
    ``data[starts[i]:starts[i] + lengths[i]]`` are those tokens (sorted), as in thinc's
    ``Ragged`` and spaCy's ``AlignmentArray``. ``array[i]`` gives token ``i``'s indices.
    """

    __slots__ = ("_starts", "data", "lengths")

    def __init__(self, lengths: npt.ArrayLike, data: npt.ArrayLike) -> None:
        self.lengths: npt.NDArray[np.int32] = np.asarray(lengths, dtype=np.int32)
        self.data: npt.NDArray[np.int32] = np.asarray(data, dtype=np.int32)
        if self.lengths.ndim != 1 or self.data.ndim != 1:
            raise ValueError("AlignmentArray lengths and data must be one-dimensional")
        if int(self.lengths.sum()) != len(self.data):
            raise ValueError(
                f"AlignmentArray lengths sum to {int(self.lengths.sum())} but data has {len(self.data)} items"
            )
        self._starts: IntArray | None = None

    @classmethod
    def from_lists(cls, lists: Iterable[Iterable[int]]) -> AlignmentArray:
        """Build from one list of indices per token."""
        items = [list(x) for x in lists]
        lengths = [len(x) for x in items]
        data = [i for x in items for i in x]
        return cls(lengths, data)

    @property
    def starts(self) -> IntArray:
        """Offset of each token's indices in :attr:`data`."""
        if self._starts is None:
            starts = np.zeros(len(self.lengths), dtype=np.int64)
            np.cumsum(self.lengths[:-1], out=starts[1:])
            self._starts = starts
        return self._starts

    @classmethod
    def _trusted(cls, lengths: npt.NDArray[np.int32], data: npt.NDArray[np.int32]) -> AlignmentArray:
        # Internal constructor for arrays built consistent by construction: skips the checks.
        self = cls.__new__(cls)
        self.lengths = lengths
        self.data = data
        self._starts = None
        return self

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> npt.NDArray[np.int32]:
        n = len(self.lengths)
        if not -n <= i < n:
            raise IndexError(f"token {i} is out of range for {n} tokens")
        i %= n
        start = int(self.starts[i])
        return self.data[start : start + int(self.lengths[i])]

    def __iter__(self) -> Iterator[npt.NDArray[np.int32]]:
        return iter(np.split(self.data, np.cumsum(self.lengths)[:-1])) if len(self) else iter(())

    def to_lists(self) -> list[list[int]]:
        """One Python list of indices per token."""
        return [x.tolist() for x in self]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AlignmentArray):
            return NotImplemented
        return bool(np.array_equal(self.lengths, other.lengths) and np.array_equal(self.data, other.data))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"AlignmentArray({self.to_lists()!r})"


@dataclass(frozen=True, slots=True, eq=True)
class Alignment:
    """How two tokenizations ``a`` (x) and ``b`` (y) of one text map onto each other.

    ``x2y[i]`` are the tokens of ``b`` that share a character with token ``i`` of ``a``, and
    ``y2x[j]`` the reverse. Characters are compared lowercased, with whitespace skipped where only
    one side has it; where both sides have whitespace at the same place, equal whitespace
    characters are paired in order (so two identical whitespace tokens align to each other, and a
    whitespace token only one side has aligns to nothing), exactly as spaCy's
    ``Alignment.from_strings`` does.
    """

    x2y: AlignmentArray
    y2x: AlignmentArray

    @classmethod
    def from_indices(cls, x2y: Iterable[Iterable[int]], y2x: Iterable[Iterable[int]]) -> Alignment:
        """Build from explicit per-token index lists."""
        return cls(AlignmentArray.from_lists(x2y), AlignmentArray.from_lists(y2x))

    @classmethod
    def from_words(cls, a: Sequence[str], b: Sequence[str]) -> Alignment:
        """Align two tokenizations of the same text.

        Raises :class:`AlignmentError` naming the first differing character (with the tokens
        around it on both sides) when the texts differ other than in whitespace and case.
        """
        ja = "".join(a)
        jb = "".join(b)
        if ja == jb:
            if len(a) == len(b) and "" not in a and (a == b or list(a) == list(b)):
                return cls._identity(len(a))
            return cls._from_lengths(list(map(len, a)), list(map(len, b)))
        space_a = _WS_RE.search(ja) is not None
        space_b = _WS_RE.search(jb) is not None
        if len(ja.lower()) != len(ja) or len(jb.lower()) != len(jb):
            # Lowercasing changes a length (U+0130): compare lowercased tokens.
            a = [w.lower() for w in a]
            b = [w.lower() for w in b]
            ja, jb = "".join(a), "".join(b)
        if space_a and space_b:
            # Both sides have whitespace: equal whitespace characters may pair up.
            return cls._from_chars(a, b, ja, jb)
        stripped_a = _WS_RE.sub("", ja) if space_a else ja
        stripped_b = _WS_RE.sub("", jb) if space_b else jb
        if stripped_a.lower() != stripped_b.lower():
            return cls._from_chars(a, b, ja, jb)  # raises AlignmentError at the first difference
        # Whitespace on one side only aligns to nothing: count non-space characters per token.
        return cls._from_lengths(_solid_lengths(a, space_a), _solid_lengths(b, space_b))

    #: spaCy's name for :meth:`from_words`.
    from_strings = from_words

    def one_to_one(self) -> tuple[BoolArray, BoolArray]:
        """Masks over ``a`` and ``b``: tokens that align to exactly one token which aligns back
        only to them (the token is reproduced by the other tokenization)."""
        x_single = self.x2y.lengths == 1
        y_single = self.y2x.lengths == 1
        x_ok = np.zeros(len(self.x2y), dtype=np.bool_)
        idx = np.flatnonzero(x_single)
        if len(idx):
            partner = self.x2y.data[self.x2y.starts[idx]]
            x_ok[idx] = y_single[partner]
        y_ok = np.zeros(len(self.y2x), dtype=np.bool_)
        idy = np.flatnonzero(y_single)
        if len(idy):
            partner = self.y2x.data[self.y2x.starts[idy]]
            y_ok[idy] = x_single[partner]
        return x_ok, y_ok

    @classmethod
    def _identity(cls, n: int) -> Alignment:
        ones = np.ones(n, dtype=np.int32)
        index = np.arange(n, dtype=np.int32)
        return cls(AlignmentArray._trusted(ones, index), AlignmentArray._trusted(ones, index))

    @classmethod
    def _from_lengths(cls, la: list[int], lb: list[int]) -> Alignment:
        """Tokens as consecutive character intervals of one string; pair overlapping ones.

        Zero-length tokens overlap nothing. The pairs form a monotone staircase: sorted by
        ``a``, they are sorted by ``b`` too, so one list of pairs gives both directions.
        """
        if len(la) + len(lb) <= _SHORT:
            return cls._from_lengths_short(la, lb)
        return cls._from_lengths_long(np.asarray(la, dtype=np.int64), np.asarray(lb, dtype=np.int64))

    @classmethod
    def _from_lengths_short(cls, la: list[int], lb: list[int]) -> Alignment:
        # A merge walk over both token lists: cheaper than numpy's call overhead for a sentence.
        na, nb = len(la), len(lb)
        rows: list[int] = []
        cols: list[int] = []
        i = j = 0
        end_a = la[0] if na else 0
        end_b = lb[0] if nb else 0
        while i < na and j < nb:
            if la[i] == 0:
                i += 1
                end_a += la[i] if i < na else 0
            elif lb[j] == 0:
                j += 1
                end_b += lb[j] if j < nb else 0
            else:
                rows.append(i)
                cols.append(j)
                step_a = end_a <= end_b
                if end_b <= end_a:
                    j += 1
                    end_b += lb[j] if j < nb else 0
                if step_a:
                    i += 1
                    end_a += la[i] if i < na else 0
        x_len = [0] * na
        y_len = [0] * nb
        for r in rows:
            x_len[r] += 1
        for c in cols:
            y_len[c] += 1
        return cls(
            AlignmentArray._trusted(np.array(x_len, dtype=np.int32), np.array(cols, dtype=np.int32)),
            AlignmentArray._trusted(np.array(y_len, dtype=np.int32), np.array(rows, dtype=np.int32)),
        )

    @classmethod
    def _from_lengths_long(cls, la: IntArray, lb: IntArray) -> Alignment:
        na, nb = len(la), len(lb)
        ea = np.cumsum(la)
        eb = np.cumsum(lb)
        sa = ea - la
        sb = eb - lb
        ids_b: IntArray | None = None
        if not lb.all():
            # Zero-length tokens overlap nothing: search only among the others.
            ids_b = np.flatnonzero(lb)
            sb, eb = sb[ids_b], eb[ids_b]
        lo = np.searchsorted(eb, sa, side="right")
        hi = np.searchsorted(sb, ea, side="left")
        counts = hi - lo
        counts[la == 0] = 0
        np.maximum(counts, 0, out=counts)
        total = int(counts.sum())
        rows = np.repeat(np.arange(na, dtype=np.int64), counts)
        first = np.cumsum(counts) - counts
        cols = lo[rows] + (np.arange(total, dtype=np.int64) - first[rows])
        if ids_b is not None:
            cols = ids_b[cols]
        return cls(
            AlignmentArray._trusted(counts.astype(np.int32), cols.astype(np.int32)),
            AlignmentArray._trusted(np.bincount(cols, minlength=nb).astype(np.int32), rows.astype(np.int32)),
        )

    @classmethod
    def _from_chars(cls, a: Sequence[str], b: Sequence[str], ja: str, jb: str) -> Alignment:
        """The general case: the joined texts differ in whitespace (or case)."""
        if len(ja.lower()) != len(ja):
            a = [w.lower() for w in a]
            ja = "".join(a)
        if len(jb.lower()) != len(jb):
            b = [w.lower() for w in b]
            jb = "".join(b)
        ca = _codepoints(ja.lower())
        cb = _codepoints(jb.lower())
        wa = _space_mask(ca)
        wb = _space_mask(cb)
        pa = np.flatnonzero(~wa)
        pb = np.flatnonzero(~wb)
        if len(pa) != len(pb) or not np.array_equal(ca[pa], cb[pb]):
            raise _difference_error(a, b, ca[pa], cb[pb], pa, pb)
        if wa.any() and wb.any():
            extra_a, extra_b = _pair_whitespace(ca, cb, wa, wb)
            if extra_a:
                pa = np.concatenate([pa, np.asarray(extra_a, dtype=np.int64)])
                pb = np.concatenate([pb, np.asarray(extra_b, dtype=np.int64)])
                order = np.argsort(pa, kind="stable")
                pa, pb = pa[order], pb[order]
        ta = np.searchsorted(np.cumsum(_lengths(a)), pa, side="right")
        tb = np.searchsorted(np.cumsum(_lengths(b)), pb, side="right")
        keep = np.ones(len(ta), dtype=np.bool_)
        if len(ta) > 1:
            keep[1:] = (ta[1:] != ta[:-1]) | (tb[1:] != tb[:-1])
        ta, tb = ta[keep], tb[keep]
        return cls(
            AlignmentArray._trusted(np.bincount(ta, minlength=len(a)).astype(np.int32), tb.astype(np.int32)),
            AlignmentArray._trusted(np.bincount(tb, minlength=len(b)).astype(np.int32), ta.astype(np.int32)),
        )


def _solid_lengths(words: Sequence[str], has_space: bool) -> list[int]:
    """Each token's number of non-whitespace characters."""
    lengths = list(map(len, words))
    if has_space:
        for i, found in enumerate(map(_WS_RE.search, words)):
            if found is not None:
                lengths[i] = len(_WS_RE.sub("", words[i]))
    return lengths


def _pair_whitespace(
    ca: npt.NDArray[np.uint32], cb: npt.NDArray[np.uint32], wa: BoolArray, wb: BoolArray
) -> tuple[list[int], list[int]]:
    """Pair equal whitespace characters where both sides have whitespace between the same two
    non-space characters: for each of b's characters in order, the next equal one of a's."""
    spaces_a = np.flatnonzero(wa)
    spaces_b = np.flatnonzero(wb)
    # The gap a whitespace character sits in: how many non-space characters come before it.
    gap_a = spaces_a - np.arange(len(spaces_a))
    gap_b = spaces_b - np.arange(len(spaces_b))
    shared = np.intersect1d(gap_a, gap_b)
    out_a: list[int] = []
    out_b: list[int] = []
    for g in shared.tolist():
        run_a = spaces_a[gap_a == g].tolist()
        run_b = spaces_b[gap_b == g].tolist()
        i = 0
        for pos_b in run_b:
            char = cb[pos_b]
            while i < len(run_a) and ca[run_a[i]] != char:
                i += 1
            if i == len(run_a):
                break
            out_a.append(run_a[i])
            out_b.append(pos_b)
            i += 1
    return out_a, out_b


def _difference_error(
    a: Sequence[str],
    b: Sequence[str],
    sa: npt.NDArray[np.uint32],
    sb: npt.NDArray[np.uint32],
    pa: IntArray,
    pb: IntArray,
) -> AlignmentError:
    n = min(len(sa), len(sb))
    diff = np.flatnonzero(sa[:n] != sb[:n])
    k = int(diff[0]) if len(diff) else n
    ends_a = np.cumsum(_lengths(a))
    ends_b = np.cumsum(_lengths(b))
    ta = int(np.searchsorted(ends_a, pa[k], side="right")) if k < len(sa) else None
    tb = int(np.searchsorted(ends_b, pb[k], side="right")) if k < len(sb) else None
    message = (
        "the two tokenizations do not have the same text: they first differ at character "
        f"{k} (whitespace ignored): a {_describe_side(a, ta, pa, ends_a, k)}; "
        f"b {_describe_side(b, tb, pb, ends_b, k)}"
    )
    return AlignmentError(message, position=k, a_token=ta, b_token=tb)


def _describe_side(
    words: Sequence[str], token: int | None, positions: IntArray, ends: IntArray, k: int
) -> str:
    if token is None:
        tail = len(words) - _CONTEXT_TOKENS
        context = " ".join(words[max(tail, 0) :])
        return f"ends there (its last tokens: {context!r})"
    char_in_token = int(positions[k] - (ends[token] - len(words[token])))
    word = words[token]
    marked = f"{word[:char_in_token]}[{word[char_in_token]}]{word[char_in_token + 1 :]}"
    before = words[max(token - _CONTEXT_TOKENS, 0) : token]
    after = words[token + 1 : token + 1 + _CONTEXT_TOKENS]
    context = " ".join([*before, marked, *after])
    return f"has {word[char_in_token]!r} in token {token} {word!r} ({context!r})"


# --------------------------------------------------------------------------------------------
# Character offsets onto tokens


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


# --------------------------------------------------------------------------------------------
# Offset units

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
    cp = _codepoints(text).astype(np.int64)
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
