"""Reading corpora in any known format: format detection, file walking, and Doc streams."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .doc import Doc
from .docbin import is_docbin
from .errors import FormatError, UsageError
from .io import (
    check_encoding,
    iter_files,
    open_binary,
    read_line_blocks,
    read_lines,
    sniff_lines,
)
from .registry import Converter, get_converter, list_converters

if TYPE_CHECKING:  # loaded on first use (__getattr__, below)
    from .conversion import ConvertedFile, ConvertResult, convert_corpus

__all__ = [
    "SPACY_FORMAT",
    "ConvertResult",
    "ConvertedFile",
    "LineSource",
    "convert_corpus",
    "detect_format",
    "iter_corpus_files",
    "read_corpus",
    "read_file",
]

#: The name :func:`detect_format` gives DocBin (``.spacy``) files.
SPACY_FORMAT = "spacy"


_SNIFF_LINES = 50
_SNIFF_BYTES = 1 << 16
# A score this close to the best one counts as a tie; the file extension breaks it.
_TIE = 0.05
_EXTENSION_BONUS = 0.1


class LineSource:
    """A re-iterable source of a text file's physical lines (without line ends).

    Every ``iter()`` re-opens the file through :func:`corpuskit.io.read_lines`, so a converter
    that needs a whole-file property (does this CoNLL-U file have any NER?) can pre-scan it and
    then read it again, without holding the file in memory. ``on_progress``, when given, is
    called now and then with the number of characters read so far in the current pass.
    ``start``/``end`` limit it to a part of the file (bytes ``start:end``) whose first line is
    line ``first_line + 1`` of the file (see :class:`~corpuskit.registry.FileScan`).
    """

    __slots__ = ("encoding", "end", "first_line", "on_progress", "path", "start")

    def __init__(
        self,
        path: str | Path,
        *,
        encoding: str = "utf-8",
        on_progress: Callable[[int], None] | None = None,
        start: int = 0,
        end: int | None = None,
        first_line: int = 0,
    ) -> None:
        self.path = Path(path)
        self.encoding = encoding
        self.on_progress = on_progress
        self.start = start
        self.end = end
        self.first_line = first_line

    def __iter__(self) -> Iterator[str]:
        for rows in self.blocks():
            yield from rows

    def blocks(self) -> Iterator[list[str]]:
        """The same lines, a list of them (about a megabyte) at a time (for fast readers)."""
        blocks = read_line_blocks(
            self.path, encoding=self.encoding, start=self.start, end=self.end, first_line=self.first_line
        )
        report = self.on_progress
        done = 0
        for rows in blocks:
            yield rows
            if report is not None:
                done += sum(map(len, rows)) + len(rows)
                report(done)

    def __repr__(self) -> str:
        return f"LineSource({str(self.path)!r}, encoding={self.encoding!r})"


def _read_head(path: Path) -> bytes:
    with open_binary(path) as fh:
        return fh.read(_SNIFF_BYTES)


def _describe(conv: Converter) -> str:
    return conv.description or f"{conv.name} format"


def detect_format(path: str | Path, *, encoding: str = "utf-8") -> tuple[str, str]:
    """The converter name that fits the file's content, and why (one line).

    ``.spacy`` content (a zlib stream, bytes ``78 9c``) is ``"spacy"``. Text files are scored
    by each installed converter's ``detect()`` over the first lines; the file extension breaks
    ties and decides only for files whose content says nothing (empty, or only blank lines).
    Bad bytes (a binary file, another encoding) raise :class:`FormatError` naming the line.
    """
    path = Path(path)
    head = _read_head(path)
    suffix = path.suffix.lower().lstrip(".")
    if is_docbin(head):
        return SPACY_FORMAT, f"{SPACY_FORMAT}: zlib-compressed DocBin (starts with bytes {head[:2].hex(' ')})"
    if b"\x00" in head and not is_docbin(head):
        # read_lines names the line of the first NUL byte.
        for _ in read_lines(path, encoding=encoding):
            pass
    lines = sniff_lines(path, _SNIFF_LINES, encoding=encoding)
    converters = list_converters()
    by_ext = [c for c in converters.values() if suffix and suffix in _exts(c)]
    if not any(line.strip() for line in lines):
        if by_ext:
            conv = by_ext[0]
            return conv.name, f"{conv.name}: no content to inspect; chosen by the extension .{suffix}"
        raise FormatError(
            "the file is empty, so its format cannot be detected; name it with --converter",
            path=str(path),
        )
    scored: list[tuple[float, str]] = []
    for name, conv in sorted(converters.items()):
        if conv.detect is None:
            continue
        try:
            score = float(conv.detect(lines))
        except (ValueError, IndexError, KeyError, TypeError, RecursionError):
            score = 0.0  # a detector that chokes on the content does not recognise it
        if score > 0:
            scored.append((score, name))
    if not scored and suffix == SPACY_FORMAT:
        return SPACY_FORMAT, f"{SPACY_FORMAT}: chosen by the extension .{suffix} (content: not zlib data)"
    if not scored and by_ext:
        # let the converter the extension names say precisely what is wrong with the content
        conv = by_ext[0]
        return conv.name, f"{conv.name}: chosen by the extension .{suffix} (no converter knows the content)"
    if not scored:
        known = ", ".join(sorted(converters)) or "none installed"
        first = next(line for line in lines if line.strip())
        raise FormatError(
            f"cannot detect the format: no converter recognises the content {first[:60]!r} "
            f"(installed: {known}); name it with --converter",
            path=str(path),
        )
    best = max(score for score, _ in scored)
    ties = [name for score, name in scored if score >= best - _TIE]
    ext_names = {c.name for c in by_ext}
    chosen_by_ext = [name for name in ties if name in ext_names]
    name = chosen_by_ext[0] if chosen_by_ext else max(scored)[1]
    conv = converters[name]
    score = next(s for s, n in scored if n == name)
    reason = f"{name}: the content looks like {_describe(conv)} (score {score:.2f})"
    if name in ext_names:
        reason += f", extension .{suffix}"
    if len(ties) > 1:
        others = ", ".join(t for t in ties if t != name)
        reason += f"; also fits {others}"
    return name, reason


def _exts(conv: Converter) -> tuple[str, ...]:
    return tuple(e.lower().lstrip(".") for e in conv.extensions)


def iter_corpus_files(
    path: str | Path,
    *,
    converter: str = "auto",
    encoding: str = "utf-8",
    on_skip: Callable[[Path, str], None] | None = None,
    on_note: Callable[[Path, str], None] | None = None,
) -> Iterator[tuple[Path, str, str]]:
    """``(file, converter name, reason)`` for ``path`` or every corpus file below it.

    A single file must be readable: an undetectable format raises. In a directory (walked
    recursively, sorted, hidden files and folders skipped), files no converter recognises
    (a README, a LICENSE) are skipped and reported through ``on_skip(file, why)``. With a
    named ``converter``, a directory yields the files with that converter's extensions or
    whose content it recognises; ``.spacy`` files are always read as DocBins. Only regular files
    are read: special files below ``path`` are skipped (``on_skip``), a named one is refused;
    symlinks below ``path`` are followed and reported through ``on_note(file, what)``.
    """
    path = Path(path)
    check_encoding(encoding)
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    named = None if converter == "auto" else _get(converter)
    if path.is_file():
        yield (path, *_choose(path, named, encoding))
        return
    for file in iter_files(path, on_skip=on_skip, on_note=on_note):
        try:
            name, reason = detect_format(file, encoding=encoding)
        except FormatError as e:
            suffix = file.suffix.lower().lstrip(".")
            if named is not None and suffix in _exts(named):
                # The extension says it is ours: let the converter report what is wrong.
                yield file, named.name, f"{named.name}: named with --converter"
                continue
            if suffix == SPACY_FORMAT or any(suffix in _exts(c) for c in list_converters().values()):
                raise  # a corpus file by its name (bad bytes, another encoding): not to be skipped
            if on_skip is not None:
                on_skip(file, e.reason)
            continue
        if named is None or name == SPACY_FORMAT:
            yield file, name, reason
        elif name == named.name or file.suffix.lower().lstrip(".") in _exts(named):
            yield file, named.name, f"{named.name}: named with --converter"
        elif on_skip is not None:
            on_skip(file, f"looks like {name}, not {named.name}")


def _get(name: str) -> Converter:
    if name == SPACY_FORMAT:
        raise UsageError(f"{name!r} is not a text converter: .spacy files are detected by their content")
    installed = list_converters()
    if name not in installed:
        known = ", ".join(sorted(installed)) or "none installed"
        raise UsageError(f"unknown converter {name!r}; expected auto or one of: {known}")
    return installed[name]


def _choose(path: Path, named: Converter | None, encoding: str) -> tuple[str, str]:
    if named is None:
        return detect_format(path, encoding=encoding)
    if is_docbin(_read_head(path)):
        return SPACY_FORMAT, f"{SPACY_FORMAT}: zlib-compressed DocBin"
    return named.name, f"{named.name}: named with --converter"


def _check_options(options: dict[str, Any]) -> None:
    if not options:
        return
    known: set[str] = set()
    for conv in list_converters().values():
        known |= conv.options
    unknown = sorted(set(options) - known)
    if unknown:
        raise UsageError(
            f"unknown converter option(s) {', '.join(map(repr, unknown))}; "
            f"the installed converters know: {', '.join(sorted(known)) or 'none'}"
        )


def read_file(
    path: str | Path,
    converter: str,
    *,
    encoding: str = "utf-8",
    on_progress: Callable[[int], None] | None = None,
    part: tuple[int, int | None, int] | None = None,
    **options: Any,
) -> Iterator[Doc]:
    """The Docs of one file read with the named converter (``"spacy"`` for a DocBin).

    Options the converter does not take are ignored (other converters may take them).
    ``part`` = ``(start, end, first_line)`` reads only a part of a text file, cut where the
    converter's :attr:`~corpuskit.registry.Converter.scan` said it may be.
    """
    path = Path(path)
    if converter == SPACY_FORMAT:
        from .docbin import read_docbin  # the binary format; imported only when needed

        return iter(read_docbin(path))
    conv = get_converter(converter)
    start, end, first_line = part if part is not None else (0, None, 0)
    lines = LineSource(
        path, encoding=encoding, on_progress=on_progress, start=start, end=end, first_line=first_line
    )
    return conv.read(lines, source=str(path), **options)


def read_corpus(
    path: str | Path,
    *,
    converter: str = "auto",
    encoding: str = "utf-8",
    **options: Any,
) -> Iterator[Doc]:
    """Stream the Docs of a corpus file, or of every corpus file below a directory.

    ``converter`` is ``"auto"`` (detect each file, see :func:`detect_format`) or a converter
    name. ``.spacy`` files are read as DocBins. ``options`` are converter options (e.g.
    ``merge_subtokens=True``); each converter gets those it takes, and an option no installed
    converter takes raises :class:`UsageError`.
    """
    _check_options(options)
    for file, name, _reason in iter_corpus_files(path, converter=converter, encoding=encoding):
        yield from read_file(file, name, encoding=encoding, **options)


def __getattr__(name: str) -> Any:
    # the conversion (corpuskit.conversion) loads on first use, so that `corpuskit check` starts fast
    if name in ("ConvertResult", "ConvertedFile", "convert_corpus"):
        from . import conversion

        return getattr(conversion, name)
    raise AttributeError(f"module 'corpuskit.corpus' has no attribute {name!r}")
