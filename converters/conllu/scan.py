"""Where a CoNLL-U file may be cut into parts that several processes convert at once: a byte scan
(numpy) that counts sentences and tokens as the reader does."""

from __future__ import annotations

from concurrent.futures import Executor
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from corpuskit.io import byte_blocks, open_binary
from corpuskit.registry import FileScan

from .ner import block_has_ner

__all__ = ["scan_conllu"]

_SCAN_BLOCK = 1 << 24
_ID_BYTES = 12  # an ID longer than this (before its tab) sends the file to the whole-file reader


def scan_conllu(
    path: str | Path,
    *,
    encoding: str = "utf-8",
    executor: Executor | None = None,
    workers: int = 1,
    **options: Any,
) -> FileScan | None:
    """Where a CoNLL-U file may be cut: after every sentence that an empty line follows.

    A byte scan (numpy) that counts sentences and word lines as the reader does; it gives up
    (None) on whatever it cannot count exactly that way: an encoding that is not
    ASCII-compatible, CR line ends, a line that is neither empty, a comment nor a word line
    starting with a digit (whitespace-only lines, say), an over-long ID. ``options`` come back
    with ``ner`` decided for the whole file. With an ``executor``, ``workers`` stretches of the
    file are scanned at the same time.
    """
    if "\n#\t".encode(encoding, errors="replace") != b"\n#\t":
        return None
    options = dict(options)
    check_ner = options.get("ner") is None
    size = Path(path).stat().st_size
    bounds = _range_bounds(path, size, workers if executor is not None else 1)
    ranges = list(pairwise(bounds))
    if executor is not None and len(ranges) > 1:
        starts, ends = zip(*ranges, strict=True)
        n = len(ranges)
        found = list(executor.map(_scan_range, [path] * n, starts, ends, [check_ner] * n))
    else:
        found = [_scan_range(path, a, b, check_ner) for a, b in ranges]
    if any(f is None for f in found):
        return None
    offsets, lines, units, tokens = [], [], [], []
    n_lines = n_units = n_tokens = 0
    ner = bool(options.get("ner"))
    for (start, _end), f in zip(ranges, found, strict=True):
        assert f is not None
        o, ln, u, t, r_units, r_tokens, r_lines, r_ner = f
        offsets.append(o + start)
        lines.append(ln + n_lines)
        units.append(u + n_units)
        tokens.append(t + n_tokens)
        n_lines += r_lines
        n_units += r_units
        n_tokens += r_tokens
        ner = ner or r_ner
    options["ner"] = ner

    return FileScan(
        options=options,
        offsets=_concat(offsets),
        lines=_concat(lines),
        units=_concat(units),
        tokens=_concat(tokens),
        n_units=n_units,
        n_tokens=n_tokens,
        size=size,
        exact_tokens=not options.get("merge_subtokens"),
    )


def _concat(arrays: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)


def _range_bounds(path: str | Path, size: int, n: int) -> list[int]:
    """0, ``size`` and up to ``n - 1`` offsets between them, each right after an empty line."""
    bounds = [0]
    if n > 1:
        with open_binary(path) as fh:
            for k in range(1, n):
                fh.seek(size * k // n)
                window = fh.read(1 << 20)
                at = window.find(b"\n\n")
                if at != -1:
                    bound = size * k // n + at + 2
                    if bounds[-1] < bound < size:
                        bounds.append(bound)
    bounds.append(size)
    return bounds


def _scan_range(path: str | Path, start: int, end: int, check_ner: bool) -> tuple[Any, ...] | None:
    """The cuts of bytes ``start:end`` (offsets relative to ``start``), their units, tokens,
    line ends, and whether an NER tag is in them (when ``check_ner``)."""
    offsets: list[npt.NDArray[np.int64]] = []
    lines: list[npt.NDArray[np.int64]] = []
    units: list[npt.NDArray[np.int64]] = []
    tokens: list[npt.NDArray[np.int64]] = []
    n_bytes = n_lines = n_units = n_tokens = 0
    ner = False
    # blocks that end after an empty line
    for block in byte_blocks(path, end=b"\n\n", size=_SCAN_BLOCK, start=start, stop=end):
        skip = 3 if start + n_bytes == 0 and block.startswith(b"\xef\xbb\xbf") else 0
        found = _scan_block(block, skip)
        if found is None:
            return None
        if check_ner and not ner and block_has_ner(block):
            ner = True
        o, ln, u, t, block_units, block_tokens, block_lines = found
        offsets.append(o + n_bytes)
        lines.append(ln + n_lines)
        units.append(u + n_units)
        tokens.append(t + n_tokens)
        n_bytes += len(block)
        n_lines += block_lines
        n_units += block_units
        n_tokens += block_tokens
    return (
        _concat(offsets),
        _concat(lines),
        _concat(units),
        _concat(tokens),
        n_units,
        n_tokens,
        n_lines,
        ner,
    )


def _scan_block(block: bytes, skip: int) -> tuple[Any, Any, Any, Any, int, int, int] | None:
    """Cuts in one block of whole lines: (offsets, lines, units, tokens) of each, and the
    block's units, tokens and line ends."""
    a = np.frombuffer(block, dtype=np.uint8)
    if b"\r" in block:  # CR: leave CRLF files to the whole-file reader
        return None
    nl = np.flatnonzero(a == 10)
    ends = nl if block.endswith(b"\n") else np.append(nl, len(a))
    starts = np.empty_like(ends)
    starts[0] = skip
    starts[1:] = ends[:-1] + 1
    empty = ends == starts
    first = a[np.minimum(starts, len(a) - 1)]
    digit = (first >= 48) & (first <= 57)
    if not np.all(empty | digit | (first == 35)):
        return None
    # word lines whose ID holds "-" or "." (multiword tokens, empty nodes) are not tokens
    word = np.flatnonzero(digit)
    at = starts[word]
    odd = np.zeros(len(word), dtype=bool)
    todo = np.arange(len(word))  # lines whose ID has not ended yet
    last = len(a) - 1
    for k in range(1, _ID_BYTES):
        c = a[np.minimum(at[todo] + k, last)]
        sep = (c == 45) | (c == 46)
        odd[todo[sep]] = True
        todo = todo[~(sep | (c == 9) | (c == 10))]
        if not len(todo):
            break
    else:
        return None
    token = np.zeros(len(ends), dtype=np.int64)
    token[word[~odd]] = 1
    following_empty = np.append(empty[1:], True)  # the end of the block ends a sentence too
    sent_end = digit & following_empty
    cum_units = np.cumsum(sent_end, dtype=np.int64)
    cum_tokens = np.cumsum(token)
    # a cut after the empty line that follows a sentence's last word line
    cut = np.flatnonzero(sent_end[:-1] & empty[1:])
    return (
        ends[cut + 1].astype(np.int64) + 1,
        cut.astype(np.int64) + 2,
        cum_units[cut],
        cum_tokens[cut],
        int(cum_units[-1]) if len(cum_units) else 0,
        int(cum_tokens[-1]) if len(cum_tokens) else 0,
        len(nl),
    )
