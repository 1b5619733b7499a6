"""What the CoNLL-U reader's modules share: the column names, ID and HEAD tables, located errors,
and FEATS as the reader normalises them (cached per distinct value)."""

from __future__ import annotations

from corpuskit.errors import FormatError
from corpuskit.morph import FeatsError, normalize_feats
from corpuskit.strings import UPOS

__all__ = [
    "COLUMNS",
    "DIGITS",
    "FEATS_NORM",
    "FEATS_ODD",
    "HEADS0",
    "IDS",
    "MAX_FAST",
    "NO_SPACE",
    "TEXT",
    "UPOS_TAGS",
    "USER_DATA_KEY",
    "column_of",
    "error",
    "expected_ids",
    "feats_odd",
    "is_num",
    "normalise_feats",
]

#: ``Doc.user_data`` key of the per-sentence round-trip data (a list, one dict per sentence).
USER_DATA_KEY = "conllu.sents"

COLUMNS = "ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC"
#: Sentences up to this many words are read with the tables below (longer ones one value at a time).
MAX_FAST = 4096
TEXT = "# text = "
NO_SPACE = "SpaceAfter=No"
IDS = [str(i) for i in range(1, MAX_FAST + 1)]
HEADS0 = {str(i): i - 1 for i in range(MAX_FAST + 1)}  # "0" -> -1 (a root), "N" -> N - 1
UPOS_TAGS = frozenset(name for name in UPOS if name)
DIGITS = frozenset("0123456789")

#: FEATS as read -> spaCy's normal form (bounded: a treebank has some thousands of values).
FEATS_NORM: dict[str, str] = {"_": ""}
#: Raw FEATS values that the normalised form does not regenerate (to be kept for the round trip),
#: up to _ODD_LIMIT of them; past it FEATS_ODD_FULL is set and each value is tested itself.
FEATS_ODD: set[str] = set()
FEATS_ODD_FULL = [False]
_ODD_LIMIT = 200_000


def is_num(value: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts ``²``, which ``int`` refuses)."""
    return value.isascii() and value.isdigit()


def expected_ids(n: int) -> list[str]:
    """The word IDs of a sentence of ``n`` words: "1" to ``str(n)``."""
    return IDS[:n] if n <= MAX_FAST else [str(i) for i in range(1, n + 1)]


def error(
    msg: str, path: str | None, line_no: int, column: int | None = None, check: str | None = None
) -> FormatError:
    return FormatError(msg, path=path, line=line_no, column=column, check=check)


def column_of(parts: list[str], index: int) -> int:
    """1-based character column where field ``index`` of a tab-split line starts."""
    return sum(len(p) + 1 for p in parts[:index]) + 1


def normalise_feats(feats: str, path: str | None, line_no: int) -> str:
    """spaCy's normalised FEATS (:func:`corpuskit.morph.normalize_feats`), remembered in
    :data:`FEATS_NORM`; a feature that is not ``Name=Value`` is a FormatError at ``line_no``."""
    try:
        norm = normalize_feats(feats) if feats else ""
    except FeatsError as e:
        raise error(
            f"bad FEATS value {feats!r}: feature {e.feature!r} is not Name=Value; "
            "expected '_' or Name=Value pairs joined by '|'",
            path,
            line_no,
            check="invalid-feature",
        ) from None
    if len(FEATS_NORM) < 200_000:
        FEATS_NORM[feats] = norm
    if (norm or "_") != feats:
        if len(FEATS_ODD) < _ODD_LIMIT:
            FEATS_ODD.add(feats)
        else:
            FEATS_ODD_FULL[0] = True
    return norm


def feats_odd(feats: list[str]) -> bool:
    """Whether normalising changes any of these (already read) raw FEATS values."""
    if not FEATS_ODD.isdisjoint(feats):
        return True
    if not FEATS_ODD_FULL[0]:
        return False
    return any(((FEATS_NORM[f] if f in FEATS_NORM else normalize_feats(f)) or "_") != f for f in feats)
