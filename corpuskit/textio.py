"""Reading text files: physical lines with located decode errors, encodings, corpus files listed.

Its names are re-exported by :mod:`corpuskit.io`, the surface for reading and writing files.
"""

from __future__ import annotations

import codecs
import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from .errors import FormatError, UsageError
from .limits import MAX_LINE_BYTES, check_regular, special_kind

__all__ = [
    "byte_blocks",
    "check_encoding",
    "file_encoding",
    "iter_files",
    "open_binary",
    "read_line_blocks",
    "read_lines",
    "sniff_lines",
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
