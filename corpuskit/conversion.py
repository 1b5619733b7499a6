"""``corpuskit convert`` as a library: plan the outputs, write them into staging, commit them.

:func:`convert_corpus` is the whole command as one call. It is three steps over a few small
option objects: :func:`plan_convert` lists the inputs and names the outputs (every refusal comes
here, before any output is written), :func:`write_outputs` converts the inputs into
:class:`corpuskit.io.OutputRun`'s staging folder, :func:`commit_outputs` moves them all into
place at once.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .corpus import SPACY_FORMAT, _exts, iter_corpus_files, read_file
from .doc import Doc
from .docbin import SHARD_TOKENS, check_replaceable, write_docbin
from .errors import UsageError
from .io import OutputRun, check_file_path, file_encoding
from .registry import get_converter, list_converters
from .transforms import group_sents, map_ner, seg_sents, split_sents

__all__ = [
    "ConvertPlan",
    "ConvertResult",
    "ConvertedFile",
    "DocOptions",
    "Events",
    "OutputOptions",
    "ReadOptions",
    "commit_outputs",
    "convert_corpus",
    "plan_convert",
    "write_outputs",
]

# the fewest bytes a CoNLL-style token line takes ("1\tx\t_\t_\t_\t_\t0\t_\t_\t_\n" is 20):
# a smaller file cannot hold more than one shard of tokens and is not worth scanning
_MIN_TOKEN_BYTES = 20

#: An input: (file, converter name, why that converter).
Entry = tuple[Path, str, str]


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How each input is read: the converter (``"auto"``: detected per file), the text
    encoding, and the options converters take (each converter gets those it knows)."""

    converter: str = "auto"
    encoding: str = "utf-8"
    merge_subtokens: bool = False
    morphology: bool = False
    offset_units: str = "auto"
    lang: str | None = None

    def converter_options(self, on_report: Callable[[Any], None] | None) -> dict[str, Any]:
        """The converter options, as the converters' ``read`` takes them."""
        options: dict[str, Any] = {}
        if self.merge_subtokens:
            options["merge_subtokens"] = True
        if self.morphology:
            options["morphology"] = True
        if self.offset_units != "auto":
            options["offset_units"] = self.offset_units
        if self.lang is not None:
            options["lang"] = self.lang
        if on_report is not None:
            options["on_report"] = on_report
        return options


@dataclass(frozen=True, slots=True)
class DocOptions:
    """How the docs read become output docs: ``n_sents`` sentences each, sentences found by
    rule (``seg_sents``), entity labels mapped (``ner_map``)."""

    n_sents: int = 1
    seg_sents: bool = False
    ner_map: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class OutputOptions:
    """What is written: ``file_type`` (``"spacy"`` or a text format with a writer), one output
    for all inputs (``concatenate``), DocBin shards of ``shard_size`` tokens, ``jobs``
    processes for a file larger than one shard."""

    file_type: str = SPACY_FORMAT
    concatenate: bool = False
    shard_size: int | None = None
    jobs: int | None = None


@dataclass(frozen=True, slots=True)
class Events:
    """Where a conversion reports: ``stdout`` (for OUTPUT ``-``), converter reports,
    ``on_file(file, converter, reason)`` as each input starts, ``on_progress(n)`` with the
    characters of input read so far in all files."""

    stdout: IO[str] | None = None
    on_report: Callable[[Any], None] | None = None
    on_file: Callable[[Path, str, str], None] | None = None
    on_progress: Callable[[int], None] | None = None


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


@dataclass(slots=True)
class ConvertPlan:
    """The inputs, the outputs they go to, and how (:func:`plan_convert`)."""

    read: ReadOptions
    docs: DocOptions
    output: OutputOptions
    events: Events
    #: the converter options every input is read with
    options: dict[str, Any]
    #: OUTPUT, the folder the outputs go to; None: they go to ``events.stdout``
    out_dir: Path | None
    #: (output path relative to ``out_dir``, its inputs)
    outputs: list[tuple[Path, list[Entry]]]
    result: ConvertResult
    #: characters of input read in the files done (for ``on_progress``)
    done: int = 0

    def progress(self, n: int) -> None:
        """``on_progress`` with ``n`` characters read in the current file."""
        if self.events.on_progress is not None:
            self.events.on_progress(self.done + n)

    def reporter(self) -> Callable[[int], None] | None:
        return self.progress if self.events.on_progress is not None else None

    def stream(self, entries: list[Entry]) -> Iterator[Doc]:
        """The output docs of ``entries``, read one file after another."""
        for file, name, reason in entries:
            if self.events.on_file is not None:
                self.events.on_file(file, name, reason)
            yield from _doc_stream(file, name, self, on_progress=self.reporter())
            with contextlib.suppress(OSError):
                self.done += file.stat().st_size


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
    plan = plan_convert(
        input_path,
        output,
        ReadOptions(converter, encoding, merge_subtokens, morphology, offset_units, lang),
        DocOptions(n_sents, seg_sents, ner_map),
        OutputOptions(file_type, concatenate, shard_size, jobs),
        Events(stdout, on_report, on_file, on_progress),
    )
    if plan.out_dir is None:
        return write_stdout(plan)
    with OutputRun(plan.out_dir) as run:
        write_outputs(plan, run)
        commit_outputs(plan, run)
    return plan.result


def plan_convert(
    input_path: str | Path,
    output: str | Path,
    read: ReadOptions,
    docs: DocOptions,
    out: OutputOptions,
    events: Events,
) -> ConvertPlan:
    """List the inputs and name their outputs; refuse (one line) whatever cannot be done."""
    input_path = Path(input_path)
    if docs.n_sents < 0:
        raise UsageError(f"--n-sents must be 0 or more, got {docs.n_sents}")
    suffix = output_suffix(out.file_type)
    to_stdout = str(output) == "-"
    if to_stdout and out.file_type == SPACY_FORMAT:
        raise UsageError("cannot write binary .spacy data to stdout; give an output directory, or -t conllu")
    if to_stdout and events.stdout is None:
        raise UsageError("output '-' needs a stdout stream")
    result = ConvertResult()
    files = list(
        iter_corpus_files(
            input_path,
            converter=read.converter,
            encoding=read.encoding,
            on_skip=lambda f, why: result.skipped.append((f, why)),
            on_note=lambda f, what: result.notes.append((f, what)),
        )
    )
    if not files:
        raise UsageError(f"{input_path}: no corpus files found (skipped {len(result.skipped)})")
    options = read.converter_options(events.on_report)
    if to_stdout:
        outputs = plan_outputs(input_path, files, suffix, out.concatenate)
        return ConvertPlan(read, docs, out, events, options, None, outputs, result)
    out_dir, outputs = plan_target(Path(output), input_path, files, suffix, out.concatenate)
    return ConvertPlan(read, docs, out, events, options, out_dir, outputs, result)


def write_stdout(plan: ConvertPlan) -> ConvertResult:
    """Write the outputs of ``plan`` one after another to ``plan.events.stdout``."""
    assert plan.events.stdout is not None
    conv = get_converter(plan.output.file_type)
    for _rel, entries in plan.outputs:
        counter = _Counter(plan.stream(entries))
        conv.dump(counter, plan.events.stdout)
        plan.result.files.append(
            ConvertedFile(entries, None, [], counter.n_docs, counter.n_sents, counter.n_tokens)
        )
    return plan.result


def write_outputs(plan: ConvertPlan, run: OutputRun) -> None:
    """Check every output's place, then convert the inputs into ``run``'s staging folder."""
    assert plan.out_dir is not None
    file_type = plan.output.file_type
    for rel, _entries in plan.outputs:
        run.check(rel)
        check_target(plan.out_dir / rel, file_type)
    for rel, entries in plan.outputs:
        staged = run.staged(rel)
        cf = None
        if file_type == SPACY_FORMAT and len(entries) == 1 and not plan.docs.seg_sents:
            cf = _write_in_parts(plan, entries, staged, rel)
        if cf is None:
            cf = _write(plan.stream(entries), staged, rel, entries, file_type, plan.output.shard_size)
        plan.result.files.append(cf)


def commit_outputs(plan: ConvertPlan, run: OutputRun) -> ConvertResult:
    """Move every staged output into place at once; the result names them where they now are."""
    assert plan.out_dir is not None
    run.commit(rel for rel, _ in plan.outputs)
    for cf in plan.result.files:
        cf.paths = [plan.out_dir / p.relative_to(run.new) for p in cf.paths]
        cf.output = plan.out_dir / cf.output if cf.output is not None else None
    return plan.result


def output_suffix(file_type: str) -> str:
    """The suffix of ``file_type``'s outputs (``.spacy``, ``.conllu``...); one line if it has no writer."""
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


def _documents(name: str) -> bool:
    """Whether the converter ``name`` yields documents (paragraphs, records), not sentences."""
    return name == SPACY_FORMAT or get_converter(name).unit == "document"


def _doc_stream(
    file: Path, name: str, plan: ConvertPlan, *, on_progress: Callable[[int], None] | None
) -> Iterator[Doc]:
    """The output docs of one file: its units grouped by ``-n``."""
    n_sents, seg, ner_map = plan.docs.n_sents, plan.docs.seg_sents, plan.docs.ner_map
    grouped = _reader_groups(name, n_sents, seg, ner_map)
    options = {**plan.options, "group": n_sents} if grouped else plan.options
    docs = _unit_stream(
        file,
        name,
        encoding=plan.read.encoding,
        seg=seg,
        ner_map=ner_map,
        options=options,
        on_progress=on_progress,
    )
    if not _documents(name) and not grouped:
        docs = group_sents(docs, n_sents)
    return docs


def _reader_groups(name: str, n_sents: int, seg: bool, ner_map: Mapping[str, str] | None) -> bool:
    """Whether the converter reads ``-n`` groups itself (faster than grouping its sentences)."""
    if n_sents < 2 or seg or _documents(name):
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


def plan_outputs(
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


def plan_target(
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
        planned = plan_outputs(input_path, files, suffix, concatenate)
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
    if output.is_symlink() or not output.is_dir():
        return True
    if not any(output.iterdir()):
        return False  # an empty folder made for the outputs
    try:
        check_replaceable(output)
    except UsageError:
        return False
    return True


def check_target(target: Path, file_type: str) -> None:
    """Refuse now an output whose place holds a folder that is not an earlier output."""
    if target.is_dir() and not target.is_symlink():
        if file_type == SPACY_FORMAT:
            check_replaceable(target)  # the shards of an earlier run are replaced
        else:
            raise UsageError(f"{target}: is a directory that is not an earlier output; move it away first")


def may_cut(file: Path, name: str, *, jobs: int, shard_tokens: int, encoding: str) -> bool:
    """Whether ``convert`` cuts ``file`` into parts for ``jobs`` processes (or Ray tasks): a
    sentence format whose converter can scan, a file larger than one shard, an encoding whose
    line ends are single bytes. Whether the scan finds cuts is decided after."""
    if _documents(name):  # .spacy inputs among them
        return False
    if get_converter(name).scan is None or jobs < 2 or file.stat().st_size <= shard_tokens * _MIN_TOKEN_BYTES:
        return False
    # UTF-16/32 parts cannot be cut at byte line ends
    return not file_encoding(file, encoding).startswith(("utf-16", "utf-32"))


def _write_in_parts(plan: ConvertPlan, entries: list[Entry], staged: Path, rel: Path) -> ConvertedFile | None:
    """One large file converted by several processes (:mod:`corpuskit.parts`), else None."""
    from .parts import PartJob, default_jobs, plan_parts, process_pool, start_workers, write_parts

    file, name, reason = entries[0]
    # never more processes than CPUs to run them (-j 64 on 2 cores would start 64 for nothing)
    jobs = default_jobs() if plan.output.jobs is None else min(plan.output.jobs, default_jobs())
    shard_tokens = plan.output.shard_size if plan.output.shard_size is not None else SHARD_TOKENS
    encoding, n_sents, ner_map = plan.read.encoding, plan.docs.n_sents, plan.docs.ner_map
    if not may_cut(file, name, jobs=jobs, shard_tokens=shard_tokens, encoding=encoding):
        return None
    conv = get_converter(name)
    scan_file = conv.scan
    assert scan_file is not None  # may_cut said so
    known = {k: v for k, v in plan.options.items() if k in conv.options}
    executor = process_pool(jobs)
    if executor is None:
        return None
    try:
        with _stopped_on_error(executor):
            start_workers(executor)
            scan = scan_file(file, encoding=encoding, executor=executor, workers=jobs, **known)
            parts = (
                None
                if scan is None
                else plan_parts(scan, n_sents=n_sents, shard_tokens=shard_tokens, jobs=jobs)
            )
            if scan is None or parts is None:
                return None
            if plan.events.on_file is not None:
                plan.events.on_file(file, name, reason)
            grouped = _reader_groups(name, n_sents, False, ner_map)
            options = {**scan.options, "group": n_sents} if grouped else scan.options
            job = PartJob(_unit_stream, file, name, encoding, n_sents, ner_map, options, shard_tokens)
            stats = write_parts(job, parts, staged, executor=executor, on_progress=plan.reporter())
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
    entries: list[Entry],
    file_type: str,
    shard_size: int | None,
) -> ConvertedFile:
    if file_type == SPACY_FORMAT:
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
