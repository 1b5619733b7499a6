"""Registries: converters are found through the ``corpuskit_converters`` entry points."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, make_dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import IO, Any, Literal, Protocol, TypeVar, runtime_checkable

import catalogue
import numpy as np
import numpy.typing as npt

from .doc import Doc
from .errors import UsageError

__all__ = [
    "FEATS_KEY",
    "OFFSET_UNITS_KEY",
    "SPACY_CONVERTER_NAMES",
    "SPAN_PROBLEMS_KEY",
    "TEXT_KEY",
    "Converter",
    "ConverterOptions",
    "FileScan",
    "LineSource",
    "Resync",
    "Unit",
    "converter_name",
    "get_converter",
    "list_converters",
    "registry",
]

#: ``spacy convert -c`` names -> corpuskit's converters reading the same format (spaCy's
#: ``CONVERTERS``: ``ner`` is its ``conll_ner_to_docs``, ``conllubio`` its ``conllu_to_docs``).
SPACY_CONVERTER_NAMES = {"ner": "conll", "conllubio": "conllu"}


# The format-neutral facts a converter may state in ``Doc.user_data`` (they travel in .spacy
# files); debug-data's checks read them through corpuskit.debug.facts, whatever the format.

#: The text the source states for the doc (CoNLL-U ``# text``, JSONL ``text``): a string (the
#: whole doc's), or a list with ``[first token, end token, text, multiword tokens]`` for each
#: sentence that states one, ``multiword tokens`` being ``[first token, end token, surface form]``
#: each (CoNLL-U ``3-4 du``); token indices count from the doc's first token.
TEXT_KEY = "corpuskit.text"
#: The features as the source wrote them (before any normalising): a string or None per token.
FEATS_KEY = "corpuskit.feats"
#: The spans the converter could not place on the tokens: a list of dicts with
#: :class:`~corpuskit.alignment.SpanProblem`'s fields (and ``given``, the offsets as written;
#: ``message``, one line).
SPAN_PROBLEMS_KEY = "corpuskit.span_problems"
#: The unit a record's offsets were read in or fit: ``{"unit": "utf-16", ...}``.
OFFSET_UNITS_KEY = "corpuskit.offset_units"

#: What one Doc of a converter is: a sentence (``convert -n`` groups them) or a whole document.
Unit = Literal["sentence", "document"]
#: How ``debug-data`` reads on after a parse error: past the block (to the next blank line) or
#: past the line (formats with one record per line). None: the file's reading stops there.
Resync = Literal["block", "line"]

_O = TypeVar("_O", bound="ConverterOptions")


@runtime_checkable
class LineSource(Protocol):
    """The physical lines (without line ends) a converter's ``parse`` reads, from a file.

    ``iter()`` starts over at every call (a converter may scan the lines, then read them);
    ``blocks()`` gives the same lines a list at a time (for fast readers); ``path`` is the file
    (None when the lines are not a file's); the first line is line ``first_line + 1`` of the
    file (a part of a file, see :class:`FileScan`). ``parse`` also takes any iterable of lines
    (a list, a one-shot iterator), numbered from 1. :class:`corpuskit.corpus.LineSource` is
    corpuskit's implementation.
    """

    @property
    def path(self) -> Path | None: ...

    @property
    def first_line(self) -> int: ...

    def __iter__(self) -> Iterator[str]: ...

    def blocks(self) -> Iterator[list[str]]: ...


class _Unset:
    """The default of an option of a converter that declared only the options' names."""

    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()


@dataclass(frozen=True)
class ConverterOptions:
    """A converter's parse options, typed: subclass it with one field per option (its default
    that of ``parse``'s keyword) and name the subclass as :attr:`Converter.options_type`."""

    @classmethod
    def from_mapping(cls: type[_O], options: Mapping[str, Any], *, converter: str = "") -> _O:
        """The options from keywords; a key that is not one of them raises UsageError."""
        names = [f.name for f in fields(cls)]
        unknown = sorted(set(options) - set(names))
        if unknown:
            whose = f"the {converter!r} converter" if converter else "this converter"
            raise UsageError(
                f"unknown option(s) {', '.join(map(repr, unknown))} for {whose}; "
                f"expected: {', '.join(sorted(names)) or 'no options'}"
            )
        return cls(**options)

    def as_kwargs(self) -> dict[str, Any]:
        """The keywords ``parse`` takes (an option left unset is not passed)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: v for k, v in out.items() if v is not _UNSET}


def _untyped_options(names: Iterable[str]) -> type[ConverterOptions]:
    """An options type for a converter that declared only its options' names."""
    spec = [(n, Any, field(default=_UNSET)) for n in sorted(names)]
    return make_dataclass("UntypedOptions", spec, bases=(ConverterOptions,), frozen=True)


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
    - ``options_type``: the typed options ``parse`` accepts (a :class:`ConverterOptions`
      subclass); ``options`` then are its field names. A converter that gives only ``options``
      (names) gets an untyped options type. Either way an option the converter does not know
      raises UsageError (see :meth:`read`). A converter whose options include ``group`` reads
      ``group`` sentences into each Doc itself, as :func:`corpuskit.transforms.group_sents`
      would (``convert -n`` then leaves them be).
    - ``unit``: what one Doc is, ``"sentence"`` (``convert -n`` groups them) or ``"document"``
      (never grouped).
    - ``resync``: how ``debug-data`` reads on after a parse error (:data:`Resync`): past the
      ``"block"`` (to the next blank line) or the ``"line"``; None stops reading the file.
    - ``scan(path, *, encoding, **options) -> FileScan | None`` (optional) finds where a large
      file may be cut, so that ``convert`` reads its parts in parallel; ``parse`` then numbers
      lines from ``lines.first_line + 1``. None means "read it whole".
    - ``validate(path, *, encoding) -> Iterator[tuple]`` (optional) checks a file's raw lines for
      ``check`` and ``debug-data``: ``(check_id, line, column, message, first, last)`` each, where
      ``first``-``last`` are the lines of the record (sentence) it is in.
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
    validate: Callable[..., Iterator[tuple[str, int, int | None, str, int, int]]] | None = None
    unit: Unit = "sentence"
    resync: Resync | None = None
    options_type: type[ConverterOptions] | None = None

    def __post_init__(self) -> None:
        if self.unit not in ("sentence", "document"):
            raise UsageError(
                f"converter {self.name!r}: unit {self.unit!r}; expected 'sentence' or 'document'"
            )
        if self.resync not in (None, "block", "line"):
            raise UsageError(
                f"converter {self.name!r}: resync {self.resync!r}; expected 'block', 'line' or None"
            )
        if self.options_type is None:
            object.__setattr__(self, "options_type", _untyped_options(self.options))
            return
        names = frozenset(f.name for f in fields(self.options_type))
        if self.options and self.options != names:
            raise UsageError(
                f"converter {self.name!r}: options {sorted(self.options)} are not the fields of "
                f"{self.options_type.__name__} {sorted(names)}"
            )
        object.__setattr__(self, "options", names)

    def parse_options(self, options: Mapping[str, Any]) -> ConverterOptions:
        """This converter's typed options from keywords (UsageError names an unknown one)."""
        assert self.options_type is not None  # set by __post_init__
        return self.options_type.from_mapping(options, converter=self.name)

    def read(
        self,
        lines: Iterable[str] | LineSource,
        *,
        source: str | None = None,
        options: ConverterOptions | None = None,
        **keywords: Any,
    ) -> Iterator[Doc]:
        """Parse lines with this converter's options: a typed ``options``, or keywords.

        A keyword that only another installed converter takes is left out (corpuskit passes one
        set of options to every file of a folder, whatever its format); one that no converter
        takes raises UsageError, so a misspelt option is never silently dropped.
        """
        if keywords:
            foreign = set(keywords) - self.options
            if foreign:
                unknown = foreign - _installed_options()
                if unknown:
                    self.parse_options({k: keywords[k] for k in unknown})  # raises, naming them
                keywords = {k: v for k, v in keywords.items() if k in self.options}
            if options is not None:
                raise UsageError(f"converter {self.name!r}: pass options or keywords, not both")
            options = self.parse_options(keywords)
        elif options is not None and not isinstance(options, self.options_type or ()):
            expected = self.options_type.__name__ if self.options_type else "no options"
            raise UsageError(f"converter {self.name!r} takes {expected}, not {type(options).__name__}")
        kwargs = options.as_kwargs() if options is not None else {}
        return self.parse(lines, source=source, **kwargs)

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


def _installed_options() -> frozenset[str]:
    """The options some installed converter takes."""
    names: set[str] = set()
    for conv in list_converters().values():
        names |= conv.options
    return frozenset(names)


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
