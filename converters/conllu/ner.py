"""Entities in CoNLL-U's MISC column as spaCy reads them: whether a file has any (a byte scan),
a MISC value's IOB tag, and tags to spans."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from corpuskit import Span
from corpuskit.io import byte_blocks

__all__ = [
    "block_has_ner",
    "file_has_ner",
    "iob_to_spans",
    "line_has_ner",
    "lines_have_ner",
    "map_tag",
    "misc_ner_tag",
]

# spaCy's MISC_NER_PATTERN without its "|O$" branch (a part that is exactly "O" is tested apart).
_NER_RE = re.compile(r"((?:name|NE)=)?([BILU])-([A-Z_]+)")
# bytes around a MISC part that may be an NER tag ("B-PER", "NE=I-LOC", "O")
_DASH = ord("-")
_O = ord("O")


def _byte_set(chars: bytes) -> npt.NDArray[np.bool_]:
    """A table of the 256 byte values, true for ``chars`` (``table[bytes_array]`` tests each)."""
    table = np.zeros(256, dtype=bool)
    table[np.frombuffer(chars, dtype=np.uint8)] = True
    return table


_BILU = _byte_set(b"BILU")
_BEFORE_TAG = _byte_set(b"\t|=")
_BEFORE_O = _byte_set(b"\t|")
_AFTER_O = _byte_set(b"\n|\r")


def misc_ner_tag(misc: str) -> str | None:
    """The IOB tag of a MISC value as spaCy reads it, or None when no part is an NER tag."""
    for part in misc.split("|"):
        if part == "O":
            return "O"
        m = _NER_RE.match(part)
        if m is not None:
            return f"{m.group(2)}-{m.group(3)}"
    return None


def line_has_ner(line: str) -> bool:
    """Whether a token line's MISC holds an NER tag (spaCy's ``has_ner``, for one line)."""
    if not line or line[0] == "#" or line.count("\t") != 9:
        return False
    misc = line[line.rfind("\t") + 1 :]
    if misc == "_" or ("-" not in misc and "O" not in misc):
        return False
    return misc_ner_tag(misc) is not None


def file_has_ner(path: str | Path) -> bool:
    """Whether any token line of a CoNLL-U file has an NER tag in MISC (a fast byte scan).

    Only lines where a tab, ``|`` or ``=`` is followed by ``B-``/``I-``/``L-``/``U-``, or a tab
    or ``|`` by a lone ``O``, are decoded and checked.
    """
    return any(block_has_ner(block) for block in byte_blocks(path))  # 1 MiB blocks: memory flat


def block_has_ner(block: bytes) -> bool:
    for pos in _ner_candidates(block):
        start = block.rfind(b"\n", 0, pos) + 1
        end = block.find(b"\n", pos)
        line = block[start : end if end != -1 else len(block)].rstrip(b"\r")
        if line_has_ner(line.decode("utf-8", errors="replace")):
            return True
    return False


def _ner_candidates(block: bytes) -> list[int]:
    """Offsets in ``block`` (which ends with a line end) where an NER tag may start."""
    a = np.frombuffer(block, dtype=np.uint8)
    if len(a) < 3:
        return []
    found: list[int] = []
    dash = np.flatnonzero(a[2:] == _DASH) + 2  # "B-" etc. preceded by \t | =
    if len(dash):
        keep = _BILU[a[dash - 1]] & _BEFORE_TAG[a[dash - 2]]
        found.extend((dash[keep] - 1).tolist())
    o = np.flatnonzero(a[1:] == _O) + 1  # "O" between \t or | and | or a line end
    if len(o):
        after = a[np.minimum(o + 1, len(a) - 1)]
        after[o == len(a) - 1] = 10  # the last line may have no line end
        keep = _BEFORE_O[a[o - 1]] & _AFTER_O[after]
        found.extend(o[keep].tolist())
    return found


def lines_have_ner(lines: Iterable[str]) -> bool:
    return any(line_has_ner(line) for line in lines)


def map_tag(tag: str, ner_map: Mapping[str, str]) -> str:
    if tag == "O":
        return tag
    label = ner_map.get(tag[2:], tag[2:])
    return "O" if label == "" else f"{tag[0]}-{label}"


def iob_to_spans(iob: list[str]) -> list[Span]:
    """spaCy's ``iob_to_biluo`` + ``biluo_tags_to_spans``: any tag opens an entity, I-/L- of
    the same label continue it."""
    spans = []
    i = 0
    n = len(iob)
    while i < n:
        tag = iob[i]
        if tag == "O":
            i += 1
            continue
        rest = tag[1:]
        j = i + 1
        while j < n and iob[j][1:] == rest and iob[j][0] in "IL":
            j += 1
        spans.append(Span(i, j, tag[2:]))
        i = j
    return spans
