"""Reading and writing files: the one output policy (atomic outputs, staged runs); the reading
functions of :mod:`corpuskit.textio`, re-exported."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import re
import secrets
import shutil
import signal
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .errors import UsageError
from .textio import (
    byte_blocks,
    check_encoding,
    file_encoding,
    iter_files,
    open_binary,
    read_line_blocks,
    read_lines,
    sniff_lines,
)

__all__ = [
    "STAGING_NAME",
    "AtomicOutput",
    "OutputRun",
    "aside_path",
    "atomic_open",
    "byte_blocks",
    "check_dir_path",
    "check_encoding",
    "check_file_path",
    "check_inside",
    "exchange",
    "file_encoding",
    "iter_files",
    "make_dirs",
    "open_binary",
    "read_line_blocks",
    "read_lines",
    "recover_aside",
    "replace_path",
    "signals_deferred",
    "sniff_lines",
    "sync_path",
    "temp_beside",
]

#: The names :func:`temp_beside` gives (``.NAME.<12 hex digits>.tmp``).
_TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp$")


def temp_beside(target: str | Path) -> Path:
    """A fresh hidden name beside ``target`` for a temporary file or folder to rename onto it."""
    target = Path(target)
    return target.parent / f".{target.name}.{secrets.token_hex(6)}.tmp"


class AtomicOutput:
    """A new file or folder made at a temporary path beside ``target``, and put at ``target``
    only when the block succeeds: the one way corpuskit writes an output.

    ``path`` is where to make it (a hidden ``.NAME.<hex>.tmp`` name beside ``target``: create a
    file there, or a folder; never with ``mkstemp``/``mkdtemp``, so the outputs get the modes of
    ordinary new files, the umask applied). When the block ends without an error, every file
    below ``path`` is flushed to disk (fsync), ``path`` is renamed onto ``target`` with
    :func:`replace_path` (``target`` is the old output or the new one at every moment) and the
    folder's entry is flushed too (an old output an earlier kill left aside is recovered
    first, :func:`recover_aside`). On any error or interruption (Ctrl-C, SIGTERM as the CLI
    raises it) ``path`` and every :meth:`temp` are removed, and ``target`` is not touched.
    Ctrl-C and SIGTERM wait (:func:`signals_deferred`) while the output is renamed into place
    or the temporary files are removed.
    """

    def __init__(self, target: str | Path) -> None:
        self.target = Path(target)
        self.path = temp_beside(self.target)
        self._temps = [self.path]

    def temp(self) -> Path:
        """Another temporary path beside ``target``, removed with ``path`` if the block fails
        (``path`` may be set to it: a first shard becomes a shard folder)."""
        path = temp_beside(self.target)
        self._temps.append(path)
        return path

    def __enter__(self) -> AtomicOutput:
        check_file_path(self.target)
        make_dirs(self.target.parent)
        recover_aside(self.target)  # what a kill between replace_path's two renames left
        return self

    def __exit__(self, kind: Any, error: BaseException | None, tb: Any) -> None:
        with signals_deferred():
            if error is None:
                try:
                    sync_path(self.path)
                    replace_path(self.path, self.target)
                    _sync_dir(self.target.parent)
                except BaseException:
                    self._clean()
                    raise
            self._clean()

    def _clean(self) -> None:
        for path in self._temps:
            with contextlib.suppress(OSError):
                _remove(path)


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a new file to write (:class:`AtomicOutput`); put it at ``path`` only if the block
    succeeds.

    An interrupted or failed write never leaves a half-written file and never replaces a good
    one. A folder (a shard folder) at ``path`` is replaced as a whole.
    """
    with AtomicOutput(path) as out, open(out.path, "x" + mode.replace("w", ""), **kwargs) as fh:
        yield fh


def sync_path(path: str | Path) -> None:
    """Flush the file ``path``, or every file and folder below the folder ``path``, to disk."""
    path = Path(path)
    if path.is_symlink():
        return
    if path.is_dir():
        for root, _dirs, files in os.walk(path):
            for name in files:
                sync_path(Path(root) / name)
            _sync_dir(Path(root))
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(path: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk, where the system allows it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot flush a folder; the rename itself is atomic
    finally:
        os.close(fd)


# -- the output policy ---------------------------------------------------------------------------
#
# Every writer puts a finished file or folder in place with replace_path: a rename, or where a
# folder is involved an atomic exchange (Linux renameat2 RENAME_EXCHANGE), so that ``target`` is at
# every moment either the old output or the new one. Where the exchange is not supported, the old
# output is renamed aside first (``.NAME.corpuskit-old``) and recover_aside, which every run calls
# before it writes, puts it back if a kill came between the two renames. A run that writes several
# outputs (convert, train) stages them in OutputRun's folder inside OUTPUT and moves them in only
# when all are ready.

STAGING_NAME = ".corpuskit-staging"
_ASIDE = ".corpuskit-old"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2() -> Any:
    try:
        func = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return None
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    func.restype = ctypes.c_int
    return func


_RENAMEAT2 = _renameat2()


def exchange(a: str | Path, b: str | Path) -> bool:
    """Swap the paths ``a`` and ``b`` (files or folders) in one atomic step; False where this
    system or file system cannot (then nothing changed)."""
    if _RENAMEAT2 is None:
        return False
    fa, fb = os.fsencode(a), os.fsencode(b)
    if _RENAMEAT2(_AT_FDCWD, fa, _AT_FDCWD, fb, _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), str(b))


def aside_path(target: str | Path) -> Path:
    """Where :func:`replace_path` keeps an old output while it renames a new one in."""
    target = Path(target)
    return target.parent / f".{target.name}{_ASIDE}"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def replace_path(src: str | Path, target: str | Path, *, keep_old: Path | None = None) -> None:
    """Move the finished file or folder ``src`` onto ``target``, replacing what is there (a file,
    a link, which is replaced and never followed, or a folder).

    ``target`` is never missing for a moment where the system can exchange two paths; elsewhere
    a kill between the two renames leaves the old output at :func:`aside_path`, which
    :func:`recover_aside` restores. ``keep_old``: where the old output goes (else it is removed).
    """
    src, target = Path(src), Path(target)
    if not os.path.lexists(target):
        os.rename(src, target)
        return
    replaced_file = not target.is_dir() or target.is_symlink()
    if keep_old is None and replaced_file and (src.is_file() or src.is_symlink()):
        os.replace(src, target)  # a file onto a file: one atomic rename
        return
    if exchange(src, target):
        old = src
    else:
        old = aside_path(target)
        _remove(old)
        os.rename(target, old)
        try:
            os.rename(src, target)
        except BaseException:
            os.rename(old, target)
            raise
    if keep_old is not None:
        make_dirs(keep_old.parent)
        os.rename(old, keep_old)
    else:
        _remove(old)


def recover_aside(target: str | Path) -> None:
    """Undo what a kill between :func:`replace_path`'s two renames left: the old output back at
    ``target`` if nothing is there, else the leftover removed."""
    target = Path(target)
    old = aside_path(target)
    if not os.path.lexists(old):
        return
    if os.path.lexists(target):
        _remove(old)
    else:
        os.rename(old, target)


def check_dir_path(path: str | Path, *, what: str = "OUTPUT") -> None:
    """Refuse (one line) a folder path that cannot be made: a regular file at it or above it."""
    path = Path(path)
    for p in [path, *path.parents]:
        if os.path.lexists(p):
            if not p.is_dir():
                where = "is a file" if p == path else f"is below {p}, which is a file"
                raise UsageError(f"{path}: {where}; {what} must be a folder")
            return


def check_file_path(path: str | Path) -> None:
    """Refuse (one line) a file path below a regular file."""
    path = Path(path)
    for p in path.parents:
        if os.path.lexists(p):
            if not p.is_dir():
                raise UsageError(f"{path}: is below {p}, which is a file; expected a folder there")
            return


def make_dirs(path: str | Path, *, what: str = "OUTPUT") -> None:
    """``path`` and its parents as folders (ordinary modes); one line where a file is in the way."""
    check_dir_path(path, what=what)
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"{path}: cannot create the folder: {e.strerror}") from None


def check_inside(root: Path, rel: Path) -> None:
    """Refuse a target ``root/rel`` that would be written through a link or below a file."""
    p = root
    for part in rel.parts[:-1]:
        p = p / part
        if p.is_symlink():
            raise UsageError(
                f"{p}: is a symbolic link; outputs are never written through a link out of {root}"
            )
        if os.path.lexists(p) and not p.is_dir():
            raise UsageError(f"{root / rel}: is below {p}, which is a file; move it away first")


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM held back during a block that must not be cut short (the final moves,
    the clean-up), then acted on as usual. Only in the main thread (where handlers run)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[tuple[signal.Signals, Any]] = []

    def hold(signum: int, frame: Any) -> None:
        held.append((signal.Signals(signum), frame))

    old = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if held:
            signum, frame = held[0]
            handler = old[signum]
            if callable(handler):
                handler(signum, frame)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(signum)


#: The output locks this process holds (OutputRun), closed in a forked child: a worker that
#: inherited one would keep the folder locked while it dies after its parent was killed.
_HELD_LOCKS: set[int] = set()


def _drop_inherited_locks() -> None:
    for fd in _HELD_LOCKS:
        with contextlib.suppress(OSError):
            os.close(fd)  # the parent's open file description keeps the lock
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


class OutputRun:
    """The outputs of one run into the folder ``out``, staged in ``out/.corpuskit-staging``.

    Entering takes the folder's lock (a second run into the same folder gets a one-line "another
    run is writing here" error), and finishes or removes what a killed earlier run left.
    :meth:`staged` gives the path to write an output at; :meth:`commit` moves every staged output
    into place at once, only after all are complete: if the run fails or is interrupted before,
    no earlier output is replaced; if it is killed during the moves, the next run into ``out``
    completes them (the journal names them), so the folder holds the earlier set or the new one.
    """

    def __init__(self, out: str | Path) -> None:
        self.out = Path(out)
        self.staging = self.out / STAGING_NAME
        self.new = self.staging / "new"  # the staged outputs, at their paths relative to ``out``
        self.created = False
        self.committed = False
        self._lock: int | None = None

    # -- lock and recovery
    def __enter__(self) -> OutputRun:
        try:
            with signals_deferred():
                self._take()
        except BaseException:
            if self._lock is not None:
                self._release(failed=True)
            raise
        return self

    def _take(self) -> None:
        check_dir_path(self.out)
        self.created = not os.path.lexists(self.out)
        make_dirs(self.out)
        for _ in range(20):
            try:
                self.staging.mkdir(exist_ok=True)
                fd = os.open(self.staging / "lock", os.O_RDWR | os.O_CREAT, 0o666)
            except FileNotFoundError:
                continue  # the run before us removed its folder just now
            except OSError as e:
                raise UsageError(f"{self.out}: cannot write here: {e.strerror}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pid = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
                os.close(fd)
                raise UsageError(
                    f"{self.out}: another corpuskit run (pid {pid}) is writing here; "
                    "wait for it to finish, or choose another output"
                ) from None
            if _same_file(fd, self.staging / "lock"):
                self._lock = fd
                _HELD_LOCKS.add(fd)
                break
            os.close(fd)  # we locked a lock file its owner had just removed: try again
        else:
            raise UsageError(f"{self.out}: could not take the output lock")
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._recover()

    def _recover(self) -> None:
        """Complete the moves of a run killed while committing; drop anything else it left."""
        journal = self.staging / "journal"
        if journal.exists():
            for line in journal.read_text(encoding="utf-8").splitlines():
                ino, _, name = line.partition("\t")
                if not name:
                    continue
                rel, target = Path(name), self.out / name
                staged = self.staging / "new" / rel
                # the inode tells the new output from the old one an exchange left in staging
                if _inode(staged) == int(ino) and _inode(target) != int(ino):
                    replace_path(staged, target)
                recover_aside(target)
            journal.unlink()
        self._clear()
        # a file written with atomic_open into OUTPUT itself (a training log) by a killed run
        for entry in os.listdir(self.out):
            if _TEMP_NAME.match(entry):
                stale = self.out / entry
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale, ignore_errors=True)
                else:
                    stale.unlink(missing_ok=True)

    def _clear(self) -> None:
        """Everything in the staging folder but the lock (staged outputs, temporary files)."""
        for entry in os.listdir(self.staging):
            if entry != "lock":
                with contextlib.suppress(OSError):
                    _remove(self.staging / entry)

    def __exit__(self, kind: Any, error: BaseException | None, tb: Any) -> None:
        with signals_deferred():  # a second Ctrl-C does not cut the clean-up short
            self._release(failed=error is not None)
        if isinstance(error, OSError) and error.errno in _NO_SPACE and not error.filename:
            raise UsageError(
                f"{self.out}: cannot write the outputs: {error.strerror}; no earlier output was replaced"
            ) from None

    def _release(self, *, failed: bool) -> None:
        """Remove the staging folder and the lock; OUTPUT too if this run made it and failed."""
        try:
            with contextlib.suppress(OSError):
                self._clear()
            with contextlib.suppress(OSError):
                (self.staging / "lock").unlink()
            with contextlib.suppress(OSError):
                self.staging.rmdir()
        finally:
            if self._lock is not None:
                _HELD_LOCKS.discard(self._lock)
                os.close(self._lock)
                self._lock = None
        if failed and self.created and not self.committed:
            shutil.rmtree(self.out, ignore_errors=True)

    # -- staging and committing
    def check(self, rel: str | Path) -> None:
        """Refuse now (before any work) an output that could not be put in place."""
        check_inside(self.out, Path(rel))

    def staged(self, rel: str | Path) -> Path:
        """Where to write the output ``rel`` (its folder is made)."""
        path = self.staging / "new" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def commit(self, names: Iterable[str | Path]) -> list[Path]:
        with signals_deferred():  # Ctrl-C waits for the moves (milliseconds) to finish
            return self._commit(names)

    def _commit(self, names: Iterable[str | Path]) -> list[Path]:
        """Move the staged outputs ``names`` into place, all of them or (on an error) none."""
        rels = [Path(r) for r in names]
        for rel in rels:
            self.check(rel)
            if not os.path.lexists(self.staging / "new" / rel):
                raise FileNotFoundError(errno.ENOENT, "staged output missing", str(rel))
            sync_path(self.staging / "new" / rel)  # on disk before the journal names it
        with atomic_open(self.staging / "journal", "w", encoding="utf-8") as fh:
            fh.write("".join(f"{_inode(self.staging / 'new' / r)}\t{r}\n" for r in rels))
        done: list[tuple[Path, bool]] = []
        self.committed = True
        try:
            for rel in rels:
                make_dirs((self.out / rel).parent)
                had_old = os.path.lexists(self.out / rel)
                replace_path(self.staging / "new" / rel, self.out / rel, keep_old=self.staging / "old" / rel)
                done.append((rel, had_old))
        except BaseException:
            self._roll_back(done)
            raise
        for folder in {(self.out / rel).parent for rel in rels}:
            _sync_dir(folder)
        (self.staging / "journal").unlink()
        _remove(self.staging / "old")
        return [self.out / r for r in rels]

    def _roll_back(self, done: list[tuple[Path, bool]]) -> None:
        """Put back the earlier outputs that a failed commit had replaced."""
        (self.staging / "journal").unlink(missing_ok=True)
        for rel, had_old in reversed(done):
            if had_old:
                replace_path(self.staging / "old" / rel, self.out / rel)
            else:
                _remove(self.out / rel)

    def place(self, rel: str | Path) -> Path:
        """Move one staged output into place now (a model save during training)."""
        return self.commit([rel])[0]


def _inode(path: Path) -> int:
    try:
        return os.lstat(path).st_ino
    except FileNotFoundError:
        return -1


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)
