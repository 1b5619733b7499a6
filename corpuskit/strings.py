"""spaCy's string IDs: MurmurHash64A (seed 1) of the UTF-8 bytes, vectorised, plus the symbol table.

spaCy's ``StringStore`` gives a string its 64-bit ID with two exceptions: ``""`` is 0, and a string
that is the name of a spaCy symbol (``spacy.symbols.IDS``: attribute names, UPOS tags, some
dependency and entity labels, ``"_"`` for the empty morphological analysis) is that symbol's ID.
The symbol table ships as ``corpuskit/data/symbols.json`` (made by ``scripts/gen_symbols.py``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "N_SYMBOLS",
    "SYMBOLS",
    "SYMBOL_NAMES",
    "UD_UPOS",
    "UPOS",
    "UPOS_NAMES",
    "hash_string",
    "hash_strings",
    "murmurhash64a",
    "pos_id",
    "pos_name",
    "symbol_name",
]

_M = 0xC6A4A7935BD1E995
_R = 47
_MASK = 0xFFFFFFFFFFFFFFFF
_SEED = 1
_FEW = 16  # below this many strings sharing a block position, they are finished one by one


def _load_table() -> dict[str, Any]:
    path = Path(__file__).resolve().parent / "data" / "symbols.json"
    table: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return table


_TABLE = _load_table()

#: Symbol names in ID order: ``SYMBOL_NAMES[i]`` is the string of symbol ID ``i``.
SYMBOL_NAMES: tuple[str, ...] = tuple(_TABLE["names"])
#: Symbol name -> ID (``""`` -> 0, ``"NOUN"`` -> 92, ``"nsubj"`` -> 429, ``"_"`` -> 456 ...).
SYMBOLS: dict[str, int] = {name: i for i, name in enumerate(SYMBOL_NAMES)}
#: IDs below this are symbols, not hashes.
N_SYMBOLS = len(SYMBOL_NAMES)
#: Universal POS tag -> the ID spaCy stores in the POS column.
UPOS: dict[str, int] = {str(k): int(v) for k, v in _TABLE["upos"].items()}
#: POS column ID -> universal POS tag.
UPOS_NAMES: dict[int, str] = {v: k for k, v in UPOS.items()}
#: The 17 universal POS tags of UD v2 (spaCy's table above also has CONJ, EOL and SPACE).
UD_UPOS: frozenset[str] = frozenset(
    [
        "ADJ",
        "ADP",
        "ADV",
        "AUX",
        "CCONJ",
        "DET",
        "INTJ",
        "NOUN",
        "NUM",
        "PART",
        "PRON",
        "PROPN",
        "PUNCT",
        "SCONJ",
        "SYM",
        "VERB",
        "X",
    ]
)


def murmurhash64a(data: bytes, seed: int = _SEED) -> int:
    """Austin Appleby's MurmurHash64A of ``data`` (the 64-bit hash spaCy's strings use)."""
    n = len(data)
    h = (seed ^ (n * _M)) & _MASK
    nblocks = n // 8
    if nblocks:
        for k in np.frombuffer(data, dtype="<u8", count=nblocks).tolist():
            k = (k * _M) & _MASK
            k ^= k >> _R
            k = (k * _M) & _MASK
            h ^= k
            h = (h * _M) & _MASK
    tail = data[nblocks * 8 :]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * _M) & _MASK
    h ^= h >> _R
    h = (h * _M) & _MASK
    h ^= h >> _R
    return h


def hash_string(s: str) -> int:
    """spaCy's ID of one string: 0 for ``""``, the symbol ID for a symbol name, else the hash."""
    sym = SYMBOLS.get(s)
    if sym is not None:
        return sym
    return murmurhash64a(s.encode("utf-8"))


@lru_cache(maxsize=1)
def _consts() -> tuple[np.uint64, np.uint64, np.uint64]:
    return np.uint64(_M), np.uint64(_R), np.uint64(_SEED)


def _hash_bytes(encoded: Sequence[bytes]) -> npt.NDArray[np.uint64]:
    """MurmurHash64A of many byte strings at once: one numpy pass per 8-byte block position."""
    n = len(encoded)
    out = np.zeros(n, dtype=np.uint64)
    if n == 0:
        return out
    m, r, seed = _consts()
    lens = np.fromiter(map(len, encoded), dtype=np.int64, count=n)
    nblocks = lens // 8
    # Longest first, so that the strings still having a block j are always a prefix.
    order = np.argsort(-nblocks, kind="stable")
    nb_sorted = nblocks[order]
    words_per = nb_sorted + 1  # the full blocks, then one word holding the tail (zero padded)
    offsets = np.zeros(n, dtype=np.int64)
    np.cumsum(words_per[:-1], out=offsets[1:])
    order_list = order.tolist()
    widths = (8 * words_per).tolist()
    buf = b"".join(encoded[i].ljust(w, b"\0") for i, w in zip(order_list, widths, strict=True))
    words = np.frombuffer(buf, dtype="<u8").astype(np.uint64, copy=False)
    h = seed ^ (lens[order].astype(np.uint64) * m)
    max_blocks = int(nb_sorted[0])
    if max_blocks:
        # count[j] = how many strings have more than j blocks (a prefix of the sorted order)
        # strings with nblocks > j are those with -nblocks < -j: a prefix of length counts[j]
        counts = np.searchsorted(-nb_sorted, -np.arange(max_blocks), side="left")
        # a numpy step per block position pays while many strings share it; the blocks that only
        # a few long strings have are finished string by string (one huge token is linear)
        few = int(np.searchsorted(-counts, -_FEW, side="right"))
        for j in range(few):
            c = int(counts[j])
            k = words[offsets[:c] + j] * m
            k ^= k >> r
            k *= m
            hj = h[:c]
            hj ^= k
            hj *= m
        if few < max_blocks:
            for i in range(int(counts[few])):
                h[i] = _finish_blocks(int(h[i]), words[offsets[i] + few : offsets[i] + nb_sorted[i]])
    tail_len = lens[order] & 7
    tails = words[offsets + nb_sorted]
    has_tail = tail_len != 0
    h ^= tails
    h[has_tail] *= m
    h ^= h >> r
    h *= m
    h ^= h >> r
    out[order] = h
    return out


def _finish_blocks(h: int, words: npt.NDArray[np.uint64]) -> int:
    """MurmurHash64A's block loop over ``words`` from state ``h``: the mixing of each block is
    vectorised; only the chain ``h = (h ^ k) * m`` runs block by block."""
    m, r, _ = _consts()
    k = words * m
    k ^= k >> r
    k *= m
    for kk in k.tolist():
        h = ((h ^ kk) * _M) & _MASK
    return h


def hash_strings(strings: Sequence[str]) -> npt.NDArray[np.uint64]:
    """spaCy's IDs of many strings (see :func:`hash_string`), as a uint64 array."""
    encoded = [s.encode("utf-8") for s in strings]
    out = _hash_bytes(encoded)
    get = SYMBOLS.get
    for i, s in enumerate(strings):
        sym = get(s)
        if sym is not None:
            out[i] = sym
    return out


def symbol_name(symbol_id: int) -> str | None:
    """The symbol name of an ID below :data:`N_SYMBOLS`, else None."""
    if 0 <= symbol_id < N_SYMBOLS:
        return SYMBOL_NAMES[symbol_id]
    return None


def pos_id(name: str) -> int:
    """The POS column ID of a universal POS tag (``"NOUN"`` -> 92); KeyError for another tag."""
    return UPOS[name]


def pos_name(value: int) -> str | None:
    """The universal POS tag of a POS column ID (``92`` -> ``"NOUN"``; 0 -> None)."""
    if value == 0:
        return None
    return UPOS_NAMES[value]
