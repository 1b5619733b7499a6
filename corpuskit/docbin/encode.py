"""Docs to the columns of a DocBin: one function per attribute family, every string hashed once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt

from ..doc import PROVENANCE_KEY, Doc, sent_starts_from_parse
from ..errors import DocBinError
from ..strings import UPOS
from .format import (
    DEP,
    EMPTY_MAP,
    EMPTY_MORPH,
    EMPTY_SPAN_GROUPS,
    ENT_ID,
    ENT_IOB,
    ENT_KB_ID,
    ENT_TYPE,
    HEAD,
    LEMMA,
    MORPH,
    NORM,
    ORTH,
    POS,
    SENT_START,
    SPAN_STRUCT,
    TAG,
    U64,
    Chunk,
    pack,
)
from .ids import StringIds

__all__ = ["encode"]

_POS_IDS: dict[str | None, int] = {None: 0, "": 0}
_POS_IDS.update(UPOS)
_SENT_START_IDS: dict[bool | None, int] = {True: 1, False: -1, None: 0}
_NONE_IS_MINUS_ONE: dict[Any, int] = {None: -1}


@dataclass(slots=True)
class _Layout:
    """Where each doc's tokens lie in the columns of a batch."""

    docs: Sequence[Doc]
    lengths_list: list[int]
    n: int
    lengths: npt.NDArray[np.int32]
    doc_starts: npt.NDArray[np.int64]  # the first token of each doc
    tok_doc: npt.NDArray[np.int64]  # the doc of each token
    local: npt.NDArray[np.int64]  # each token's index in its doc

    @classmethod
    def of(cls, docs: Sequence[Doc]) -> _Layout:
        lengths_list = [len(d.words) for d in docs]
        n = sum(lengths_list)
        lengths = np.asarray(lengths_list, dtype=np.int32)
        doc_starts = np.zeros(len(docs), dtype=np.int64)
        if len(docs) > 1:
            np.cumsum(lengths[:-1], out=doc_starts[1:])
        tok_doc = np.repeat(np.arange(len(docs)), lengths)
        local = np.arange(n, dtype=np.int64) - doc_starts[tok_doc]
        return cls(docs, lengths_list, n, lengths, doc_starts, tok_doc, local)

    def flat(self, name: str) -> list[Any] | None:
        """One attribute of every doc, flattened (None per token where a doc lacks it); None if
        no doc has it."""
        values = [getattr(d, name) for d in self.docs]
        if all(v is None for v in values):
            return None
        return list(
            chain.from_iterable(
                v if v is not None else repeat(None, n)
                for v, n in zip(values, self.lengths_list, strict=True)
            )
        )

    def span(self, i: int) -> tuple[int, int]:
        """The token range of doc ``i``."""
        a = int(self.doc_starts[i])
        return a, a + self.lengths_list[i]


def encode(
    docs: Sequence[Doc],
    attrs: Sequence[int],
    store_user_data: bool,
    ids: StringIds | None = None,
) -> Chunk:
    """The columns of ``docs``: every string hashed once, the token matrix built with numpy.

    The strings table is what spaCy's ``DocBin.add`` puts in: text, tag_, lemma_, norm_,
    str(morph), dep_, ent_type_, ent_kb_id_, ent_id_ of every token, label, kb_id, id of every
    span (and "" where some token has an empty value).
    """
    ids = StringIds() if ids is None else ids
    ids.trim()
    layout = _Layout.of(docs)
    strings = _span_strings(docs)
    ids.add(strings)
    cols = _text_columns(layout, ids, strings)
    cols[POS] = _pos_column(layout)
    rel = _head_column(layout, cols)
    strings.update(ids.strings(cols[ORTH], cols[TAG], cols[LEMMA], cols[NORM], cols[DEP]))
    cols[SENT_START] = _sent_start_column(layout, rel, cols[DEP])
    cols.update(_entity_columns(layout, ids, strings))
    empty = (TAG, LEMMA, NORM, DEP, ENT_TYPE, ENT_KB_ID, ENT_ID, MORPH)
    if any((cols[c] == 0).any() for c in empty) or (cols[MORPH] == EMPTY_MORPH).any():
        strings.add("")  # str(morph) is "" for unset and empty analyses
    matrix = np.empty((layout.n, len(attrs)), dtype=np.uint64)
    for j, a in enumerate(attrs):
        matrix[:, j] = cols[a]
    spaces = np.fromiter(
        chain.from_iterable(d.spaces if d.spaces is not None else repeat(True, len(d.words)) for d in docs),
        dtype=bool,
        count=layout.n,
    )
    user_data = _user_data(docs) if store_user_data else []
    return Chunk(
        attrs=list(attrs),
        tokens=matrix,
        spaces=spaces,
        lengths=layout.lengths,
        strings=strings,
        cats=[d.cats for d in docs],
        flags=[{"has_unknown_spaces": d.has_unknown_spaces} for d in docs],
        span_groups=[_span_group_bytes(d, ids.ids) for d in docs],
        user_data=user_data,
    )


def _text_columns(layout: _Layout, ids: StringIds, strings: set[str]) -> dict[int, U64]:
    """ORTH, TAG, LEMMA, NORM, DEP and MORPH: the IDs of their strings (MORPH's in spaCy's form)."""
    zeros = np.zeros(layout.n, dtype=np.uint64)
    cols: dict[int, U64] = {}
    cols[ORTH] = ids.column(list(chain.from_iterable(d.words for d in layout.docs)))
    if layout.n and not cols[ORTH].all():
        t = int(np.flatnonzero(cols[ORTH] == 0)[0])
        raise DocBinError(
            f"doc {int(layout.tok_doc[t])}: token {int(layout.local[t])} is an empty string; spaCy "
            "cannot load an empty token (its error E031)"
        )
    for attr, name in ((TAG, "tags"), (LEMMA, "lemmas"), (NORM, "norms"), (DEP, "deps")):
        values = layout.flat(name)
        cols[attr] = zeros if values is None else ids.column(values)
    raw_morphs = layout.flat("morphs")
    cols[MORPH] = zeros if raw_morphs is None else ids.morph_column(raw_morphs)
    strings.update(m for m in ids.strings(cols[MORPH]) if m != "_")
    return cols


def _pos_column(layout: _Layout) -> U64:
    """POS: the IDs of the universal POS tags (spaCy's symbols)."""
    pos_list = layout.flat("pos")
    if pos_list is None:
        return np.zeros(layout.n, dtype=np.uint64)
    try:
        return np.fromiter(map(_POS_IDS.__getitem__, pos_list), np.uint64, layout.n)
    except KeyError as e:
        raise DocBinError(
            f"Doc.pos has {e.args[0]!r}, expected a universal POS tag ({', '.join(UPOS)})"
        ) from None


def _head_column(layout: _Layout, cols: dict[int, U64]) -> npt.NDArray[np.int64]:
    """HEAD (relative, signed, as uint64 two's complement; None -> 0) into ``cols``; a missing
    head keeps no DEP label. Returns the relative heads."""
    n, local, tok_doc = layout.n, layout.local, layout.tok_doc
    heads_list = layout.flat("heads")
    if heads_list is None:
        head_abs = np.full(n, -1, dtype=np.int64)
    else:
        get = _NONE_IS_MINUS_ONE.get
        head_abs = np.fromiter(map(get, heads_list, heads_list), dtype=np.int64, count=n)
    known = head_abs >= 0
    rel = np.where(known, head_abs - local, 0)
    if n:
        bad = known & ((head_abs >= layout.lengths.astype(np.int64)[tok_doc]) | (head_abs < 0))
        if bad.any():
            t = int(np.flatnonzero(bad)[0])
            di = int(tok_doc[t])
            raise DocBinError(
                f"doc {di}: head {int(head_abs[t])} of token {int(local[t])} is outside the doc's "
                f"{layout.lengths_list[di]} tokens"
            )
    cols[HEAD] = rel.astype(np.uint64)
    if heads_list is not None:
        # A missing head keeps no label: DEP 0 is spaCy's only way to say "no head" (a label with
        # HEAD 0 reads back as a root, and a false sentence start).
        has_parse = np.fromiter((d.heads is not None for d in layout.docs), bool, len(layout.docs))
        unlabelled = np.repeat(has_parse, layout.lengths) & ~known & (cols[DEP] != 0)
        if unlabelled.any():
            cols[DEP] = np.where(unlabelled, np.uint64(0), cols[DEP])
    return rel


def _sent_start_column(layout: _Layout, rel: npt.NDArray[np.int64], dep_col: U64) -> U64:
    """SENT_START: the given values; else, where a doc has a parse, derived from it as spaCy does."""
    ss_list = layout.flat("sent_starts")
    if ss_list is None:
        sent = np.zeros(layout.n, dtype=np.int64)
    else:
        sent = np.fromiter(map(_SENT_START_IDS.__getitem__, ss_list), dtype=np.int64, count=layout.n)
    for i, d in enumerate(layout.docs):
        if d.sent_starts is not None or not layout.lengths_list[i]:
            continue
        a, b = layout.span(i)
        if d.deps is not None and dep_col[a:b].any():
            sent[a:b] = sent_starts_from_parse(rel[a:b].tolist(), dep_col[a:b].tolist())
        else:
            sent[a] = 1  # spaCy marks the first token of every doc (its issue #2869)
    column: U64 = sent.astype(np.uint64)
    return column


def _entity_columns(layout: _Layout, ids: StringIds, strings: set[str]) -> dict[int, U64]:
    """ENT_IOB, ENT_TYPE, ENT_KB_ID and ENT_ID: per-span lists, then the token columns with numpy."""
    n, docs = layout.n, layout.docs
    ent_docs = [i for i, d in enumerate(docs) if d.ents is not None]
    starts_l: list[int] = []
    ends_l: list[int] = []
    fields: tuple[list[str], list[str], list[str]] = ([], [], [])
    for i in ent_docs:
        base = int(layout.doc_starts[i])
        for s in docs[i].ents or ():
            if s.end > s.start:
                starts_l.append(base + s.start)
                ends_l.append(base + s.end)
                fields[0].append(s.label)
                fields[1].append(s.kb_id)
                fields[2].append(s.id)
    iob = np.zeros(n, dtype=np.uint64)
    for i in ent_docs:
        a, b = layout.span(i)
        iob[a:b] = 2
        missing = docs[i].ents_missing
        if missing is not None:
            iob[a:b][np.asarray(missing, dtype=bool)] = 0
    out = {ENT_TYPE: np.zeros(n, dtype=np.uint64), ENT_KB_ID: np.zeros(n, dtype=np.uint64)}
    out[ENT_ID] = np.zeros(n, dtype=np.uint64)
    if starts_l:
        starts = np.asarray(starts_l, dtype=np.int64)
        span_len = np.asarray(ends_l, dtype=np.int64) - starts
        first = np.zeros(len(starts), dtype=np.int64)
        np.cumsum(span_len[:-1], out=first[1:])
        idx = np.repeat(starts, span_len) + (np.arange(int(span_len.sum())) - np.repeat(first, span_len))
        iob[idx] = 1
        iob[starts] = 3
        for values, attr in zip(fields, (ENT_TYPE, ENT_KB_ID, ENT_ID), strict=True):
            out[attr][idx] = np.repeat(ids.column(values), span_len)
            strings.update(values)
    out[ENT_IOB] = iob
    return out


def _span_strings(docs: Sequence[Doc]) -> set[str]:
    """The labels, KB IDs and IDs of every span group's spans."""
    strings: set[str] = set()
    for d in docs:
        for group in d.spans.values():
            for s in group:
                strings.add(s.label)
                strings.add(s.kb_id)
                strings.add(s.id)
    return strings


def _span_group_bytes(doc: Doc, ids: dict[str | None, int]) -> bytes:
    """A doc's span groups as spaCy packs them: each group's msgpack, keyed by its names."""
    if not doc.spans:
        return EMPTY_SPAN_GROUPS
    offsets = doc.token_offsets()
    text_len = len(doc.text)
    n = len(doc.words)
    msg: dict[bytes, list[str]] = {}
    for name, group in doc.spans.items():
        packed = []
        for s in group:
            if s.start < 0 or s.end > n:
                raise DocBinError(
                    f"Doc.spans[{name!r}] has span {s.start}:{s.end} outside the doc's {n} tokens"
                )
            start_char = offsets[s.start][0] if s.start < n else text_len
            end_char = offsets[s.end - 1][1] if s.end > s.start else start_char
            values = (ids[s.id], ids[s.kb_id], ids[s.label], s.start, s.end, start_char, end_char)
            packed.append(SPAN_STRUCT.pack(*values))
        group_bytes = pack({"name": name, "attrs": {}, "spans": packed})
        msg.setdefault(group_bytes, []).append(name)
    return pack(msg)


def _user_data(docs: Sequence[Doc]) -> list[bytes | None]:
    """Each doc's user_data as msgpack, with its provenance (file and lines) in it."""
    out: list[bytes | None] = []
    packer = msgpack.Packer(use_bin_type=True)
    for d in docs:
        ud = d.user_data
        if d.source is not None or d.lines is not None:
            ud = dict(ud)
            ud[PROVENANCE_KEY] = d.provenance
        elif not ud:
            out.append(EMPTY_MAP)
            continue
        try:
            out.append(packer.pack(ud))
        except (TypeError, ValueError, OverflowError) as e:
            packer.reset()
            line = d.lines[0] if d.lines else None
            raise DocBinError(
                f"the doc's user_data cannot be stored in a DocBin (msgpack): {e}",
                path=d.source,
                line=line,
            ) from None
    return out
