"""Columns to bytes: the msgpack map written field by field into one zlib stream."""

from __future__ import annotations

import contextlib
import struct
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain
from typing import Any

import numpy as np

from ..doc import Doc
from ..errors import DocBinError
from . import format as fmt
from .encode import encode
from .format import VERSION, Chunk, pack
from .ids import StringIds

__all__ = ["TokenCountMismatch", "serialise", "serialise_stream"]

_MAX_BIN = 0xFFFFFFFF  # msgpack's limit for one bytes value (spaCy issues #5219, #7627)


class TokenCountMismatch(ValueError):
    """The docs given to :func:`write_docbin` hold another number of tokens than ``n_tokens`` said."""


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


def serialise(
    chunks: Sequence[Chunk],
    docs: Sequence[Doc],
    attrs: list[int],
    store_user_data: bool,
    out: Callable[[bytes], object],
    *,
    ids: StringIds | None = None,
) -> list[Chunk]:
    """Write ``zlib(msgpack(DocBin))`` of ``chunks`` then ``docs`` to ``out``, piece by piece;
    returns the chunks, ``docs`` encoded (in batches, see :func:`serialise_stream`)."""
    n_total = sum(len(c.tokens) for c in chunks) + sum(len(d.words) for d in docs)
    ids = StringIds() if ids is None else ids

    def pieces() -> Iterator[Chunk]:
        yield from chunks
        for batch in _batches(docs, fmt.BATCH_TOKENS):
            yield encode(batch, attrs, store_user_data, ids)

    return serialise_stream(pieces(), n_total, attrs, store_user_data, out, ids=ids)


def serialise_stream(
    chunks: Iterable[Chunk],
    n_total: int,
    attrs: list[int],
    store_user_data: bool,
    out: Callable[[bytes], object],
    *,
    ids: StringIds,
) -> list[Chunk]:
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
    done: list[Chunk] = []
    n_done = 0
    with _Compressor(comp, out, threaded=n_total > fmt.BATCH_TOKENS) as feed:
        head = [bytes([0x80 | (10 if store_user_data else 9)])]
        for key, value in (("version", VERSION), ("attrs", attrs)):
            head.append(pack(key))
            head.append(pack(value))
        head.append(pack("tokens"))
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
            done.append(encode([], attrs, store_user_data, ids))
        feed(b"".join(pack(k) + pack(v) for k, v in _tail(done, store_user_data).items()))
    out(comp.flush())
    return done


def _tail(done: list[Chunk], store_user_data: bool) -> dict[str, Any]:
    """The fields after ``tokens``, of all the chunks."""
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
    return tail


class _Compressor:
    """Feeds pieces through ``comp`` to ``out`` in order, in a worker thread when ``threaded``
    (at most one piece in flight); leaving waits for the last one."""

    def __init__(self, comp: Any, out: Callable[[bytes], object], *, threaded: bool) -> None:
        self.comp = comp
        self.out = out
        self.pool: Any = ThreadPoolExecutor(max_workers=1) if threaded else contextlib.nullcontext()
        self.pending: Future[object] | None = None

    def _compress(self, data: bytes | memoryview) -> object:
        return self.out(self.comp.compress(data))

    def __call__(self, data: bytes | memoryview) -> None:
        if not isinstance(self.pool, ThreadPoolExecutor):
            self._compress(data)
            return
        if self.pending is not None:
            self.pending.result()  # keeps the order, and at most one piece in flight
        self.pending = self.pool.submit(self._compress, data)

    def __enter__(self) -> Callable[[bytes | memoryview], None]:
        self.pool.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None and self.pending is not None:
                self.pending.result()
        finally:
            self.pool.__exit__(*exc)
