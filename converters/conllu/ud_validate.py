"""CoNLL-U validation over the raw lines: the UD validator's levels 1 and 2, as check findings.

``corpuskit check`` and ``debug-data`` run :func:`validate_conllu` on every CoNLL-U file before
reading its docs; ``convert`` does not (its reader refuses what it cannot store and names the
line). Each problem is a :data:`Problem`; the check ids and their severities are registered in
:mod:`corpuskit.debug.conllu_checks` and documented in docs/checks.md. Level 2 (the fields and
the metadata) is in :mod:`converters.conllu.ud_fields`.

What the UD validator calls an error but corpuskit reads without loss (extra blank lines,
CRLF line ends, a missing final blank line, a comment-only block or a trailing comment, a
byte-order mark, features sorted by code point) is reported under a warning id, so
``check --strict`` can fail on it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from corpuskit.io import byte_blocks, file_encoding, open_binary

from .ud_fields import _IDS, _NAMES, Level2, _col, _short, _words

__all__ = ["Problem", "validate_conllu"]

_STRICT = (0, 3, 4, 5, 6, 7, 8)  # columns that may hold no whitespace at all
_SUSPECT = re.compile(r"[^\S\t]|\t\t|^\t|\t$")  # whitespace other than the separators, an empty column
_WS = re.compile(r"\s")
_ODD_WS = re.compile(r"[\x0b\x0c\r\x1c-\x1f]")
_WS2 = re.compile(r"\s\s")
_WORD_ID = re.compile(r"[1-9][0-9]*")
_MWT_ID = re.compile(r"([1-9][0-9]*)-([1-9][0-9]*)")
_EMPTY_ID = re.compile(r"([0-9]+)\.([1-9][0-9]*)")

#: ``(check id, line, column or None, message, first line, last line)``: the last two bound the
#: lines whose other findings are consequences of this one (its block for a broken block, its
#: line for a bad field, ``0, 0`` for sentence metadata).
Problem = tuple[str, int, int | None, str, int, int]
_Found = tuple[str, int, int | None, str]

#: Problems that make the reader's view of their whole block unreliable: what else is found in
#: the block is a consequence. Metadata problems say nothing about the rest of the sentence;
#: the others concern their own line.
_BLOCK_IDS = frozenset(
    _words(
        "invalid-line misplaced-comment pseudo-empty-line empty-sentence column-count empty-column "
        "column-whitespace invalid-word-id word-id-sequence"
    )
)
_META_IDS = frozenset(["sent-id", "parallel-id", "text-metadata"])


def validate_conllu(path: str | Path, *, encoding: str = "utf-8") -> Iterator[Problem]:
    """The problems of a CoNLL-U file at UD levels 1 and 2, in file order (mostly).

    Bytes that are not valid in ``encoding`` are left to the reader (which names them).
    """
    v = _Validator()
    ends_with_newline = True
    line_no = 0
    for text in _text_blocks(path, encoding, v):
        if "\r" in text:
            if not v.crlf and "\r\n" in text:
                at = line_no + text.count("\n", 0, text.index("\r\n")) + 1
                v.done.append(
                    ("crlf-line-ends", at, None, "CRLF (Windows) line ends; UD allows LF only", at, at)
                )
                v.crlf = True
            text = text.replace("\r\n", "\n")
        ends_with_newline = text.endswith("\n")
        rows = text.split("\n")
        if ends_with_newline:
            rows.pop()
        check_nfc = not unicodedata.is_normalized("NFC", text)
        v.odd_ws = v.odd_ws or bool(_ODD_WS.search(text))
        v.feed(rows, line_no, check_nfc)
        line_no += len(rows)
        yield from v.done
        v.done.clear()
    v.end(line_no)
    yield from v.done


def _text_blocks(path: str | Path, encoding: str, v: _Validator) -> Iterator[str]:
    """The file's text a block of whole sentences at a time. A UTF-16/32 file (found by its
    byte-order mark, as the reader finds it, or named by ``encoding``) is decoded whole."""
    encoding = file_encoding(path, encoding)
    if encoding.startswith(("utf-16", "utf-32")):
        with open_binary(path) as fh:
            yield fh.read().decode(encoding, errors="replace").removeprefix("\ufeff")
        return
    for k, block in enumerate(byte_blocks(path, end=b"\n\n")):
        if k == 0 and block.startswith(b"\xef\xbb\xbf"):
            block = block[3:]
            v.done.append(("byte-order-mark", 1, 1, "the file starts with a byte-order mark (U+FEFF)", 1, 1))
        yield block.decode(encoding, errors="replace")


class _Validator(Level2):
    """The state of one file's validation: the current sentence and what spans sentences."""

    def __init__(self) -> None:
        self.out: list[_Found] = []  # the current block's problems
        self.done: list[Problem] = []  # problems of finished blocks
        self.block_start = 1
        self.odd_ws = False  # ASCII whitespace other than space, tab and LF somewhere in the file
        self.carry: list[tuple[_Found, int]] = []  # problems whose block reaches into the next one
        self.comments: list[tuple[int, str]] = []
        self.tokens: list[tuple[int, str]] = []
        self.bad_lines = False  # an invalid line in the current block
        self.blank_run = 1  # blank lines just read (the file start counts as one)
        self.pending_empty: int | None = None  # line of a comment-only block's blank line
        self.crlf = False
        self.sent_ids: set[str] = set()
        self.parallel_ids: set[str] = set()
        self.parallel_last: dict[str, tuple[int | None, int | None]] = {}
        self.spaceafter_no = False  # the last word of the previous sentence had SpaceAfter=No
        self.edeps_seen: int | None = None
        self.no_edeps_seen: int | None = None
        self.good_feats: set[str] = {"_"}
        self.good_deprels: set[str] = set()
        self.good_misc: set[str] = {"_"}
        self.good_erels: set[str] = set()

    # ----------------------------------------------------------------------- lines

    def feed(self, rows: list[str], line_no: int, check_nfc: bool) -> None:
        tokens = self.tokens
        for i, line in enumerate(rows, start=line_no + 1):
            if self.blank_run and line:
                self.block_start = i
            if check_nfc and not unicodedata.is_normalized("NFC", line):
                self._nfc(line, i)
            c = line[:1]
            if c.isdigit():
                if self.pending_empty is not None:
                    self._report_empty_sentence()
                tokens.append((i, line))
                self.blank_run = 0
            elif c == "#":
                if tokens:
                    self.out.append(
                        (
                            "misplaced-comment",
                            i,
                            1,
                            "a comment line inside a sentence; comments go before its first word",
                        )
                    )
                    self.bad_lines = True
                else:
                    self.comments.append((i, line))
                self.blank_run = 0
            elif not line or line.isspace():
                start = self.block_start
                self._blank(i)
                if line:  # the reader may read on into the next block: that is covered too
                    found = (
                        "pseudo-empty-line",
                        i,
                        1,
                        "a line of whitespace as the sentence break; expected an empty line",
                    )
                    self.carry.append((found, start))
            else:
                self.out.append(
                    (
                        "invalid-line",
                        i,
                        1,
                        f"line {_short(line)!r} is neither a comment (#), a word line (ID first) nor empty",
                    )
                )
                self.bad_lines = True
                self.blank_run = 0
                tokens.append((i, ""))  # counts as content: the block is not empty

    def _blank(self, i: int) -> None:
        if self.tokens:
            self._sentence(i)
        elif self.comments:
            if self.pending_empty is not None:
                self._report_empty_sentence()
            self.pending_empty = i
        elif self.blank_run:
            self.out.append(
                ("extra-blank-line", i, None, "an extra blank line; UD separates sentences by exactly one")
            )
            self.block_start = i
        self._close(i)
        self.comments = []
        self.tokens.clear()  # in place: feed() holds it
        self.bad_lines = False
        self.blank_run += 1

    def _close(self, last: int) -> None:
        """Move the problems of the block that ends at line ``last`` to ``done``."""
        start = self.block_start
        for p in self.out:
            check_id, line = p[0], p[1]
            if check_id in _BLOCK_IDS:
                self.done.append((*p, start, last))
            elif check_id in _META_IDS:
                self.done.append((*p, 0, 0))
            else:
                self.done.append((*p, line, line))
        self.out.clear()
        self.done.extend((*p, first, last) for p, first in self.carry)
        self.carry.clear()

    def _report_empty_sentence(self) -> None:
        at = self.pending_empty
        assert at is not None
        # the reader gives its comments to the next sentence: the span reaches to its end
        self.carry.append((("empty-sentence", at, None, "a sentence with comments but no word lines"), at))
        self.pending_empty = None

    def end(self, last_line: int) -> None:
        if self.tokens or self.comments:
            self.out.append(
                ("missing-final-blank-line", last_line, None, "the file does not end with a blank line")
            )
            if self.tokens:
                self._sentence(last_line + 1)
            elif self.pending_empty is None:
                self.pending_empty = last_line
        self._close(last_line)
        self.done.extend((*p, first, last_line) for p, first in self.carry)
        self.carry.clear()
        at = self.pending_empty
        if at is not None:
            self.done.append(
                (
                    "trailing-comment",
                    at,
                    None,
                    "comment lines after the last sentence (UD: an empty sentence)",
                    at,
                    at,
                )
            )

    def _nfc(self, line: str, i: int) -> None:
        nfc = unicodedata.normalize("NFC", line)
        k = next(
            (j for j, (a, b) in enumerate(zip(line, nfc, strict=False)) if a != b), min(len(line), len(nfc))
        )
        ch = line[k] if k < len(line) else ""
        name = unicodedata.name(ch, repr(ch)) if ch else "the end"
        self.out.append(
            (
                "unicode-normalization",
                i,
                k + 1,
                f"text not in Unicode NFC at character {k + 1} ({name}); normalise the file to NFC",
            )
        )

    # ----------------------------------------------------------------------- sentences

    def _sentence(self, blank_line: int) -> None:
        """Check the sentence just ended (its blank line is ``blank_line``)."""
        tokens = self.tokens
        if self.bad_lines:
            return
        out = self.out
        table: list[list[str]] = []
        ok = True
        for i, line in tokens:
            cols = line.split("\t")
            table.append(cols)
            if len(cols) != 10:
                hint = "; the columns are separated by spaces, not tabs" if len(line.split()) >= 10 else ""
                out.append(
                    (
                        "column-count",
                        i,
                        None,
                        f"{len(cols)} tab-separated columns, expected 10 ({' '.join(_NAMES)}){hint}",
                    )
                )
                ok = False
            elif (
                (" " in line or "\t\t" in line or not line.isascii() or self.odd_ws) and _SUSPECT.search(line)
            ) and not self._whitespace(cols, i):
                ok = False
        if not ok:
            return
        lines = [i for i, _ in tokens]
        if not self._ids(table, lines):
            return
        self._level2(table, lines)

    def _whitespace(self, cols: list[str], i: int) -> bool:
        ok = True
        is_mwt = "-" in cols[0]
        for c, value in enumerate(cols):
            col = _col(cols, c)
            name = _NAMES[c]
            if not value:
                self.out.append(("empty-column", i, col, f"{name} is empty; expected a value or '_'"))
                ok = False
            elif (c in _STRICT or (is_mwt and c in (1, 2))) and _WS.search(value):
                self.out.append(("column-whitespace", i, col, f"whitespace in {name} {value!r}"))
                ok = False
            elif value[0].isspace() or value[-1].isspace():
                self.out.append(("column-whitespace", i, col, f"{name} {value!r} is padded with whitespace"))
                ok = False
            elif _WS2.search(value):
                self.out.append(("column-whitespace", i, col, f"a run of whitespace in {name} {value!r}"))
                ok = False
        return ok

    def _ids(self, table: list[list[str]], lines: list[int]) -> bool:
        n = len(table)
        if n <= len(_IDS) and [cols[0] for cols in table] == _IDS[:n]:
            return True  # words 1..n, nothing else
        out = self.out
        ok = True
        words: list[int] = []
        ranges: list[tuple[int, int, int]] = []
        current = 0
        next_empty = 1
        last_start = 0  # first word of the last token (word or multiword token)
        covered: set[int] = set()
        for cols, i in zip(table, lines, strict=True):
            id_ = cols[0]
            if _WORD_ID.fullmatch(id_):
                w = int(id_)
                current = w
                next_empty = 1
                if not (ranges and ranges[-1][0] <= w <= ranges[-1][1]):
                    last_start = w
                if w != len(words) + 1 and ok:
                    out.append(("word-id-sequence", i, 1, f"word ID {id_!r}, expected {len(words) + 1}"))
                    ok = False
                words.append(w)
                continue
            m = _MWT_ID.fullmatch(id_)
            if m:
                next_empty = 1
                a, b = int(m.group(1)), int(m.group(2))
                if words and a < words[-1] + 1:
                    out.append(
                        ("word-id-sequence", i, 1, f"multiword token {id_!r} is not before its first word")
                    )
                    ok = False
                    continue
                if b < a:
                    out.append(("word-id-sequence", i, 1, f"multiword token {id_!r} ends before it starts"))
                    ok = False
                    continue
                span = set(range(a, b + 1))
                if covered & span:
                    out.append(("word-id-sequence", i, 1, f"multiword token {id_!r} overlaps another one"))
                    ok = False
                covered |= span
                ranges.append((a, b, i))
                last_start = a
                continue
            m = _EMPTY_ID.fullmatch(id_)
            if m:
                w, e = int(m.group(1)), int(m.group(2))
                if w != current or e != next_empty:
                    out.append(
                        ("word-id-sequence", i, 1, f"empty node {id_!r}, expected {current}.{next_empty}")
                    )
                    ok = False
                elif w < last_start and ranges:
                    a, b, _ = ranges[-1]
                    out.append(
                        (
                            "word-id-sequence",
                            i,
                            1,
                            f"empty node {id_!r} must come before multiword token {a}-{b}",
                        )
                    )
                    ok = False
                next_empty += 1
                continue
            out.append(("invalid-word-id", i, 1, f"ID {id_!r} is not N, N-M or N.M (no leading zeros)"))
            ok = False
        for a, b, i in ranges:
            if b > len(words):
                out.append(
                    ("word-id-sequence", i, 1, f"multiword token {a}-{b} reaches beyond word {len(words)}")
                )
                ok = False
        return ok
