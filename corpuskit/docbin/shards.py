"""Writing ``.spacy`` output: one file, or a folder of shards, streamed and written atomically."""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..doc import Doc
from ..errors import UsageError
from ..io import AtomicOutput, atomic_open
from .encode import encode
from .format import SENT_START, Chunk, intify_attrs, is_shard_name, shard_name, shard_path
from .ids import StringIds
from .stream import serialise, serialise_stream

__all__ = ["SHARD_TOKENS", "WriteStats", "check_replaceable", "write_docbin", "write_file"]

#: Tokens per shard of a large corpus (:func:`write_docbin`, ``corpuskit convert --shard-size``).
SHARD_TOKENS = 500_000
_ENCODE_TOKENS = 16_384  # write_docbin encodes docs as they come, this many tokens at a time


@dataclass(slots=True)
class WriteStats:
    """What :func:`write_docbin` wrote."""

    n_docs: int = 0
    n_sents: int = 0
    n_tokens: int = 0
    paths: list[Path] = field(default_factory=list)

    def count(self, chunks: Iterable[Chunk]) -> None:
        """Add the docs, sentences and tokens of ``chunks``."""
        for c in chunks:
            self.n_docs += len(c)
            self.n_tokens += int(c.lengths.sum(dtype=np.int64))
            self.n_sents += _count_sents(c)


def _count_sents(chunk: Chunk) -> int:
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
    being read (:class:`TokenCountMismatch` if they hold another number). Written atomically
    (:class:`corpuskit.io.AtomicOutput`): on any failure nothing is left at ``path`` and a
    previous corpus there stays as it was.
    """
    if shard_tokens < 1:
        raise UsageError(f"shard_tokens must be at least 1, got {shard_tokens}")
    target = Path(path)
    check_replaceable(target)
    int_attrs = intify_attrs(attrs)
    with _gc_paused():
        if n_tokens is not None and n_tokens <= shard_tokens:
            return _write_streamed(docs, target, n_tokens, int_attrs, store_user_data)
        return _write_shards(docs, target, shard_tokens, int_attrs, store_user_data)


def check_replaceable(target: Path) -> None:
    """Refuse to replace a directory that is not a shard directory written by :func:`write_docbin`."""
    if not target.is_dir() or target.is_symlink():
        return
    others = [p.name for p in target.iterdir() if not (p.is_file() and is_shard_name(target, p.name))]
    if others:
        raise UsageError(
            f"{target}: is a directory holding other files ({', '.join(sorted(others)[:3])}...); "
            f"only a shard directory ({shard_name(target, 0)}, ...) is replaced; name an output "
            "file instead"
        )


def write_file(target: Path, write: Callable[[Callable[[bytes], object]], None]) -> None:
    """Write one ``.spacy`` file through ``write(out)`` (:func:`corpuskit.io.atomic_open`),
    replacing a file or a shard directory there."""
    check_replaceable(target)
    with atomic_open(target, "wb") as fh:
        write(fh.write)


def _check_doc(doc: object) -> Doc:
    if not isinstance(doc, Doc):
        raise UsageError(f"write_docbin takes corpuskit Docs, got {type(doc).__name__}")
    return doc


def _encoded(
    docs: Iterable[Doc], int_attrs: list[int], store_user_data: bool, ids: StringIds
) -> Iterator[Chunk]:
    """``docs`` encoded as they come, a few thousand tokens at a time."""
    batch: list[Doc] = []
    n_batch = 0
    for doc in docs:
        batch.append(_check_doc(doc))
        n_batch += len(doc.words)
        if n_batch >= _ENCODE_TOKENS:
            yield encode(batch, int_attrs, store_user_data, ids)
            batch, n_batch = [], 0
    if batch:
        yield encode(batch, int_attrs, store_user_data, ids)


def _write_streamed(
    docs: Iterable[Doc], target: Path, n_tokens: int, int_attrs: list[int], store_user_data: bool
) -> WriteStats:
    """``docs``, ``n_tokens`` tokens in all, as the one file ``target``: the header is written
    first, and each batch of docs is compressed while the next is read."""
    stats = WriteStats()
    ids = StringIds()

    def write(out: Callable[[bytes], object]) -> None:
        chunks = _encoded(docs, int_attrs, store_user_data, ids)
        stats.count(serialise_stream(chunks, n_tokens, int_attrs, store_user_data, out, ids=ids))

    write_file(target, write)
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


def _shards(
    docs: Iterable[Doc], shard_tokens: int, int_attrs: list[int], store_user_data: bool, ids: StringIds
) -> Iterator[list[Chunk]]:
    """The shards of ``docs`` (at least one, maybe empty), encoded as the docs come (a few
    thousand tokens at a time, while their strings are still in the CPU's caches; only the
    compact columns are kept)."""
    chunks: list[Chunk] = []  # the current shard, encoded
    batch: list[Doc] = []  # its docs not encoded yet
    n_shard = n_batch = 0
    shards = 0
    for doc in docs:
        n = len(_check_doc(doc).words)
        if n_shard and n_shard + n > shard_tokens:
            if batch:
                chunks.append(encode(batch, int_attrs, store_user_data, ids))
            yield chunks
            shards += 1
            chunks, batch, n_shard, n_batch = [], [], 0, 0
        batch.append(doc)
        n_shard += n
        n_batch += n
        if n_batch >= _ENCODE_TOKENS:
            chunks.append(encode(batch, int_attrs, store_user_data, ids))
            batch, n_batch = [], 0
    if batch:
        chunks.append(encode(batch, int_attrs, store_user_data, ids))
    if chunks or not shards:
        yield chunks


class _ShardWriter:
    """Writes each shard in a background thread while the next one is read: shard 0 as the
    output file itself, until a shard 1 comes and the output becomes a folder of shards."""

    def __init__(
        self, out: AtomicOutput, pool: ThreadPoolExecutor, stats: WriteStats, attrs: list[int]
    ) -> None:
        self.out = out
        self.pool = pool
        self.stats = stats
        self.attrs = attrs
        self.n = 0
        self.writing: Future[list[Chunk]] | None = None

    def wait(self) -> None:
        """Wait for the shard being written; count it."""
        if self.writing is not None:
            chunks, self.writing = self.writing.result(), None
            self.stats.count(chunks)

    def write(self, chunks: list[Chunk], store_user_data: bool, ids: StringIds) -> None:
        target = self.out.target
        if self.n == 0:
            dest = self.out.path
        else:
            if self.n == 1:
                folder = self.out.temp()
                folder.mkdir()
                self.wait()  # shard 0 is complete before it moves
                os.replace(self.out.path, folder / shard_name(target, 0))
                self.out.path = folder
            dest = self.out.path / shard_name(target, self.n)
        self.n += 1
        self.wait()  # at most one shard in the writer's hands

        def write() -> list[Chunk]:
            with open(dest, "xb") as fh:
                done = serialise(chunks, [], self.attrs, store_user_data, fh.write, ids=ids)
                fh.flush()
                os.fsync(fh.fileno())  # here, while the next shard is read, not all at the end
            return done

        self.writing = self.pool.submit(write)


def _write_shards(
    docs: Iterable[Doc], target: Path, shard_tokens: int, int_attrs: list[int], store_user_data: bool
) -> WriteStats:
    """``docs`` as the file ``target``, or as the shard folder ``target`` if they fill more than one."""
    stats = WriteStats()
    ids = StringIds()
    with AtomicOutput(target) as out, ThreadPoolExecutor(max_workers=1) as pool:
        writer = _ShardWriter(out, pool, stats, int_attrs)
        for chunks in _shards(docs, shard_tokens, int_attrs, store_user_data, ids):
            writer.write(chunks, store_user_data, ids)
        writer.wait()
    stats.paths = [target] if writer.n == 1 else [shard_path(target, k) for k in range(writer.n)]
    return stats
