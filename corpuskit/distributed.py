"""Running independent jobs on a Ray cluster, or one after another in this process without one.

Nothing here imports Ray until a caller asks for it (``ray=`` is not None/False), so corpuskit
works without the ``ray`` extra. :func:`map_tasks` is the one entry point for "K independent
jobs": ``map_tasks(fn, items, shared=data, ray=address)`` runs ``fn(item, data)`` for every
item, as Ray tasks with ``data`` put into the object store once, or locally in order when
``ray`` is None. Results come back in the order of ``items``; the first error in that order is
raised (a :class:`~corpuskit.errors.CorpusError` from a task arrives whole, location included).

``ray`` takes ``True`` (connect as ``ray.init()`` finds a cluster: ``RAY_ADDRESS``, or the
latest ``ray start --head`` on this machine; with none running, start a local instance) or an
address such as ``"ray://head:10001"`` or ``"10.0.0.5:6379"``. :func:`ray_session` connects
once for several calls and shuts down only an instance it started itself.
"""

from __future__ import annotations

import contextlib
import importlib.util
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .errors import CorpusError, UsageError

__all__ = [
    "RayAddress",
    "WorkerDied",
    "check_files_ray",
    "convert_corpus_ray",
    "map_tasks",
    "plan_file_parts",
    "ray_session",
    "require_ray",
]

T = TypeVar("T")
R = TypeVar("R")

#: what ``--ray`` gives: None (no Ray), True (find or start a cluster) or an address
RayAddress = bool | str | None


class WorkerDied(CorpusError):
    """A Ray worker (a task's process, or a training replica) died before it finished."""


def require_ray() -> Any:
    """The ``ray`` module, or a :class:`UsageError` saying how to install it."""
    if importlib.util.find_spec("ray") is None:
        raise UsageError('--ray: Ray is not installed; install it with pip install "corpuskit[ray]"')
    import ray

    return ray


@contextlib.contextmanager
def ray_session(address: RayAddress, *, num_cpus: int | None = None) -> Iterator[Any]:
    """Ray connected to ``address`` (see the module doc) for the ``with`` block; yields ``ray``.

    Reuses a connection that is already open (and leaves it open); otherwise connects, and at
    the end disconnects (shutting down the local instance if this call started one).
    """
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    kwargs: dict[str, Any] = {"log_to_driver": False, "include_dashboard": False}
    if isinstance(address, str) and address not in ("", "auto"):
        kwargs["address"] = address
    if num_cpus is not None and "address" not in kwargs:
        kwargs["num_cpus"] = num_cpus
    try:
        ray.init(**kwargs)
    except (ConnectionError, ValueError, RuntimeError) as e:
        where = address if isinstance(address, str) else "the cluster ray.init() finds"
        raise UsageError(f"--ray: cannot connect to {where}: {' '.join(str(e).split())}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def _call(fn: Callable[[Any, Any], Any], item: Any, shared: Any) -> tuple[bool, Any]:
    """In a task: ``(True, fn(item, shared))``, or ``(False, error)`` for a corpuskit error (which
    then reaches the driver as itself, not wrapped in Ray's traceback)."""
    try:
        return True, fn(item, shared)
    except CorpusError as e:
        return False, e


def map_tasks(
    fn: Callable[[T, Any], R],
    items: Sequence[T],
    *,
    shared: Any = None,
    ray: RayAddress = None,
    workers: int | None = None,
    on_result: Callable[[int, R], None] | None = None,
) -> list[R]:
    """``[fn(item, shared) for item in items]``, as Ray tasks when ``ray`` is set.

    ``fn`` must be a module-level function (it is pickled by reference to the workers).
    ``shared`` is shipped once through the object store and every task reads the same copy.
    ``workers`` caps the tasks running at once (default: as many as the cluster schedules,
    one CPU each). ``on_result(index, result)`` is called in the order of ``items`` as results
    arrive. A task whose worker process dies raises :class:`WorkerDied`.
    """
    if not ray:
        results = []
        for k, item in enumerate(items):
            out = fn(item, shared)
            if on_result is not None:
                on_result(k, out)
            results.append(out)
        return results
    with ray_session(ray) as rt:
        return _map_remote(rt, fn, list(items), shared, workers, on_result)


def _map_remote(
    rt: Any,
    fn: Callable[[Any, Any], Any],
    items: list[Any],
    shared: Any,
    workers: int | None,
    on_result: Callable[[int, Any], None] | None,
) -> list[Any]:
    from ray.exceptions import RayError, RayTaskError

    remote = rt.remote(num_cpus=1, max_retries=0)(_call)
    shared_ref = rt.put(shared)
    limit = workers if workers and workers > 0 else len(items)
    refs: list[Any] = []
    index: dict[Any, int] = {}
    results: dict[int, Any] = {}
    next_out = 0
    pending: list[Any] = []
    out: list[Any] = []
    try:
        while next_out < len(items):
            while len(refs) < len(items) and len(pending) < limit:
                ref = remote.remote(fn, items[len(refs)], shared_ref)
                index[ref] = len(refs)
                refs.append(ref)
                pending.append(ref)
            done, pending = rt.wait(pending, num_returns=1)
            for ref in done:
                results[index[ref]] = ref
            while next_out in results:
                ok, value = rt.get(results.pop(next_out))
                if not ok:
                    raise value
                if on_result is not None:
                    on_result(next_out, value)
                out.append(value)
                next_out += 1
    except RayTaskError as e:
        raise CorpusError(f"a Ray task failed: {type(e.cause).__name__}: {e.cause}") from None
    except RayError as e:
        raise WorkerDied(
            f"a Ray worker died while running task {next_out + 1} of {len(items)} "
            f"({type(e).__name__}); nothing was written for it"
        ) from None
    finally:
        for ref in pending:
            with contextlib.suppress(Exception):
                rt.cancel(ref, force=True)
    return out


# -- corpus jobs: one task per input file, or per part of a large file -----------------------


def _convert_job(job: tuple[Any, ...], options: dict[str, Any]) -> tuple[Any, ...]:
    """In a task: ``("file", path, converter)`` converted as ``corpuskit convert FILE`` would
    (see :func:`_convert_one`), or ``("part", path, converter, part, scan_options)``: one part of
    a large file, as ``convert -j`` converts it in one of its processes (its shards' bytes, its
    counts, and how many sentences its reader yielded)."""
    if job[0] == "file":
        return _convert_one((job[1], job[2]), options)
    from .conversion import _unit_stream
    from .docbin import SHARD_TOKENS
    from .parts import PartJob, _convert_part

    _, file, name, part, scan_options = job
    shard_tokens = options.get("shard_size") or SHARD_TOKENS
    with tempfile.TemporaryDirectory(prefix="corpuskit-ray-") as tmp:
        out = Path(tmp) / "part.spacy"
        part_job = PartJob(
            _unit_stream, Path(file), name, options.get("encoding", "utf-8"),
            options.get("n_sents", 1), options.get("ner_map"), scan_options, shard_tokens,
        )  # fmt: skip
        stats, counted = _convert_part(part_job, part, out)
        shards = [] if counted < 0 else sorted(out.iterdir()) if out.is_dir() else [out]
        data = [p.read_bytes() for p in shards]
    return data, (stats.n_docs, stats.n_sents, stats.n_tokens), counted


def _convert_one(job: tuple[Path, str], options: dict[str, Any]) -> tuple[list[tuple[str, bytes]], Any]:
    """In a task: convert one file as ``corpuskit convert FILE`` would; its output's files
    (path relative to the output directory, bytes) and the converter's reports."""
    from .conversion import convert_corpus

    file, name = job
    reports: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="corpuskit-ray-") as tmp:
        result = convert_corpus(file, tmp, converter=name, on_report=reports.append, **options)
        files = [(str(p.relative_to(tmp)), p.read_bytes()) for p in result.paths]
        counts = (result.n_docs, result.n_sents, result.n_tokens)
    return files, (counts, _picklable(reports))


def _picklable(values: list[Any]) -> list[Any]:
    out = []
    for v in values:
        try:
            pickle.dumps(v)
        except Exception:
            v = getattr(v, "message", None) or str(v)
        out.append(v)
    return out


def plan_file_parts(
    file: Path, name: str, options: dict[str, Any]
) -> tuple[list[Any], dict[str, Any]] | None:
    """The parts ``convert -j JOBS`` cuts one large file into (``options`` as
    :func:`convert_corpus_ray` takes them, ``jobs`` among them), and the options its parts are
    read with; None when ``convert`` converts that file in one process. The same conditions and
    the same plan as :func:`corpuskit.corpus.convert_corpus`, with the scan run here."""
    from .conversion import _reader_groups, may_cut
    from .corpus import SPACY_FORMAT
    from .docbin import SHARD_TOKENS
    from .parts import plan_parts
    from .registry import get_converter

    if options.get("file_type", SPACY_FORMAT) != SPACY_FORMAT or options.get("seg_sents"):
        return None
    jobs = int(options.get("jobs") or 1)
    shard_tokens = options.get("shard_size") or SHARD_TOKENS
    encoding = options.get("encoding", "utf-8")
    if not may_cut(file, name, jobs=jobs, shard_tokens=shard_tokens, encoding=encoding):
        return None
    conv = get_converter(name)
    assert conv.scan is not None
    parse_options: dict[str, Any] = {k: True for k in ("merge_subtokens", "morphology") if options.get(k)}
    if options.get("offset_units", "auto") != "auto":
        parse_options["offset_units"] = options["offset_units"]
    if options.get("lang") is not None:
        parse_options["lang"] = options["lang"]
    known = {k: v for k, v in parse_options.items() if k in conv.options}
    scan = conv.scan(file, encoding=encoding, executor=None, workers=1, **known)
    if scan is None:
        return None
    n_sents = options.get("n_sents", 1)
    parts = plan_parts(scan, n_sents=n_sents, shard_tokens=shard_tokens, jobs=jobs)
    if parts is None:
        return None
    grouped = _reader_groups(name, n_sents, False, options.get("ner_map"))
    return parts, ({**scan.options, "group": n_sents} if grouped else scan.options)


class _Output:
    """One planned output of a Ray convert: its jobs' results, written into the staging folder
    in order as they arrive."""

    def __init__(self, entries: list[Any], rel: Path, staged: Path, parts: list[Any] | None) -> None:
        self.entries = entries
        self.rel = rel
        self.staged = staged
        self.parts = parts
        self.paths: list[Path] = []
        self.counts = [0, 0, 0]
        self.fallback = False  # a part's reader disagreed with the scan: one process converts it

    def add_part(self, k: int, done: tuple[Any, ...]) -> None:
        data, counts, counted = done
        assert self.parts is not None
        if self.fallback or counted != self.parts[k].units:
            self.fallback = True
            return
        if k == 0:
            self.staged.mkdir(parents=True)
        from .docbin import shard_path

        for shard in data:
            target = shard_path(self.staged, len(self.paths))
            target.write_bytes(shard)
            self.paths.append(target)
        self.counts = [a + b for a, b in zip(self.counts, counts, strict=True)]

    def add_file(self, done: tuple[Any, ...]) -> list[Any]:
        written, ((n_docs, n_sents, n_tokens), reports) = done
        from .docbin import shard_path

        for name, data in written:
            # the task's output is named after the file; here it goes to its planned place (a
            # shard folder's shards are named after it: out.spacy/out-0000.spacy)
            nested = len(Path(name).parts) > 1
            target = shard_path(self.staged, len(self.paths)) if nested else self.staged
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            self.paths.append(target)
        self.counts = [n_docs, n_sents, n_tokens]
        return list(reports)


def _plan_jobs(
    outputs: list[tuple[Path, list[Any]]], run: Any, options: dict[str, Any]
) -> tuple[list[_Output], list[tuple[Any, ...]], list[tuple[int, int]]]:
    """The outputs, the tasks (a whole file, or a part of one), and each task's (output, part)."""
    planned: list[_Output] = []
    jobs: list[tuple[Any, ...]] = []
    owner: list[tuple[int, int]] = []
    for rel, entries in outputs:
        file, name, _ = entries[0]
        cut = plan_file_parts(file, name, options)
        planned.append(_Output(entries, rel, run.staged(rel), cut[0] if cut else None))
        if cut is None:
            jobs.append(("file", file, name))
            owner.append((len(planned) - 1, 0))
            continue
        for k, part in enumerate(cut[0]):
            jobs.append(("part", file, name, part, cut[1]))
            owner.append((len(planned) - 1, k))
    return planned, jobs, owner


def convert_corpus_ray(
    input_path: str | Path,
    output: str | Path,
    *,
    ray: RayAddress,
    workers: int | None = None,
    converter: str = "auto",
    on_report: Callable[[Any], None] | None = None,
    **options: Any,
) -> Any:
    """:func:`corpuskit.corpus.convert_corpus` of a file or a directory, as Ray tasks: one per
    input file, and one per part of a file that ``convert -j`` would cut into parts.

    The driver lists the files and plans the parts (as a local run does, for ``jobs``
    processes: default, this machine's CPUs), each task converts a file or a part with the same
    code, and the driver writes the outputs in order into a staging folder and moves them into
    place: the same files with the same bytes as a local run. The first error in file order is
    raised as the local run raises it (``file:line: ...``, the line in the whole file); then
    nothing is written. Every node must see the input at the same path (a shared file system).
    Returns a :class:`~corpuskit.corpus.ConvertResult`.
    """
    from .conversion import ConvertedFile, ConvertResult, check_target, output_suffix, plan_target
    from .corpus import iter_corpus_files
    from .io import OutputRun
    from .parts import default_jobs

    input_path = Path(input_path)
    file_type = options.get("file_type", "spacy")
    suffix = output_suffix(file_type)
    result = ConvertResult()
    files = list(
        iter_corpus_files(
            input_path,
            converter=converter,
            encoding=options.get("encoding", "utf-8"),
            on_skip=lambda f, why: result.skipped.append((f, why)),
        )
    )
    if not files:
        raise UsageError(f"{input_path}: no corpus files found (skipped {len(result.skipped)})")
    # the outputs are named and refused exactly as a local run names and refuses them
    out_dir, outputs = plan_target(Path(output), input_path, files, suffix, False)
    options = {**options, "jobs": options.get("jobs") or default_jobs()}
    whole = {**options, "jobs": 1}  # a file not cut here is converted by one process
    with OutputRun(out_dir) as run:
        for rel, _ in outputs:
            run.check(rel)
            check_target(out_dir / rel, file_type)
        planned, jobs, owner = _plan_jobs(outputs, run, options)

        def write(j: int, done: tuple[Any, ...]) -> None:
            out, k = planned[owner[j][0]], owner[j][1]
            if out.parts is None:
                reports = out.add_file(done)
            else:
                out.add_part(k, done)
                if k < len(out.parts) - 1:
                    return
                reports = []
                if out.fallback:  # as convert -j does: the file converted in one process, here
                    shutil.rmtree(out.staged, ignore_errors=True)
                    out.paths = []
                    reports = out.add_file(_convert_one((out.entries[0][0], out.entries[0][1]), whole))
            result.files.append(ConvertedFile(out.entries, out.rel, out.paths, *out.counts))
            for report in reports:
                if on_report is not None:
                    on_report(report)

        map_tasks(_convert_job, jobs, shared=whole, ray=ray, workers=workers, on_result=write)
        run.commit(rel for rel, _ in outputs)
        for cf in result.files:
            cf.paths = [out_dir / p.relative_to(run.new) for p in cf.paths]
            cf.output = out_dir / cf.output if cf.output is not None else None
    return result


def _check_one(path: str, options: Any) -> Any:
    """In a task: the per-file checks of one file (``corpuskit check FILE``)."""
    from .debug import check_files

    return check_files([path], options=options)


def check_files_ray(
    paths: Sequence[str | Path], *, options: Any, ray: RayAddress, workers: int | None = None
) -> Any:
    """:func:`corpuskit.debug.check_files`, one Ray task per corpus file (directories are
    listed here first). The findings of the files are kept in file order, so
    :func:`corpuskit.debug.report.render_check_lines` prints what a local run prints."""
    from .corpus import iter_corpus_files
    from .debug.findings import Report
    from .errors import FormatError

    files: list[str] = []
    for path in paths:
        if not Path(path).is_dir():
            files.append(str(path))
            continue
        try:
            found = [
                str(f)
                for f, _, _ in iter_corpus_files(path, converter=options.converter, encoding=options.encoding)
            ]
        except FormatError:
            found = [str(path)]  # the task meets the same error and reports it as a local run does
        files.extend(found)
    reports = map_tasks(_check_one, files, shared=options, ray=ray, workers=workers)
    merged = Report([], {}, reports[0].checks_run if reports else [], sorted(options.ignore), {})
    for report in reports:
        merged.findings.extend(report.findings)
        for split, names in report.files.items():
            merged.files.setdefault(split, []).extend(names)
    return merged
