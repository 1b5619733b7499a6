"""One large text file converted to DocBin shards by several processes, one part each.

A converter with a :attr:`~corpuskit.registry.Converter.scan` says where its files may be cut
(for CoNLL-U: after any sentence that an empty line follows). When a file holds more tokens
than one shard, :func:`plan_parts` cuts it into parts of about equal size at cuts that keep
``-n`` groups whole, and :func:`write_parts` converts each part into its own shard in a process
of its own. The shards hold exactly the docs one process would have written, in the same
order; only where one shard ends and the next begins differs. Every part is checked against
the scan (the docs its reader yielded); if any disagrees, nothing is kept and the caller
converts the file in one process.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import multiprocessing
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .doc import Doc
from .docbin import TokenCountMismatch, WriteStats, shard_path, write_docbin
from .io import signals_deferred
from .registry import FileScan
from .transforms import group_sents

__all__ = [
    "MIN_PART_TOKENS",
    "Part",
    "PartJob",
    "default_jobs",
    "plan_parts",
    "process_pool",
    "start_workers",
    "stop_workers",
    "write_parts",
]

#: The fewest tokens a part gets when there are more CPUs than parts of one shard each.
MIN_PART_TOKENS = 100_000


@dataclass(frozen=True, slots=True)
class Part:
    """Bytes ``start:end`` of a file (``end`` None: to its end), after ``first_line`` lines,
    from which its converter yields ``units`` docs (sentences) of ``tokens`` tokens in all (None:
    not known, see :attr:`FileScan.exact_tokens`)."""

    start: int
    end: int | None
    first_line: int
    units: int
    tokens: int | None


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def plan_parts(scan: FileScan, *, n_sents: int, shard_tokens: int, jobs: int) -> list[Part] | None:
    """Parts for ``jobs`` processes, or None when one process should convert the file.

    Only a file of more than ``shard_tokens`` tokens (one that becomes a shard directory
    anyway) is cut, into a multiple of ``jobs`` parts of at most about ``shard_tokens`` tokens;
    every cut but the file's end falls after a multiple of ``n_sents`` sentences, so that no
    ``-n`` group is split.
    """
    if jobs < 2 or scan.n_tokens <= shard_tokens:
        return None
    # on a machine with many CPUs, parts of at least MIN_PART_TOKENS (or one shard): a million
    # tokens become a few shards, not one per CPU
    jobs = max(2, min(jobs, scan.n_tokens // min(MIN_PART_TOKENS, shard_tokens)))
    n_parts = jobs * math.ceil(scan.n_tokens / (jobs * shard_tokens))
    unit = max(n_sents, 1)
    ok = (scan.units % unit == 0) & (scan.units > 0) & (scan.units < scan.n_units)
    candidates = np.flatnonzero(ok)
    if not len(candidates):
        return None
    targets = scan.n_tokens * np.arange(1, n_parts, dtype=np.float64) / n_parts
    picked = np.searchsorted(scan.tokens[candidates], targets)
    cuts = candidates[np.unique(np.minimum(picked, len(candidates) - 1))]
    parts: list[Part] = []
    start, first_line, units, tokens = 0, 0, 0, 0
    exact = scan.exact_tokens
    for c in cuts.tolist():
        c_units, c_tokens = int(scan.units[c]), int(scan.tokens[c])
        n_tokens = c_tokens - tokens if exact else None
        parts.append(Part(start, int(scan.offsets[c]), first_line, c_units - units, n_tokens))
        start, first_line, units, tokens = int(scan.offsets[c]), int(scan.lines[c]), c_units, c_tokens
    last_tokens = scan.n_tokens - tokens if exact else None
    parts.append(Part(start, None, first_line, scan.n_units - units, last_tokens))
    return parts if len(parts) > 1 else None


@dataclass(frozen=True, slots=True)
class PartJob:
    """What every part of one file is converted with, in the workers.

    ``read_units(file, name, *, encoding, seg, ner_map, options, part)`` reads one part's docs
    before ``-n`` groups them (``corpuskit.conversion`` passes its reader: a module-level
    function, so that it reaches the workers by name).
    """

    read_units: Callable[..., Iterable[Doc]]
    file: Path
    name: str
    encoding: str
    n_sents: int
    ner_map: Mapping[str, str] | None
    options: dict[str, Any]
    shard_tokens: int


def _convert_part(job: PartJob, part: Part, out: Path) -> tuple[WriteStats, int]:
    """In a worker: one part written as ``out`` (a file or a shard directory); its unit count
    (sentences: a converter that takes the ``group`` option reads ``-n`` groups itself)."""
    counted = 0
    grouped = "group" in job.options

    def count(docs: Iterable[Doc]) -> Iterator[Doc]:
        nonlocal counted
        for doc in docs:
            if not grouped:
                counted += 1
            elif doc.sent_starts is not None:
                counted += doc.sent_starts.count(True)
            else:
                counted += len(doc.sentence_bounds())
            yield doc

    units = job.read_units(
        job.file,
        job.name,
        encoding=job.encoding,
        seg=False,
        ner_map=job.ner_map,
        options=job.options,
        part=(part.start, part.end, part.first_line),
    )
    # with the part's token count known, its shard is compressed while it is read: the
    # worker's last shard is not left to compress at the end
    try:
        docs = count(units) if grouped else group_sents(count(units), job.n_sents)
        stats = write_docbin(docs, out, shard_tokens=job.shard_tokens, n_tokens=part.tokens)
    except TokenCountMismatch:
        return WriteStats(), -1  # the scan and the reader disagree: the caller falls back
    return stats, counted


def process_pool(jobs: int) -> ProcessPoolExecutor | None:
    """``jobs`` worker processes (for the scan and then the parts of one file), or None when none
    can be started safely."""
    # fork starts workers at once and is safe while this process runs no other thread;
    # elsewhere (threads, or no fork) a new interpreter is started per worker, which must be
    # able to import __main__ (not so in an interactive session)
    methods = multiprocessing.get_all_start_methods()
    context: Any
    parent = 0  # the process whose death ends the workers (a forkserver's workers are its children)
    if "fork" in methods and threading.active_count() == 1:
        context = multiprocessing.get_context("fork")
        parent = os.getpid()
    else:
        main = getattr(sys.modules.get("__main__"), "__file__", None)
        if main is None or not os.path.isfile(main):
            return None
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    return ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_die_with_parent, initargs=(parent,)
    )


_PR_SET_PDEATHSIG = 1

#: Whether a pool was stopped without waiting for it (:func:`stop_workers`): its manager thread
#: may never end, so the command line exits without the interpreter's exit handlers, which
#: would wait for it.
abandoned = False


def _die_with_parent(parent: int) -> None:
    """In a worker: be killed when the parent dies (Linux), and check the parent besides.

    A worker whose parent was killed (SIGKILL, the memory killer) must not go on writing into an
    output folder that the next run cleans up: Linux sends it SIGKILL at once; elsewhere (or if
    the parent died before this ran) a watch thread sees the parent gone within half a second.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's clean-up handler (a fork copy)
    if not parent:
        return
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="corpuskit-parent-watch", daemon=True).start()


def start_workers(executor: ProcessPoolExecutor) -> None:
    """Start the workers now, with Ctrl-C and SIGTERM held back until they run: a signal that
    came during ``fork`` would be raised in an at-fork handler, where Python ignores it."""
    with signals_deferred():
        executor.submit(os.getpid).result()


def stop_workers(executor: ProcessPoolExecutor) -> None:
    """Kill the workers of ``executor`` now (an error or an interruption: their parts are not
    wanted) and shut it down without waiting: its manager thread may wait forever on a result
    that a killed worker had half sent."""
    global abandoned
    abandoned = True
    processes = getattr(executor, "_processes", None) or {}
    for proc in list(processes.values()):
        with contextlib.suppress(Exception):
            proc.kill()
    executor.shutdown(wait=False, cancel_futures=True)


def write_parts(
    job: PartJob,
    parts: list[Part],
    target: Path,
    *,
    executor: ProcessPoolExecutor,
    on_progress: Callable[[int], None] | None = None,
) -> WriteStats | None:
    """Convert ``parts`` of ``job.file`` in the processes of ``executor`` into the shard
    directory ``target``.

    The first error in file order is raised (after every earlier part has finished, so it is
    the error one process would have met first). None, with nothing left behind, when a part's
    reader yielded another number of docs than the scan counted.
    """
    target.mkdir(parents=True)
    outs = [target / f".part-{k:04d}.spacy" for k in range(len(parts))]
    ok = False
    try:
        futures = [executor.submit(_convert_part, job, p, out) for p, out in zip(parts, outs, strict=True)]
        results = _results(futures, parts, job.file, on_progress)
        if any(counted != part.units for (_, counted), part in zip(results, parts, strict=True)):
            return None
        stats = WriteStats()
        for out, (part_stats, _) in zip(outs, results, strict=True):
            stats.n_docs += part_stats.n_docs
            stats.n_sents += part_stats.n_sents
            stats.n_tokens += part_stats.n_tokens
            for shard in sorted(out.iterdir()) if out.is_dir() else [out]:
                dest = shard_path(target, len(stats.paths))
                os.replace(shard, dest)
                stats.paths.append(dest)
            if out.is_dir():
                out.rmdir()
        ok = True
        return stats
    finally:
        if not ok:
            shutil.rmtree(target, ignore_errors=True)


def _results(
    futures: list[Future[tuple[WriteStats, int]]],
    parts: list[Part],
    file: Path,
    on_progress: Callable[[int], None] | None,
) -> list[tuple[WriteStats, int]]:
    """The results of the parts, in order, once all are done; or the first error in file order,
    once every part before it is done (the error one process would have met first)."""
    pending = set(futures)
    done_bytes = 0
    while pending:
        done, pending = wait(pending, return_when=FIRST_EXCEPTION)
        for f in done:
            part = parts[futures.index(f)]
            end = part.end if part.end is not None else file.stat().st_size
            done_bytes += end - part.start
        failed = [k for k, f in enumerate(futures) if f.done() and f.exception() is not None]
        if failed and all(f.done() for f in futures[: failed[0]]):
            break  # every earlier part is done: this is the first error in the file
        if on_progress is not None:
            on_progress(done_bytes)
    for f in futures:
        f.cancel()  # the parts not started yet
    wait(futures)  # the running ones finish before their folder is removed
    first_error = next((f.exception() for f in futures if f.done() and f.exception()), None)
    if first_error is not None:
        raise first_error
    return [f.result() for f in futures]
