"""The gold-alignment engine: two tokenizations of one text mapped onto each other.

:meth:`Alignment.from_words` maps two tokenizations of one text onto each other (``x2y`` and
``y2x`` ragged index arrays, as spaCy's ``Alignment``); when the texts differ,
:class:`AlignmentError` names the first place they differ.

Its neighbours, each saying as precisely what does not fit instead of dropping it:

- character offsets onto tokens (:func:`char_span`, :func:`offsets_to_biluo`,
  :func:`spans_from_offsets`) and offset units (:func:`to_codepoints`,
  :func:`detect_offset_units`) live in :mod:`corpuskit.offsets`;
- the tag-scheme functions (:func:`iob_to_biluo`, :func:`biluo_to_spans`, :func:`spans_to_biluo`,
  :func:`detect_scheme`) live in :mod:`corpuskit.tags`.

Both are re-exported here, the names this module has always offered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .errors import CorpusError
from .offsets import (
    OFFSET_UNITS,
    OffsetUnit,
    Reason,
    SpanLike,
    SpanProblem,
    UnitGuess,
    char_span,
    detect_offset_units,
    offset_table,
    offsets_to_biluo,
    spans_from_offsets,
    to_codepoints,
    token_offsets,
)
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
