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


# -- corpus jobs: one task per input file ------------------------------------------------------


def _convert_one(job: tuple[Path, str], options: dict[str, Any]) -> tuple[list[tuple[str, bytes]], Any]:
    """In a task: convert one file as ``corpuskit convert FILE`` would; its output's files
    (path relative to the output directory, bytes) and the converter's reports."""
    from .corpus import convert_corpus

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
    """:func:`corpuskit.corpus.convert_corpus` of a directory, one Ray task per input file.

    The driver lists the files (as a local run does), each task converts one with the same
    code, and the driver writes the outputs in file order into a staging folder and moves them
    into place: the same files with the same bytes as a local run. The first error in file
    order is raised as the local run raises it (``file:line: ...``); then nothing is written.
    Every node must see the input at the same path (a shared file system), as Ray tasks do.
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
    rels = [rel for rel, _ in outputs]
    jobs = [(entries[0][0], entries[0][1]) for _, entries in outputs]
    # a file larger than one shard is cut into parts planned for --jobs (default: this machine's
    # CPUs); the task plans the same parts, so the shards end where a local run ends them
    options = {**options, "jobs": options.get("jobs") or default_jobs()}
    with OutputRun(out_dir) as run:
        for rel in rels:
            run.check(rel)
            check_target(out_dir / rel, file_type)

        def write(k: int, done: tuple[list[tuple[str, bytes]], Any]) -> None:
            written, ((n_docs, n_sents, n_tokens), reports) = done
            staged = run.staged(rels[k])
            paths = []
            for name, data in written:
                # the task's output is named after the file; here it goes to its planned place
                inner = Path(name).relative_to(Path(name).parts[0])
                target = staged / inner if len(Path(name).parts) > 1 else staged
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                paths.append(target)
            result.files.append(ConvertedFile(outputs[k][1], rels[k], paths, n_docs, n_sents, n_tokens))
            for report in reports:
                if on_report is not None:
                    on_report(report)

        map_tasks(_convert_one, jobs, shared=options, ray=ray, workers=workers, on_result=write)
        run.commit(rels)
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
