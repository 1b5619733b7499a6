"""Registries: converters are found through the ``corpuskit_converters`` entry points."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import IO, Any

import catalogue
import numpy as np
import numpy.typing as npt

from .doc import Doc
from .errors import UsageError

__all__ = [
    "SPACY_CONVERTER_NAMES",
    "Converter",
    "FileScan",
    "converter_name",
    "get_converter",
    "list_converters",
    "registry",
]

#: ``spacy convert -c`` names -> corpuskit's converters reading the same format (spaCy's
#: ``CONVERTERS``: ``ner`` is its ``conll_ner_to_docs``, ``conllubio`` its ``conllu_to_docs``).
SPACY_CONVERTER_NAMES = {"ner": "conll", "conllubio": "conllu"}


def converter_name(name: str) -> str:
    """corpuskit's name for a converter name, spaCy's (``ner``, ``conllubio``) included."""
    return SPACY_CONVERTER_NAMES.get(name, name)


@dataclass(frozen=True)
class FileScan:
    """Where a file may be cut into parts that a converter reads independently.

    Cut ``k`` is at byte ``offsets[k]`` (a line start) after ``lines[k]`` lines; the converter
    yields ``units[k]`` docs and ``tokens[k]`` tokens from the bytes before it. Reading the
    bytes between two cuts (as a :class:`~corpuskit.corpus.LineSource` with ``start``, ``end``
    and ``first_line``) with ``options`` yields exactly the docs that reading the whole file
    yields for that stretch. ``options`` are the parse options with every whole-file decision
    taken (a CoNLL-U file's "has NER" flag); ``n_units`` and ``n_tokens`` count the whole file.
    ``exact_tokens`` is False when the options change the token count (CoNLL-U's merged
    subtokens): ``tokens`` then count the words of the file, not the tokens of its docs.
    """

    options: dict[str, Any]
    offsets: npt.NDArray[np.int64]
    lines: npt.NDArray[np.int64]
    units: npt.NDArray[np.int64]
    tokens: npt.NDArray[np.int64]
    n_units: int
    n_tokens: int
    size: int
    exact_tokens: bool = True


@dataclass(frozen=True)
class Converter:
    """One file format: how to recognise it, read it and (where it can hold it) write it.

    - ``parse(lines, *, source, **options) -> Iterator[Doc]`` reads physical lines (without their
      line ends, as ``corpuskit.io.read_lines`` gives them) and yields Docs whose provenance
      points at ``source`` and the lines.
    - ``write(docs, out, **options)`` writes Docs as text to an open text stream.
    - ``detect(head) -> float`` scores (0-1) how well the first lines of a file fit the format.
    - ``options``: the keyword options ``parse`` accepts, so a CLI passes only those. A
      converter whose options include ``group`` reads ``group`` sentences into each Doc itself,
      as :func:`corpuskit.transforms.group_sents` would (``convert -n`` then leaves them be).
    - ``scan(path, *, encoding, **options) -> FileScan | None`` (optional) finds where a large
      file may be cut, so that ``convert`` reads its parts in parallel; ``parse`` then numbers
      lines from ``lines.first_line + 1``. None means "read it whole".
    """

    name: str
    parse: Callable[..., Iterator[Doc]]
    write: Callable[..., None] | None = None
    detect: Callable[[list[str]], float] | None = None
    extensions: tuple[str, ...] = ()
    options: frozenset[str] = field(default_factory=frozenset)
    write_options: frozenset[str] = field(default_factory=frozenset)
    description: str = ""
    scan: Callable[..., FileScan | None] | None = None

    def read(self, lines: Iterable[str], *, source: str | None = None, **options: Any) -> Iterator[Doc]:
        """Parse lines with only the options this converter knows (others are ignored)."""
        known = {k: v for k, v in options.items() if k in self.options}
        return self.parse(lines, source=source, **known)

    def dump(self, docs: Iterable[Doc], out: IO[str], **options: Any) -> None:
        """Write docs to ``out`` with only the options this converter's writer knows."""
        if self.write is None:
            raise UsageError(f"the {self.name!r} format cannot be written")
        known = {k: v for k, v in options.items() if k in self.write_options}
        self.write(docs, out, **known)


class registry:
    """corpuskit's registries. The trainer's registry (``corpuskit.train``) extends thinc's."""

    converters = catalogue.create("corpuskit", "converters", entry_points=True)


def get_converter(name: str) -> Converter:
    """The converter registered (or installed as an entry point) under ``name``."""
    try:
        conv = registry.converters.get(name)
    except catalogue.RegistryError:
        known = ", ".join(sorted(list_converters())) or "none installed"
        raise UsageError(f"unknown converter {name!r}; expected one of: {known}") from None
    if not isinstance(conv, Converter):
        raise UsageError(f"converter {name!r} is a {type(conv).__name__}, not a Converter")
    return conv


def list_converters() -> dict[str, Converter]:
    """Every converter that loads, by name (entry points included).

    A plugin whose module fails to import is left out, so one broken plugin does not hide the
    others; naming it with :func:`get_converter` still shows its error.
    """
    try:
        found = registry.converters.get_all()
    except ImportError:
        found = {}
        for ep in entry_points(group="corpuskit_converters"):
            try:
                found[ep.name] = registry.converters.get(ep.name)
            except (ImportError, catalogue.RegistryError):
                continue
    return {k: v for k, v in found.items() if isinstance(v, Converter)}
