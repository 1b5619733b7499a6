"""Reading ``.spacy`` files: one file, or every file of a shard folder, one at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..doc import Doc
from ..errors import DocBinError, UsageError
from ..io import iter_files
from ..limits import check_regular
from .decode import decode
from .format import Chunk
from .parse import parse

__all__ = ["docbin_files", "read_chunk", "read_docbin"]


def _read_file(path: Path) -> bytes:
    try:
        check_regular(path)
        return path.read_bytes()
    except FileNotFoundError:
        raise DocBinError("no such file", path=str(path)) from None
    except IsADirectoryError:
        raise DocBinError("is a directory, expected a .spacy file", path=str(path)) from None
    except OSError as e:
        raise DocBinError(f"cannot read: {e.strerror}", path=str(path)) from None
    except UsageError as e:
        raise DocBinError(str(e).removeprefix(f"{path}: "), path=str(path)) from None


def read_chunk(path: Path) -> Chunk:
    """The columns of the ``.spacy`` file ``path``, checked."""
    return parse(_read_file(path), str(path))


def docbin_files(path: str | Path) -> list[Path]:
    """``path``, or the ``.spacy`` files below the folder ``path`` (sorted, hidden ones skipped)."""
    path = Path(path)
    if not path.exists():
        raise DocBinError("no such file or directory", path=str(path))
    if not path.is_dir():
        return [path]
    files = list(iter_files(path, suffixes=(".spacy",)))  # regular files only, symlinks followed
    if not files:
        raise DocBinError("no .spacy files in this directory", path=str(path))
    return files


def read_docbin(path: str | Path) -> Iterator[Doc]:
    """Stream the Docs of a ``.spacy`` file, or of every ``.spacy`` file below a directory.

    One file (shard) is in memory at a time.
    """
    for f in docbin_files(path):
        yield from decode(read_chunk(f))
