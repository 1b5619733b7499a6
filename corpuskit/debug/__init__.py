"""Find what is wrong with a corpus: ``debug_corpus`` (debug-data) and ``check_files`` (check).

Both stream the corpus once, batch by batch: the per-batch checks run on each batch while
the statistics are updated, then the corpus checks run on the statistics. Nothing here
prints; the CLI renders the :class:`Report` and chooses the exit code.
"""

from __future__ import annotations

import contextlib
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate
from pathlib import Path

from ..errors import CorpusError, FormatError
from . import checks as _checks  # noqa: F401 - registers the checks
from . import checks_labels as _checks_labels  # noqa: F401 - registers control-char-label
from . import conllu_checks as _conllu_checks  # noqa: F401 - and those of CoNLL-U validation
from .batch import Batch, Item
from .findings import Collector, Example, Finding, Hit, Report
from .options import Options
from .registry import CHECKS, SECTIONS, Check
from .stats import CorpusStats, SplitStats

__all__ = [
    "CHECKS",
    "Example",
    "Finding",
    "Options",
    "Report",
    "check_files",
    "debug_corpus",
]

_MAX_RESYNC = 1000

#: ``on_progress(units_done, units_total)``: characters or bytes read over all inputs.
Progress = Callable[[int, int], None]


def debug_corpus(
    train: str | Path,
    dev: str | Path | None = None,
    *,
    options: Options | None = None,
    on_progress: Progress | None = None,
) -> Report:
    """Run every check of CHECKS.md on a training corpus (and a development corpus).

    ``train`` and ``dev`` are ``.spacy`` files, text corpora in any format ``convert`` reads,
    or directories of them. A file that cannot be parsed becomes a ``corpus-unreadable``
    finding (with its ``file:line``) and the other files are still checked. A path that does
    not exist raises :class:`~corpuskit.errors.UsageError`.
    """
    opts = options or Options()
    return _run([("train", train), *([("dev", dev)] if dev is not None else [])], opts, on_progress, True)


def check_files(
    paths: Iterable[str | Path], *, options: Options | None = None, on_progress: Progress | None = None
) -> Report:
    """The per-file checks only (no whole-corpus statistics), every occurrence kept: the
    pre-commit hook's library call."""
    opts = options or Options(max_examples=None)
    return _run([("", p) for p in paths], opts, on_progress, False)


def _run(
    inputs: list[tuple[str, str | Path]], opts: Options, on_progress: Progress | None, corpus_checks: bool
) -> Report:
    active = _active_checks(opts, corpus_checks)
    collector = Collector(max_examples=opts.max_examples)
    files, skipped = _list_files(inputs, opts, collector)
    progress: Callable[[int], None] | None = None
    if on_progress is not None:
        total = sum(_size(f) for _, f, _ in files)
        done = [0]
        report = on_progress

        def progress(n: int) -> None:
            done[0] += n
            report(done[0], total)

    splits: dict[str, SplitStats] = {}
    for split, file, conv in files:
        stats = splits.get(split)
        if stats is None:
            stats = splits[split] = SplitStats(split or "files", max_examples=opts.max_examples)
        _scan_file(split, file, conv, opts, active, collector, stats, corpus_checks, progress)
    return _finish(len(inputs) > 1, opts, active, collector, splits, skipped, corpus_checks)


def _active_checks(opts: Options, corpus_checks: bool) -> list[Check]:
    """The checks to run (those of ``check`` only when not ``corpus_checks``), in CHECKS' order."""
    ignore = set(opts.ignore)
    unknown = sorted(ignore - set(CHECKS))
    if unknown:
        from ..errors import UsageError

        raise UsageError(f"unknown check id(s) {', '.join(map(repr, unknown))}; known: {', '.join(CHECKS)}")
    active = [c for c in CHECKS.values() if c.id not in ignore and (corpus_checks or c.per_file)]
    if opts.lang is None:
        active = [c for c in active if c.id != "misaligned-tokens"]
    return active


def _list_files(
    inputs: list[tuple[str, str | Path]], opts: Options, collector: Collector
) -> tuple[list[tuple[str, Path, str]], list[str]]:
    """``(split, file, converter)`` of every corpus file of the inputs, and the files skipped;
    an input that cannot be listed becomes a finding in ``collector``."""
    from ..corpus import iter_corpus_files

    skipped: list[str] = []
    files: list[tuple[str, Path, str]] = []
    for split, path in inputs:
        try:
            for file, conv, _reason in iter_corpus_files(
                path,
                converter=opts.converter,
                encoding=opts.encoding,
                on_skip=lambda f, why: skipped.append(f"{f}: {why}"),
            ):
                files.append((split, file, conv))
        except FormatError as e:
            _reader_error(collector, e, str(path), split, set(opts.ignore))
    return files, skipped


def _scan_file(
    split: str,
    file: Path,
    conv: str,
    opts: Options,
    active: list[Check],
    collector: Collector,
    stats: SplitStats,
    corpus_checks: bool,
    progress: Callable[[int], None] | None,
) -> None:
    """One file's pass: its validator, then its docs batch by batch through the batch checks
    (hits into ``collector``) and into ``stats``. Nothing here depends on the other files."""
    ignore = set(opts.ignore)
    batch_checks = [c for c in active if c.scope == "batch"]
    stats.add_file(str(file))
    batch: list[Item] = []
    n_tokens = 0
    flagged = _validate(file, conv, split, opts, collector, ignore)
    for item in _read_items(file, conv, split, opts, collector, ignore, progress, flagged):
        batch.append(item)
        n_tokens += len(item.doc.words) + 1
        if n_tokens >= opts.batch_tokens:
            _process(Batch(batch, split), stats, batch_checks, collector, opts, corpus_checks, flagged)
            batch = []
            n_tokens = 0
    if batch:
        _process(Batch(batch, split), stats, batch_checks, collector, opts, corpus_checks, flagged)


def _finish(
    with_dev: bool,
    opts: Options,
    active: list[Check],
    collector: Collector,
    splits: dict[str, SplitStats],
    skipped: list[str],
    corpus_checks: bool,
) -> Report:
    """The corpus checks on the statistics of every file, then the Report of all hits."""
    findings: list[Finding] = []
    if corpus_checks:
        train = splits.get("train") or SplitStats("train")
        corpus = CorpusStats(train, splits.get("dev") if with_dev else None)
        if corpus.dev is None and with_dev:
            corpus.dev = SplitStats("dev")
        for check in active:
            if check.scope != "corpus" or check.func is None:
                continue
            for got in check.func(corpus, opts):
                if isinstance(got, Finding):
                    findings.append(got)
                else:
                    collector.add(check.id, got)
        stats_dict = corpus.to_dict()
    else:
        only = splits.get("")
        stats_dict = {"files": (only or SplitStats("files")).to_dict()}
    if skipped:
        stats_dict["skipped_files"] = skipped
    for check in active:
        if collector.count(check.id):
            examples = collector.examples(check.id)
            if check.scope != "corpus":  # reader errors and batch hits, in file order
                examples.sort(key=lambda e: (e.file or "", e.line or 0, e.doc or 0, e.token or 0))
            findings.append(
                Finding(
                    check.id,
                    check.severity,
                    check.message(collector.count(check.id), collector.by_split(check.id)),
                    collector.count(check.id),
                    examples,
                    section=check.section,
                )
            )
    order = {c: i for i, c in enumerate(CHECKS)}
    sev = {"error": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: (sev[f.severity], SECTIONS.index(f.section), order.get(f.id, 0)))
    checked = {name: list(s.files) for name, s in splits.items()}
    return Report(findings, stats_dict, [c.id for c in active], sorted(opts.ignore), checked)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _Flagged:
    """The records (line ranges) of one file in which its validator found an error: what the
    reader and the doc checks find there again is not reported twice."""

    __slots__ = ("ends", "file", "starts")

    def __init__(self, file: str, spans: list[tuple[int, int]]) -> None:
        spans = sorted(s for s in spans if s[0] > 0)  # (0, 0): says nothing about other lines
        self.file = file
        self.starts = [a for a, _ in spans]
        self.ends = list(accumulate((b for _, b in spans), max))  # spans may nest

    def covers(self, file: str | None, line: int | None) -> bool:
        if line is None or file != self.file or not self.starts:
            return False
        k = bisect_right(self.starts, line) - 1
        return k >= 0 and line <= self.ends[k]


def _validate(
    file: Path, conv: str, split: str, opts: Options, collector: Collector, ignore: set[str]
) -> _Flagged | None:
    """Run the converter's validator over the file's raw lines (CoNLL-U: UD levels 1 and 2)."""
    from ..corpus import SPACY_FORMAT
    from ..registry import get_converter

    if conv == SPACY_FORMAT:
        return None
    validate = get_converter(conv).validate
    if validate is None:
        return None
    name = str(file)
    spans: list[tuple[int, int]] = []
    for check_id, line, column, message, first, last in validate(file, encoding=opts.encoding):
        check = CHECKS.get(check_id)
        if check is None or check_id in ignore:
            continue
        collector.add(check_id, Hit(Example(name, line, None, None, "", message, column), split))
        if check.severity == "error":
            spans.append((first, last))
    return _Flagged(name, spans) if spans else None


def _process(
    batch: Batch,
    stats: SplitStats,
    checks: list[Check],
    collector: Collector,
    opts: Options,
    full: bool,
    flagged: _Flagged | None = None,
) -> None:
    for check in checks:
        assert check.func is not None
        for hit in check.func(batch, opts):
            if flagged is not None and flagged.covers(hit.example.file, hit.example.line):
                continue
            collector.add(check.id, hit)
    if full:
        stats.add_batch(batch)
    else:
        stats.add_counts(batch)


def _classify(e: Exception) -> str:
    """The check a reader error is a finding of: the one its raiser named (an id this run does
    not know falls back to ``corpus-unreadable``, so the error is never lost)."""
    if isinstance(e, FormatError) and e.check is not None:
        return e.check if e.check in CHECKS else "corpus-unreadable"
    return "corpus-unreadable"


def _reader_error(
    collector: Collector,
    e: Exception,
    file: str,
    split: str,
    ignore: set[str],
    flagged: _Flagged | None = None,
) -> None:
    check_id = _classify(e)
    if check_id in ignore:
        return
    if flagged is not None and isinstance(e, FormatError) and flagged.covers(e.path or file, e.line):
        return  # the validator has named this record's problem
    if isinstance(e, FormatError):
        ex = Example(e.path or file, e.line, None, None, "", e.reason, e.column)
    else:
        ex = Example(file, None, None, None, "", str(e))
    collector.add(check_id, Hit(ex, split))


def _read_items(
    file: Path,
    conv: str,
    split: str,
    opts: Options,
    collector: Collector,
    ignore: set[str],
    progress: Callable[[int], None] | None,
    flagged: _Flagged | None = None,
) -> Iterator[Item]:
    """The docs of one file as Items; parse errors become findings and reading goes on after
    the bad block where the format allows it."""
    from ..corpus import SPACY_FORMAT, read_file
    from ..registry import get_converter

    name = str(file)
    index = 0
    if conv == SPACY_FORMAT:
        try:
            for doc in read_file(file, conv):
                yield Item(doc, index, name, split)
                index += 1
        except (CorpusError, ValueError) as e:
            _reader_error(collector, e, name, split, ignore)
        if progress is not None:
            progress(_size(file))
        return
    converter = get_converter(conv)
    mode = converter.resync  # how far to skip after a parse error (None: stop at the first)
    blank: list[tuple[int, int]] = []  # line ranges (inclusive) read as blank lines
    bad_blocks: list[tuple[int, int]] = []
    failed: set[int] = set()
    last_line = 0  # last line of the docs yielded so far
    counted = 0
    for _attempt in range(_MAX_RESYNC + 1):
        reader = _LineReader(file, opts.encoding, blank)
        lines: Iterable[str] = reader
        if not blank:
            from ..corpus import LineSource

            lines = LineSource(
                file, encoding=opts.encoding, on_progress=reader.seen if progress is not None else None
            )
        try:
            for doc in converter.read(lines, source=name):
                yield Item(doc, index, name, split)
                index += 1
                if doc.lines:
                    last_line = max(last_line, doc.lines[-1])
            if progress is not None:
                progress(max(0, reader.chars - counted))
            return
        except (CorpusError, ValueError) as e:
            if progress is not None:
                progress(max(0, reader.chars - counted))
            counted = max(counted, reader.chars)
            line = getattr(e, "line", None)
            if line is None or line not in failed:  # a retry that fails at the same line: said once
                _reader_error(collector, e, name, split, ignore, flagged)
            if mode is None or line is None or not isinstance(e, FormatError) or line in failed:
                return
            failed.add(line)
            bad_blocks.append(_bad_block(file, opts.encoding, line, mode))
            blank = [r for r in [(1, last_line), *bad_blocks] if r[0] <= r[1]]
    return


class _LineReader:
    """A file's lines with some ranges read as blank lines (to skip a block that failed)."""

    __slots__ = ("blank", "chars", "encoding", "path")

    def __init__(self, path: Path, encoding: str, blank: list[tuple[int, int]]) -> None:
        self.path = path
        self.encoding = encoding
        self.blank = blank
        self.chars = 0

    def seen(self, chars: int) -> None:
        self.chars = chars

    def __iter__(self) -> Iterator[str]:
        from ..io import read_lines

        ranges = sorted(self.blank)
        chars = 0
        k = 0
        for i, line in enumerate(read_lines(self.path, encoding=self.encoding), start=1):
            chars += len(line) + 1
            if not i & 0x3FFF:
                self.chars = chars
            while k < len(ranges) and ranges[k][1] < i:
                k += 1
            if k < len(ranges) and ranges[k][0] <= i:
                yield ""
            else:
                yield line
        self.chars = chars


def _bad_block(path: Path, encoding: str, line: int, mode: str) -> tuple[int, int]:
    """The lines to skip around a parse error at ``line``: its block, or the line alone."""
    if mode == "line":
        return line, line
    from ..io import read_lines

    start = 1
    end = line
    with contextlib.suppress(FormatError):  # bytes that do not decode: the block ends at them
        for i, text in enumerate(read_lines(path, encoding=encoding), start=1):
            if i < line:
                if not text.strip():
                    start = i + 1
            elif not text.strip():
                end = i
                break
            else:
                end = i
    return start, end
