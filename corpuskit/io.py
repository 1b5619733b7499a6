"""Reading text files line by line with located errors, and writing files atomically."""

from __future__ import annotations

import codecs
import contextlib
import ctypes
import errno
import fcntl
import functools
import os
import re
import secrets
import shutil
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .errors import FormatError, UsageError
from .limits import MAX_LINE_BYTES, check_regular, special_kind

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

_CHUNK = 1 << 20
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16's: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_lines(
    path: str | Path,
    *,
    encoding: str = "utf-8",
    start: int = 0,
    end: int | None = None,
    first_line: int = 0,
) -> Iterator[str]:
    """Yield the physical lines of a text file, without their line ends (``\\n`` or ``\\r\\n``).

    Lines are split on ``\\n`` only, so line N here is line N in any editor. A UTF-8 BOM is
    dropped. A NUL byte (a binary file) or bytes that are not valid in ``encoding`` raise a
    :class:`FormatError` naming the file and line.

    ``start`` and ``end`` read only the bytes ``start:end`` (a part of the file that begins at
    a line start); ``first_line`` is the number of lines before ``start``, so that errors name
    the line of the whole file.
    """
    for rows in read_line_blocks(path, encoding=encoding, start=start, end=end, first_line=first_line):
        yield from rows


def read_line_blocks(
    path: str | Path,
    *,
    encoding: str = "utf-8",
    start: int = 0,
    end: int | None = None,
    first_line: int = 0,
) -> Iterator[list[str]]:
    """The lines of :func:`read_lines`, a list of them (about a megabyte) at a time."""
    path = Path(path)
    if start == 0:
        encoding = file_encoding(path, encoding)
    else:
        check_encoding(encoding)
    if _is_wide(encoding):
        if start or end is not None:
            raise UsageError(f"{path}: a {encoding} file is read whole, not in parts")
        yield from _wide_line_blocks(path, encoding, first_line)
        return
    line_no = first_line
    for k, block in enumerate(byte_blocks(path, start=start, stop=end)):
        if k == 0 and start == 0:
            block = _strip_bom(block, encoding)
        if not block.endswith(b"\n"):
            block += b"\n"  # the last line, without its line end
        rows = _decode_block(block, path, line_no, encoding).split("\n")
        rows.pop()  # the block ends with "\n"
        yield rows
        line_no += len(rows)


@functools.lru_cache(maxsize=64)
def check_encoding(encoding: str) -> str:
    """The codec name of a text encoding; an unknown one (or a bytes-to-bytes codec such as
    ``base64``) is a one-line :class:`UsageError`."""
    try:
        info = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise UsageError(
            f"unknown text encoding {encoding!r}; expected one Python knows, such as utf-8, "
            "latin-1, cp1252, utf-16 or utf-32"
        )
    return info.name


def file_encoding(path: str | Path, encoding: str = "utf-8") -> str:
    """The encoding to read ``path`` with: ``encoding``, unless it is UTF-8 (the default) and the
    file starts with a UTF-16 or UTF-32 byte order mark, which then decides."""
    name = check_encoding(encoding)
    if name not in ("utf-8", "utf-8-sig"):
        return name
    with open_binary(path) as fh:
        head = fh.read(4)
    for bom, wide in _BOMS:
        if head.startswith(bom):
            return wide
    return name


def _is_wide(encoding: str) -> bool:
    return check_encoding(encoding).startswith(("utf-16", "utf-32"))


def _wide_line_blocks(path: Path, encoding: str, first_line: int) -> Iterator[list[str]]:
    """The lines of a UTF-16 or UTF-32 file (BOM-led, or in the order ``encoding`` names),
    decoded incrementally: a line end is more than one byte there."""
    name = check_encoding(encoding)
    line_no = first_line
    pending = ""
    with open_binary(path) as fh:
        head = fh.read(4)
        codec = name
        for bom, wide in _BOMS:
            if head.startswith(bom) and name == wide:
                codec = wide + ("-le" if bom.startswith(b"\xff") else "-be")
                head = head[len(bom) :]
                break
        else:
            if name in ("utf-16", "utf-32"):
                codec = name + "-le"  # no byte order mark: little-endian, as Windows writes it
        decoder = codecs.getincrementaldecoder(codec)()
        chunk = head
        while True:
            more = fh.read(_CHUNK)
            final = not more
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as e:
                done = chunk[: max(e.start, 0)].decode(codec, errors="replace")
                line = line_no + (pending + done).count("\n") + 1
                raise FormatError(
                    f"bytes {e.object[e.start : e.end]!r} are not valid {codec} ({e.reason})",
                    path=str(path),
                    line=line,
                ) from None
            if line_no == first_line and not pending and text.startswith("\ufeff"):
                text = text[1:]  # a byte order mark the named encoding did not take
            text = pending + text
            if "\x00" in text:
                line = line_no + text.count("\n", 0, text.index("\x00")) + 1
                raise FormatError(
                    f"found a NUL character: a binary file, or not {codec} text", path=str(path), line=line
                )
            rows = text.replace("\r\n", "\n").split("\n")
            pending = "" if final else rows.pop()
            if len(pending) > MAX_LINE_BYTES:
                raise FormatError(
                    f"a line longer than {MAX_LINE_BYTES:,} characters (the limit for one line of text)",
                    path=str(path),
                    line=line_no + len(rows) + 1,
                )
            if final and rows and rows[-1] == "":
                rows.pop()  # the file ends with a line end
            if rows:
                yield rows
                line_no += len(rows)
            if final:
                return
            chunk = more


def byte_blocks(
    path: str | Path, *, end: bytes = b"\n", size: int = _CHUNK, start: int = 0, stop: int | None = None
) -> Iterator[bytes]:
    """Bytes ``start:stop`` of a file in blocks of about ``size`` bytes that end with ``end``
    (a line end, or an empty line), but the last."""
    with open_binary(path) as fh:
        if start:
            fh.seek(start)
        left = None if stop is None else max(stop - start, 0)
        rest = b""
        while True:
            chunk = fh.read(size if left is None else min(size, left))
            if left is not None:
                left -= len(chunk)
            if not chunk:
                if rest:
                    yield rest
                return
            data = rest + chunk if rest else chunk
            cut = data.rfind(end)
            if cut == -1:
                rest = data
                if len(rest) > MAX_LINE_BYTES and end == b"\n":
                    raise _long_line(Path(path), fh.tell() - len(rest))
                continue
            cut += len(end)
            rest = data[cut:]
            yield data if cut == len(data) else data[:cut]


def _long_line(path: Path, offset: int) -> FormatError:
    """The error for a line past :data:`MAX_LINE_BYTES` that starts at byte ``offset``."""
    line = 1
    with path.open("rb") as fh:
        left = offset
        while left > 0:
            chunk = fh.read(min(_CHUNK, left))
            if not chunk:
                break
            line += chunk.count(b"\n")
            left -= len(chunk)
    return FormatError(
        f"a line longer than {MAX_LINE_BYTES:,} bytes (the limit for one line of text): "
        "not a text corpus, or one whose line breaks are lost",
        path=str(path),
        line=line,
    )


def open_binary(path: str | Path) -> IO[bytes]:
    """Open a file for reading bytes; a missing file or a folder is a one-line UsageError."""
    path = Path(path)
    check_regular(path)
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, expected a file") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot open: {e.strerror}") from None


def _strip_bom(block: bytes, encoding: str) -> bytes:
    utf8 = encoding.lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")
    return block[3:] if utf8 and block.startswith(b"\xef\xbb\xbf") else block


def _decode_block(block: bytes, path: Path, line_no: int, encoding: str) -> str:
    nul = block.find(b"\x00")
    if nul != -1:
        line = line_no + block.count(b"\n", 0, nul) + 1
        raise FormatError(
            "found a NUL byte: this is a binary file, expected text "
            "(a .spacy file is read by DocBin, not by a text converter)",
            path=str(path),
            line=line,
        )
    try:
        text = block.decode(encoding)
    except UnicodeDecodeError as e:
        line = line_no + block.count(b"\n", 0, e.start) + 1
        start = block.rfind(b"\n", 0, e.start) + 1
        col = len(block[start : e.start].decode(encoding, errors="replace")) + 1
        bad = block[e.start : e.end]
        utf = encoding.lower().startswith("utf")
        hint = " (the file may be Latin-1: try --encoding latin-1)" if utf else ""
        raise FormatError(
            f"byte {bad!r} is not valid {encoding}{hint}", path=str(path), line=line, column=col
        ) from None
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return text


def sniff_lines(path: str | Path, n: int = 50, *, encoding: str = "utf-8") -> list[str]:
    """The first ``n`` lines of a text file (for format detection)."""
    out: list[str] = []
    for line in read_lines(path, encoding=encoding):
        out.append(line)
        if len(out) >= n:
            break
    return out


def iter_files(
    path: str | Path,
    *,
    suffixes: tuple[str, ...] = (),
    on_skip: Callable[[Path, str], None] | None = None,
    on_note: Callable[[Path, str], None] | None = None,
) -> Iterator[Path]:
    """``path`` itself if it is a file, else every regular file below it (sorted, hidden ones skipped).

    Only regular files are read: a FIFO, device or socket below ``path`` is skipped and reported
    through ``on_skip(file, why)``; named as ``path`` itself it is refused (:class:`UsageError`).
    Symlinks below ``path`` are followed (each one reported through ``on_note``), a folder reached
    twice (a symlink loop) only once.
    """
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or directory")
    if not path.is_dir():
        check_regular(path)
        yield path
        return
    seen: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(path, followlinks=True):
        here = Path(root)
        st = here.stat()
        if (st.st_dev, st.st_ino) in seen:
            dirs[:] = []
            if on_skip is not None:
                on_skip(here, "a folder already read (a symlink loop): not read again")
            continue
        seen.add((st.st_dev, st.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        if on_note is not None:
            for d in dirs:
                if (here / d).is_symlink():
                    on_note(here / d, f"a symlink to the folder {os.path.realpath(here / d)}: followed")
        for name in sorted(files):
            if name.startswith("."):
                continue
            if suffixes and not name.endswith(suffixes):
                continue
            file = here / name
            if _skip_special(file, on_skip):
                continue
            if on_note is not None and file.is_symlink():
                on_note(file, f"a symlink to {os.path.realpath(file)}: followed")
            yield file


def _skip_special(file: Path, on_skip: Callable[[Path, str], None] | None) -> bool:
    """True (and reported) for a file that is not a regular file, or a symlink to nothing."""
    try:
        mode = file.stat().st_mode
    except OSError as e:
        why = f"cannot be read ({e.strerror})" if not file.is_symlink() else "a broken symlink"
        if on_skip is not None:
            on_skip(file, why)
        return True
    kind = special_kind(mode)
    if kind is None:
        return False
    if on_skip is not None:
        link = " (through a symlink)" if file.is_symlink() else ""
        on_skip(file, f"is {kind}{link}; only regular files are read")
    return True


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
