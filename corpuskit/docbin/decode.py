"""Columns to Docs: a DocBin decoded block by block, one function per attribute family."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt

from ..doc import PROVENANCE_KEY, Doc, Span, lines_from_runs
from ..errors import DocBinError
from ..strings import UPOS_NAMES
from . import format as fmt
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
)
from .lookup import Lookup
from .parse import unpack_user_data

__all__ = ["decode"]

_POS_MAX = max(UPOS_NAMES)
_POS_NAMES = np.array([UPOS_NAMES.get(i) for i in range(_POS_MAX + 1)], dtype=object)
_POS_VALID = np.array([i == 0 or i in UPOS_NAMES for i in range(_POS_MAX + 1)], dtype=bool)

#: A decoded column (None: no token has it) and, per doc, whether the doc has it.
_Column = tuple[list[Any] | None, list[bool]]


def decode(chunk: Chunk) -> Iterator[Doc]:
    """The Docs of a chunk; any damage is a :class:`DocBinError` naming its file."""
    try:
        yield from _decode_docs(chunk)
    except DocBinError:
        raise
    except (KeyError, ValueError, TypeError, IndexError, OverflowError, AttributeError) as e:
        raise DocBinError(f"bad DocBin: {type(e).__name__}: {e}", path=chunk.path) from None


def _decode_docs(chunk: Chunk) -> Iterator[Doc]:
    """The Docs of a chunk, decoded block by block (memory bounded by the block, not the file)."""
    lookup = Lookup(chunk.strings, chunk.path)
    lengths = chunk.lengths.astype(np.int64)
    if len(chunk.tokens) <= fmt.BATCH_TOKENS:
        yield from _decode_block(chunk, lookup)
        return
    doc_start = 0
    tok_start = 0
    for batch_end, n_tok in _block_ends(lengths, fmt.BATCH_TOKENS):
        tok_end = tok_start + n_tok
        block = Chunk(
            attrs=chunk.attrs,
            tokens=chunk.tokens[tok_start:tok_end],
            spaces=chunk.spaces[tok_start:tok_end],
            lengths=chunk.lengths[doc_start:batch_end],
            strings=chunk.strings,
            cats=chunk.cats[doc_start:batch_end],
            flags=chunk.flags[doc_start:batch_end],
            span_groups=chunk.span_groups[doc_start:batch_end],
            user_data=chunk.user_data[doc_start:batch_end],
            path=chunk.path,
        )
        yield from _decode_block(block, lookup)
        doc_start, tok_start = batch_end, tok_end


def _block_ends(lengths: npt.NDArray[np.int64], block_tokens: int) -> Iterator[tuple[int, int]]:
    """``(end doc, tokens)`` of consecutive blocks of docs with about ``block_tokens`` tokens each."""
    start = 0
    n = 0
    for i, k in enumerate(lengths.tolist()):
        if n and n + k > block_tokens:
            yield i, n
            start, n = i, 0
        n += k
    if start < len(lengths):
        yield len(lengths), n


class _Block:
    """The token columns of a block of docs and where each doc's tokens lie."""

    def __init__(self, chunk: Chunk, lookup: Lookup) -> None:
        self.chunk = chunk
        self.lookup = lookup
        self.path = chunk.path
        self.n = len(chunk.tokens)
        self.n_docs = len(chunk.lengths)
        self.lengths = chunk.lengths.astype(np.int64)
        starts = np.zeros(self.n_docs, dtype=np.int64)
        if self.n_docs > 1:
            np.cumsum(self.lengths[:-1], out=starts[1:])
        self.starts = starts
        self.ends = starts + self.lengths
        self.starts_l: list[int] = starts.tolist()
        self.ends_l: list[int] = self.ends.tolist()
        self.zero = np.zeros(self.n, dtype=np.uint64)

    def col(self, attr: int) -> U64 | None:
        if attr in self.chunk.attrs:
            c: U64 = self.chunk.tokens[:, self.chunk.attrs.index(attr)]
            return c
        return None

    def per_doc_any(self, mask: npt.NDArray[np.bool_]) -> list[bool]:
        """Per doc: whether ``mask`` is set on any of its tokens."""
        c = np.zeros(len(mask) + 1, dtype=np.int64)
        np.cumsum(mask, out=c[1:])
        out: list[bool] = ((c[self.ends] - c[self.starts]) > 0).tolist()
        return out

    def none(self) -> list[bool]:
        return [False] * self.n_docs

    def strings(self, attr: int, name: str, overrides: dict[int, str] | None = None) -> _Column:
        c = self.col(attr)
        if c is None or not c.any():
            return None, self.none()
        return self.lookup.column(c, name, overrides), self.per_doc_any(c != 0)


def _decode_block(chunk: Chunk, lookup: Lookup) -> Iterator[Doc]:
    block = _Block(chunk, lookup)
    orth = block.col(ORTH)
    words: list[str] = lookup.column(orth if orth is not None else block.zero, "ORTH", {0: ""})  # type: ignore[assignment]
    tags, has_tags = block.strings(TAG, "TAG")
    lemmas, has_lemmas = block.strings(LEMMA, "LEMMA")
    norms, has_norms = block.strings(NORM, "NORM")
    deps, has_deps = block.strings(DEP, "DEP")
    morphs, has_morphs = block.strings(MORPH, "MORPH", {EMPTY_MORPH: ""})
    pos, has_pos = _pos(block)
    heads, has_heads = _heads(block)
    sent_starts, has_ss = _sent_starts(block, has_deps)
    ents_by_doc, missing_docs, has_ents = _entities(block)
    spaces: list[bool] = chunk.spaces.tolist()
    for d in range(block.n_docs):
        a, b = block.starts_l[d], block.ends_l[d]
        flags = chunk.flags[d]
        unknown_spaces = bool(flags.get("has_unknown_spaces", False)) if isinstance(flags, dict) else False
        user_data, source, lines = _user_data(chunk, d, b - a)
        cats = chunk.cats[d]
        yield Doc(
            words=words[a:b],
            spaces=spaces[a:b],
            tags=tags[a:b] if tags is not None and has_tags[d] else None,
            pos=pos[a:b] if pos is not None and has_pos[d] else None,
            morphs=morphs[a:b] if morphs is not None and has_morphs[d] else None,
            lemmas=lemmas[a:b] if lemmas is not None and has_lemmas[d] else None,
            norms=norms[a:b] if norms is not None and has_norms[d] else None,
            heads=heads[a:b] if heads is not None and has_heads[d] else None,
            deps=deps[a:b] if deps is not None and has_deps[d] else None,
            sent_starts=sent_starts[a:b] if sent_starts is not None and has_ss[d] else None,
            ents=ents_by_doc.get(d, []) if has_ents[d] else None,
            ents_missing=missing_docs.get(d),
            cats=dict(cats) if isinstance(cats, dict) else {},
            spans=_decode_span_groups(chunk.span_groups[d], lookup, b - a, block.path),
            has_unknown_spaces=unknown_spaces,
            user_data=user_data,
            source=source,
            lines=lines,
        )


def _pos(block: _Block) -> _Column:
    """POS: universal POS tag IDs (spaCy's symbols) to their names."""
    pc = block.col(POS)
    if pc is None or not pc.any():
        return None, block.none()
    bad_pos = np.flatnonzero((pc > _POS_MAX) | ~_POS_VALID[np.minimum(pc, _POS_MAX)])
    if bad_pos.size:
        raise DocBinError(
            f"bad DocBin: POS value {int(pc[bad_pos[0]])} is not a universal POS tag ID", path=block.path
        )
    return _POS_NAMES[pc.astype(np.intp)].tolist(), block.per_doc_any(pc != 0)


def _heads(block: _Block) -> _Column:
    """Absolute heads: HEAD 0 and DEP 0 is an unknown head; HEAD 0 with a DEP is a root."""
    hc = block.col(HEAD)
    dc = block.col(DEP)
    if hc is None:
        return None, block.none()
    rel = hc.view(np.int64)
    dep_nz = dc != 0 if dc is not None else np.zeros(block.n, dtype=bool)
    known = (rel != 0) | dep_nz
    if not known.any():
        return None, block.none()
    tok_doc = np.repeat(np.arange(block.n_docs), block.lengths)
    local = np.arange(block.n, dtype=np.int64) - block.starts[tok_doc]
    absolute = local + rel
    bad = known & ((absolute < 0) | (absolute >= block.lengths[tok_doc]))
    if bad.any():
        t = int(np.flatnonzero(bad)[0])
        raise DocBinError(
            f"bad DocBin: doc {int(tok_doc[t])} token {int(local[t])} has relative head "
            f"{int(rel[t])}, outside the doc",
            path=block.path,
        )
    heads: list[int | None] = absolute.tolist()
    for t in np.flatnonzero(~known).tolist():
        heads[t] = None
    return heads, block.per_doc_any(known)


def _sent_starts(block: _Block, has_deps: list[bool]) -> _Column:
    """SENT_START as True, False or None (unknown).

    spaCy sets 1 on the first token of every doc: in a doc without a parse, that alone is no
    annotation (None). A doc whose first token is 0 had its sentence starts given, even if all
    unknown; in a parsed doc they are kept as stored (writing None would derive them).
    """
    sc = block.col(SENT_START)
    if sc is None or not block.n:
        return None, block.none()
    sv = sc.view(np.int64)
    code = np.where(sv > 0, 1, np.where(sv < 0, 2, 0))
    sent_starts = np.array([None, True, False], dtype=object)[code].tolist()
    rest = sv != 0
    first = block.starts[block.lengths > 0]
    rest[first] = sv[first] != 1
    has_ss = [r or p for r, p in zip(block.per_doc_any(rest), has_deps, strict=True)]
    return sent_starts, has_ss


def _entities(block: _Block) -> tuple[dict[int, list[Span]], dict[int, list[bool]], list[bool]]:
    """Each doc's entities as spaCy's Doc.ents reads them (a stray I starts an entity here), the
    tokens whose entity annotation is missing, and which docs have entity annotation."""
    ents_by_doc: dict[int, list[Span]] = {}
    missing_docs: dict[int, list[bool]] = {}
    ic = block.col(ENT_IOB)
    if ic is None or not ic.any():
        return ents_by_doc, missing_docs, block.none()
    has_ents = block.per_doc_any(ic != 0)
    tc, kc, ec = (block.col(a) for a in (ENT_TYPE, ENT_KB_ID, ENT_ID))
    tc = tc if tc is not None else block.zero
    kc = kc if kc is not None else block.zero
    ec = ec if ec is not None else block.zero
    if (ic > 3).any():
        raise DocBinError(f"bad DocBin: ENT_IOB value {int(ic.max())}, expected 0-3", path=block.path)
    n, starts, lengths = block.n, block.starts, block.lengths
    is_b = (ic == 3) & (tc != 0)
    in_ent = is_b | (ic == 1)
    doc_start_mask = np.zeros(n, dtype=bool)
    doc_start_mask[starts[lengths > 0]] = True
    prev_in = np.zeros(n, dtype=bool)
    prev_in[1:] = in_ent[:-1]
    ent_start = in_ent & (is_b | ~prev_in | doc_start_mask)
    breaks = np.append(np.flatnonzero(~(in_ent & ~ent_start)), n)
    s_idx = np.flatnonzero(ent_start)
    e_idx = breaks[np.searchsorted(breaks, s_idx, side="right")]
    # a doc of zero tokens shares its start with the next doc: searchsorted picks the last one
    s_doc = np.searchsorted(starts, s_idx, side="right") - 1
    lookup = block.lookup
    labels = lookup.column(tc[s_idx], "ENT_TYPE")
    kbs = lookup.column(kc[s_idx], "ENT_KB_ID")
    eids = lookup.column(ec[s_idx], "ENT_ID")
    for s0, e0, d, lab, kb, ei in zip(
        s_idx.tolist(), e_idx.tolist(), s_doc.tolist(), labels, kbs, eids, strict=True
    ):
        if not lab:
            continue
        base = block.starts_l[d]
        ents_by_doc.setdefault(d, []).append(Span(s0 - base, e0 - base, lab, kb or "", ei or ""))
    miss = ic == 0
    has_missing = block.per_doc_any(miss)
    for d in range(block.n_docs):
        if has_ents[d] and has_missing[d]:
            missing_docs[d] = miss[block.starts_l[d] : block.ends_l[d]].tolist()
    return ents_by_doc, missing_docs, has_ents


def _user_data(chunk: Chunk, d: int, n: int) -> tuple[dict[Any, Any], str | None, list[int] | None]:
    """Doc ``d``'s user_data, and the file and token lines its provenance names."""
    path = chunk.path
    user_data: dict[Any, Any] = {}
    ud_bytes = chunk.user_data[d]
    if ud_bytes and ud_bytes != EMPTY_MAP:
        if not isinstance(ud_bytes, bytes):
            raise DocBinError(f"bad DocBin: user_data of doc {d} is not bytes", path=path)
        try:
            user_data = unpack_user_data(ud_bytes)
        except Exception as e:  # msgpack raises several unrelated types for bad data
            why = f"{type(e).__name__}: {e}" if str(e) else f"damaged msgpack ({type(e).__name__})"
            msg = f"bad DocBin: the user_data of doc {d} is not a msgpack map ({why})"
            raise DocBinError(msg, path=path) from None
    source = lines = None
    prov = user_data.pop(PROVENANCE_KEY, None)
    if isinstance(prov, dict):
        source = prov.get("source")
        if source is not None and not isinstance(source, str):
            msg = f"bad DocBin: the provenance of doc {d} names no file: {source!r}"
            raise DocBinError(msg, path=path)
        lines = _provenance_lines(prov, d, n, path)
    return user_data, source, lines


def _provenance_lines(prov: dict[Any, Any], d: int, n: int, path: str | None) -> list[int] | None:
    """The token lines of stored provenance: ``runs`` (:func:`corpuskit.doc.line_runs`), or the
    ``lines`` list that earlier versions wrote."""
    runs = prov.get("runs")
    if runs is not None:
        try:
            runs = list(runs)
            if sum(runs[1::2]) != n:  # before expanding them: a bad count could be huge
                raise ValueError(f"they count {sum(runs[1::2])} lines for {n} tokens")
            return lines_from_runs(runs)
        except (TypeError, ValueError) as e:
            msg = f"bad DocBin: the provenance runs of doc {d} are malformed ({e})"
            raise DocBinError(msg, path=path) from None
    lines = prov.get("lines")
    return list(lines) if lines is not None else None


def _decode_span_groups(data: Any, lookup: Lookup, n: int, path: str | None) -> dict[str, list[Span]]:
    if not data or data == EMPTY_SPAN_GROUPS:
        return {}
    if not isinstance(data, bytes):
        raise DocBinError(
            f"bad DocBin: a span_groups entry is a {type(data).__name__}, expected bytes", path=path
        )
    msg = msgpack.unpackb(data, raw=False, strict_map_key=False)
    groups: list[tuple[list[str], Any]]
    if isinstance(msg, list):  # the first v3 layout: a list of group bytes
        groups = []
        for gb in msg:
            g = msgpack.unpackb(gb, raw=False, strict_map_key=False)
            groups.append(([g["name"]], g))
    elif isinstance(msg, dict):
        groups = [
            (list(keys), msgpack.unpackb(gb, raw=False, strict_map_key=False)) for gb, keys in msg.items()
        ]
    else:
        raise DocBinError("bad DocBin: a span_groups entry is not a msgpack map", path=path)
    out: dict[str, list[Span]] = {}
    for keys, g in groups:
        spans = []
        for raw in g["spans"]:
            sid, kb, label, start, end, _sc, _ec = SPAN_STRUCT.unpack(raw)
            if not 0 <= start <= end <= n:
                raise DocBinError(f"bad DocBin: span {start}:{end} outside its doc of {n} tokens", path=path)
            spans.append(
                Span(
                    start,
                    end,
                    lookup.get(label, "span label"),
                    lookup.get(kb, "span kb_id"),
                    lookup.get(sid, "span id"),
                )
            )
        for key in keys:
            out[str(key)] = list(spans)
    return out
