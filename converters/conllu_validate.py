"""CoNLL-U validation over the raw lines: the UD validator's levels 1 and 2, as check findings.

``corpuskit check`` and ``debug-data`` run :func:`validate_conllu` on every CoNLL-U file before
reading its docs; ``convert`` does not (its reader refuses what it cannot store and names the
line). Each problem is ``(check_id, line, column, message)``; the check ids and their
severities are registered in :mod:`corpuskit.debug.checks` and documented in docs/checks.md.

What the UD validator calls an error but corpuskit reads without loss (extra blank lines,
CRLF line ends, a missing final blank line, a trailing comment, a byte-order mark, features
sorted by code point) is reported under a warning id, so ``check --strict`` can fail on it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

from corpuskit.io import byte_blocks

__all__ = ["Problem", "validate_conllu"]

#: ``(check id, line, column or None, message, first line, last line)``: the last two bound the
#: lines whose other findings are consequences of this one (its block for a broken block, its
#: line for a bad field, ``0, 0`` for sentence metadata).
Problem = tuple[str, int, int | None, str, int, int]
_Found = tuple[str, int, int | None, str]

_words = str.split
_NAMES = ("ID", "FORM", "LEMMA", "UPOS", "XPOS", "FEATS", "HEAD", "DEPREL", "DEPS", "MISC")
_STRICT = (0, 3, 4, 5, 6, 7, 8)  # columns that may hold no whitespace at all
_UPOS = frozenset(_words("ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X"))
#: The 37 universal relations of UD v2 (a subtype after ``:`` is free at level 2).
_UDEPREL = frozenset(
    _words(
        "acl advcl advmod amod appos aux case cc ccomp clf compound conj cop csubj dep det discourse "
        "dislocated expl fixed flat goeswith iobj list mark nmod nsubj nummod obj obl orphan parataxis "
        "punct reparandum root vocative xcomp"
    )
)
_IDS = [str(i) for i in range(1, 4097)]
_HEADS = {str(i): i for i in range(0, 4097)}
_MWT_BLANK = ["_"] * 7
_SUSPECT = re.compile(r"[^\S\t]|\t\t|^\t|\t$")  # whitespace other than the separators, an empty column
_WS = re.compile(r"\s")
_ODD_WS = re.compile(r"[\x0b\x0c\r\x1c-\x1f]")
_WS2 = re.compile(r"\s\s")
_WORD_ID = re.compile(r"[1-9][0-9]*")
_MWT_ID = re.compile(r"([1-9][0-9]*)-([1-9][0-9]*)")
_EMPTY_ID = re.compile(r"([0-9]+)\.([1-9][0-9]*)")
_FEAT = re.compile(r"([A-Z][A-Za-z0-9]*(?:\[[a-z0-9]+\])?)=([A-Z0-9][A-Za-z0-9]*(?:,[A-Z0-9][A-Za-z0-9]*)*)")
_DEPREL = re.compile(r"[a-z]+(:[a-z]+)?")
_EHEAD = re.compile(r"(0|[1-9][0-9]*)(\.[1-9][0-9]*)?")
_EDEPREL = re.compile(r"[a-z]+(:[a-z]+)?(:[^\W\d_A-Z]+(_[^\W\d_A-Z]+)*)?(:[a-z]+)?")
_SENT_ID = re.compile(r"#\s*sent_id\s*=\s*(\S+)")
_TEXT = re.compile(r"#\s*text\s*=\s*(.*)")
_NEWDOC = re.compile(r"#\s*newdoc(?:\s+(\S+))?")
_NEWPAR = re.compile(r"#\s*newpar(?:\s+(\S+))?")
_PARALLEL = re.compile(
    r"#\s*parallel_id\s*=\s*(([a-z]+)/([-0-9a-z]+)(?:/(alt[1-9][0-9]*|part[1-9][0-9]*|alt[1-9][0-9]*part[1-9][0-9]*))?)"
)
_MISC_KNOWN = re.compile(r"(SpaceAfter|Lang|Translit|LTranslit|Gloss|LId|LDeriv|Ref)")
_MISC_TYPO = re.compile(r"\s*(spaceafter|lang|translit|ltranslit|gloss|lid|lderiv|ref)\s*", re.IGNORECASE)
_CACHE_MAX = 200_000
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
    for k, block in enumerate(byte_blocks(path, end=b"\n\n")):
        if k == 0 and block.startswith(b"\xef\xbb\xbf"):
            block = block[3:]
            v.done.append(("byte-order-mark", 1, 1, "the file starts with a byte-order mark (U+FEFF)", 1, 1))
        text = block.decode(encoding, errors="replace")
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


class _Validator:
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

    def _level2(self, table: list[list[str]], lines: list[int]) -> None:
        out = self.out
        n_words = 0
        ids: set[str] = set()
        for cols in table:
            id_ = cols[0]
            if "-" not in id_:
                ids.add(id_)
                if "." not in id_:
                    n_words += 1
        has_edeps = False
        deps_ok = True
        # the enhanced graph is connected if the basic tree is (a doc check) unless a word's DEPS
        # leave out its basic head or an empty node hangs from empty nodes only
        need_graph = False
        mwt_words: set[str] = set()
        heads = _HEADS
        good_deprels = self.good_deprels
        good_feats = self.good_feats
        good_misc = self.good_misc
        for cols, i in zip(table, lines, strict=True):
            id_ = cols[0]
            # the fast path: an ordinary word line whose values were all seen valid before
            head = cols[6]
            h = heads.get(head)
            deprel = cols[7]
            deps = cols[8]
            if (
                h is not None
                and h <= n_words
                and head != id_
                and deprel in good_deprels
                and cols[3] in _UPOS
                and cols[5] in good_feats
                and cols[9] in good_misc
                and id_ not in mwt_words
                and (deps == "_" or deps == f"{head}:{deprel}")
                and id_.isdigit()
            ):
                if deps != "_":
                    has_edeps = True
                continue
            if "-" in id_:
                if cols[2:9] != _MWT_BLANK:
                    for c in range(2, 9):
                        if cols[c] != "_" and not (c == 5 and cols[c] == "Typo=Yes"):
                            out.append(
                                (
                                    "mwt-nonempty-field",
                                    i,
                                    _col(cols, c),
                                    f"{_NAMES[c]} {cols[c]!r} on a multiword-token line; expected '_'",
                                )
                            )
                a, b = id_.split("-")
                mwt_words.update(str(w) for w in range(int(a), int(b) + 1))
                self._misc(cols, i, mwt=True)
                continue
            empty = "." in id_
            if empty:
                has_edeps = True
                heads_of = [hd.partition(":")[0] for hd in deps.split("|")]
                need_graph = need_graph or all("." in x for x in heads_of)
                for c in (6, 7):
                    if cols[c] != "_":
                        out.append(
                            (
                                "empty-node-nonempty-field",
                                i,
                                _col(cols, c),
                                f"{_NAMES[c]} {cols[c]!r} on an empty node; expected '_'",
                            )
                        )
            else:
                self._head(cols, i, n_words)
                deprel = cols[7]
                if deprel not in self.good_deprels:
                    self._deprel(cols, i)
            upos = cols[3]
            if upos not in _UPOS and not (empty and upos == "_"):
                if upos == "_":
                    out.append(("underspecified-column", i, _col(cols, 3), "UPOS is '_'; UD requires a tag"))
                else:
                    out.append(
                        ("unknown-upos", i, _col(cols, 3), f"UPOS {upos!r} is not one of the 17 UD tags")
                    )
            if cols[5] not in self.good_feats:
                self._feats(cols[5], i, _col(cols, 5))
            if deps != "_":
                has_edeps = True
                if not empty and deps != f"{head}:{deprel}":
                    need_graph = need_graph or head not in [hd.partition(":")[0] for hd in deps.split("|")]
                deps_ok = self._deps(cols, i, ids) and deps_ok
            if cols[9] != "_" or id_ in mwt_words:
                self._misc(cols, i, mwt=id_ in mwt_words)
        self._edeps_all_or_none(has_edeps, lines[0])
        if has_edeps and deps_ok and need_graph:
            self._egraph(table, lines)
        self._metadata(table, lines)

    def _head(self, cols: list[str], i: int, n_words: int) -> None:
        head = cols[6]
        h = _HEADS.get(head)
        if h is not None and h <= n_words:
            if head == cols[0]:
                self.out.append(("head-self-loop", i, _col(cols, 6), f"HEAD {head!r} is the word's own ID"))
            return
        col = _col(cols, 6)
        if head == "_":
            self.out.append(
                ("underspecified-column", i, col, "HEAD is '_'; UD requires a head (0 for the root)")
            )
        elif h is None and not (head.isascii() and head.isdigit() and head[0] != "0"):
            self.out.append(("invalid-head", i, col, f"HEAD {head!r} is not a word ID (0 for the root)"))
        else:
            self.out.append(
                (
                    "head-out-of-range",
                    i,
                    col,
                    f"HEAD {head!r} is no word of the sentence; expected 0 to {n_words}",
                )
            )

    def _deprel(self, cols: list[str], i: int) -> None:
        deprel = cols[7]
        col = _col(cols, 7)
        if deprel == "_":
            self.out.append(("underspecified-column", i, col, "DEPREL is '_'; UD requires a relation"))
        elif not _DEPREL.fullmatch(deprel):
            self.out.append(
                (
                    "invalid-deprel",
                    i,
                    col,
                    f"DEPREL {deprel!r}: expected lowercase letters, one ':' subtype at most",
                )
            )
        elif deprel.split(":", 1)[0] not in _UDEPREL:
            self.out.append(
                (
                    "unknown-deprel",
                    i,
                    col,
                    f"DEPREL {deprel!r} is not one of the 37 universal relations (+ subtype)",
                )
            )
        elif len(self.good_deprels) < _CACHE_MAX:
            self.good_deprels.add(deprel)

    def _feats(self, feats: str, i: int, col: int) -> None:
        out = self.out
        pairs = feats.split("|")
        n_out = len(out)
        names: list[str] = []
        for f in pairs:
            m = _FEAT.fullmatch(f)
            if m is None:
                out.append(
                    (
                        "invalid-feature",
                        i,
                        col,
                        f"feature {f!r} is not Name=Value ([A-Z][A-Za-z0-9]*=[A-Z0-9][A-Za-z0-9]*)",
                    )
                )
                names.append(f)
                continue
            names.append(m.group(1))
            values = m.group(2).split(",")
            if len(set(values)) != len(values):
                out.append(("invalid-feature", i, col, f"{m.group(1)} repeats a value in {f!r}"))
            if [v.lower() for v in values] != sorted(v.lower() for v in values):
                out.append(("invalid-feature", i, col, f"the values of {f!r} are not sorted"))
        if len(set(names)) != len(names):
            out.append(("invalid-feature", i, col, f"a feature is repeated in {feats!r}"))
        low = [f.lower() for f in pairs]
        if low != sorted(low):
            if pairs == sorted(pairs) and len(out) == n_out:
                out.append(
                    (
                        "feature-order",
                        i,
                        col,
                        f"features sorted by code point, not case-insensitively as UD sorts them: {feats!r}",
                    )
                )
            else:
                out.append(("invalid-feature", i, col, f"features not sorted by name: {feats!r}"))
        if len(out) == n_out and len(self.good_feats) < _CACHE_MAX:
            self.good_feats.add(feats)

    def _deps(self, cols: list[str], i: int, ids: set[str]) -> bool:
        out = self.out
        col = 8  # computed only when reporting: _col(cols, col)
        raw = cols[8]
        edeps = [hd.split(":", 1) for hd in raw.split("|")]
        if any(len(hd) != 2 for hd in edeps):
            out.append(
                ("invalid-deps", i, _col(cols, col), f"DEPS {raw!r} is not head:relation pairs joined by '|'")
            )
            return False
        for head, _ in edeps:
            if not _EHEAD.fullmatch(head):
                out.append(("invalid-deps", i, _col(cols, col), f"DEPS head {head!r} is not a node ID"))
                return False
            if head != "0" and head not in ids:
                out.append(
                    ("invalid-deps", i, _col(cols, col), f"DEPS head {head!r} is no node of the sentence")
                )
                return False
        heads = [_node_key(h) for h, _ in edeps]
        if heads != sorted(heads):
            out.append(("invalid-deps", i, _col(cols, col), f"DEPS {raw!r} not sorted by head"))
        elif len(set(map(tuple, edeps))) != len(edeps):
            out.append(("invalid-deps", i, _col(cols, col), f"DEPS {raw!r} repeats a relation"))
        elif any(a[0] == b[0] and a[1] > b[1] for a, b in pairwise(edeps)):
            out.append(
                ("invalid-deps", i, _col(cols, col), f"DEPS {raw!r}: relations to one head not sorted")
            )
        if cols[0] in {h for h, _ in edeps}:
            out.append(("invalid-deps", i, _col(cols, col), f"DEPS of node {cols[0]} point at itself"))
        for _, rel in edeps:
            if not _EDEPREL.fullmatch(rel):
                out.append(
                    (
                        "invalid-deps",
                        i,
                        _col(cols, col),
                        f"enhanced relation {rel!r} is not lowercase rel[:subtype]",
                    )
                )
            elif rel.split(":", 1)[0] not in _UDEPREL and rel != "ref":
                out.append(
                    (
                        "unknown-deprel",
                        i,
                        _col(cols, col),
                        f"enhanced relation {rel!r} is not a universal relation",
                    )
                )
        return True

    def _edeps_all_or_none(self, has: bool, first: int) -> None:
        if has:
            if self.edeps_seen is None:
                self.edeps_seen = first
                if self.no_edeps_seen is not None:
                    self.out.append(
                        (
                            "invalid-deps",
                            first,
                            None,
                            f"enhanced graph here but none at line {self.no_edeps_seen}: all or none",
                        )
                    )
        elif self.no_edeps_seen is None:
            self.no_edeps_seen = first
            if self.edeps_seen is not None:
                self.out.append(
                    (
                        "invalid-deps",
                        first,
                        None,
                        f"no enhanced graph here but one at line {self.edeps_seen}: all or none",
                    )
                )

    def _egraph(self, table: list[list[str]], lines: list[int]) -> None:
        children: dict[str, set[str]] = {"0": set()}
        where: dict[str, int] = {}
        for cols, i in zip(table, lines, strict=True):
            id_ = cols[0]
            if "-" in id_ or (cols[8] == "_" and "." not in id_):
                if "-" not in id_:
                    where[id_] = i
                continue
            where[id_] = i
            if cols[8] == "_":
                continue
            for hd in cols[8].split("|"):
                head = hd.split(":", 1)[0]
                children.setdefault(head, set()).add(id_)
        seen: set[str] = set()
        todo = ["0"]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        lost = sorted(set(where) - seen, key=_node_key)
        if lost:
            self.out.append(
                (
                    "invalid-deps",
                    where[lost[0]],
                    None,
                    f"enhanced graph not connected: {', '.join(lost)} unreachable from the root",
                )
            )

    def _misc(self, cols: list[str], i: int, *, mwt: bool) -> None:
        misc = cols[9]
        if misc == "_" and not mwt:
            return
        col = 9  # computed only when reporting: _col(cols, col)
        out = self.out
        parts = misc.split("|")
        if mwt and "-" not in cols[0] and "SpaceAfter=No" in parts:
            out.append(
                (
                    "invalid-misc",
                    i,
                    _col(cols, col),
                    "SpaceAfter=No on a word of a multiword token; it goes on the token's line",
                )
            )
        if misc in self.good_misc:
            return
        n_out = len(out)
        counts: dict[str, int] = {}
        for item in parts:
            key, eq, value = item.partition("=")
            if not key:
                out.append(("misc-format", i, _col(cols, col), f"empty attribute name in MISC {misc!r}"))
            elif (
                key[0].isspace() or key[-1].isspace() or (eq and value[:1].isspace()) or value[-1:].isspace()
            ):
                out.append(
                    ("misc-format", i, _col(cols, col), f"MISC attribute {item!r} padded with whitespace")
                )
            if _MISC_KNOWN.fullmatch(key):
                counts[key] = counts.get(key, 0) + 1
            elif _MISC_TYPO.fullmatch(key):
                out.append(
                    (
                        "misc-format",
                        i,
                        _col(cols, col),
                        f"MISC attribute {key!r}: a typo of a UD attribute name?",
                    )
                )
            if key == "SpaceAfter" and item != "SpaceAfter=No":
                out.append(
                    (
                        "invalid-misc",
                        i,
                        _col(cols, col),
                        f"{item!r}: SpaceAfter takes 'No' only (SpacesAfter for others)",
                    )
                )
            if item == "NoSpaceAfter=Yes":
                out.append(
                    ("invalid-misc", i, _col(cols, col), "'NoSpaceAfter=Yes' should be 'SpaceAfter=No'")
                )
        for key, n in counts.items():
            if n > 1:
                out.append(("invalid-misc", i, _col(cols, col), f"MISC attribute {key} occurs {n} times"))
        if "." in cols[0] and "SpaceAfter=No" in parts:
            out.append(("invalid-misc", i, _col(cols, col), "SpaceAfter=No on an empty node"))
        if len(out) == n_out and len(self.good_misc) < _CACHE_MAX:
            self.good_misc.add(misc)

    # ----------------------------------------------------------------------- metadata

    def _metadata(self, table: list[list[str]], lines: list[int]) -> None:
        out = self.out
        first = lines[0]
        sent_ids: list[str] = []
        texts: list[str] = []
        parallel: list[re.Match[str]] = []
        newdoc = newpar = 0
        for i, c in self.comments:
            if "sent_id" in c and (c.startswith(("# sent_id", "#sent_id")) or _SENT_ID.fullmatch(c)):
                m = _SENT_ID.fullmatch(c)
                if m is None:
                    out.append(
                        ("sent-id", i, 1, f"{_short(c)!r}: expected '# sent_id = ID' (no spaces in ID)")
                    )
                else:
                    sent_ids.append(m.group(1))
            elif "text" in c and (m := _TEXT.fullmatch(c)):
                texts.append(m.group(1))
            elif "parallel_id" in c and (
                c.startswith(("# parallel_id", "#parallel_id")) or _PARALLEL.fullmatch(c)
            ):
                m = _PARALLEL.fullmatch(c)
                if m is None:
                    out.append(
                        ("parallel-id", i, 1, f"{_short(c)!r}: expected '# parallel_id = corpus/sentence'")
                    )
                else:
                    parallel.append(m)
            elif "new" in c:
                newdoc += bool(_NEWDOC.fullmatch(c))
                newpar += bool(_NEWPAR.fullmatch(c))
        if not sent_ids:
            out.append(("sent-id", first, None, "no '# sent_id = ...' comment; UD requires one per sentence"))
        elif len(sent_ids) > 1:
            out.append(("sent-id", first, None, f"{len(sent_ids)} sent_id comments; expected one"))
        else:
            sid = sent_ids[0]
            if sid in self.sent_ids:
                out.append(("sent-id", first, None, f"sent_id {sid!r} is not unique in the file"))
            elif sid.count("/") > 1:
                out.append(
                    ("sent-id", first, None, f"sent_id {sid!r}: '/' is reserved for parallel treebanks")
                )
            self.sent_ids.add(sid)
        self._parallel(parallel, first)
        if newdoc > 1 or newpar > 1:
            out.append(("text-metadata", first, None, "more than one newdoc or newpar comment"))
        if (newdoc or newpar) and self.spaceafter_no:
            out.append(
                ("text-metadata", first, None, "a new document or paragraph after a word with SpaceAfter=No")
            )
        if not texts:
            out.append(
                ("text-metadata", first, None, "no '# text = ...' comment; UD requires one per sentence")
            )
        elif len(texts) > 1:
            out.append(("text-metadata", first, None, f"{len(texts)} text comments; expected one"))
        elif not texts[0]:
            out.append(("text-metadata", first, None, "the '# text' is empty"))
        elif texts[0][-1].isspace():
            out.append(("text-metadata", first, None, "the '# text' ends with whitespace"))
        last = next((cols for cols in reversed(table) if "." not in cols[0]), None)
        self.spaceafter_no = last is not None and "SpaceAfter=No" in last[9].split("|")

    def _parallel(self, found: list[re.Match[str]], first: int) -> None:
        out = self.out
        if len(found) > 1:
            out.append(("parallel-id", first, None, "more than one parallel_id comment"))
            return
        if not found:
            return
        m = found[0]
        pid = m.group(1)
        if pid in self.parallel_ids:
            out.append(("parallel-id", first, None, f"parallel_id {pid!r} is not unique"))
            return
        self.parallel_ids.add(pid)
        sid = f"{m.group(2)}/{m.group(3)}"
        alt = part = None
        suffix = re.fullmatch(r"(?:alt([0-9]+))?(?:part([0-9]+))?", m.group(4) or "")
        if suffix:
            alt = int(suffix.group(1)) if suffix.group(1) else None
            part = int(suffix.group(2)) if suffix.group(2) else None
        for k, (now, what) in enumerate(((alt, "alt"), (part, "part"))):
            if sid in self.parallel_last:
                before = self.parallel_last[sid][k]
                if (before is None) != (now is None):
                    out.append(
                        (
                            "parallel-id",
                            first,
                            None,
                            f"some copies of {sid!r} have the {what} suffix, some not",
                        )
                    )
                elif now is not None and before is not None and now != before + 1:
                    out.append(
                        (
                            "parallel-id",
                            first,
                            None,
                            f"{what} suffix of {sid!r} is {now}, expected {before + 1}",
                        )
                    )
            elif now is not None and now != 1:
                out.append(("parallel-id", first, None, f"{what} suffix of {sid!r} is {now}, expected 1"))
        self.parallel_last[sid] = (alt, part)


def _col(cols: list[str], index: int) -> int:
    return sum(len(p) + 1 for p in cols[:index]) + 1


def _node_key(node: str) -> tuple[int, int]:
    a, _, b = node.partition(".")
    return (int(a), int(b) if b else 0)


def _short(line: str) -> str:
    return line if len(line) <= 60 else line[:57] + "..."
