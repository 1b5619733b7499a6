"""Writing Docs as CoNLL-U: a sentence read from CoNLL-U comes back as it was read (its round-trip
data, :mod:`converters.conllu.roundtrip`); any other gets its columns from its annotation."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import IO, Any

from corpuskit import Doc
from corpuskit.errors import UsageError

from .base import TEXT
from .roundtrip import mwt_of, sentence_entries, surface_text

__all__ = ["write_conllu"]


def _check_writable(doc: Doc, doc_no: int) -> None:
    """A word or lemma with a tab or line break cannot be a CoNLL-U field."""
    for name, values in (("word", doc.words), ("lemma", doc.lemmas)):
        if not values:
            continue
        joined = "".join(v for v in values if v)
        if "\t" in joined or "\n" in joined or "\r" in joined:
            i, bad = next((i, v) for i, v in enumerate(values) if v and ("\t" in v or "\n" in v or "\r" in v))
            raise UsageError(
                f"cannot write CoNLL-U: doc {doc_no} token {i} has the {name} {bad!r}; "
                "expected no tabs or line breaks in a CoNLL-U field"
            )


# a character no CoNLL-U line may hold (tabs separate its columns, so a field holds none either):
# line breaks (also the Unicode ones), C0/C1 control characters and DEL; a terminal or editor
# reading the file would act on them
_UNWRITABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_UNWRITABLE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")  # lines joined by \n
_FIELDS = ("ID", "FORM", "LEMMA", "UPOS", "XPOS", "FEATS", "HEAD", "DEPREL", "DEPS", "MISC")


def _refuse_token(doc_no: int, i: int, values: tuple[str, ...]) -> None:
    """The field of a token line that holds a tab, a line break or a control character."""
    column = next(k for k, v in enumerate(values) if "\t" in v or _UNWRITABLE.search(v))
    name, value = _FIELDS[column], values[column]
    raise UsageError(
        f"cannot write CoNLL-U: doc {doc_no} token {i}: {name} {value!r} holds a tab, line break "
        "or control character, which no CoNLL-U field can hold (a label from another tool?); "
        "fix the label, or write another format"
    )


def _refuse_lines(lines: list[str], doc_no: int, sent_no: int) -> None:
    """A comment (or other kept line) of sentence ``sent_no`` that holds a line break or a
    control character (tabs are allowed: a comment is not split into columns)."""
    bad = next((line for line in lines if _UNWRITABLE.search(line)), "\n".join(lines))
    raise UsageError(
        f"cannot write CoNLL-U: doc {doc_no}, sentence {sent_no}: the line {bad!r} holds a line break "
        "or control character; expected one line without control characters"
    )


def write_conllu(docs: Iterable[Doc], out: IO[str]) -> None:
    """Write Docs as CoNLL-U, one block per sentence.

    Sentences read from CoNLL-U come back as they were read (comments, multiword-token lines,
    empty nodes, DEPS, MISC, raw XPOS and FEATS). Other Docs get ``# sent_id`` and ``# text``
    comments, columns from their annotation (``_`` where unknown), ``SpaceAfter=No`` and
    ``NE=B-LABEL``/``NE=I-LABEL`` entity tags in MISC. A value that CoNLL-U cannot hold (a tab,
    a line break or a control character in a word, label, tag, relation or kept comment) is a
    :class:`UsageError` naming the doc and token, never a corrupt file.
    """
    _write_docs(docs, out.write)


def _discard(text: str) -> None:
    pass


def _write_docs(
    docs: Iterable[Doc],
    write: Callable[[str], object],
    *,
    strict: bool = False,
    doc_no0: int = 0,
    sent_no0: int = 0,
) -> None:
    """:func:`write_conllu`'s loop. A sentence that fails the cheap whole-sentence check is
    written again with ``strict`` checks of each token line, which name the bad field."""
    sent_no = sent_no0
    for doc_no, doc in enumerate(docs, start=doc_no0):
        doc_sent0 = sent_no
        _check_writable(doc, doc_no)
        cols = _Columns(doc)
        for start, end, entry in sentence_entries(doc, doc_no):
            sent_no += 1
            buf = _header(cols, start, end, entry, sent_no)
            toks = _token_lines(cols, start, end, entry, buf, doc_no, strict)
            if entry is None or not entry.get("noblank"):
                buf.append("")
            if entry is not None:
                buf.extend(entry.get("tail", ()))
            text = "\n".join(buf)
            if (
                _UNWRITABLE_TEXT.search(text)
                or text.count("\n") != len(buf) - 1
                or "".join(toks).count("\t") != 9 * len(toks)
            ):
                if strict:
                    _refuse_lines(buf, doc_no, sent_no)
                _write_docs([doc], _discard, strict=True, doc_no0=doc_no, sent_no0=doc_sent0)
            write(text)
            write("\n")


class _Columns:
    """A Doc's token columns as the writer reads them."""

    __slots__ = ("deps", "doc", "heads", "iob", "lemmas", "morphs", "pos", "spaces", "tags", "types", "words")

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.words = doc.words
        self.spaces = doc.spaces or [True] * len(doc.words)
        self.lemmas = doc.lemmas
        self.pos = doc.pos
        self.tags = doc.tags
        self.morphs = doc.morphs
        self.heads = doc.heads
        self.deps = doc.deps
        self.iob = doc.ent_iob() if doc.ents is not None else None
        self.types = doc.ent_types() if doc.ents is not None else None


def _header(cols: _Columns, start: int, end: int, entry: dict[str, Any] | None, sent_no: int) -> list[str]:
    """A sentence's comment lines: kept ones (its ``# text`` rebuilt where it was dropped as the
    words' own), else ``# sent_id`` and ``# text``."""
    words, spaces = cols.words, cols.spaces
    if entry is None:
        text = "".join(
            w + (" " if s else "") for w, s in zip(words[start:end], spaces[start:end], strict=True)
        ).rstrip(" ")
        return [f"# sent_id = {sent_no}", f"# text = {text}"]
    comments = entry.get("comments", ())
    if None in comments:
        mwt = mwt_of(entry.get("extra", ()))
        text = TEXT + surface_text(words[start:end], spaces[start:end], mwt)
        return [text if c is None else c for c in comments]
    return list(comments)


def _token_lines(
    cols: _Columns,
    start: int,
    end: int,
    kept: dict[str, Any] | None,
    buf: list[str],
    doc_no: int,
    strict: bool,
) -> list[str]:
    """Append a sentence's word lines (and its kept multiword-token and empty-node lines) to
    ``buf``; returns the word lines, whose tabs the caller counts."""
    words, lemmas, pos, tags, morphs, heads, deps = (
        cols.words,
        cols.lemmas,
        cols.pos,
        cols.tags,
        cols.morphs,
        cols.heads,
        cols.deps,
    )
    entry = kept or {}
    toks: list[str] = []
    extra = entry.get("extra", ())
    n_extra = len(extra)
    e_i = 0
    xpos = entry.get("xpos")
    feats = entry.get("feats")
    dcol = entry.get("deps")
    misc = entry.get("misc", ["_"] * (end - start)) if kept is not None else None
    head_fix = dict(map(tuple, entry.get("head", ())))
    deprel_fix = dict(map(tuple, entry.get("deprel", ())))
    lemma_col = entry.get("lemma")
    upos_col = entry.get("upos")
    for i in range(start, end):
        k = i - start
        while e_i < n_extra and extra[e_i][0] == k:
            buf.append(extra[e_i][1])
            e_i += 1
        lemma = lemma_col[k] if lemma_col is not None else (lemmas[i] if lemmas is not None else None) or "_"
        upos = upos_col[k] if upos_col is not None else (pos[i] if pos is not None else None) or "_"
        tag = xpos[k] if xpos is not None else ((tags[i] if tags is not None else None) or "_")
        feat = feats[k] if feats is not None else ((morphs[i] if morphs is not None else None) or "_")
        head = head_fix[k] if k in head_fix else _head(heads, i, start, end, words)
        if k in deprel_fix:
            dep = deprel_fix[k]
        else:
            dep = (deps[i] if deps is not None else None) or "_"
            if dep == "ROOT":
                dep = "root"
        m = misc[k] if misc is not None else _misc(cols, i)
        dc = dcol[k] if dcol is not None else "_"
        line = f"{k + 1}\t{words[i]}\t{lemma}\t{upos}\t{tag}\t{feat}\t{head}\t{dep}\t{dc}\t{m}"
        if strict and (line.count("\t") != 9 or _UNWRITABLE.search(line)):
            _refuse_token(doc_no, i, (str(k + 1), words[i], lemma, upos, tag, feat, head, dep, dc, m))
        buf.append(line)
        toks.append(line)
    while e_i < n_extra:
        buf.append(extra[e_i][1])
        e_i += 1
    return toks


def _head(heads: list[int | None] | None, i: int, start: int, end: int, words: list[str]) -> str:
    """Token ``i``'s HEAD column: "0" for a root, "_" where unknown."""
    h = heads[i] if heads is not None else None
    if h is None:
        return "_"
    if h == i:
        return "0"
    if start <= h < end:
        return str(h - start + 1)
    raise UsageError(
        f"cannot write CoNLL-U: token {i} ({words[i]!r}) has its head at token {h}, "
        f"outside its sentence (tokens {start} to {end - 1})"
    )


def _misc(cols: _Columns, i: int) -> str:
    """Token ``i``'s MISC column, made from its annotation: SpaceAfter=No, NE=B-LABEL."""
    parts = []
    if not cols.spaces[i] and not cols.doc.has_unknown_spaces:
        parts.append("SpaceAfter=No")
    iob, types = cols.iob, cols.types
    if iob is not None and types is not None and iob[i] in ("B", "I"):
        parts.append(f"NE={iob[i]}-{types[i]}")
    return "|".join(parts) or "_"
