"""Limits that make untrusted input safe: bounded decompression, regular files only, bounded reads.

Every number here is documented in ``docs/limits.md``; a file past a limit is refused with one
:class:`~corpuskit.errors.FormatError` naming it, never read until memory runs out.
"""

from __future__ import annotations

import os
import stat
import zlib
from pathlib import Path

import msgpack

from .errors import DocBinError, UsageError

__all__ = [
    "INFLATE_FLOOR",
    "MAX_BYTES_PER_TOKEN",
    "MAX_CONFIG_BYTES",
    "MAX_INFLATED",
    "MAX_INFLATE_RATIO",
    "MAX_LINE_BYTES",
    "MAX_WEIGHTS_BYTES",
    "check_regular",
    "inflate_docbin",
    "read_bounded",
    "special_kind",
]

#: A DocBin never inflates past this many bytes (msgpack holds at most 4 GiB in one value).
MAX_INFLATED = 4 << 30
#: Bytes a DocBin may hold per token besides its token rows (strings, user data, spans, cats).
MAX_BYTES_PER_TOKEN = 4096
#: Any DocBin may inflate to this many bytes, whatever its token count and compressed size.
INFLATE_FLOOR = 64 << 20
#: Past :data:`INFLATE_FLOOR`, a DocBin may inflate to at most this many times its compressed size
#: (real corpora inflate 6-9 times; a zlib bomb over 1,000 times).
MAX_INFLATE_RATIO = 100
#: The largest config.cfg or meta.json read, in bytes.
MAX_CONFIG_BYTES = 16 << 20
#: The largest weights file of a model folder read, in bytes.
MAX_WEIGHTS_BYTES = 4 << 30
#: The longest line a text reader accepts, in bytes.
MAX_LINE_BYTES = 256 << 20

_STEP = 1 << 20  # decompressed bytes produced per step
_HEAD = 1 << 16  # decompressed bytes enough to read the header up to the token rows


def special_kind(mode: int) -> str | None:
    """What a file that is not a regular file or folder is ("a FIFO", "a device" ...), else None."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "not a regular file"


def check_regular(path: str | Path) -> None:
    """Refuse (one-line :class:`UsageError`) a path that is, or links to, a special file.

    A FIFO would block a reader forever and a device (``/dev/zero``) would feed it forever.
    Missing paths pass: opening them gives the usual "no such file".
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    kind = special_kind(mode)
    if kind is not None:
        link = " (through a symlink)" if Path(path).is_symlink() else ""
        raise UsageError(f"{path}: is {kind}{link}, expected a regular file; only regular files are read")


def read_bounded(path: str | Path, limit: int, *, what: str = "file") -> bytes:
    """The bytes of a regular file, refused (:class:`UsageError`) past ``limit`` bytes or when special."""
    check_regular(path)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            data = fh.read(min(size, limit) + 1) if size <= limit else b""
            while size <= limit and len(data) <= limit:  # a file that grows while it is read
                more = fh.read(min(_STEP, limit + 1 - len(data)))
                if not more:
                    break
                data += more
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a directory, expected a {what}") from None
    except OSError as e:
        raise UsageError(f"{path}: cannot read: {e.strerror}") from None
    if size > limit or len(data) > limit:
        raise UsageError(f"{path}: larger than {limit:,} bytes, too large for a {what}")
    return data


def _token_bytes(head: bytes) -> int | None:
    """The size of the token rows from the first inflated bytes of a DocBin written in spaCy's key
    order (``version``, ``attrs``, ``tokens`` ...); None for another layout."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False)
    unpacker.feed(head)
    try:
        n = unpacker.read_map_header()
        for _ in range(min(n, 3)):
            key = unpacker.unpack()
            if key == "tokens":
                pos = unpacker.tell()
                tag = head[pos : pos + 1]
                width = {b"\xc4": 1, b"\xc5": 2, b"\xc6": 4}.get(tag)
                if width is None or len(head) < pos + 1 + width:
                    return None
                return int.from_bytes(head[pos + 1 : pos + 1 + width], "big")
            if key not in ("version", "attrs"):
                return None
            unpacker.skip()
    except Exception:  # msgpack raises several unrelated types for bad data: the full parse says which
        return None
    return None


def _cap(head: bytes, compressed: int) -> tuple[int, str]:
    """The most bytes a DocBin with this header may inflate to, and why."""
    by_ratio = max(INFLATE_FLOOR, MAX_INFLATE_RATIO * compressed)
    cap, why = by_ratio, f"{MAX_INFLATE_RATIO} times its compressed size"
    rows = _token_bytes(head)
    if rows is not None:
        n_tokens = rows // 8  # at least one attribute column
        by_tokens = rows + n_tokens * MAX_BYTES_PER_TOKEN + INFLATE_FLOOR
        if by_tokens < cap:
            cap, why = by_tokens, f"what its {n_tokens:,} tokens need"
    if cap > MAX_INFLATED:
        cap, why = MAX_INFLATED, f"{MAX_INFLATED:,} bytes"
    return cap, why


def inflate_docbin(data: bytes, path: str | None) -> bytearray:
    """zlib-decompress a DocBin, refusing (:class:`DocBinError`) to inflate past its cap.

    The cap is the least of: the token rows its header announces plus :data:`MAX_BYTES_PER_TOKEN`
    per token; :data:`MAX_INFLATE_RATIO` times the compressed size; :data:`MAX_INFLATED`; and never
    below :data:`INFLATE_FLOOR`. Memory is bounded by the cap, not by what the stream claims.
    """
    d = zlib.decompressobj()
    out = bytearray()
    cap: int | None = None
    why = ""
    rest = data
    try:
        while True:
            step = _HEAD if cap is None else _STEP
            piece = d.decompress(rest, step)
            out += piece
            rest = d.unconsumed_tail
            if cap is None and (len(out) >= _HEAD or d.eof or not rest):
                cap, why = _cap(bytes(out[:_HEAD]), len(data))
            if cap is not None and len(out) > cap:
                raise DocBinError(
                    f"refused: the DocBin inflates past {cap:,} bytes ({why}), the limit for a "
                    f"{len(data):,}-byte file; a zlib bomb or a damaged file (see docs/limits.md)",
                    path=path,
                )
            if d.eof or (not rest and not piece):
                break
    except zlib.error as e:
        raise DocBinError(f"corrupt DocBin: the zlib data is damaged ({e})", path=path) from None
    if not d.eof:
        raise DocBinError(
            f"truncated DocBin: the zlib stream ends early after {len(data)} bytes (an interrupted copy?)",
            path=path,
        )
    return out
