"""Naming the bad line: the checks of one sentence, run when the column-wise converter's bulk
check of a group fails.

The converter (:mod:`converters.conllu.columns`) checks a group's columns all at once and cannot
say which line is wrong; :func:`check_sentences` goes through the group's sentences in file
order and raises the first problem of the first sentence that has one, the same error whether
the sentence was read alone or in a ``-n`` group. Within a sentence the checks run in this
order: padded columns, the column count, an empty FORM, the IDs, UPOS, FEATS, HEAD, and (with
``merge_subtokens``) cycles through a multiword token.
"""

from __future__ import annotations

from itertools import compress
from operator import not_
from typing import NoReturn

from corpuskit.errors import FormatError

from .base import (
    COLUMNS,
    FEATS_NORM,
    HEADS0,
    UPOS_TAGS,
    column_of,
    error,
    expected_ids,
    is_num,
    normalise_feats,
)
from .subtokens import span_root

__all__ = [
    "Sents",
    "check_columns",
    "check_padding",
    "check_sentences",
    "column_error",
    "needs_padding_check",
    "raise_first",
    "split_ids",
]

#: Sentences as read: (word lines, line number of the first, comment lines before it).
Sents = list[tuple[list[str], int, list[str]]]


def column_error(line: str, parts: list[str], path: str | None, line_no: int) -> FormatError:
    n = len(parts)
    shown = line if len(line) <= 80 else line[:77] + "..."
    if n == 1 and len(line.split()) >= 10:
        return error(
            f"columns are separated by spaces, not tabs: {shown!r}; expected 10 tab-separated "
            f"columns ({COLUMNS})",
            path,
            line_no,
            check="column-count",
        )
    return error(
        f"expected 10 tab-separated columns ({COLUMNS}), got {n}: {shown!r}",
        path,
        line_no,
        check="column-count",
    )


def needs_padding_check(joined: str) -> bool:
    """Whether lines joined by ``"\\t\\n\\t"`` may hold a column padded with spaces (a space next
    to a tab; ``" "`` first: a fast test, spaces are rare here)."""
    return " " in joined and (" \t" in joined or "\t " in joined or joined[-1:] == " ")


def check_padding(rows: list[str], first: int, source: str | None) -> None:
    """Refuse a word line with a column padded with spaces or an empty FORM (UD level 1), which
    would otherwise reach the DocBin as labels of their own (``' punct'``) or empty words."""
    names = COLUMNS.split()
    for k, line in enumerate(rows):
        parts = line.split("\t")
        if len(parts) != 10:
            continue  # the column count is reported by check_columns
        for c, value in enumerate(parts):
            if value != value.strip(" "):
                raise error(
                    f"{names[c]} {value!r} is padded with spaces; expected no space before or after "
                    "a column's value",
                    source,
                    first + k,
                    column_of(parts, c),
                    check="column-whitespace",
                )
        if not parts[1]:
            raise error(
                "FORM is empty; expected the word (spaCy cannot hold an empty word)",
                source,
                first + k,
                column_of(parts, 1),
                check="empty-column",
            )


def check_columns(rows: list[str], first: int, source: str | None) -> None:
    """Raise the error of the first word line without exactly 10 tab-separated columns."""
    for k, line in enumerate(rows):
        if line.count("\t") != 9:
            raise column_error(line, line.split("\t"), source, first + k)


def split_ids(
    rows: list[str], ids: list[str], first: int, source: str | None
) -> tuple[list[int], list[int], list[int], list[tuple[int, str]], list[tuple[int, int, str]]]:
    """Set multiword-token and empty-node lines apart from word lines, checking every ID.

    Returns the rows of the words, the other rows, the words' line numbers, the other lines
    (after which word, the line) and the multiword tokens (first word, end word, form); a bad ID
    is a FormatError at its line. Only the lines whose ID is not a number are looked at one by one.
    """
    digit = list(map(str.isdigit, ids))
    keep = list(compress(range(len(ids)), digit))
    odd = list(compress(range(len(ids)), map(not_, digit)))
    word_ids = list(compress(ids, digit))
    want = expected_ids(len(keep))
    bad_word = len(keep)
    if word_ids != want:  # the first word line whose ID is not the next number ("01" is 1)
        bad_word = next(
            (k for k, (a, b) in enumerate(zip(word_ids, want, strict=True)) if a != b and not _is(a, k + 1)),
            bad_word,
        )
    bad_row = keep[bad_word] if bad_word < len(keep) else len(rows)
    extra: list[tuple[int, str]] = []
    mwt: list[tuple[int, int, str]] = []
    mwt_end = 0
    for before, r in enumerate(odd):
        if r > bad_row:
            break
        line = rows[r]
        n = r - before  # words before this line
        problem = _odd_id_problem(ids[r], n, mwt_end)
        if problem is not None:
            raise error(problem[0], source, first + r, 1, check=problem[1])
        if "-" in ids[r]:
            mwt_end = int(ids[r].partition("-")[2])
            mwt.append((n, mwt_end, line.split("\t", 2)[1]))
        extra.append((n, line))
    if bad_word < len(keep):
        raise error(
            f"bad word ID {word_ids[bad_word]!r}; expected {bad_word + 1} (word IDs count 1, 2, 3... in each "
            "sentence; N-M for multiword tokens, N.M for empty nodes)",
            source,
            first + bad_row,
            1,
            check=_id_check(word_ids[bad_word]),
        )
    if mwt_end > len(keep):
        raise error(
            f"the sentence ends at word {len(keep)} inside a multiword token that ends at word {mwt_end}",
            source,
            first + len(rows),
            check="word-id-sequence",
        )
    if not keep:
        raise error(
            "a sentence with no words (only multiword-token or empty-node lines)",
            source,
            first,
            check="word-id-sequence",
        )
    return keep, odd, [first + r for r in keep], extra, mwt


def _is(id_: str, number: int) -> bool:
    return is_num(id_) and int(id_) == number


def _id_check(id_: str) -> str:
    """``invalid-word-id`` for an ID that is not N, N-M or N.M, else ``word-id-sequence``."""
    a, sep, b = id_.partition("-") if "-" in id_ else id_.partition(".")
    well_formed = is_num(a) and a[:1] != "0" and (not sep or (is_num(b) and b[:1] != "0"))
    return "word-id-sequence" if well_formed else "invalid-word-id"


def _odd_id_problem(id_: str, n: int, mwt_end: int) -> tuple[str, str] | None:
    """What is wrong with the ID of a line that is not a plain word line, after ``n`` words."""
    if "-" in id_:
        a, _, b = id_.partition("-")
        if not (is_num(a) and is_num(b) and int(a) == n + 1 and int(b) > int(a)):
            return (
                f"bad multiword token ID {id_!r}; expected a range {n + 1}-M with M > {n + 1} "
                "(the next word's ID first)",
                _id_check(id_),
            )
        if mwt_end > n:
            return (
                f"multiword token {id_!r} starts inside the multiword token that ends at "
                f"word {mwt_end}; expected multiword tokens not to overlap",
                "word-id-sequence",
            )
        return None
    if "." in id_:
        a, _, b = id_.partition(".")
        if not (is_num(a) and is_num(b) and int(a) == n):
            return (
                f"bad empty node ID {id_!r}; expected {n}.N (an empty node follows the word "
                "it is numbered after)",
                _id_check(id_),
            )
        return None
    return (
        f"bad word ID {id_!r}; expected {n + 1} (word IDs count 1, 2, 3... in each "
        "sentence; N-M for multiword tokens, N.M for empty nodes)",
        _id_check(id_),
    )


def check_sentences(sents: Sents, source: str | None, merge_subtokens: bool) -> None:
    """Raise the first problem of the first sentence that has one (in file order)."""
    for rows, first, _pre in sents:
        _check_sentence(rows, first, source, merge_subtokens)


def raise_first(sents: Sents, source: str | None, merge_subtokens: bool) -> NoReturn:
    """:func:`check_sentences` for a group whose bulk check failed: one of them has a problem."""
    check_sentences(sents, source, merge_subtokens)
    lines = f"{sents[0][1]} to {sents[-1][1] + len(sents[-1][0]) - 1}" if sents else "?"
    raise RuntimeError(f"{source}: lines {lines}: the bulk check failed but no sentence check did (a bug)")


def _check_sentence(rows: list[str], first: int, source: str | None, merge_subtokens: bool) -> None:
    n = len(rows)
    joined = "\t\n\t".join(rows)
    if needs_padding_check(joined):
        check_padding(rows, first, source)
    flat = joined.split("\t")
    if len(flat) != 11 * n - 1 or flat[10::11].count("\n") != n - 1:
        check_columns(rows, first, source)
    cols = [flat[c::11] for c in range(10)]
    if "" in cols[1]:
        check_padding(rows, first, source)
    mwt: list[tuple[int, int, str]] = []
    if cols[0] == expected_ids(n):
        lines = list(range(first, first + n))
    else:
        keep, _odd, lines, _extra, mwt = split_ids(rows, cols[0], first, source)
        rows = [rows[r] for r in keep]
        cols = [[col[r] for r in keep] for col in cols]
        n = len(rows)
    for k, u in enumerate(cols[3]):
        if u not in UPOS_TAGS and u != "_" and u:
            raise error(
                f"UPOS {u!r} is not a Universal POS tag; expected one of "
                f"{' '.join(sorted(UPOS_TAGS))} or '_' (a language-specific tag goes in XPOS)",
                source,
                lines[k],
                column_of(rows[k].split("\t"), 3),
                check="unknown-upos",
            )
    for k, f in enumerate(cols[5]):
        if f not in FEATS_NORM:
            normalise_feats(f, source, lines[k])
    heads = _checked_heads(cols[6], rows, lines, source)
    if merge_subtokens:
        for start, end, _form in mwt:
            span_root(heads, start, end, source, lines[start])


def _checked_heads(
    head_col: list[str], rows: list[str], lines: list[int], source: str | None
) -> list[int | None]:
    """The sentence's heads (a root or "_" its own head), or the error of the first bad HEAD,
    else of the first HEAD beyond the last word."""
    for k, h in enumerate(head_col):
        if h not in HEADS0 and h != "_" and not is_num(h):
            raise error(
                f"bad HEAD {h!r}; expected the ID of the head word (0 for the root) or '_'",
                source,
                lines[k],
                column_of(rows[k].split("\t"), 6),
                check="invalid-head",
            )
    n = len(head_col)
    heads: list[int | None] = [k if h == "_" else int(h) - 1 for k, h in enumerate(head_col)]
    for k, head in enumerate(heads):
        assert head is not None
        if head >= n:
            raise error(
                f"HEAD {head_col[k]!r} is beyond the sentence's last word; expected 0 to {n}",
                source,
                lines[k],
                column_of(rows[k].split("\t"), 6),
                check="head-out-of-range",
            )
        if head == -1:
            heads[k] = k
    return heads
