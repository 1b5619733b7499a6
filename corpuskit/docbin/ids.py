"""spaCy's IDs of the strings a DocBin stores: hashed once per write, FEATS in spaCy's normal form."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any

import numpy as np

from ..errors import DocBinError
from ..morph import normalize_feats
from ..strings import hash_strings
from .format import U64

__all__ = ["StringIds", "distinct", "normalize_morph"]

_MAX_CACHE = 2_000_000  # strings whose hash is remembered across the batches of one write
_MISSING = 1  # "not looked up yet" in an ID column (a real ID 1, IS_ALPHA, is just looked up again)


def normalize_morph(feats: str) -> str:
    """spaCy's normalised FEATS string (:func:`corpuskit.morph.normalize_feats`): ``Name=Value``
    pairs sorted, values of a name sorted; raises ValueError for a feature that is not ``Name=Value``.
    """
    return normalize_feats(feats)


class StringIds:
    """spaCy's IDs of strings and their names, remembered across the batches of one write.

    A column is looked up in one pass; only the strings not seen before are hashed. The
    strings a batch uses are read back from its ID columns (:func:`distinct`), not collected
    from the (many times larger) string columns.
    """

    __slots__ = ("ids", "morphs", "names")

    def __init__(self) -> None:
        self.ids: dict[str | None, int] = {}
        self.names: dict[int, str] = {}
        self.morphs: dict[str | None, int] = {}  # FEATS -> the ID of spaCy's normal form
        self.trim(0)

    def trim(self, limit: int = _MAX_CACHE) -> None:
        """Forget every string once more than ``limit`` are remembered (call it between batches:
        a batch reads its strings back by their IDs)."""
        if len(self.ids) >= limit:
            self.ids = {None: 0, "": 0}
            self.names = {0: ""}
            self.morphs = {None: 0}

    def add(self, strings: Iterable[str]) -> None:
        ids = self.ids
        keys = [k for k in set(strings) if k not in ids]
        if not keys:
            return
        try:
            hashes = hash_strings(keys).tolist()
        except UnicodeEncodeError as e:
            raise DocBinError(f"a string is not encodable as UTF-8: {e.object[e.start : e.end]!r}") from None
        ids.update(zip(keys, hashes, strict=True))
        self.names.update(zip(hashes, keys, strict=True))

    def column(self, values: list[Any]) -> U64:
        """The IDs of ``values`` (None -> 0)."""
        return _looked_up(self.ids, values, self.add)

    def strings(self, *columns: U64) -> list[str]:
        """The strings of the non-zero IDs in ``columns``."""
        names = self.names
        return [names[h] for h in distinct(np.concatenate(columns)).tolist() if h]

    def morph_column(self, raw: list[str | None]) -> U64:
        """The IDs of spaCy's form of each FEATS value ("_" for an empty analysis; None -> 0)."""
        return _looked_up(self.morphs, raw, self._add_morphs)

    def _add_morphs(self, new: set[str]) -> None:
        try:
            normal = {m: normalize_morph(m) or "_" for m in new}
        except ValueError as e:
            raise DocBinError(f"Doc.morphs: {e}") from None
        self.add(normal.values())
        self.morphs.update((m, self.ids[f]) for m, f in normal.items())


def distinct(values: U64) -> U64:
    """The distinct values, sorted (``np.unique`` hashes 64-bit integers one byte at a time
    since numpy 2.3: eight times slower than sorting them)."""
    if not len(values):
        return values
    values = np.sort(values)
    keep = np.empty(len(values), dtype=bool)
    keep[0] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def _looked_up(table: dict[Any, int], values: list[Any], add: Callable[[set[Any]], None]) -> U64:
    """The IDs of ``values`` in ``table``, in one pass; ``add`` puts the values it lacks in it."""
    out = np.fromiter(map(table.get, values, repeat(_MISSING)), dtype=np.uint64, count=len(values))
    missing = np.flatnonzero(out == _MISSING).tolist()
    if missing:
        add({values[i] for i in missing})
        get = table.__getitem__
        out[missing] = [get(values[i]) for i in missing]
    return out
