"""FEATS, the morphological features column: spaCy's normal form and what is wrong with one.

The one owner of reading a FEATS string (``Name=Value`` pairs joined by ``|``, values of one
name joined by ``,``). Its callers keep their own error behaviour: the CoNLL-U reader turns a
:class:`FeatsError` into a located ``FormatError``, the DocBin writer into a ``DocBinError``,
``debug-data`` reports :func:`feats_problem`'s sentence as an ``invalid-feature`` finding, and the
JSON writer sorts whatever it is given (:func:`sort_feats`).
"""

from __future__ import annotations

import re

__all__ = ["FeatsError", "feats_problem", "normalize_feats", "sort_feats"]

_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*(\[[a-z0-9]+\])?$")
_VALUE = re.compile(r"^[A-Z0-9][A-Za-z0-9]*$")
_PROBLEMS: dict[str, str | None] = {}  # feats_problem's answers (bounded: _MAX_CACHED)
_MAX_CACHED = 100_000


class FeatsError(ValueError):
    """A feature of a FEATS string that is not ``Name=Value`` (``feature``: the bad one)."""

    def __init__(self, feats: str, feature: str) -> None:
        self.feats = feats
        self.feature = feature
        super().__init__(f"morphological feature {feature!r} in {feats!r} is not Name=Value")


def normalize_feats(feats: str) -> str:
    """spaCy's normal form of a FEATS string: ``Name=Value`` pairs sorted as strings, the values
    of a name sorted.

    ``""`` and ``"_"`` are the empty analysis (returned as ``""``). A later repeat of a name wins,
    as in spaCy. Raises :class:`FeatsError` (a ValueError) at the first feature that is not
    ``Name=Value``.
    """
    if not feats or feats == "_":
        return ""
    fields: dict[str, str] = {}
    for feat in feats.split("|"):
        pair = feat.split("=")
        if len(pair) != 2:
            raise FeatsError(feats, feat)
        fields[pair[0]] = ",".join(sorted(pair[1].split(",")))
    return "|".join(sorted(f"{k}={v}" for k, v in fields.items()))


def sort_feats(feats: str) -> str:
    """A FEATS string sorted without judging it: features (empty ones dropped) stably sorted by
    name, the values of each sorted; a feature without ``=`` is kept as it is, a repeat is kept.

    ``""`` and ``"_"`` give ``""``. Never raises (the JSON writer writes what a Doc holds).
    """
    if not feats or feats == "_":
        return ""
    pairs = []
    for feat in feats.split("|"):
        if not feat:
            continue
        name, sep, value = feat.partition("=")
        if sep:
            value = ",".join(sorted(value.split(",")))
        pairs.append(f"{name}={value}" if sep else name)
    return "|".join(sorted(pairs, key=lambda p: p.partition("=")[0]))


def feats_problem(feats: str) -> str | None:
    """What is wrong with a FEATS string by UD's rules (``Name=Value`` pairs, sorted, no
    repeats), or None.

    Names are sorted case-insensitively (as UD sorts them) or by code point (as spaCy writes
    them); values of one feature are sorted and distinct. Answers are cached.
    """
    got = _PROBLEMS.get(feats, "")
    if got != "":
        return got
    problem = _problem(feats)
    if len(_PROBLEMS) < _MAX_CACHED:
        _PROBLEMS[feats] = problem
    return problem


def _problem(feats: str) -> str | None:
    if feats in ("", "_"):
        return None
    names: list[str] = []
    for pair in feats.split("|"):
        name, eq, value = pair.partition("=")
        if not eq:
            return f"feature {pair!r} is not Name=Value"
        if not _NAME.match(name):
            return f"feature name {name!r} is not a UD name (a capital letter, then letters and digits)"
        values = value.split(",")
        for v in values:
            if not _VALUE.match(v):
                return (
                    f"value {v!r} of {name} is not a UD value (a capital or digit, then letters and digits)"
                )
        if len(set(values)) != len(values):
            return f"{name} repeats a value in {value!r}"
        if values != sorted(values, key=str.lower) and values != sorted(values):
            return f"values of {name} are not sorted: {value!r}"
        if name in names:
            return f"feature {name} is repeated"
        names.append(name)
    if names != sorted(names, key=str.lower) and names != sorted(names):
        return f"features are not sorted by name: {feats!r}"
    return None
