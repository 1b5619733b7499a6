"""What the checks' sections share."""

from __future__ import annotations

from ...strings import UD_UPOS

#: The 17 universal POS tags of UD v2 (one table, in corpuskit.strings).
UPOS = UD_UPOS
_UPOS_HINT = {"CONJ": "CCONJ (UD v1's CONJ)"}


def _examples(n: int) -> str:
    return f"{n} example{'s' if n != 1 else ''}"


def _blank(word: str) -> bool:
    return not word or word.isspace()
