"""String IDs back to strings: a DocBin's strings table and spaCy's symbols, looked up with numpy."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from ..errors import DocBinError
from ..strings import N_SYMBOLS, SYMBOL_NAMES, hash_strings
from .format import U64

__all__ = ["Lookup"]

_SMALL_COLUMN = 4096  # below this many tokens, a dict lookup beats building a hash index
_FIB = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio, for Fibonacci hashing
_SYMBOL_TABLE: dict[int, str | None] = dict(enumerate(SYMBOL_NAMES))


class _HashIndex:
    """An open-addressing hash table over uint64 keys, built and probed with numpy.

    String IDs are uniformly random 64-bit hashes (or small symbol IDs), so their low bits are
    a good slot; a column of a million IDs is looked up with a few vectorised gathers, much
    faster than a binary search.
    """

    def __init__(self, keys: U64) -> None:
        bits = max(4, int(len(keys) * 4 - 1).bit_length())
        size = 1 << bits
        self.shift = np.uint64(64 - bits)
        self.mask = np.uint64(size - 1)
        home = self._home(keys)
        slot_key = np.zeros(size, dtype=np.uint64)
        slot_idx = np.full(size, -1, dtype=np.int64)
        remaining = np.arange(len(keys), dtype=np.int64)
        probe = 0
        while remaining.size:
            slots = ((home[remaining] + np.uint64(probe)) & self.mask).astype(np.int64)
            free = slot_idx[slots] == -1
            taken, first = np.unique(slots[free], return_index=True)
            winners = remaining[free][first]
            slot_idx[taken] = winners
            slot_key[taken] = keys[winners]
            placed = np.zeros(len(keys), dtype=bool)
            placed[winners] = True
            remaining = remaining[~placed[remaining]]
            probe += 1
        self.slot_key = slot_key
        self.slot_idx = slot_idx
        self.max_probe = probe

    def _home(self, keys: U64) -> U64:
        # Fibonacci hashing: small symbol IDs and random hashes alike spread over the table.
        home: U64 = (keys * _FIB) >> self.shift
        return home

    def find(self, values: U64) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Index of each value in ``keys`` (-1 where absent), and the positions of absent ones."""
        home = self._home(values)
        slots = home.astype(np.int64)
        idx = self.slot_idx[slots]
        miss = np.flatnonzero((self.slot_key[slots] != values) | (idx < 0))
        probe = 1
        while miss.size and probe < self.max_probe:
            v = values[miss]
            s = ((home[miss] + np.uint64(probe)) & self.mask).astype(np.int64)
            hit = (self.slot_key[s] == v) & (self.slot_idx[s] >= 0)
            idx[miss[hit]] = self.slot_idx[s[hit]]
            miss = miss[~hit]
            probe += 1
        idx[miss] = -1
        return idx, miss


class Lookup:
    """Hash -> string for one DocBin (its strings table plus spaCy's symbols), vectorised."""

    def __init__(self, strings: Iterable[str], path: str | None) -> None:
        self.strs = list(strings)
        self.hashes = hash_strings(self.strs)
        table = dict(_SYMBOL_TABLE)
        table.update(zip(self.hashes.tolist(), self.strs, strict=True))
        table[0] = None  # "" (unset)
        self.table: dict[int, str | None] = table
        self.path = path
        self._index: tuple[_HashIndex, U64, npt.NDArray[np.object_]] | None = None

    def _vectorised(self) -> tuple[_HashIndex, U64, npt.NDArray[np.object_]]:
        if self._index is None:
            keys = np.concatenate([self.hashes, np.arange(N_SYMBOLS, dtype=np.uint64)])
            values = np.empty(len(keys), dtype=object)
            values[: len(self.strs)] = self.strs
            values[len(self.strs) :] = SYMBOL_NAMES
            keys, first = np.unique(keys, return_index=True)
            values = values[first]
            values[0] = None
            self._index = (_HashIndex(keys), keys, values)
        return self._index

    def _missing(self, attr: str, value: int) -> DocBinError:
        return DocBinError(
            f"bad DocBin: {attr} value {value} is not the hash of any string in the file's strings table",
            path=self.path,
        )

    def column(self, values: U64, attr: str, overrides: dict[int, str] | None = None) -> list[str | None]:
        """The strings of a column of IDs (0 -> None unless ``overrides`` says otherwise)."""
        if len(values) < _SMALL_COLUMN:
            table = self.table
            if overrides:
                table = {**table, **{k: v for k, v in overrides.items() if k in table}}
            try:
                return list(map(table.__getitem__, values.tolist()))
            except KeyError as e:
                raise self._missing(attr, e.args[0]) from None
        index, keys, strings = self._vectorised()
        idx, miss = index.find(np.ascontiguousarray(values))
        if miss.size:
            raise self._missing(attr, int(values[miss[0]]))
        if overrides:
            strings = strings.copy()
            for key, value in overrides.items():
                i = int(np.searchsorted(keys, key))
                if i < len(keys) and keys[i] == key:
                    strings[i] = value
        out: list[str | None] = strings[idx].tolist()
        return out

    def get(self, value: int, what: str) -> str:
        if value not in self.table:
            raise DocBinError(
                f"bad DocBin: {what} {value} is not the hash of any string in the file's strings table",
                path=self.path,
            )
        return self.table[value] or ""
