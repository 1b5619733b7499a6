"""Bytes to columns: one DocBin's zlib stream inflated (bounded), its msgpack map checked."""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np

from ..errors import DocBinError
from ..limits import inflate_docbin
from .format import ORTH, Chunk

__all__ = ["parse", "unpack_user_data"]

_REQUIRED = ("attrs", "tokens", "spaces", "lengths", "strings", "cats")


def _freeze(key: Any) -> Any:
    if isinstance(key, list):
        return tuple(_freeze(k) for k in key)
    return key


def _pairs_hook(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    return {_freeze(k): v for k, v in pairs}


def unpack_user_data(data: bytes) -> dict[Any, Any]:
    """A doc's user_data map (list keys become tuples, as spaCy's are)."""
    obj = msgpack.unpackb(data, raw=False, strict_map_key=False, object_pairs_hook=_pairs_hook)
    if not isinstance(obj, dict):
        raise ValueError(f"user_data is a msgpack {type(obj).__name__}, expected a map")
    return obj


def _sniff(data: bytes) -> str:
    """What a non-zlib file looks like, for the error message."""
    head = data[:64]
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"\x1f\x8b"):
        return (
            "it is gzip data: a DocBin from spaCy v2.2.0 or a gzipped file. spaCy v2 DocBins cannot "
            "be read by spaCy v3 either; load it with spaCy v2, write JSON with "
            "spacy.gold.docs_to_json, then convert it with `corpuskit convert FILE OUTDIR -c json`"
        )
    if stripped[:1] in (b"[", b"{"):
        return (
            "it is JSON text: spaCy v2 JSON training data (or JSONL) is not a DocBin; "
            "convert it with `corpuskit convert FILE OUTDIR -c json` (or `-c jsonl`)"
        )
    if not data:
        return "the file is empty"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return f"it starts with bytes {head[:8]!r}, not a zlib header (78 9c)"
    return (
        f"it is text starting {head[:40].decode('utf-8', 'replace')!r}; convert it with `corpuskit convert`"
    )


def _decompress(data: bytes, path: str | None) -> bytearray:
    if len(data) < 2 or data[0] & 0x0F != 8 or ((data[0] << 8) | data[1]) % 31 != 0:
        raise DocBinError(f"not a DocBin (.spacy) file: {_sniff(data)}", path=path)
    return inflate_docbin(data, path)


def parse(data: bytes, path: str | None) -> Chunk:
    """Check and unpack one DocBin; every failure is a DocBinError naming ``path``."""
    msg = _unpack(data, path)
    attrs = msg["attrs"]
    tokens, lengths, spaces = _arrays(msg, attrs, path)
    n_docs = len(lengths)
    cats = msg["cats"]
    flags = msg.get("flags", [{} for _ in range(n_docs)])
    span_groups = msg.get("span_groups", [b"" for _ in range(n_docs)])
    user_data = msg.get("user_data", [None] * n_docs)
    for key, value in (
        ("cats", cats),
        ("flags", flags),
        ("span_groups", span_groups),
        ("user_data", user_data),
    ):
        if not isinstance(value, list) or len(value) != n_docs:
            have = len(value) if isinstance(value, list) else type(value).__name__
            raise DocBinError(f"bad DocBin: {key!r} has {have} entries for {n_docs} docs", path=path)
    return Chunk(
        attrs=list(attrs),
        tokens=tokens.astype(np.uint64, copy=False),
        spaces=spaces != 0,
        lengths=lengths.astype(np.int32, copy=False),
        strings=set(msg["strings"]),
        cats=cats,
        flags=flags,
        span_groups=span_groups,
        user_data=user_data,
        path=path,
    )


def _unpack(data: bytes, path: str | None) -> dict[Any, Any]:
    """The DocBin's msgpack map, with its required keys, attrs and strings checked."""
    raw = _decompress(data, path)
    try:
        msg = msgpack.unpackb(raw, raw=False, strict_map_key=False, use_list=True)
    except Exception as e:  # msgpack raises several unrelated types for bad data
        reason = f"{type(e).__name__}: {e}"
        raise DocBinError(
            f"corrupt DocBin: the msgpack data inside is damaged ({reason})", path=path
        ) from None
    if not isinstance(msg, dict):
        raise DocBinError(
            f"not a DocBin: the msgpack data is a {type(msg).__name__}, expected a map", path=path
        )
    if "version" not in msg and "attrs" in msg and "tokens" in msg:
        raise DocBinError(
            "a spaCy v2 DocBin (no 'version' key): spaCy v3 cannot use it either; load it with "
            "spaCy v2, write JSON with spacy.gold.docs_to_json, then convert that with "
            "`corpuskit convert FILE OUTDIR -c json`",
            path=path,
        )
    missing = [k for k in _REQUIRED if k not in msg]
    if missing:
        raise DocBinError(
            f"not a DocBin: the map lacks {', '.join(repr(k) for k in missing)} "
            f"(has {sorted(map(str, msg))})",
            path=path,
        )
    attrs = msg["attrs"]
    if not isinstance(attrs, list) or not attrs or not all(isinstance(a, int) for a in attrs):
        raise DocBinError(f"bad DocBin: 'attrs' is {attrs!r}, expected a list of attribute IDs", path=path)
    if ORTH not in attrs:
        raise DocBinError(f"bad DocBin: 'attrs' {attrs!r} has no ORTH (65) column", path=path)
    for key in ("tokens", "spaces", "lengths"):
        if not isinstance(msg[key], bytes):
            raise DocBinError(
                f"bad DocBin: {key!r} is a {type(msg[key]).__name__}, expected bytes", path=path
            )
    strings = msg["strings"]
    if not isinstance(strings, list) or not all(isinstance(s, str) for s in strings):
        raise DocBinError("bad DocBin: 'strings' is not a list of strings", path=path)
    return msg


def _arrays(msg: dict[Any, Any], attrs: list[int], path: str | None) -> tuple[Any, Any, Any]:
    """The token matrix, the doc lengths and the spaces, checked against each other."""
    tok_bytes: bytes = msg["tokens"]
    width = 8 * len(attrs)
    if len(tok_bytes) % width:
        raise DocBinError(
            f"bad DocBin: 'tokens' has {len(tok_bytes)} bytes, "
            f"not a multiple of {width} ({len(attrs)} attrs)",
            path=path,
        )
    if len(msg["lengths"]) % 4:
        raise DocBinError(
            f"bad DocBin: 'lengths' has {len(msg['lengths'])} bytes, not a multiple of 4", path=path
        )
    tokens = np.frombuffer(tok_bytes, dtype="<u8").reshape(-1, len(attrs))
    lengths = np.frombuffer(msg["lengths"], dtype="<i4")
    n_tokens = len(tokens)
    if (lengths < 0).any() or int(lengths.sum(dtype=np.int64)) != n_tokens:
        raise DocBinError(
            f"bad DocBin: the doc lengths add up to {int(lengths.sum(dtype=np.int64))} tokens "
            f"but 'tokens' has {n_tokens} rows",
            path=path,
        )
    spaces_raw = np.frombuffer(msg["spaces"], dtype=np.uint8)
    if len(spaces_raw) != n_tokens:
        raise DocBinError(
            f"bad DocBin: 'spaces' has {len(spaces_raw)} values for {n_tokens} tokens", path=path
        )
    return tokens, lengths, spaces_raw
