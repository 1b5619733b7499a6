"""The DocBin class: spaCy's ``DocBin`` API over corpuskit Docs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ..doc import Doc
from ..errors import UsageError
from .decode import decode
from .encode import encode
from .files import docbin_files, read_chunk
from .format import VERSION, Chunk, intify_attrs
from .parse import parse
from .shards import write_file
from .stream import serialise

__all__ = ["DocBin"]


class DocBin:
    """A collection of Docs in spaCy's ``.spacy`` format (the same API as ``spacy.tokens.DocBin``).

    ``store_user_data`` defaults to True (as ``spacy convert`` writes), so provenance travels.
    """

    def __init__(
        self, attrs: Iterable[str | int] | None = None, store_user_data: bool = True, docs: Iterable[Doc] = ()
    ) -> None:
        self.version = VERSION
        self.attrs: list[int] = intify_attrs(attrs)
        self.store_user_data = store_user_data
        self._chunks: list[Chunk] = []
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
            self._chunks.append(encode(self._pending, self.attrs, self.store_user_data))
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
            yield from decode(chunk)

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

    def _uniform_chunks(self) -> list[Chunk]:
        out = []
        for c in self._chunks:
            if c.attrs != self.attrs:
                c = encode(list(decode(c)), self.attrs, self.store_user_data)
            out.append(c)
        return out

    def _write(self, out: Callable[[bytes], object]) -> None:
        chunks = serialise(self._uniform_chunks(), self._pending, self.attrs, self.store_user_data, out)
        self._chunks = chunks
        self._pending = []

    def to_bytes(self) -> bytes:
        """The ``.spacy`` bytes: ``zlib(msgpack(...))``, identical to spaCy's for the same docs."""
        pieces: list[bytes] = []
        self._write(pieces.append)
        return b"".join(pieces)

    def from_bytes(self, data: bytes, *, path: str | Path | None = None) -> DocBin:
        """Replace the contents with the DocBin in ``data``; ``path`` names it in errors."""
        chunk = parse(data, str(path) if path is not None else None)
        self.attrs = list(chunk.attrs)
        self._chunks = [chunk]
        self._pending = []
        return self

    def to_disk(self, path: str | Path) -> None:
        """Write a ``.spacy`` file atomically (a temporary file renamed into place)."""
        write_file(Path(path), self._write)

    def from_disk(self, path: str | Path) -> DocBin:
        """Load a ``.spacy`` file, or every ``.spacy`` file below a directory (sorted, hidden skipped)."""
        chunks = [read_chunk(f) for f in docbin_files(path)]
        if chunks:
            self.attrs = list(chunks[0].attrs)
        self._chunks = chunks
        self._pending = []
        return self
