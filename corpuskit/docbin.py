"""spaCy v3's DocBin (``.spacy``) format, byte for byte: columnar encoding, sharded streaming I/O.

A ``.spacy`` file is ``zlib(msgpack({"version", "attrs", "tokens", "spaces", "lengths", "strings",
"cats", "flags", "span_groups", "user_data"}))``: one uint64 row per token with a column per
attribute, strings stored once and referred to by their 64-bit hash (:mod:`corpuskit.strings`).
See ``docs/docbin.md``. Only this module knows those bytes.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import shutil
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain, repeat
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt

from .doc import PROVENANCE_KEY, Doc, Span, lines_from_runs, sent_starts_from_parse
from .errors import DocBinError, UsageError
from .io import atomic_open, iter_files, replace_path, temp_beside
from .limits import check_regular, inflate_docbin
from .morph import normalize_feats
from .strings import N_SYMBOLS, SYMBOL_NAMES, SYMBOLS, UPOS, UPOS_NAMES, hash_strings

__all__ = [
    "ATTR_IDS",
    "DEFAULT_ATTRS",
    "DocBin",
    "TokenCountMismatch",
    "WriteStats",
    "normalize_morph",
    "read_docbin",
    "write_docbin",
]

U64 = npt.NDArray[np.uint64]

ORTH = 65
NORM = 67
LEMMA = 73
POS = 74
TAG = 75
DEP = 76
ENT_IOB = 77
ENT_TYPE = 78
HEAD = 79
SENT_START = 80
SPACY = 81
ENT_KB_ID = 452
MORPH = 453
ENT_ID = 454

#: The attributes a corpuskit DocBin can store, by spaCy name.
ATTR_IDS: dict[str, int] = {
    "ORTH": ORTH,
    "NORM": NORM,
    "LEMMA": LEMMA,
    "POS": POS,
    "TAG": TAG,
    "DEP": DEP,
    "ENT_IOB": ENT_IOB,
    "ENT_TYPE": ENT_TYPE,
    "HEAD": HEAD,
    "SENT_START": SENT_START,
    "SPACY": SPACY,
    "ENT_KB_ID": ENT_KB_ID,
    "MORPH": MORPH,
    "ENT_ID": ENT_ID,
}
#: spaCy's default DocBin columns (``DOCBIN_ALL_ATTRS``): ORTH first, the rest sorted.
DEFAULT_ATTRS: tuple[int, ...] = (65, 67, 73, 74, 75, 76, 77, 78, 79, 80, 452, 453, 454)

_VERSION = "0.1"
_EMPTY_SPAN_GROUPS = b"\x90"  # msgpack []
_EMPTY_MAP = b"\x80"  # msgpack {}
_EMPTY_MORPH = SYMBOLS["_"]  # 456: the empty morphological analysis
_MINUS_ONE = np.uint64(0xFFFFFFFFFFFFFFFF)
_MAX_BIN = 0xFFFFFFFF  # msgpack's limit for one bytes value (spaCy issues #5219, #7627)
_POS_MAX = max(UPOS_NAMES)
_POS_NAMES = np.array([UPOS_NAMES.get(i) for i in range(_POS_MAX + 1)], dtype=object)
_POS_VALID = np.array([i == 0 or i in UPOS_NAMES for i in range(_POS_MAX + 1)], dtype=bool)
_SYMBOL_TABLE: dict[int, str | None] = dict(enumerate(SYMBOL_NAMES))
_SMALL_COLUMN = 4096  # below this many tokens, a dict lookup beats building a hash index
_FIB = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio, for Fibonacci hashing
_MAX_CACHE = 2_000_000  # strings whose hash is remembered across the batches of one write
_MISSING = 1  # "not looked up yet" in an ID column (a real ID 1, IS_ALPHA, is just looked up again)
_BATCH_TOKENS = 100_000  # docs are encoded in batches of this many tokens while the last is compressed
_ENCODE_TOKENS = 16_384  # write_docbin encodes docs as they come, this many tokens at a time
_SPAN_STRUCT = struct.Struct(">QQQllll")
_REQUIRED = ("attrs", "tokens", "spaces", "lengths", "strings", "cats")


# ---------------------------------------------------------------------------------------------
# Morphology
# ---------------------------------------------------------------------------------------------


def normalize_morph(feats: str) -> str:
    """spaCy's normalised FEATS string (:func:`corpuskit.morph.normalize_feats`): ``Name=Value``
    pairs sorted, values of a name sorted; raises ValueError for a feature that is not ``Name=Value``.
    """
    return normalize_feats(feats)


# ---------------------------------------------------------------------------------------------
# The columnar form of a DocBin (one file or one shard)
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Chunk:
    attrs: list[int]
    tokens: U64  # (n_tokens, len(attrs))
    spaces: npt.NDArray[np.bool_]  # (n_tokens,)
    lengths: npt.NDArray[np.int32]  # (n_docs,)
    strings: set[str]
    cats: list[Any]
    flags: list[Any]
    span_groups: list[bytes]
    user_data: list[bytes | None]
    path: str | None = None

    def __len__(self) -> int:
        return len(self.lengths)


def _pack(obj: Any) -> bytes:
    data: bytes = msgpack.packb(obj, use_bin_type=True)
    return data


def _freeze(key: Any) -> Any:
    if isinstance(key, list):
        return tuple(_freeze(k) for k in key)
    return key


def _pairs_hook(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    return {_freeze(k): v for k, v in pairs}


def _unpack_user_data(data: bytes) -> dict[Any, Any]:
    obj = msgpack.unpackb(data, raw=False, strict_map_key=False, object_pairs_hook=_pairs_hook)
    if not isinstance(obj, dict):
        raise ValueError(f"user_data is a msgpack {type(obj).__name__}, expected a map")
    return obj


# ---------------------------------------------------------------------------------------------
# Encoding: Docs -> columns
# ---------------------------------------------------------------------------------------------


def _flat(docs: Sequence[Doc], name: str, lengths: Sequence[int]) -> list[Any] | None:
    """One attribute of every doc, flattened (None per token where a doc lacks it); None if no doc has it."""
    values = [getattr(d, name) for d in docs]
    if all(v is None for v in values):
        return None
    return list(
        chain.from_iterable(
            v if v is not None else repeat(None, n) for v, n in zip(values, lengths, strict=True)
        )
    )


def _span_group_bytes(doc: Doc, ids: dict[str | None, int]) -> bytes:
    if not doc.spans:
        return _EMPTY_SPAN_GROUPS
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
            packed.append(_SPAN_STRUCT.pack(*values))
        group_bytes = _pack({"name": name, "attrs": {}, "spans": packed})
        msg.setdefault(group_bytes, []).append(name)
    return _pack(msg)


class _StringIds:
    """spaCy's IDs of strings and their names, remembered across the batches of one write.

    A column is looked up in one pass; only the strings not seen before are hashed. The
    strings a batch uses are read back from its ID columns (:func:`_distinct`), not collected
    from the (many times larger) string columns.
    """

    __slots__ = ("ids", "morphs", "names")

    def __init__(self) -> None:
        self.ids: dict[str | None, int] = {}
        self.names: dict[int, str] = {}
        self.morphs: dict[str | None, int] = {}  # FEATS -> the ID of spaCy's normal form
        self.trim(0)

    def trim(self, limit: int = _MAX_CACHE) -> None:
        """Forget every string once more than ``limit`` are remembered (call it between batches:
        a batch reads its strings back by their IDs)."""
        if len(self.ids) >= limit:
            self.ids = {None: 0, "": 0}
            self.names = {0: ""}
            self.morphs = {None: 0}

    def add(self, strings: Iterable[str]) -> None:
        ids = self.ids
        keys = [k for k in set(strings) if k not in ids]
        if not keys:
            return
        try:
            hashes = hash_strings(keys).tolist()
        except UnicodeEncodeError as e:
            raise DocBinError(f"a string is not encodable as UTF-8: {e.object[e.start : e.end]!r}") from None
        ids.update(zip(keys, hashes, strict=True))
        self.names.update(zip(hashes, keys, strict=True))

    def column(self, values: list[Any]) -> U64:
        """The IDs of ``values`` (None -> 0)."""
        return _looked_up(self.ids, values, self.add)

    def strings(self, *columns: U64) -> list[str]:
        """The strings of the non-zero IDs in ``columns``."""
        names = self.names
        return [names[h] for h in _distinct(np.concatenate(columns)).tolist() if h]

    def morph_column(self, raw: list[str | None]) -> U64:
        """The IDs of spaCy's form of each FEATS value ("_" for an empty analysis; None -> 0)."""
        return _looked_up(self.morphs, raw, self._add_morphs)

    def _add_morphs(self, new: set[str]) -> None:
        try:
            normal = {m: normalize_morph(m) or "_" for m in new}
        except ValueError as e:
            raise DocBinError(f"Doc.morphs: {e}") from None
        self.add(normal.values())
        self.morphs.update((m, self.ids[f]) for m, f in normal.items())


def _distinct(values: U64) -> U64:
    """The distinct values, sorted (``np.unique`` hashes 64-bit integers one byte at a time
    since numpy 2.3: eight times slower than sorting them)."""
    if not len(values):
        return values
    values = np.sort(values)
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _looked_up(table: dict[Any, int], values: list[Any], add: Callable[[set[Any]], None]) -> U64:
    """The IDs of ``values`` in ``table``, in one pass; ``add`` puts the values it lacks in it."""
    out = np.fromiter(map(table.get, values, repeat(_MISSING)), dtype=np.uint64, count=len(values))
    missing = np.flatnonzero(out == _MISSING).tolist()
    if missing:
        add({values[i] for i in missing})
        get = table.__getitem__
        out[missing] = [get(values[i]) for i in missing]
    return out


def _encode(
    docs: Sequence[Doc],
    attrs: Sequence[int],
    store_user_data: bool,
    ids: _StringIds | None = None,
) -> _Chunk:
    """The columns of ``docs``: every string hashed once, the token matrix built with numpy."""
    ids = _StringIds() if ids is None else ids
    ids.trim()
    lengths_list = [len(d.words) for d in docs]
    n = sum(lengths_list)
    lengths = np.asarray(lengths_list, dtype=np.int32)
    doc_starts = np.zeros(len(docs), dtype=np.int64)
    if len(docs) > 1:
        np.cumsum(lengths[:-1], out=doc_starts[1:])
    tok_doc = np.repeat(np.arange(len(docs)), lengths)
    local = np.arange(n, dtype=np.int64) - doc_starts[tok_doc]

    words = list(chain.from_iterable(d.words for d in docs))
    tags = _flat(docs, "tags", lengths_list)
    lemmas = _flat(docs, "lemmas", lengths_list)
    norms = _flat(docs, "norms", lengths_list)
    deps = _flat(docs, "deps", lengths_list)
    raw_morphs = _flat(docs, "morphs", lengths_list)

    # Entities and span groups: per-span lists, then the token columns with numpy.
    ent_docs = [i for i, d in enumerate(docs) if d.ents is not None]
    e_start: list[int] = []
    e_end: list[int] = []
    e_label: list[str] = []
    e_kb: list[str] = []
    e_id: list[str] = []
    for i in ent_docs:
        base = int(doc_starts[i])
        for s in docs[i].ents or ():
            if s.end > s.start:
                e_start.append(base + s.start)
                e_end.append(base + s.end)
                e_label.append(s.label)
                e_kb.append(s.kb_id)
                e_id.append(s.id)
    span_strings: set[str] = set()
    for d in docs:
        for group in d.spans.values():
            for s in group:
                span_strings.add(s.label)
                span_strings.add(s.kb_id)
                span_strings.add(s.id)
    ids.add(span_strings)

    # The strings table is what spaCy's DocBin.add puts in: text, tag_, lemma_, norm_,
    # str(morph), dep_, ent_type_, ent_kb_id_, ent_id_ of every token, label, kb_id, id of
    # every span.
    zeros = np.zeros(n, dtype=np.uint64)

    def column(values: list[Any] | None) -> U64:
        return zeros if values is None else ids.column(values)

    strings: set[str] = set(span_strings)
    cols: dict[int, U64] = {}
    cols[ORTH] = column(words)
    if n and not cols[ORTH].all():
        t = int(np.flatnonzero(cols[ORTH] == 0)[0])
        raise DocBinError(
            f"doc {int(tok_doc[t])}: token {int(local[t])} is an empty string; spaCy cannot load "
            "an empty token (its error E031)"
        )
    cols[TAG] = column(tags)
    cols[LEMMA] = column(lemmas)
    cols[NORM] = column(norms)
    cols[DEP] = column(deps)
    cols[MORPH] = zeros if raw_morphs is None else ids.morph_column(raw_morphs)
    strings.update(m for m in ids.strings(cols[MORPH]) if m != "_")

    pos_list = _flat(docs, "pos", lengths_list)
    pos_ids: dict[str | None, int] = {None: 0, "": 0}
    pos_ids.update(UPOS)
    try:
        cols[POS] = (
            zeros if pos_list is None else np.fromiter(map(pos_ids.__getitem__, pos_list), np.uint64, n)
        )
    except KeyError as e:
        raise DocBinError(
            f"Doc.pos has {e.args[0]!r}, expected a universal POS tag ({', '.join(UPOS)})"
        ) from None

    # HEAD: relative, signed, as uint64 two's complement; None -> 0.
    heads_list = _flat(docs, "heads", lengths_list)
    if heads_list is None:
        head_abs = np.full(n, -1, dtype=np.int64)
    else:
        none_to_minus1: dict[Any, int] = {None: -1}
        head_abs = np.fromiter(map(none_to_minus1.get, heads_list, heads_list), dtype=np.int64, count=n)
    known = head_abs >= 0
    rel = np.where(known, head_abs - local, 0)
    if n:
        bad = known & ((head_abs >= lengths.astype(np.int64)[tok_doc]) | (head_abs < 0))
        if bad.any():
            t = int(np.flatnonzero(bad)[0])
            di = int(tok_doc[t])
            raise DocBinError(
                f"doc {di}: head {int(head_abs[t])} of token {int(local[t])} is outside the doc's "
                f"{lengths_list[di]} tokens"
            )
    cols[HEAD] = rel.astype(np.uint64)
    if heads_list is not None:
        # A missing head keeps no label: DEP 0 is spaCy's only way to say "no head" (a label with
        # HEAD 0 reads back as a root, and a false sentence start).
        parsed = np.repeat(np.fromiter((d.heads is not None for d in docs), bool, len(docs)), lengths)
        unlabelled = parsed & ~known & (cols[DEP] != 0)
        if unlabelled.any():
            cols[DEP] = np.where(unlabelled, np.uint64(0), cols[DEP])
    strings.update(ids.strings(cols[ORTH], cols[TAG], cols[LEMMA], cols[NORM], cols[DEP]))

    # SENT_START: the given values; else, where a doc has a parse, derived from it as spaCy does.
    ss_map: dict[bool | None, int] = {True: 1, False: -1, None: 0}
    ss_list = _flat(docs, "sent_starts", lengths_list)
    if ss_list is None:
        sent = np.zeros(n, dtype=np.int64)
    else:
        sent = np.fromiter(map(ss_map.__getitem__, ss_list), dtype=np.int64, count=n)
    dep_col = cols[DEP]
    for i, d in enumerate(docs):
        if d.sent_starts is not None or not lengths_list[i]:
            continue
        a, b = int(doc_starts[i]), int(doc_starts[i]) + lengths_list[i]
        if d.deps is not None and dep_col[a:b].any():
            sent[a:b] = sent_starts_from_parse(rel[a:b].tolist(), dep_col[a:b].tolist())
        else:
            sent[a] = 1  # spaCy marks the first token of every doc (its issue #2869)
    cols[SENT_START] = sent.astype(np.uint64)

    # Entities.
    iob = np.zeros(n, dtype=np.uint64)
    for i in ent_docs:
        a, b = int(doc_starts[i]), int(doc_starts[i]) + lengths_list[i]
        iob[a:b] = 2
        missing = docs[i].ents_missing
        if missing is not None:
            iob[a:b][np.asarray(missing, dtype=bool)] = 0
    ent_type = np.zeros(n, dtype=np.uint64)
    ent_kb = np.zeros(n, dtype=np.uint64)
    ent_id = np.zeros(n, dtype=np.uint64)
    if e_start:
        starts = np.asarray(e_start, dtype=np.int64)
        span_len = np.asarray(e_end, dtype=np.int64) - starts
        total = int(span_len.sum())
        first = np.zeros(len(starts), dtype=np.int64)
        np.cumsum(span_len[:-1], out=first[1:])
        idx = np.repeat(starts, span_len) + (np.arange(total) - np.repeat(first, span_len))
        iob[idx] = 1
        iob[starts] = 3
        for values, col in ((e_label, ent_type), (e_kb, ent_kb), (e_id, ent_id)):
            span_ids = column(values)
            col[idx] = np.repeat(span_ids, span_len)
            strings.update(values)
    cols[ENT_IOB] = iob
    cols[ENT_TYPE] = ent_type
    cols[ENT_KB_ID] = ent_kb
    cols[ENT_ID] = ent_id

    # "" is in when some token has an empty value (str(morph) is "" for unset and empty analyses).
    if any((cols[c] == 0).any() for c in (TAG, LEMMA, NORM, DEP, ENT_TYPE, ENT_KB_ID, ENT_ID, MORPH)):
        strings.add("")
    if (cols[MORPH] == _EMPTY_MORPH).any():
        strings.add("")

    matrix = np.empty((n, len(attrs)), dtype=np.uint64)
    for j, a in enumerate(attrs):
        matrix[:, j] = cols[a]
    spaces = np.fromiter(
        chain.from_iterable(d.spaces if d.spaces is not None else repeat(True, len(d.words)) for d in docs),
        dtype=bool,
        count=n,
    )
    user_data: list[bytes | None] = []
    if store_user_data:
        packer = msgpack.Packer(use_bin_type=True)
        for d in docs:
            ud = d.user_data
            if d.source is not None or d.lines is not None:
                ud = dict(ud)
                ud[PROVENANCE_KEY] = d.provenance
            elif not ud:
                user_data.append(_EMPTY_MAP)
                continue
            try:
                user_data.append(packer.pack(ud))
            except (TypeError, ValueError, OverflowError) as e:
                packer.reset()
                line = d.lines[0] if d.lines else None
                raise DocBinError(
                    f"the doc's user_data cannot be stored in a DocBin (msgpack): {e}",
                    path=d.source,
                    line=line,
                ) from None
    return _Chunk(
        attrs=list(attrs),
        tokens=matrix,
        spaces=spaces,
        lengths=lengths,
        strings=strings,
        cats=[d.cats for d in docs],
        flags=[{"has_unknown_spaces": d.has_unknown_spaces} for d in docs],
        span_groups=[_span_group_bytes(d, ids.ids) for d in docs],
        user_data=user_data,
    )


def _bin_header(size: int) -> bytes:
    """The msgpack header of a bytes value of ``size`` bytes (bin 8/16/32)."""
    if size < 0x100:
        return struct.pack(">BB", 0xC4, size)
    if size < 0x10000:
        return struct.pack(">BH", 0xC5, size)
    return struct.pack(">BI", 0xC6, size)


def _batches(docs: Sequence[Doc], batch_tokens: int) -> Iterator[Sequence[Doc]]:
    start = 0
    n = 0
    for i, d in enumerate(docs):
        if n and n + len(d.words) > batch_tokens:
            yield docs[start:i]
            start, n = i, 0
        n += len(d.words)
    if start < len(docs):
        yield docs[start:]


def _serialise(
    chunks: Sequence[_Chunk],
    docs: Sequence[Doc],
    attrs: list[int],
    store_user_data: bool,
    out: Callable[[bytes], object],
    *,
    ids: _StringIds | None = None,
) -> list[_Chunk]:
    """Write ``zlib(msgpack(DocBin))`` of ``chunks`` then ``docs`` to ``out``, piece by piece;
    returns the chunks, ``docs`` encoded (in batches, see :func:`_serialise_stream`)."""
    n_total = sum(len(c.tokens) for c in chunks) + sum(len(d.words) for d in docs)
    ids = _StringIds() if ids is None else ids

    def pieces() -> Iterator[_Chunk]:
        yield from chunks
        for batch in _batches(docs, _BATCH_TOKENS):
            yield _encode(batch, attrs, store_user_data, ids)

    return _serialise_stream(pieces(), n_total, attrs, store_user_data, out, ids=ids)


class TokenCountMismatch(ValueError):
    """The docs given to :func:`write_docbin` hold another number of tokens than ``n_tokens`` said."""


def _serialise_stream(
    chunks: Iterable[_Chunk],
    n_total: int,
    attrs: list[int],
    store_user_data: bool,
    out: Callable[[bytes], object],
    *,
    ids: _StringIds,
) -> list[_Chunk]:
    """Write ``zlib(msgpack(DocBin))`` of ``chunks`` (``n_total`` tokens in all) to ``out``.

    The msgpack map is written field by field (the same bytes as packing the whole map): the
    header first, as the token count is known, then each chunk's token rows as it comes (it may
    be encoded while the previous one is compressed: a worker thread compresses, and zlib
    releases the GIL), then the other fields. Streamed deflate gives the same bytes as one
    ``zlib.compress`` call. Returns the chunks; :class:`TokenCountMismatch` if they do not
    hold ``n_total`` tokens.
    """
    size = n_total * 8 * len(attrs)
    if size > _MAX_BIN:
        raise DocBinError(
            f"{n_total} tokens are too many for one DocBin: the token matrix would take {size} bytes, "
            "over msgpack's 4 GiB limit for one value (spaCy's issues #5219, #7627); write the corpus "
            "in shards with corpuskit.docbin.write_docbin (a directory of .spacy files)"
        )
    comp = zlib.compressobj()
    done: list[_Chunk] = []
    n_done = 0
    threaded = n_total > _BATCH_TOKENS
    with ThreadPoolExecutor(max_workers=1) if threaded else contextlib.nullcontext() as pool:
        pending: Future[object] | None = None

        def compress(data: bytes | memoryview) -> object:
            return out(comp.compress(data))

        def feed(data: bytes | memoryview) -> None:
            nonlocal pending
            if pool is None:
                compress(data)
                return
            if pending is not None:
                pending.result()  # keeps the order, and at most one piece in flight
            pending = pool.submit(compress, data)

        head = [bytes([0x80 | (10 if store_user_data else 9)])]
        for key, value in (("version", _VERSION), ("attrs", attrs)):
            head.append(_pack(key))
            head.append(_pack(value))
        head.append(_pack("tokens"))
        head.append(_bin_header(size))
        feed(b"".join(head))
        for c in chunks:
            n_done += len(c.tokens)
            if n_done > n_total:
                raise TokenCountMismatch(f"more than {n_total} tokens")
            rows = np.ascontiguousarray(c.tokens, dtype="<u8")
            if rows.size:  # the rows as they lie in memory, not a copy (the chunk is kept)
                feed(rows.reshape(-1).view(np.uint8).data)
            done.append(c)
        if n_done != n_total:
            raise TokenCountMismatch(f"{n_done} tokens, not {n_total}")
        if not done:
            done.append(_encode([], attrs, store_user_data, ids))
        tail: dict[str, Any] = {
            "spaces": np.concatenate([c.spaces for c in done]).astype(bool).tobytes(),
            "lengths": np.concatenate([c.lengths for c in done]).astype("<i4").tobytes(),
            "strings": sorted(set().union(*(c.strings for c in done))),
            "cats": list(chain.from_iterable(c.cats for c in done)),
            "flags": list(chain.from_iterable(c.flags for c in done)),
            "span_groups": list(chain.from_iterable(c.span_groups for c in done)),
        }
        if store_user_data:
            tail["user_data"] = list(
                chain.from_iterable(c.user_data if c.user_data else [None] * len(c) for c in done)
            )
        feed(b"".join(_pack(k) + _pack(v) for k, v in tail.items()))
        if pending is not None:
            pending.result()
    out(comp.flush())
    return done


# ---------------------------------------------------------------------------------------------
# Parsing bytes -> columns
# ---------------------------------------------------------------------------------------------


def _sniff(data: bytes) -> str:
    """What a non-zlib file looks like, for the error message."""
    head = data[:64]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"\x1f\x8b"):
        return (
            "it is gzip data: a DocBin from spaCy v2.2.0 or a gzipped file. spaCy v2 DocBins cannot "
            "be read by spaCy v3 either; load it with spaCy v2, write JSON with "
            "spacy.gold.docs_to_json, then convert it with `corpuskit convert FILE OUTDIR -c json`"
        )
    if stripped[:1] in (b"[", b"{"):
        return (
            "it is JSON text: spaCy v2 JSON training data (or JSONL) is not a DocBin; "
            "convert it with `corpuskit convert FILE OUTDIR -c json` (or `-c jsonl`)"
        )
    if not data:
        return "the file is empty"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return f"it starts with bytes {head[:8]!r}, not a zlib header (78 9c)"
    return (
        f"it is text starting {head[:40].decode('utf-8', 'replace')!r}; convert it with `corpuskit convert`"
    )


def _decompress(data: bytes, path: str | None) -> bytearray:
    if len(data) < 2 or data[0] & 0x0F != 8 or ((data[0] << 8) | data[1]) % 31 != 0:
        raise DocBinError(f"not a DocBin (.spacy) file: {_sniff(data)}", path=path)
    return inflate_docbin(data, path)


def _parse(data: bytes, path: str | None) -> _Chunk:
    """Check and unpack one DocBin; every failure is a DocBinError naming ``path``."""
    raw = _decompress(data, path)
    try:
        msg = msgpack.unpackb(raw, raw=False, strict_map_key=False, use_list=True)
    except Exception as e:  # msgpack raises several unrelated types for bad data
        reason = f"{type(e).__name__}: {e}"
        raise DocBinError(
            f"corrupt DocBin: the msgpack data inside is damaged ({reason})", path=path
        ) from None
    if not isinstance(msg, dict):
        raise DocBinError(
            f"not a DocBin: the msgpack data is a {type(msg).__name__}, expected a map", path=path
        )
    if "version" not in msg and "attrs" in msg and "tokens" in msg:
        raise DocBinError(
            "a spaCy v2 DocBin (no 'version' key): spaCy v3 cannot use it either; load it with "
            "spaCy v2, write JSON with spacy.gold.docs_to_json, then convert that with "
            "`corpuskit convert FILE OUTDIR -c json`",
            path=path,
        )
    missing = [k for k in _REQUIRED if k not in msg]
    if missing:
        raise DocBinError(
            f"not a DocBin: the map lacks {', '.join(repr(k) for k in missing)} "
            f"(has {sorted(map(str, msg))})",
            path=path,
        )
    attrs = msg["attrs"]
    if not isinstance(attrs, list) or not attrs or not all(isinstance(a, int) for a in attrs):
        raise DocBinError(f"bad DocBin: 'attrs' is {attrs!r}, expected a list of attribute IDs", path=path)
    if ORTH not in attrs:
        raise DocBinError(f"bad DocBin: 'attrs' {attrs!r} has no ORTH (65) column", path=path)
    for key in ("tokens", "spaces", "lengths"):
        if not isinstance(msg[key], bytes):
            raise DocBinError(
                f"bad DocBin: {key!r} is a {type(msg[key]).__name__}, expected bytes", path=path
            )
    strings = msg["strings"]
    if not isinstance(strings, list) or not all(isinstance(s, str) for s in strings):
        raise DocBinError("bad DocBin: 'strings' is not a list of strings", path=path)
    tok_bytes: bytes = msg["tokens"]
    width = 8 * len(attrs)
    if len(tok_bytes) % width:
        raise DocBinError(
            f"bad DocBin: 'tokens' has {len(tok_bytes)} bytes, "
            f"not a multiple of {width} ({len(attrs)} attrs)",
            path=path,
        )
    if len(msg["lengths"]) % 4:
        raise DocBinError(
            f"bad DocBin: 'lengths' has {len(msg['lengths'])} bytes, not a multiple of 4", path=path
        )
    tokens = np.frombuffer(tok_bytes, dtype="<u8").reshape(-1, len(attrs))
    lengths = np.frombuffer(msg["lengths"], dtype="<i4")
    n_tokens, n_docs = len(tokens), len(lengths)
    if (lengths < 0).any() or int(lengths.sum(dtype=np.int64)) != n_tokens:
        raise DocBinError(
            f"bad DocBin: the doc lengths add up to {int(lengths.sum(dtype=np.int64))} tokens "
            f"but 'tokens' has {n_tokens} rows",
            path=path,
        )
    spaces_raw = np.frombuffer(msg["spaces"], dtype=np.uint8)
    if len(spaces_raw) != n_tokens:
        raise DocBinError(
            f"bad DocBin: 'spaces' has {len(spaces_raw)} values for {n_tokens} tokens", path=path
        )
    cats = msg["cats"]
    flags = msg.get("flags", [{} for _ in range(n_docs)])
    span_groups = msg.get("span_groups", [b"" for _ in range(n_docs)])
    user_data = msg.get("user_data", [None] * n_docs)
    for key, value in (
        ("cats", cats),
        ("flags", flags),
        ("span_groups", span_groups),
        ("user_data", user_data),
    ):
        if not isinstance(value, list) or len(value) != n_docs:
            have = len(value) if isinstance(value, list) else type(value).__name__
            raise DocBinError(f"bad DocBin: {key!r} has {have} entries for {n_docs} docs", path=path)
    return _Chunk(
        attrs=list(attrs),
        tokens=tokens.astype(np.uint64, copy=False),
        spaces=spaces_raw != 0,
        lengths=lengths.astype(np.int32, copy=False),
        strings=set(strings),
        cats=cats,
        flags=flags,
        span_groups=span_groups,
        user_data=user_data,
        path=path,
    )


# ---------------------------------------------------------------------------------------------
# Decoding: columns -> Docs
# ---------------------------------------------------------------------------------------------


class _HashIndex:
    """An open-addressing hash table over uint64 keys, built and probed with numpy.

    String IDs are uniformly random 64-bit hashes (or small symbol IDs), so their low bits are
    a good slot; a column of a million IDs is looked up with a few vectorised gathers, much
    faster than a binary search.
    """

    def __init__(self, keys: U64) -> None:
        bits = max(4, int(len(keys) * 4 - 1).bit_length())
        size = 1 << bits
        self.shift = np.uint64(64 - bits)
        self.mask = np.uint64(size - 1)
        home = self._home(keys)
        slot_key = np.zeros(size, dtype=np.uint64)
        slot_idx = np.full(size, -1, dtype=np.int64)
        remaining = np.arange(len(keys), dtype=np.int64)
        probe = 0
        while remaining.size:
            slots = ((home[remaining] + np.uint64(probe)) & self.mask).astype(np.int64)
            free = slot_idx[slots] == -1
            taken, first = np.unique(slots[free], return_index=True)
            winners = remaining[free][first]
            slot_idx[taken] = winners
            slot_key[taken] = keys[winners]
            placed = np.zeros(len(keys), dtype=bool)
            placed[winners] = True
            remaining = remaining[~placed[remaining]]
            probe += 1
        self.slot_key = slot_key
        self.slot_idx = slot_idx
        self.max_probe = probe

    def _home(self, keys: U64) -> U64:
        # Fibonacci hashing: small symbol IDs and random hashes alike spread over the table.
        home: U64 = (keys * _FIB) >> self.shift
        return home

    def find(self, values: U64) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Index of each value in ``keys`` (-1 where absent), and the positions of absent ones."""
        home = self._home(values)
        slots = home.astype(np.int64)
        idx = self.slot_idx[slots]
        miss = np.flatnonzero((self.slot_key[slots] != values) | (idx < 0))
        probe = 1
        while miss.size and probe < self.max_probe:
            v = values[miss]
            s = ((home[miss] + np.uint64(probe)) & self.mask).astype(np.int64)
            hit = (self.slot_key[s] == v) & (self.slot_idx[s] >= 0)
            idx[miss[hit]] = self.slot_idx[s[hit]]
            miss = miss[~hit]
            probe += 1
        idx[miss] = -1
        return idx, miss


class _Lookup:
    """Hash -> string for one DocBin (its strings table plus spaCy's symbols), vectorised."""

    def __init__(self, strings: Iterable[str], path: str | None) -> None:
        self.strs = list(strings)
        self.hashes = hash_strings(self.strs)
        table = dict(_SYMBOL_TABLE)
        table.update(zip(self.hashes.tolist(), self.strs, strict=True))
        table[0] = None  # "" (unset)
        self.table: dict[int, str | None] = table
        self.path = path
        self._index: tuple[_HashIndex, U64, npt.NDArray[np.object_]] | None = None

    def _vectorised(self) -> tuple[_HashIndex, U64, npt.NDArray[np.object_]]:
        if self._index is None:
            keys = np.concatenate([self.hashes, np.arange(N_SYMBOLS, dtype=np.uint64)])
            values = np.empty(len(keys), dtype=object)
            values[: len(self.strs)] = self.strs
            values[len(self.strs) :] = SYMBOL_NAMES
            keys, first = np.unique(keys, return_index=True)
            values = values[first]
            values[0] = None
            self._index = (_HashIndex(keys), keys, values)
        return self._index

    def _missing(self, attr: str, value: int) -> DocBinError:
        return DocBinError(
            f"bad DocBin: {attr} value {value} is not the hash of any string in the file's strings table",
            path=self.path,
        )

    def column(self, values: U64, attr: str, overrides: dict[int, str] | None = None) -> list[str | None]:
        """The strings of a column of IDs (0 -> None unless ``overrides`` says otherwise)."""
        if len(values) < _SMALL_COLUMN:
            table = self.table
            if overrides:
                table = {**table, **{k: v for k, v in overrides.items() if k in table}}
            try:
                return list(map(table.__getitem__, values.tolist()))
            except KeyError as e:
                raise self._missing(attr, e.args[0]) from None
        index, keys, strings = self._vectorised()
        idx, miss = index.find(np.ascontiguousarray(values))
        if miss.size:
            raise self._missing(attr, int(values[miss[0]]))
        if overrides:
            strings = strings.copy()
            for key, value in overrides.items():
                i = int(np.searchsorted(keys, key))
                if i < len(keys) and keys[i] == key:
                    strings[i] = value
        out: list[str | None] = strings[idx].tolist()
        return out

    def get(self, value: int, what: str) -> str:
        if value not in self.table:
            raise DocBinError(
                f"bad DocBin: {what} {value} is not the hash of any string in the file's strings table",
                path=self.path,
            )
        return self.table[value] or ""


def _per_doc_any(
    mask: npt.NDArray[np.bool_], starts: npt.NDArray[np.int64], ends: npt.NDArray[np.int64]
) -> list[bool]:
    c = np.zeros(len(mask) + 1, dtype=np.int64)
    np.cumsum(mask, out=c[1:])
    out: list[bool] = ((c[ends] - c[starts]) > 0).tolist()
    return out


def _decode(chunk: _Chunk) -> Iterator[Doc]:
    try:
        yield from _decode_docs(chunk)
    except DocBinError:
        raise
    except (KeyError, ValueError, TypeError, IndexError, OverflowError, AttributeError) as e:
        raise DocBinError(f"bad DocBin: {type(e).__name__}: {e}", path=chunk.path) from None


def _decode_docs(chunk: _Chunk) -> Iterator[Doc]:
    """The Docs of a chunk, decoded block by block (memory bounded by the block, not the file)."""
    lookup = _Lookup(chunk.strings, chunk.path)
    lengths = chunk.lengths.astype(np.int64)
    if len(chunk.tokens) <= _BATCH_TOKENS:
        yield from _decode_block(chunk, lookup)
        return
    doc_start = 0
    tok_start = 0
    for batch_end, n_tok in _block_ends(lengths, _BATCH_TOKENS):
        tok_end = tok_start + n_tok
        block = _Chunk(
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


def _decode_block(chunk: _Chunk, lookup: _Lookup) -> Iterator[Doc]:
    path = chunk.path
    attrs = chunk.attrs
    tokens = chunk.tokens
    n = len(tokens)
    n_docs = len(chunk.lengths)
    lengths = chunk.lengths.astype(np.int64)
    starts = np.zeros(n_docs, dtype=np.int64)
    if n_docs > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    ends = starts + lengths
    starts_l: list[int] = starts.tolist()
    ends_l: list[int] = ends.tolist()
    zero = np.zeros(n, dtype=np.uint64)

    def col(attr: int) -> U64 | None:
        if attr in attrs:
            c: U64 = tokens[:, attrs.index(attr)]
            return c
        return None

    def str_col(
        attr: int, name: str, overrides: dict[int, str] | None = None
    ) -> tuple[list[str | None] | None, list[bool]]:
        c = col(attr)
        if c is None or not c.any():
            return None, [False] * n_docs
        return lookup.column(c, name, overrides), _per_doc_any(c != 0, starts, ends)

    orth = col(ORTH)
    words: list[str] = lookup.column(orth if orth is not None else zero, "ORTH", {0: ""})  # type: ignore[assignment]
    tags, has_tags = str_col(TAG, "TAG")
    lemmas, has_lemmas = str_col(LEMMA, "LEMMA")
    norms, has_norms = str_col(NORM, "NORM")
    deps, has_deps = str_col(DEP, "DEP")
    morphs, has_morphs = str_col(MORPH, "MORPH", {_EMPTY_MORPH: ""})
    pos: list[str | None] | None = None
    has_pos = [False] * n_docs
    pc = col(POS)
    if pc is not None and pc.any():
        bad_pos = np.flatnonzero((pc > _POS_MAX) | ~_POS_VALID[np.minimum(pc, _POS_MAX)])
        if bad_pos.size:
            raise DocBinError(
                f"bad DocBin: POS value {int(pc[bad_pos[0]])} is not a universal POS tag ID", path=path
            )
        pos = _POS_NAMES[pc.astype(np.intp)].tolist()
        has_pos = _per_doc_any(pc != 0, starts, ends)

    # Heads: HEAD 0 and DEP 0 is an unknown head; HEAD 0 with a DEP is a root.
    heads: list[int | None] | None = None
    has_heads = [False] * n_docs
    hc = col(HEAD)
    dc = col(DEP)
    if hc is not None:
        rel = hc.view(np.int64)
        dep_nz = dc != 0 if dc is not None else np.zeros(n, dtype=bool)
        known = (rel != 0) | dep_nz
        if known.any():
            tok_doc = np.repeat(np.arange(n_docs), lengths)
            local = np.arange(n, dtype=np.int64) - starts[tok_doc]
            absolute = local + rel
            bad = known & ((absolute < 0) | (absolute >= lengths[tok_doc]))
            if bad.any():
                t = int(np.flatnonzero(bad)[0])
                raise DocBinError(
                    f"bad DocBin: doc {int(tok_doc[t])} token {int(local[t])} has relative head "
                    f"{int(rel[t])}, outside the doc",
                    path=path,
                )
            heads = absolute.tolist()
            for t in np.flatnonzero(~known).tolist():
                heads[t] = None
            has_heads = _per_doc_any(known, starts, ends)

    sent_starts: list[bool | None] | None = None
    has_ss = [False] * n_docs
    sc = col(SENT_START)
    if sc is not None and n:
        sv = sc.view(np.int64)
        code = np.where(sv > 0, 1, np.where(sv < 0, 2, 0))
        sent_starts = np.array([None, True, False], dtype=object)[code].tolist()
        # spaCy sets 1 on the first token of every doc: in a doc without a parse, that alone is no
        # annotation (None). A doc whose first token is 0 had its sentence starts given, even if
        # all unknown; in a parsed doc they are kept as stored (writing None would derive them).
        rest = sv != 0
        first = starts[lengths > 0]
        rest[first] = sv[first] != 1
        has_ss = [r or p for r, p in zip(_per_doc_any(rest, starts, ends), has_deps, strict=True)]

    # Entities, as spaCy's Doc.ents reads them (a stray I starts an entity here).
    ents_by_doc: dict[int, list[Span]] = {}
    missing_docs: dict[int, list[bool]] = {}
    has_ents = [False] * n_docs
    ic = col(ENT_IOB)
    if ic is not None and ic.any():
        has_ents = _per_doc_any(ic != 0, starts, ends)
        tc = col(ENT_TYPE)
        tc = tc if tc is not None else zero
        kc = col(ENT_KB_ID)
        kc = kc if kc is not None else zero
        ec = col(ENT_ID)
        ec = ec if ec is not None else zero
        if (ic > 3).any():
            raise DocBinError(f"bad DocBin: ENT_IOB value {int(ic.max())}, expected 0-3", path=path)
        is_b = (ic == 3) & (tc != 0)
        in_ent = is_b | (ic == 1)
        doc_start_mask = np.zeros(n, dtype=bool)
        doc_start_mask[starts[lengths > 0]] = True
        prev_in = np.zeros(n, dtype=bool)
        prev_in[1:] = in_ent[:-1]
        ent_start = in_ent & (is_b | ~prev_in | doc_start_mask)
        cont = in_ent & ~ent_start
        breaks = np.flatnonzero(~cont)
        breaks = np.append(breaks, n)
        s_idx = np.flatnonzero(ent_start)
        e_idx = breaks[np.searchsorted(breaks, s_idx, side="right")]
        s_doc = np.searchsorted(starts, s_idx, side="right") - 1
        # a doc of zero tokens shares its start with the next doc: searchsorted picks the last one
        labels = lookup.column(tc[s_idx], "ENT_TYPE")
        kbs = lookup.column(kc[s_idx], "ENT_KB_ID")
        eids = lookup.column(ec[s_idx], "ENT_ID")
        for s0, e0, d, lab, kb, ei in zip(
            s_idx.tolist(), e_idx.tolist(), s_doc.tolist(), labels, kbs, eids, strict=True
        ):
            if not lab:
                continue
            base = starts_l[d]
            ents_by_doc.setdefault(d, []).append(Span(s0 - base, e0 - base, lab, kb or "", ei or ""))
        miss = ic == 0
        has_missing = _per_doc_any(miss, starts, ends)
        for d in range(n_docs):
            if has_ents[d] and has_missing[d]:
                missing_docs[d] = miss[starts_l[d] : ends_l[d]].tolist()

    spaces: list[bool] = chunk.spaces.tolist()
    for d in range(n_docs):
        a, b = starts_l[d], ends_l[d]
        flags = chunk.flags[d]
        unknown_spaces = bool(flags.get("has_unknown_spaces", False)) if isinstance(flags, dict) else False
        user_data: dict[Any, Any] = {}
        ud_bytes = chunk.user_data[d]
        if ud_bytes and ud_bytes != _EMPTY_MAP:
            if not isinstance(ud_bytes, bytes):
                raise DocBinError(f"bad DocBin: user_data of doc {d} is not bytes", path=path)
            try:
                user_data = _unpack_user_data(ud_bytes)
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
            lines = _provenance_lines(prov, d, b - a, path)
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
            spans=_decode_span_groups(chunk.span_groups[d], lookup, b - a, path),
            has_unknown_spaces=unknown_spaces,
            user_data=user_data,
            source=source,
            lines=lines,
        )


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


def _decode_span_groups(data: Any, lookup: _Lookup, n: int, path: str | None) -> dict[str, list[Span]]:
    if not data or data == _EMPTY_SPAN_GROUPS:
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
            sid, kb, label, start, end, _sc, _ec = _SPAN_STRUCT.unpack(raw)
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


# ---------------------------------------------------------------------------------------------
# The DocBin class
# ---------------------------------------------------------------------------------------------


def _intify_attrs(attrs: Iterable[str | int] | None) -> list[int]:
    if attrs is None:
        return list(DEFAULT_ATTRS)
    ids: set[int] = set()
    for a in attrs:
        if isinstance(a, str):
            key = a.upper()
            if key not in ATTR_IDS:
                raise UsageError(f"DocBin attr {a!r} is not one of {', '.join(ATTR_IDS)}")
            ids.add(ATTR_IDS[key])
        elif isinstance(a, int) and a in ATTR_IDS.values():
            ids.add(a)
        else:
            raise UsageError(f"DocBin attr {a!r} is not one of {', '.join(ATTR_IDS)}")
    ids.discard(ORTH)
    ids.discard(SPACY)
    return [ORTH, *sorted(ids)]


class DocBin:
    """A collection of Docs in spaCy's ``.spacy`` format (the same API as ``spacy.tokens.DocBin``).

    ``store_user_data`` defaults to True (as ``spacy convert`` writes), so provenance travels.
    """

    def __init__(
        self, attrs: Iterable[str | int] | None = None, store_user_data: bool = True, docs: Iterable[Doc] = ()
    ) -> None:
        self.version = _VERSION
        self.attrs: list[int] = _intify_attrs(attrs)
        self.store_user_data = store_user_data
        self._chunks: list[_Chunk] = []
        self._pending: list[Doc] = []
        for doc in docs:
            self.add(doc)

    def __len__(self) -> int:
        return sum(len(c) for c in self._chunks) + len(self._pending)

    def add(self, doc: Doc) -> None:
        """Add a Doc (it is encoded, with the others, when the DocBin is serialised or read)."""
        if not isinstance(doc, Doc):
            raise UsageError(f"DocBin.add takes a corpuskit Doc, got {type(doc).__name__}")
        self._pending.append(doc)

    def _flush(self) -> None:
        if self._pending:
            self._chunks.append(_encode(self._pending, self.attrs, self.store_user_data))
            self._pending = []

    def __iter__(self) -> Iterator[Doc]:
        return self.get_docs()

    def get_docs(self, vocab: object = None) -> Iterator[Doc]:
        """The Docs, as a reader of the serialised bytes would get them.

        ``vocab`` is accepted (and not needed) so that code written for spaCy's
        ``DocBin.get_docs(nlp.vocab)`` runs unchanged.
        """
        self._flush()
        for chunk in list(self._chunks):
            yield from _decode(chunk)

    @property
    def strings(self) -> set[str]:
        """The strings table (every string the token columns and spans refer to)."""
        self._flush()
        return set().union(*(c.strings for c in self._chunks))

    def merge(self, other: DocBin) -> None:
        """Append the docs of ``other`` (same attrs and store_user_data, as in spaCy)."""
        if self.attrs != other.attrs:
            raise UsageError(f"cannot merge DocBins with different attrs: {self.attrs} and {other.attrs}")
        if self.store_user_data != other.store_user_data:
            raise UsageError(
                f"cannot merge DocBins with different store_user_data: {self.store_user_data} and "
                f"{other.store_user_data}"
            )
        self._flush()
        other._flush()
        self._chunks.extend(other._chunks)

    def _uniform_chunks(self) -> list[_Chunk]:
        out = []
        for c in self._chunks:
            if c.attrs != self.attrs:
                c = _encode(list(_decode(c)), self.attrs, self.store_user_data)
            out.append(c)
        return out

    def _write(self, out: Callable[[bytes], object]) -> None:
        chunks = _serialise(self._uniform_chunks(), self._pending, self.attrs, self.store_user_data, out)
        self._chunks = chunks
        self._pending = []

    def to_bytes(self) -> bytes:
        """The ``.spacy`` bytes: ``zlib(msgpack(...))``, identical to spaCy's for the same docs."""
        pieces: list[bytes] = []
        self._write(pieces.append)
        return b"".join(pieces)

    def from_bytes(self, data: bytes, *, path: str | Path | None = None) -> DocBin:
        """Replace the contents with the DocBin in ``data``; ``path`` names it in errors."""
        chunk = _parse(data, str(path) if path is not None else None)
        self.attrs = list(chunk.attrs)
        self._chunks = [chunk]
        self._pending = []
        return self

    def to_disk(self, path: str | Path) -> None:
        """Write a ``.spacy`` file atomically (a temporary file renamed into place)."""
        _write_file(Path(path), self._write)

    def from_disk(self, path: str | Path) -> DocBin:
        """Load a ``.spacy`` file, or every ``.spacy`` file below a directory (sorted, hidden skipped)."""
        chunks = [_parse(_read_file(f), str(f)) for f in _docbin_files(path)]
        if chunks:
            self.attrs = list(chunks[0].attrs)
        self._chunks = chunks
        self._pending = []
        return self


# ---------------------------------------------------------------------------------------------
# Streaming, sharded reading and writing
# ---------------------------------------------------------------------------------------------


def _read_file(path: Path) -> bytes:
    try:
        check_regular(path)
        return path.read_bytes()
    except FileNotFoundError:
        raise DocBinError("no such file", path=str(path)) from None
    except IsADirectoryError:
        raise DocBinError("is a directory, expected a .spacy file", path=str(path)) from None
    except OSError as e:
        raise DocBinError(f"cannot read: {e.strerror}", path=str(path)) from None
    except UsageError as e:
        raise DocBinError(str(e).removeprefix(f"{path}: "), path=str(path)) from None


def _docbin_files(path: str | Path) -> list[Path]:
    path = Path(path)
    if not path.exists():
        raise DocBinError("no such file or directory", path=str(path))
    if not path.is_dir():
        return [path]
    files = list(iter_files(path, suffixes=(".spacy",)))  # regular files only, symlinks followed
    if not files:
        raise DocBinError("no .spacy files in this directory", path=str(path))
    return files


def read_docbin(path: str | Path) -> Iterator[Doc]:
    """Stream the Docs of a ``.spacy`` file, or of every ``.spacy`` file below a directory.

    One file (shard) is in memory at a time.
    """
    for f in _docbin_files(path):
        yield from _decode(_parse(_read_file(f), str(f)))


#: Tokens per shard of a large corpus (:func:`write_docbin`, ``corpuskit convert --shard-size``).
SHARD_TOKENS = 500_000


@dataclass(slots=True)
class WriteStats:
    """What :func:`write_docbin` wrote."""

    n_docs: int = 0
    n_sents: int = 0
    n_tokens: int = 0
    paths: list[Path] = field(default_factory=list)


def _count_sents(chunk: _Chunk) -> int:
    lengths = chunk.lengths.astype(np.int64)
    nonempty = int((lengths > 0).sum())
    if SENT_START not in chunk.attrs or not len(chunk.tokens):
        return nonempty
    ss = chunk.tokens[:, chunk.attrs.index(SENT_START)].view(np.int64) == 1
    starts = np.zeros(len(lengths), dtype=np.int64)
    if len(lengths) > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    first = starts[lengths > 0]
    ss = ss.copy()
    ss[first] = False  # every non-empty doc starts a sentence
    return nonempty + int(ss.sum())


def write_docbin(
    docs: Iterable[Doc],
    path: str | Path,
    *,
    shard_tokens: int = SHARD_TOKENS,
    attrs: Iterable[str | int] | None = None,
    store_user_data: bool = True,
    n_tokens: int | None = None,
) -> WriteStats:
    """Write ``docs`` as one ``.spacy`` file, or as a directory of shards when they are many.

    A corpus of at most ``shard_tokens`` tokens becomes the file ``path``. A larger one becomes
    the directory ``path`` (e.g. ``train.spacy/``) holding ``train-0000.spacy``, ``train-0001.spacy``
    ..., each of at most ``shard_tokens`` tokens (a doc is never split, so a longer doc makes a
    shard of its own); spaCy's corpus reader and :func:`read_docbin` both read such a directory.
    Memory is bounded by the shard size, and each shard is compressed in a background thread
    while its next batch of docs is encoded. When the caller knows how many tokens the docs hold
    (``n_tokens``) and they fit one shard, the file is compressed while the docs are still
    being read (:class:`TokenCountMismatch` if they hold another number). Written atomically:
    on any failure nothing is left at ``path`` and a previous corpus there stays as it was.
    """
    if shard_tokens < 1:
        raise UsageError(f"shard_tokens must be at least 1, got {shard_tokens}")
    target = Path(path)
    _check_replaceable(target)
    int_attrs = _intify_attrs(attrs)
    with _gc_paused():
        if n_tokens is not None and n_tokens <= shard_tokens:
            return _write_streamed(docs, target, n_tokens, int_attrs, store_user_data)
        return _write_shards(docs, target, shard_tokens, int_attrs, store_user_data)


def _encoded(
    docs: Iterable[Doc], int_attrs: list[int], store_user_data: bool, ids: _StringIds
) -> Iterator[_Chunk]:
    """``docs`` encoded as they come, a few thousand tokens at a time."""
    batch: list[Doc] = []
    n_batch = 0
    for doc in docs:
        if not isinstance(doc, Doc):
            raise UsageError(f"write_docbin takes corpuskit Docs, got {type(doc).__name__}")
        batch.append(doc)
        n_batch += len(doc.words)
        if n_batch >= _ENCODE_TOKENS:
            yield _encode(batch, int_attrs, store_user_data, ids)
            batch, n_batch = [], 0
    if batch:
        yield _encode(batch, int_attrs, store_user_data, ids)


def _write_streamed(
    docs: Iterable[Doc], target: Path, n_tokens: int, int_attrs: list[int], store_user_data: bool
) -> WriteStats:
    """``docs``, ``n_tokens`` tokens in all, as the one file ``target``: the header is written
    first, and each batch of docs is compressed while the next is read."""
    stats = WriteStats()
    ids = _StringIds()

    def write(out: Callable[[bytes], object]) -> None:
        chunks = _encoded(docs, int_attrs, store_user_data, ids)
        for c in _serialise_stream(chunks, n_tokens, int_attrs, store_user_data, out, ids=ids):
            stats.n_docs += len(c)
            stats.n_tokens += int(c.lengths.sum(dtype=np.int64))
            stats.n_sents += _count_sents(c)

    _write_file(target, write)
    stats.paths = [target]
    return stats


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while docs are read and encoded.

    Docs hold no reference cycles, but a shard of them is a million container objects that
    every full collection would walk again (an eighth of a conversion's time).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _write_shards(
    docs: Iterable[Doc], target: Path, shard_tokens: int, int_attrs: list[int], store_user_data: bool
) -> WriteStats:
    """Encode docs as they come (a few thousand tokens at a time, while their strings are still
    in the CPU's caches, and only the compact columns are kept), and write each full shard in a
    background thread while the next one is read."""
    stem = target.name[: -len(".spacy")] if target.name.endswith(".spacy") else target.name
    stats = WriteStats()
    ids = _StringIds()
    first: Path | None = None  # shard 0, beside the target until we know whether a shard 1 comes
    tmp_dir: Path | None = None
    shard_paths: list[Path] = []
    writing: Future[list[_Chunk]] | None = None

    def written() -> None:
        """Wait for the shard being written; count it."""
        nonlocal writing
        if writing is None:
            return
        chunks, writing = writing.result(), None
        for c in chunks:
            stats.n_docs += len(c)
            stats.n_tokens += int(c.lengths.sum(dtype=np.int64))
            stats.n_sents += _count_sents(c)

    def write_shard(chunks: list[_Chunk]) -> None:
        nonlocal first, tmp_dir, writing
        target.parent.mkdir(parents=True, exist_ok=True)
        if first is None and tmp_dir is None:
            first = dest = temp_beside(target)
            dest.touch(exist_ok=False)
        else:
            if tmp_dir is None:
                tmp_dir = temp_beside(target)
                tmp_dir.mkdir()
                assert first is not None
                written()  # shard 0 is complete before it moves
                os.replace(first, tmp_dir / f"{stem}-0000.spacy")
                first = None
            dest = tmp_dir / f"{stem}-{len(shard_paths):04d}.spacy"
        shard_paths.append(target / f"{stem}-{len(shard_paths):04d}.spacy")
        written()  # at most one shard in the writer's hands

        def write() -> list[_Chunk]:
            with open(dest, "wb") as fh:
                return _serialise(chunks, [], int_attrs, store_user_data, fh.write, ids=ids)

        writing = writer.submit(write)

    with ThreadPoolExecutor(max_workers=1) as writer:
        try:
            chunks: list[_Chunk] = []  # the current shard, encoded
            batch: list[Doc] = []  # its docs not encoded yet
            n_shard = n_batch = 0
            for doc in docs:
                if not isinstance(doc, Doc):
                    raise UsageError(f"write_docbin takes corpuskit Docs, got {type(doc).__name__}")
                n = len(doc.words)
                if n_shard and n_shard + n > shard_tokens:
                    if batch:
                        chunks.append(_encode(batch, int_attrs, store_user_data, ids))
                    write_shard(chunks)
                    chunks, batch, n_shard, n_batch = [], [], 0, 0
                batch.append(doc)
                n_shard += n
                n_batch += n
                if n_batch >= _ENCODE_TOKENS:
                    chunks.append(_encode(batch, int_attrs, store_user_data, ids))
                    batch, n_batch = [], 0
            if batch:
                chunks.append(_encode(batch, int_attrs, store_user_data, ids))
            if chunks or not shard_paths:
                write_shard(chunks)
            written()
            if tmp_dir is None:
                assert first is not None
                _replace_path(first, target)
                first = None
                stats.paths = [target]
            else:
                _replace_path(tmp_dir, target)
                tmp_dir = None
                stats.paths = shard_paths
        finally:
            if writing is not None:
                with contextlib.suppress(BaseException):
                    writing.result()  # the writer is done with its file before it is removed
            if first is not None:
                with contextlib.suppress(FileNotFoundError):
                    first.unlink()
            if tmp_dir is not None:
                shutil.rmtree(tmp_dir, ignore_errors=True)
    return stats


def _check_replaceable(target: Path) -> None:
    """Refuse to replace a directory that is not a shard directory written by :func:`write_docbin`."""
    if not target.is_dir() or target.is_symlink():
        return
    stem = target.name[: -len(".spacy")] if target.name.endswith(".spacy") else target.name
    shard = re.compile(rf"{re.escape(stem)}-\d{{4,}}\.spacy")
    others = [p.name for p in target.iterdir() if not (p.is_file() and shard.fullmatch(p.name))]
    if others:
        raise UsageError(
            f"{target}: is a directory holding other files ({', '.join(sorted(others)[:3])}...); "
            f"only a shard directory ({stem}-0000.spacy, ...) is replaced; name an output file instead"
        )


def _write_file(target: Path, write: Callable[[Callable[[bytes], object]], None]) -> None:
    """Write a file atomically through ``write(out)``, replacing a file or a shard directory there
    (:func:`corpuskit.io.atomic_open`, the project's one output policy)."""
    _check_replaceable(target)
    with atomic_open(target, "wb") as fh:
        write(fh.write)


def _replace_path(tmp_dir: Path, target: Path) -> None:
    """Move a finished file or directory onto ``target`` (:func:`corpuskit.io.replace_path`)."""
    replace_path(tmp_dir, target)
