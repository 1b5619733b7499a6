"""The ``.spacy`` format's constants: attribute IDs, map keys, the zlib magic and shard names.

A ``.spacy`` file is ``zlib(msgpack({"version", "attrs", "tokens", "spaces", "lengths", "strings",
"cats", "flags", "span_groups", "user_data"}))``: one uint64 row per token with a column per
attribute, strings stored once and referred to by their 64-bit hash (:mod:`corpuskit.strings`).
A corpus larger than one shard is a folder ``NAME.spacy/`` of ``NAME-0000.spacy``, ... files.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import numpy.typing as npt

from ..errors import UsageError
from ..strings import SYMBOLS

__all__ = [
    "ATTR_IDS",
    "DEFAULT_ATTRS",
    "Chunk",
    "intify_attrs",
    "is_docbin",
    "is_shard_name",
    "pack",
    "shard_name",
    "shard_path",
    "shard_stem",
]

U64 = npt.NDArray[np.uint64]

ORTH = 65
NORM = 67
LEMMA = 73
POS = 74
TAG = 75
DEP = 76
ENT_IOB = 77
ENT_TYPE = 78
HEAD = 79
SENT_START = 80
SPACY = 81
ENT_KB_ID = 452
MORPH = 453
ENT_ID = 454

#: The attributes a corpuskit DocBin can store, by spaCy name.
ATTR_IDS: dict[str, int] = {
    "ORTH": ORTH,
    "NORM": NORM,
    "LEMMA": LEMMA,
    "POS": POS,
    "TAG": TAG,
    "DEP": DEP,
    "ENT_IOB": ENT_IOB,
    "ENT_TYPE": ENT_TYPE,
    "HEAD": HEAD,
    "SENT_START": SENT_START,
    "SPACY": SPACY,
    "ENT_KB_ID": ENT_KB_ID,
    "MORPH": MORPH,
    "ENT_ID": ENT_ID,
}
#: spaCy's default DocBin columns (``DOCBIN_ALL_ATTRS``): ORTH first, the rest sorted.
DEFAULT_ATTRS: tuple[int, ...] = (65, 67, 73, 74, 75, 76, 77, 78, 79, 80, 452, 453, 454)

VERSION = "0.1"
EMPTY_SPAN_GROUPS = b"\x90"  # msgpack []
EMPTY_MAP = b"\x80"  # msgpack {}
EMPTY_MORPH = SYMBOLS["_"]  # 456: the empty morphological analysis
SPAN_STRUCT = struct.Struct(">QQQllll")
#: docs are encoded, compressed and decoded in blocks of about this many tokens
BATCH_TOKENS = 100_000

# zlib streams start with 0x78 and a check byte; spaCy (zlib level 6) writes 78 9c.
_ZLIB_MAGIC = (b"\x78\x9c", b"\x78\x01", b"\x78\x5e", b"\x78\xda")


def is_docbin(head: bytes) -> bool:
    """Whether a file starting with the bytes ``head`` is a DocBin (a zlib stream)."""
    return head[:2] in _ZLIB_MAGIC


def shard_stem(target: Path) -> str:
    """The name the shards of ``target`` carry: ``train`` for ``train.spacy``."""
    return target.name[: -len(".spacy")] if target.name.endswith(".spacy") else target.name


def shard_name(target: Path, k: int) -> str:
    """The file name of shard ``k`` of ``target``: ``train-0003.spacy`` for ``train.spacy``."""
    return f"{shard_stem(target)}-{k:04d}.spacy"


def shard_path(target: Path, k: int) -> Path:
    """Shard ``k`` of the shard folder ``target``: ``train.spacy/train-0003.spacy``."""
    return target / shard_name(target, k)


def is_shard_name(target: Path, name: str) -> bool:
    """Whether ``name`` is the name of a shard of the folder ``target``."""
    return re.fullmatch(rf"{re.escape(shard_stem(target))}-\d{{4,}}\.spacy", name) is not None


@dataclass(slots=True)
class Chunk:
    """The columnar form of some docs (one file, one shard, or a batch of one)."""

    attrs: list[int]
    tokens: U64  # (n_tokens, len(attrs))
    spaces: npt.NDArray[np.bool_]  # (n_tokens,)
    lengths: npt.NDArray[np.int32]  # (n_docs,)
    strings: set[str]
    cats: list[Any]
    flags: list[Any]
    span_groups: list[bytes]
    user_data: list[bytes | None]
    path: str | None = None

    def __len__(self) -> int:
        return len(self.lengths)


def pack(obj: Any) -> bytes:
    """``obj`` as msgpack, as spaCy (srsly) packs it."""
    data: bytes = msgpack.packb(obj, use_bin_type=True)
    return data


def intify_attrs(attrs: Iterable[str | int] | None) -> list[int]:
    """DocBin columns by name or ID as spaCy orders them: ORTH first, the rest sorted."""
    if attrs is None:
        return list(DEFAULT_ATTRS)
    ids: set[int] = set()
    for a in attrs:
        if isinstance(a, str):
            key = a.upper()
            if key not in ATTR_IDS:
                raise UsageError(f"DocBin attr {a!r} is not one of {', '.join(ATTR_IDS)}")
            ids.add(ATTR_IDS[key])
        elif isinstance(a, int) and a in ATTR_IDS.values():
            ids.add(a)
        else:
            raise UsageError(f"DocBin attr {a!r} is not one of {', '.join(ATTR_IDS)}")
    ids.discard(ORTH)
    ids.discard(SPACY)
    return [ORTH, *sorted(ids)]
