"""CoNLL-2003-style NER columns (``word [POS [chunk]] NER``): read and write them as Docs.

One token per line, columns separated by whitespace (or tabs, for words that hold a space), a
blank line between sentences, the entity tag (IOB1, IOB2, BILUO or BIOES) in the last column and
the part-of-speech tag in the second when there are more than two. Any line whose first column
is ``-DOCSTART-`` starts a new document and is never a token (spaCy only knows the exact line
``-DOCSTART- -X- O O``, its issue #10058), even when no blank line follows it (CoNLL-2002 Dutch).

- Without ``-DOCSTART-`` lines, every sentence is one Doc (``sent_starts`` set): grouping them
  (``convert -n``) is the job of :func:`corpuskit.transforms.group_sents`.
- With them, the sentences of one document are one Doc, marked with
  ``user_data[DOCSTART_KEY] = True``: such a Doc is a whole document and must not be merged
  with others (spaCy disables ``-n`` when a file has document delimiters). The sentences before
  the first ``-DOCSTART-`` are one document too (as in spaCy) when that line comes within the
  first 1000 sentences; later than that they have already been yielded one Doc each.
- The files hold no spacing, so every Doc has ``has_unknown_spaces``.
- Comment lines, whose first column is ``#`` and whose last column is not an entity tag, are
  skipped. GermEval 2014 files (a token index column counting from 1 in each sentence, two
  nested NER columns, usually ``#`` comment lines) are recognised from the first sentence: the
  outer layer (``ner_layer="outer"``) becomes the entities and the other layer the span group
  ``"ner_inner"`` (or ``"ner_outer"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from corpuskit.doc import Doc, Span
from corpuskit.errors import FormatError, UsageError
from corpuskit.registry import Converter, ConverterOptions
from corpuskit.tags import TagError, doc_to_tags, tags_to_ents

__all__ = ["DOCSTART", "DOCSTART_KEY", "converter", "detect", "parse_conll", "read_conll", "write_conll"]

#: The first column of a line that starts a new document.
DOCSTART = "-DOCSTART-"
#: ``Doc.user_data`` key set (to True) on a Doc that is a whole ``-DOCSTART-`` document.
DOCSTART_KEY = "corpuskit.docstart"

_TAG_PREFIXES = frozenset("BILUES")
#: Sentences held back at the start of a file in case a -DOCSTART- line follows them.
_LOOKAHEAD = 1000
# First characters of a line that may be a -DOCSTART- or comment line (or start with blanks).
_SPECIAL = frozenset("-# \t\ufeff")


def _is_tag(value: str) -> bool:
    return value == "O" or value == "-" or (len(value) > 2 and value[1] == "-" and value[0] in _TAG_PREFIXES)


class _Doc:
    """The sentences of the Doc being built."""

    __slots__ = ("docstart", "ents", "inner", "lines", "missing", "n_missing", "sent_starts", "tags", "words")

    def __init__(self, docstart: bool) -> None:
        self.docstart = docstart
        self.words: list[str] = []
        self.tags: list[str | None] = []
        self.lines: list[int] = []
        self.sent_starts: list[bool | None] = []
        self.ents: list[Span] = []
        self.inner: list[Span] = []
        self.missing: list[bool] = []
        self.n_missing = 0


def parse_conll(
    lines: Iterable[str],
    *,
    source: str | None = None,
    scheme: str = "auto",
    ner_layer: str = "outer",
) -> Iterator[Doc]:
    """Yield the Docs of CoNLL NER column lines (see the module docstring).

    ``scheme`` is the entity tag scheme (``auto``, ``IOB1``, ``IOB2``, ``BILUO``, ``BIOES``).
    Inconsistent column counts, malformed tags and tag sequences raise :class:`FormatError`
    with ``source`` and the physical line.
    """
    if ner_layer not in ("outer", "inner"):
        raise UsageError(f"ner_layer must be 'outer' or 'inner', got {ner_layer!r}")
    state = _State(source, scheme, ner_layer)
    doc = _Doc(docstart=False)
    special = _SPECIAL
    sent: list[str] = []  # raw lines of the sentence being read
    first_line = 0  # the line of sent[0]
    gaps: list[int] = []  # comment lines inside the sentence
    # Sentences held back until a -DOCSTART- shows they belong to one document (None: not any more).
    pending: list[_Doc] | None = []
    line_no = 0
    for line_no, raw in enumerate(lines, 1):
        if not raw or raw.isspace():
            if sent:
                state.add_sentence(doc, sent, _lines(first_line, len(sent), gaps))
                sent = []
                if gaps:
                    gaps = []
                if not state.grouping:
                    if pending is None:
                        yield state.make_doc(doc)
                    else:
                        pending.append(doc)
                        if len(pending) >= _LOOKAHEAD:
                            for one in pending:
                                yield state.make_doc(one)
                            pending = None
                    doc = _Doc(docstart=False)
            continue
        if raw[0] in special:
            fields = raw.split()
            first = fields[0]
            if first == DOCSTART:
                if sent:
                    state.add_sentence(doc, sent, _lines(first_line, len(sent), gaps))
                    sent = []
                    if gaps:
                        gaps = []
                if pending:
                    # the sentences before the first -DOCSTART- are a document too
                    if doc.words:
                        pending.append(doc)
                    doc = _merge(pending)
                pending = None
                if doc.words:
                    yield state.make_doc(doc)
                state.grouping = True
                doc = _Doc(docstart=True)
                continue
            if (
                first == "#"
                and (len(fields) == 1 or not _is_tag(fields[-1]))
                and (len(fields) != state.ncols or not sent)
            ):
                state.seen_comment = True
                if sent:
                    gaps.append(line_no)
                continue
        if not sent:
            first_line = line_no
        sent.append(raw)
    if sent:
        state.add_sentence(doc, sent, _lines(first_line, len(sent), gaps))
    for one in pending or ():
        yield state.make_doc(one)
    if doc.words:
        yield state.make_doc(doc)


def _merge(docs: list[_Doc]) -> _Doc:
    """One document made of the sentences of ``docs``."""
    out = _Doc(docstart=True)
    for d in docs:
        offset = len(out.words)
        out.words.extend(d.words)
        out.tags.extend(d.tags)
        out.lines.extend(d.lines)
        out.sent_starts.extend(d.sent_starts)
        out.ents.extend(Span(sp.start + offset, sp.end + offset, sp.label) for sp in d.ents)
        out.inner.extend(Span(sp.start + offset, sp.end + offset, sp.label) for sp in d.inner)
        out.missing.extend(d.missing)
        out.n_missing += d.n_missing
    return out


def _lines(first: int, n: int, gaps: list[int]) -> list[int]:
    """The physical lines of ``n`` token lines from ``first`` on, skipping the comment ``gaps``."""
    if not gaps:
        return list(range(first, first + n))
    skip = set(gaps)
    return [k for k in range(first, first + n + len(gaps)) if k not in skip]


class _State:
    """What a file has shown so far: its columns, its layout, its tag scheme."""

    __slots__ = (
        "first_token_line",
        "germeval",
        "grouping",
        "ncols",
        "ner_col",
        "ner_layer",
        "other_col",
        "scheme",
        "seen_comment",
        "source",
        "tag_col",
        "word_col",
    )

    def __init__(self, source: str | None, scheme: str, ner_layer: str) -> None:
        self.source = source
        self.scheme = scheme
        self.ner_layer = ner_layer
        self.ncols = 0
        self.first_token_line = 0
        self.germeval = False
        self.seen_comment = False
        self.grouping = False
        self.word_col = 0
        self.tag_col = -1
        self.ner_col = -1
        self.other_col = -1

    def _columns(self, raw: str, fields: list[str], line: int, rows: list[list[str]]) -> list[str]:
        """Fix the file's columns from its first sentence (or check a later line against them)."""
        n = len(fields)
        if self.ncols == 0:
            if "\t" in raw:
                tab_fields = raw.strip().split("\t")
                if len(tab_fields) != n and all(tab_fields):
                    fields, n = tab_fields, len(tab_fields)
            if n < 2:
                raise FormatError(
                    f"expected at least 2 columns (word and entity tag), got 1: {raw.rstrip()!r}",
                    path=self.source,
                    line=line,
                )
            self.ncols = n
            self.first_token_line = line
            # GermEval 2014: "1 word OUTER INNER", the index counting the sentence's tokens
            self.germeval = (
                n == 4
                and (self.seen_comment or len(rows) > 1)
                and all(
                    len(r) == 4 and r[0] == str(k) and _is_tag(r[2]) and _is_tag(r[3])
                    for k, r in enumerate([fields, *rows[1:]], 1)
                )
            )
            if self.germeval:
                self.word_col = 1
                self.ner_col, self.other_col = (2, 3) if self.ner_layer == "outer" else (3, 2)
            else:
                self.ner_col = n - 1
                self.tag_col = 1 if n > 2 else -1
            return fields
        if "\t" in raw:
            tab_fields = raw.strip().split("\t")
            if len(tab_fields) == self.ncols:
                return tab_fields  # a tab-separated line whose word holds a space
        raise FormatError(
            f"expected {self.ncols} columns as on line {self.first_token_line}, got {n}: {raw.rstrip()!r}",
            path=self.source,
            line=line,
        )

    def _decode(
        self, tags: Sequence[str], lines: list[int], scheme: str
    ) -> tuple[list[Span], list[bool] | None]:
        try:
            return tags_to_ents(tags, scheme)
        except TagError as e:
            raise FormatError(
                e.detail, path=self.source, line=lines[e.index], check="invalid-tag-sequence"
            ) from None

    def add_sentence(self, doc: _Doc, sent: list[str], lines: list[int]) -> None:
        rows = [r.split() for r in sent]
        if self.ncols == 0:
            rows[0] = self._columns(sent[0], rows[0], lines[0], rows)
        ncols = self.ncols
        if len(set(map(len, rows))) != 1 or len(rows[0]) != ncols:
            for k, row in enumerate(rows):
                if len(row) != ncols:
                    rows[k] = self._columns(sent[k], row, lines[k], rows)
        cols = list(zip(*rows, strict=True))
        ner = cols[self.ner_col]
        spans, missing = self._decode(ner, lines, self.scheme)
        if self.scheme == "auto" and (uniq := set(ner)) != {"O"}:
            prefixes = {t[:2] for t in uniq if t}
            # a file is written in one scheme: once L-/U- (or E-/S-) appear, read it strictly
            if "L-" in prefixes or "U-" in prefixes:
                self.scheme = "BILUO"
            elif "E-" in prefixes or "S-" in prefixes:
                self.scheme = "BIOES"
        offset = len(doc.words)
        n = len(rows)
        if self.germeval:
            inner, _ = self._decode(cols[self.other_col], lines, "auto")
            doc.inner.extend(Span(sp.start + offset, sp.end + offset, sp.label) for sp in inner)
        if offset:
            spans = [Span(sp.start + offset, sp.end + offset, sp.label) for sp in spans]
        doc.ents.extend(spans)
        if missing is not None:
            doc.n_missing += sum(missing)
            doc.missing.extend(missing)
        else:
            doc.missing.extend([False] * n)
        doc.words.extend(cols[self.word_col])
        if self.tag_col >= 0:
            doc.tags.extend(cols[self.tag_col])
        doc.lines.extend(lines)
        doc.sent_starts.append(True)
        doc.sent_starts.extend([False] * (n - 1))

    def make_doc(self, doc: _Doc) -> Doc:
        out = Doc(
            words=doc.words,
            spaces=None,
            tags=doc.tags if self.tag_col >= 0 else None,
            sent_starts=doc.sent_starts,
            ents=doc.ents,
            ents_missing=doc.missing if doc.n_missing else None,
            source=self.source,
            lines=doc.lines,
        )
        if self.germeval:
            out.spans["ner_inner" if self.ner_layer == "outer" else "ner_outer"] = doc.inner
        if doc.docstart:
            out.user_data[DOCSTART_KEY] = True
        return out


def read_conll(path: str, *, encoding: str = "utf-8", scheme: str = "auto") -> Iterator[Doc]:
    """Yield the Docs of a CoNLL NER file."""
    from corpuskit.io import read_lines

    return parse_conll(read_lines(path, encoding=encoding), source=str(path), scheme=scheme)


def write_conll(
    docs: Iterable[Doc],
    out: IO[str],
    *,
    scheme: str = "iob2",
    docstart: bool | None = None,
    tags: bool | None = None,
) -> None:
    """Write Docs as CoNLL NER columns: ``word TAG NER`` (or ``word NER`` without tags).

    ``scheme``: the entity tags written (``iob2``, ``iob1``, ``biluo``, ``bioes``); a token whose
    entity annotation is missing gets ``-``. ``tags``: write the tag column (default: when the
    first doc has tags; a missing tag is ``-``). ``docstart``: write ``-DOCSTART-`` before each
    doc (default: before docs that came from a ``-DOCSTART-`` document or hold several
    sentences). Sentences are separated by a blank line. Columns are separated by a space, or by
    tabs on a line whose word holds a space.
    """
    with_tags = tags
    write = out.write
    for k, doc in enumerate(docs):
        if with_tags is None:
            with_tags = doc.tags is not None
        ner = doc_to_tags(doc, scheme)
        bounds = doc.sentence_bounds()
        if docstart or (docstart is None and (doc.user_data.get(DOCSTART_KEY) or len(bounds) > 1)):
            write("-DOCSTART- -X- O\n\n" if with_tags else "-DOCSTART- O\n\n")
        doc_tags = doc.tags if with_tags else None
        words = doc.words
        for start, end in bounds:
            rows = []
            for i in range(start, end):
                if doc_tags is not None:
                    fields = [words[i], doc_tags[i] or "-", ner[i]]
                elif with_tags:
                    fields = [words[i], "-", ner[i]]
                else:
                    fields = [words[i], ner[i]]
                row = " ".join(fields)
                if len(row.split()) != len(fields):
                    row = _tab_row(fields, k, i)
                rows.append(row)
            write("\n".join(rows))
            write("\n\n")


def _tab_row(fields: list[str], k: int, i: int) -> str:
    """A row whose fields hold spaces, separated by tabs (or an error if even that cannot work)."""
    for value in fields:
        if not value or value.strip() != value or "\t" in value or "\n" in value or "\r" in value:
            raise UsageError(
                f"doc {k + 1}, token {i + 1}: {value!r} cannot be written as a CoNLL column "
                "(empty, or with whitespace at an edge, a tab or a line break)"
            )
    return "\t".join(fields)


def detect(head: list[str]) -> float:
    """How well the first lines of a file fit CoNLL NER columns (0-1)."""
    token_lines = 0
    tagged = 0
    counts: set[int] = set()
    docstart = False
    for line in head:
        fields = line.split()
        if not fields:
            continue
        if fields[0] == DOCSTART:
            docstart = True
            continue
        if fields[0] == "#" and not _is_tag(fields[-1]):
            continue
        if "|" in line and len(fields) > 2 and all(f.count("|") >= 1 for f in fields[:3]):
            return 0.0  # spaCy IOB style: word|TAG|IOB tokens on one line
        token_lines += 1
        counts.add(len(fields))
        if len(fields) >= 2 and _is_tag(fields[-1]):
            tagged += 1
    if not token_lines:
        return 0.3 if docstart else 0.0
    ratio = tagged / token_lines
    if ratio < 0.9 or min(counts) < 2:
        return 0.0
    score = 0.7 if len(counts) == 1 else 0.4
    return min(1.0, score + (0.3 if docstart else 0.1))


@dataclass(frozen=True)
class ConllOptions(ConverterOptions):
    """:func:`parse_conll`'s options."""

    scheme: str = "auto"
    ner_layer: str = "outer"


converter = Converter(
    name="conll",
    parse=parse_conll,
    write=write_conll,
    detect=detect,
    extensions=(".conll", ".ner", ".conll2003", ".bio"),
    options_type=ConllOptions,
    unit="sentence",
    resync="block",
    write_options=frozenset({"scheme", "docstart", "tags"}),
    description="CoNLL-2003-style NER columns: word [POS [chunk]] IOB, blank line between sentences",
)
