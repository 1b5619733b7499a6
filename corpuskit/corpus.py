"""Reading corpora in any known format: format detection, file walking, and Doc streams."""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .doc import Doc
from .errors import FormatError, UsageError
from .io import (
    OutputRun,
    check_encoding,
    check_file_path,
    file_encoding,
    iter_files,
    open_binary,
    read_line_blocks,
    read_lines,
)
from .registry import Converter, get_converter, list_converters
from .transforms import group_sents, map_ner, seg_sents, split_sents

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


def _reads_documents(name: str) -> bool:
    """Whether a format's docs are documents (paragraphs, records), not sentences: ``-n`` does
    not regroup them (spaCy's JSON converter ignores ``-n`` too). Its converter's ``unit`` says."""
    return name == SPACY_FORMAT or get_converter(name).unit == "document"


_SNIFF_LINES = 50
# the fewest bytes a CoNLL-style token line takes ("1\tx\t_\t_\t_\t_\t0\t_\t_\t_\n" is 20):
# a smaller file cannot hold more than one shard of tokens and is not worth scanning
_MIN_TOKEN_BYTES = 20
_SNIFF_BYTES = 1 << 16
# zlib streams start with 0x78 and a check byte; spaCy (zlib level 6) writes 78 9c.
_ZLIB_MAGIC = (b"\x78\x9c", b"\x78\x01", b"\x78\x5e", b"\x78\xda")
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


def _is_docbin(head: bytes) -> bool:
    return head[:2] in _ZLIB_MAGIC


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
    if _is_docbin(head):
        return SPACY_FORMAT, f"{SPACY_FORMAT}: zlib-compressed DocBin (starts with bytes {head[:2].hex(' ')})"
    if b"\x00" in head and not _is_docbin(head):
        # read_lines names the line of the first NUL byte.
        for _ in read_lines(path, encoding=encoding):
            pass
    lines = _sniff(path, encoding)
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


def _sniff(path: Path, encoding: str) -> list[str]:
    out: list[str] = []
    for line in read_lines(path, encoding=encoding):
        out.append(line)
        if len(out) >= _SNIFF_LINES:
            break
    return out


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
    if _is_docbin(_read_head(path)):
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


@dataclass(slots=True)
class ConvertedFile:
    """One output of :func:`convert_corpus` and the input(s) it came from."""

    inputs: list[tuple[Path, str, str]]
    output: Path | None
    paths: list[Path] = field(default_factory=list)
    n_docs: int = 0
    n_sents: int = 0
    n_tokens: int = 0


@dataclass(slots=True)
class ConvertResult:
    """What :func:`convert_corpus` wrote: one entry per output, files skipped, and totals."""

    files: list[ConvertedFile] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    #: things said about the input that were not skipped (a symlink followed)
    notes: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def n_docs(self) -> int:
        return sum(f.n_docs for f in self.files)

    @property
    def n_sents(self) -> int:
        return sum(f.n_sents for f in self.files)

    @property
    def n_tokens(self) -> int:
        return sum(f.n_tokens for f in self.files)

    @property
    def paths(self) -> list[Path]:
        return [p for f in self.files for p in f.paths]


def _output_suffix(file_type: str) -> str:
    if file_type == SPACY_FORMAT:
        return ".spacy"
    installed = list_converters()
    writers = sorted(name for name, c in installed.items() if c.write is not None)
    if file_type not in installed:
        raise UsageError(f"unknown file type {file_type!r}; expected spacy or one of: {', '.join(writers)}")
    conv = installed[file_type]
    if conv.write is None:
        raise UsageError(f"the {file_type!r} format cannot be written (its converter has no writer)")
    return "." + (_exts(conv)[0] if conv.extensions else file_type)


def _doc_stream(
    file: Path,
    name: str,
    *,
    encoding: str,
    n_sents: int,
    seg: bool,
    ner_map: Mapping[str, str] | None,
    options: dict[str, Any],
    on_progress: Callable[[int], None] | None,
) -> Iterator[Doc]:
    grouped = _reader_groups(name, n_sents, seg, ner_map)
    if grouped:
        options = {**options, "group": n_sents}
    docs = _unit_stream(
        file, name, encoding=encoding, seg=seg, ner_map=ner_map, options=options, on_progress=on_progress
    )
    if not grouped and not _reads_documents(name):
        docs = group_sents(docs, n_sents)
    return docs


def _reader_groups(name: str, n_sents: int, seg: bool, ner_map: Mapping[str, str] | None) -> bool:
    """Whether the converter reads ``-n`` groups itself (faster than grouping its sentences)."""
    if n_sents < 2 or seg or _reads_documents(name):
        return False
    conv = get_converter(name)
    return "group" in conv.options and (not ner_map or "ner_map" in conv.options)


def _unit_stream(
    file: Path,
    name: str,
    *,
    encoding: str,
    seg: bool,
    ner_map: Mapping[str, str] | None,
    options: dict[str, Any],
    on_progress: Callable[[int], None] | None = None,
    part: tuple[int, int | None, int] | None = None,
) -> Iterator[Doc]:
    """The docs of one file before ``-n`` groups them: sentences (or documents)."""
    if ner_map and name != SPACY_FORMAT and "ner_map" in get_converter(name).options:
        # the converter maps labels on its tags, exactly as spaCy's CoNLL-U reader does
        options = {**options, "ner_map": dict(ner_map)}
        ner_map = None
    docs = read_file(file, name, encoding=encoding, on_progress=on_progress, part=part, **options)
    if seg:
        # sentences found by rule, one doc each, then grouped by n_sents like the others
        docs = split_sents(seg_sents(docs))
    if ner_map:
        docs = map_ner(docs, ner_map)
    return docs


class _Counter:
    """Counts docs, sentences and tokens of a stream as it passes."""

    def __init__(self, docs: Iterable[Doc]) -> None:
        self.docs = docs
        self.n_docs = self.n_sents = self.n_tokens = 0

    def __iter__(self) -> Iterator[Doc]:
        for doc in self.docs:
            self.n_docs += 1
            self.n_tokens += len(doc)
            self.n_sents += len(doc.sentence_bounds())
            yield doc


def convert_corpus(
    input_path: str | Path,
    output: str | Path,
    *,
    converter: str = "auto",
    file_type: str = SPACY_FORMAT,
    n_sents: int = 1,
    seg_sents: bool = False,
    merge_subtokens: bool = False,
    morphology: bool = False,
    ner_map: Mapping[str, str] | None = None,
    concatenate: bool = False,
    encoding: str = "utf-8",
    shard_size: int | None = None,
    offset_units: str = "auto",
    lang: str | None = None,
    jobs: int | None = None,
    stdout: IO[str] | None = None,
    on_report: Callable[[Any], None] | None = None,
    on_file: Callable[[Path, str, str], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ConvertResult:
    """Convert a corpus file, or every corpus file below a directory (``corpuskit convert``).

    ``output`` is a directory that gets one output per input file at the same relative path
    with the suffix of ``file_type`` (``"spacy"`` for DocBin, or a converter with a writer:
    ``conllu``, ``conll``, ``iob``, ``json``, ``jsonl``...); with ``concatenate`` it gets one
    output named after the input. ``output="-"`` writes a text format to ``stdout``.
    ``shard_size`` (tokens) splits large DocBin outputs into shards; a file larger than one
    shard whose converter can cut it (CoNLL-U) is converted by ``jobs`` processes (default: one
    per CPU), a part each (see :mod:`corpuskit.parts`). ``offset_units`` and
    ``lang`` go to the converters that take them (the offset JSONL formats); such converters
    pass a per-file report (e.g. the offset units they detected) to ``on_report``.

    All outputs are written into a staging folder inside ``output`` (:class:`corpuskit.io.OutputRun`)
    and moved into place only when every input converted: on any error or interruption nothing
    this run wrote is left behind and no earlier output is replaced. With one output (one input
    file, or ``concatenate``), an ``output`` that ends with the suffix of ``file_type`` names that
    output file itself. ``on_file(file, converter, reason)`` is called as each
    input starts; ``on_progress(n)`` with the characters of input read so far in all files.
    """
    input_path = Path(input_path)
    if n_sents < 0:
        raise UsageError(f"--n-sents must be 0 or more, got {n_sents}")
    suffix = _output_suffix(file_type)
    to_stdout = str(output) == "-"
    if to_stdout and file_type == SPACY_FORMAT:
        raise UsageError("cannot write binary .spacy data to stdout; give an output directory, or -t conllu")
    if to_stdout and stdout is None:
        raise UsageError("output '-' needs a stdout stream")
    result = ConvertResult()
    files = list(
        iter_corpus_files(
            input_path,
            converter=converter,
            encoding=encoding,
            on_skip=lambda f, why: result.skipped.append((f, why)),
            on_note=lambda f, what: result.notes.append((f, what)),
        )
    )
    if not files:
        raise UsageError(f"{input_path}: no corpus files found (skipped {len(result.skipped)})")
    options: dict[str, Any] = {}
    if merge_subtokens:
        options["merge_subtokens"] = True
    if morphology:
        options["morphology"] = True
    if offset_units != "auto":
        options["offset_units"] = offset_units
    if lang is not None:
        options["lang"] = lang
    if on_report is not None:
        options["on_report"] = on_report
    done = 0

    def progress(n: int) -> None:
        if on_progress is not None:
            on_progress(done + n)

    def stream(entries: list[tuple[Path, str, str]]) -> Iterator[Doc]:
        nonlocal done
        for file, name, reason in entries:
            if on_file is not None:
                on_file(file, name, reason)
            yield from _doc_stream(
                file,
                name,
                encoding=encoding,
                n_sents=n_sents,
                seg=seg_sents,
                ner_map=ner_map,
                options=options,
                on_progress=progress if on_progress is not None else None,
            )
            with contextlib.suppress(OSError):
                done += file.stat().st_size

    if to_stdout:
        assert stdout is not None
        conv = get_converter(file_type)
        for _rel, entries in _plan_outputs(input_path, files, suffix, concatenate):
            counter = _Counter(stream(entries))
            conv.dump(counter, stdout)
            result.files.append(
                ConvertedFile(entries, None, [], counter.n_docs, counter.n_sents, counter.n_tokens)
            )
        return result

    out_dir, outputs = _plan_target(Path(output), input_path, files, suffix, concatenate)
    with OutputRun(out_dir) as run:
        for rel, _entries in outputs:
            run.check(rel)
            _check_target(out_dir / rel, file_type)
        for rel, entries in outputs:
            staged = run.staged(rel)
            cf = None
            if file_type == SPACY_FORMAT and len(entries) == 1 and not seg_sents:
                cf = _write_in_parts(
                    entries,
                    staged,
                    rel,
                    encoding=encoding,
                    n_sents=n_sents,
                    ner_map=ner_map,
                    options=options,
                    shard_size=shard_size,
                    jobs=jobs,
                    on_file=on_file,
                    on_progress=progress if on_progress is not None else None,
                )
            if cf is None:
                cf = _write(stream(entries), staged, rel, entries, file_type, shard_size)
            result.files.append(cf)
        run.commit(rel for rel, _ in outputs)
        for cf in result.files:
            cf.paths = [out_dir / p.relative_to(run.new) for p in cf.paths]
            cf.output = out_dir / cf.output if cf.output is not None else None
    return result


def _output_namer(suffix: str) -> Callable[[Path], Path]:
    """``train.conllu`` -> ``train.spacy``; a name whose suffix is not a corpus format's keeps it
    whole (CoNLL-2002's ``esp.testa`` -> ``esp.testa.spacy``, so that ``esp.testb`` is another)."""
    known = {"." + e for conv in list_converters().values() for e in _exts(conv)}
    known |= {".txt", ".tsv", ".spacy", ""}

    def name(path: Path) -> Path:
        if path.suffix.lower() in known:
            return path.with_suffix(suffix)
        return path.with_name(path.name + suffix)

    return name


def _plan_outputs(
    input_path: Path, files: list[tuple[Path, str, str]], suffix: str, concatenate: bool
) -> list[tuple[Path, list[tuple[Path, str, str]]]]:
    """(output path relative to OUTPUT, its inputs) pairs."""
    name = _output_namer(suffix)
    if concatenate or input_path.is_file():
        return [(name(Path(input_path.resolve().name or "corpus")), files)]
    rels = [name(f.relative_to(input_path)) for f, _, _ in files]
    clash = {r for r, n in Counter(rels).items() if n > 1}
    # two inputs that differ only in their suffix (a.conll, a.iob) keep their whole names
    rels = [
        f.relative_to(input_path).with_name(f.name + suffix) if r in clash else r
        for r, (f, _, _) in zip(rels, files, strict=True)
    ]
    seen: dict[Path, Path] = {}
    for rel, (f, _, _) in zip(rels, files, strict=True):
        if rel in seen:
            raise UsageError(
                f"{seen[rel]} and {f} would both be written to {rel}; rename one of them, "
                "or convert them into different output folders"
            )
        seen[rel] = f
    return [(rel, [entry]) for rel, entry in zip(rels, files, strict=True)]


def _plan_target(
    output: Path, input_path: Path, files: list[tuple[Path, str, str]], suffix: str, concatenate: bool
) -> tuple[Path, list[tuple[Path, list[tuple[Path, str, str]]]]]:
    """OUTPUT and the outputs in it: ``convert x.conllu out.spacy`` (one output, an OUTPUT with its
    suffix) writes the file ``out.spacy``; otherwise OUTPUT is a folder."""
    one = concatenate or input_path.is_file()
    if one and output.name.endswith(suffix) and _is_file_target(output):
        check_file_path(output)
        planned = [(Path(output.name), files)]
        out_dir = output.parent
    else:
        planned = _plan_outputs(input_path, files, suffix, concatenate)
        out_dir = output
    inputs = {f.resolve() for f, _, _ in files}
    for rel, _entries in planned:
        if (out_dir / rel).resolve() in inputs:
            raise UsageError(
                f"{out_dir / rel}: the output would overwrite an input file; choose another OUTPUT"
            )
    return out_dir, planned


def _is_file_target(output: Path) -> bool:
    """Whether OUTPUT names the output itself: missing, a file, or the shard folder of one."""
    from .docbin import _check_replaceable

    if output.is_symlink() or not output.is_dir():
        return True
    if not any(output.iterdir()):
        return False  # an empty folder made for the outputs
    try:
        _check_replaceable(output)
    except UsageError:
        return False
    return True


def _check_target(target: Path, file_type: str) -> None:
    """Refuse now an output whose place holds a folder that is not an earlier output."""
    if target.is_dir() and not target.is_symlink():
        if file_type == SPACY_FORMAT:
            from .docbin import _check_replaceable

            _check_replaceable(target)  # the shards of an earlier run are replaced
        else:
            raise UsageError(f"{target}: is a directory that is not an earlier output; move it away first")


def _write_in_parts(
    entries: list[tuple[Path, str, str]],
    staged: Path,
    rel: Path,
    *,
    encoding: str,
    n_sents: int,
    ner_map: Mapping[str, str] | None,
    options: dict[str, Any],
    shard_size: int | None,
    jobs: int | None,
    on_file: Callable[[Path, str, str], None] | None,
    on_progress: Callable[[int], None] | None,
) -> ConvertedFile | None:
    """One large file converted by several processes (:mod:`corpuskit.parts`), else None."""
    from .docbin import SHARD_TOKENS
    from .parts import default_jobs, plan_parts, process_pool, start_workers, write_parts

    file, name, reason = entries[0]
    if _reads_documents(name):  # .spacy inputs among them
        return None
    conv = get_converter(name)
    # never more processes than CPUs to run them (-j 64 on 2 cores would start 64 for nothing)
    jobs = default_jobs() if jobs is None else min(jobs, default_jobs())
    shard_tokens = shard_size if shard_size is not None else SHARD_TOKENS
    if conv.scan is None or jobs < 2 or file.stat().st_size <= shard_tokens * _MIN_TOKEN_BYTES:
        return None
    if file_encoding(file, encoding).startswith(("utf-16", "utf-32")):
        return None  # its parts cannot be cut at byte line ends
    known = {k: v for k, v in options.items() if k in conv.options}
    pool = process_pool(jobs)
    if pool is None:
        return None
    executor = pool
    try:
        with _stopped_on_error(executor):
            start_workers(executor)
            scan = conv.scan(file, encoding=encoding, executor=executor, workers=jobs, **known)
            if scan is None:
                return None
            parts = plan_parts(scan, n_sents=n_sents, shard_tokens=shard_tokens, jobs=jobs)
            if parts is None:
                return None
            if on_file is not None:
                on_file(file, name, reason)
            if _reader_groups(name, n_sents, False, ner_map):
                scan_options = {**scan.options, "group": n_sents}
            else:
                scan_options = scan.options
            stats = write_parts(
                _unit_stream,
                file,
                name,
                parts,
                staged,
                encoding=encoding,
                n_sents=n_sents,
                ner_map=ner_map,
                options=scan_options,
                shard_tokens=shard_tokens,
                executor=executor,
                on_progress=on_progress,
            )
    except BrokenProcessPool:
        # the workers could not start or died (a __main__ that a new interpreter cannot import,
        # as in an interactive session, or the memory killer): one process converts it instead
        return None
    if stats is None:
        return None
    return ConvertedFile(entries, rel, list(stats.paths), stats.n_docs, stats.n_sents, stats.n_tokens)


@contextlib.contextmanager
def _stopped_on_error(executor: Any) -> Iterator[None]:
    """The pool shut down when the block ends; on an error or an interruption its workers are
    killed at once and not waited for (a worker killed while it sent a result would leave the
    pool's result reader waiting forever)."""
    from .parts import stop_workers

    try:
        yield
    except BaseException:
        stop_workers(executor)
        raise
    executor.shutdown(wait=True)


def _write(
    docs: Iterable[Doc],
    staged: Path,
    rel: Path,
    entries: list[tuple[Path, str, str]],
    file_type: str,
    shard_size: int | None,
) -> ConvertedFile:
    if file_type == SPACY_FORMAT:
        from .docbin import write_docbin

        if shard_size is not None:
            stats = write_docbin(docs, staged, shard_tokens=shard_size)
        else:
            stats = write_docbin(docs, staged)
        return ConvertedFile(
            entries, rel, [Path(p) for p in stats.paths], stats.n_docs, stats.n_sents, stats.n_tokens
        )
    conv = get_converter(file_type)
    counter = _Counter(docs)
    with staged.open("w", encoding="utf-8", newline="") as fh:
        conv.dump(counter, fh)
    return ConvertedFile(entries, rel, [staged], counter.n_docs, counter.n_sents, counter.n_tokens)
