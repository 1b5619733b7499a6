"""spaCy v3's DocBin (``.spacy``) format, byte for byte: columnar encoding, sharded streaming I/O.

Only this package knows those bytes (see ``docs/docbin.md``): :mod:`.format` (the constants and
shard names), :mod:`.ids` and :mod:`.encode` (Docs to columns), :mod:`.stream` (columns to one
msgpack + zlib stream), :mod:`.parse`, :mod:`.lookup` and :mod:`.decode` (bytes to Docs),
:mod:`.files` (reading files and shard folders), :mod:`.shards` (writing them) and
:mod:`.collection` (the :class:`DocBin` class). The binary parts load on first use, so that
:func:`is_docbin` costs no import of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .format import ATTR_IDS, DEFAULT_ATTRS, is_docbin, shard_path, shard_stem

if TYPE_CHECKING:  # typed for users and mypy; loaded lazily at run time (below)
    from .collection import DocBin
    from .files import read_docbin
    from .ids import normalize_morph
    from .shards import SHARD_TOKENS, WriteStats, check_replaceable, write_docbin
    from .stream import TokenCountMismatch

__all__ = [
    "ATTR_IDS",
    "DEFAULT_ATTRS",
    "SHARD_TOKENS",
    "DocBin",
    "TokenCountMismatch",
    "WriteStats",
    "check_replaceable",
    "is_docbin",
    "normalize_morph",
    "read_docbin",
    "shard_path",
    "shard_stem",
    "write_docbin",
]

_LAZY = {
    "DocBin": "collection",
    "read_docbin": "files",
    "normalize_morph": "ids",
    "SHARD_TOKENS": "shards",
    "WriteStats": "shards",
    "check_replaceable": "shards",
    "write_docbin": "shards",
    "TokenCountMismatch": "stream",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'corpuskit.docbin' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
