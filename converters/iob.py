"""spaCy's IOB style: one sentence per line, tokens ``word|TAG|IOB`` or ``word|IOB``.

Tokens are separated by whitespace; the fields of a token by ``|``, split from the right, so a
word may itself hold a ``|`` (the number of fields is fixed by the file's first token; a later
line whose every token has the other form is a :class:`FormatError`, never a tag glued onto
the word). The
entity tags may be IOB1, IOB2, BILUO or BIOES. Every line is one Doc with one sentence; blank
lines are skipped (spaCy counts them toward ``-n`` and can emit an empty doc, or nothing at
``-n 0``): grouping sentences into docs is :func:`corpuskit.transforms.group_sents`'s job.
The format holds no spacing, so every Doc has ``has_unknown_spaces``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from corpuskit.doc import Doc
from corpuskit.errors import FormatError, UsageError
from corpuskit.registry import Converter, ConverterOptions
from corpuskit.tags import TagError, doc_to_tags, tags_to_ents

__all__ = ["converter", "detect", "parse_iob", "read_iob", "write_iob"]

_TAG_PREFIXES = frozenset("BILUES")


def _is_tag(value: str) -> bool:
    return value == "O" or value == "-" or (len(value) > 2 and value[1] == "-" and value[0] in _TAG_PREFIXES)


def parse_iob(lines: Iterable[str], *, source: str | None = None, scheme: str = "auto") -> Iterator[Doc]:
    """Yield one Doc per non-blank line of spaCy-style IOB text.

    ``scheme``: the entity tag scheme (``auto``, ``IOB1``, ``IOB2``, ``BILUO``, ``BIOES``).
    A token without the expected ``|`` fields, or a malformed tag or tag sequence, raises
    :class:`FormatError` with ``source``, the line and the column of the token.
    """
    nfields = 0
    first_line = 0
    file_scheme = scheme
    for line_no, raw in enumerate(lines, 1):
        tokens = raw.split()
        if not tokens:
            continue
        if nfields == 0:
            nfields = tokens[0].count("|") + 1
            first_line = line_no
            if nfields not in (2, 3):
                raise FormatError(
                    f"token {tokens[0]!r} has {nfields} '|'-separated fields; "
                    "expected word|TAG|IOB or word|IOB",
                    path=source,
                    line=line_no,
                    column=_column(raw, 0),
                )
        parts = _fields(raw, tokens, nfields, first_line, source, line_no)
        n = len(parts)
        cols = list(zip(*parts, strict=True))
        if "" in cols[0]:
            k = cols[0].index("")
            raise FormatError(
                f"token {tokens[k]!r} has an empty word", path=source, line=line_no, column=_column(raw, k)
            )
        ner = cols[-1]
        try:
            ents, missing = tags_to_ents(ner, file_scheme)
        except TagError as e:
            raise FormatError(
                e.detail,
                path=source,
                line=line_no,
                column=_column(raw, e.index),
                check="invalid-tag-sequence",
            ) from None
        if file_scheme == "auto" and (uniq := set(ner)) != {"O"}:
            prefixes = {t[:2] for t in uniq if t}
            if "L-" in prefixes or "U-" in prefixes:
                file_scheme = "BILUO"
            elif "E-" in prefixes or "S-" in prefixes:
                file_scheme = "BIOES"
        sent_starts: list[bool | None] = [True]
        sent_starts.extend([False] * (n - 1))
        yield Doc(
            words=list(cols[0]),
            spaces=None,
            tags=list(cols[1]) if nfields == 3 else None,
            sent_starts=sent_starts,
            ents=ents,
            ents_missing=missing,
            source=source,
            lines=[line_no] * n,
        )


def _fields(
    raw: str, tokens: list[str], nfields: int, first_line: int, source: str | None, line_no: int
) -> list[list[str]]:
    """The ``|``-separated fields of a line's tokens, each of the file's form (``nfields``)."""
    maxsplit = nfields - 1
    parts = [t.rsplit("|", maxsplit) for t in tokens]
    n = len(parts)
    if sum(map(len, parts)) != n * nfields:
        k = next(i for i, p in enumerate(parts) if len(p) != nfields)
        shape = "word|TAG|IOB" if nfields == 3 else "word|IOB"
        raise FormatError(
            f"token {tokens[k]!r} does not have the form {shape} of the file's first token "
            f"(line {first_line})",
            path=source,
            line=line_no,
            column=_column(raw, k),
        )
    if nfields == 2 and all(t.count("|") >= 2 for t in tokens) and any(t.count("|") == 2 for t in tokens):
        # Every token has a tag field too (a word holding a '|' has more): the file's first
        # line had none. spaCy decides per line; the first line's form would glue the tag
        # onto the word.
        raise FormatError(
            f"line has the form word|TAG|IOB ({tokens[0]!r}) but the file's first line "
            f"(line {first_line}) has word|IOB; expected one form for the whole file",
            path=source,
            line=line_no,
            column=_column(raw, 0),
        )
    return parts


def _column(raw: str, k: int) -> int:
    """The 1-based column of the ``k``-th whitespace-separated token of ``raw``."""
    pos = 0
    for i, tok in enumerate(raw.split()):
        pos = raw.index(tok, pos)
        if i == k:
            return pos + 1
        pos += len(tok)
    return 1


def read_iob(path: str, *, encoding: str = "utf-8", scheme: str = "auto") -> Iterator[Doc]:
    """Yield the Docs of an IOB file."""
    from corpuskit.io import read_lines

    return parse_iob(read_lines(path, encoding=encoding), source=str(path), scheme=scheme)


def write_iob(docs: Iterable[Doc], out: IO[str], *, scheme: str = "iob2", tags: bool | None = None) -> None:
    """Write Docs as spaCy-style IOB, one sentence per line.

    ``scheme``: the entity tags written (``iob2``, ``iob1``, ``biluo``, ``bioes``); a token whose
    entity annotation is missing gets ``-``. ``tags``: write ``word|TAG|IOB`` (default: when the
    first doc has tags; a missing tag is ``-``) or ``word|IOB``.
    """
    with_tags = tags
    for k, doc in enumerate(docs):
        if with_tags is None:
            with_tags = doc.tags is not None
        ner = doc_to_tags(doc, scheme)
        words = doc.words
        _check_iob_values(words, k, "word")
        _check_iob_values(ner, k, "entity tag", pipe=True)
        if with_tags and doc.tags is not None:
            _check_iob_values([t or "-" for t in doc.tags], k, "tag", pipe=True)
        doc_tags = doc.tags if with_tags else None
        for start, end in doc.sentence_bounds():
            if doc_tags is not None:
                toks = [f"{words[i]}|{doc_tags[i] or '-'}|{ner[i]}" for i in range(start, end)]
            elif with_tags:
                toks = [f"{words[i]}|-|{ner[i]}" for i in range(start, end)]
            else:
                toks = [f"{words[i]}|{ner[i]}" for i in range(start, end)]
            out.write(" ".join(toks))
            out.write("\n")


def _check_iob_values(values: list[str], k: int, what: str, *, pipe: bool = False) -> None:
    """Every value can be written as one field of a ``word|TAG|IOB`` token."""
    for i, value in enumerate(values):
        if not value or len(value.split()) != 1 or value.strip() != value or (pipe and "|" in value):
            raise UsageError(
                f"doc {k + 1}, token {i + 1}: the {what} {value!r} cannot be written in IOB "
                "(empty, holding whitespace" + (", or a '|')" if pipe else ")")
            )


def detect(head: list[str]) -> float:
    """How well the first lines of a file fit spaCy's IOB style (0-1)."""
    lines = [line for line in head if line.strip()]
    if not lines:
        return 0.0
    good = 0
    for line in lines:
        tokens = line.split()
        ok = sum(1 for t in tokens if "|" in t and _is_tag(t.rsplit("|", 1)[1]))
        if ok == len(tokens):
            good += 1
    ratio = good / len(lines)
    if ratio < 0.9:
        return 0.0
    many = sum(1 for line in lines if len(line.split()) > 1) / len(lines)
    return 0.9 if many > 0.5 else 0.6


@dataclass(frozen=True)
class IobOptions(ConverterOptions):
    """:func:`parse_iob`'s options."""

    scheme: str = "auto"


converter = Converter(
    name="iob",
    parse=parse_iob,
    write=write_iob,
    detect=detect,
    extensions=(".iob",),
    options_type=IobOptions,
    unit="sentence",
    resync="line",
    write_options=frozenset({"scheme", "tags"}),
    description="spaCy IOB: one sentence per line, tokens word|TAG|IOB or word|IOB",
)
