"""The round-trip data: what a DocBin cannot hold of a CoNLL-U sentence (comments, multiword-token
and empty-node lines, DEPS, MISC, the raw values the annotation does not regenerate), kept in
``Doc.user_data[USER_DATA_KEY]`` as one dict per sentence, so that grouping sentences into one
Doc concatenates the lists and the writer gives back the input file."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from corpuskit import Doc
from corpuskit.doc import surface_text
from corpuskit.errors import UsageError

from .base import TEXT, USER_DATA_KEY, feats_odd

__all__ = [
    "COLUMN",
    "entry_problem",
    "kept_columns",
    "kept_comments",
    "mwt_of",
    "sentence_entries",
    "sentence_entry",
    "surface_text",
]


#: The raw columns a sentence may have to keep, by round-trip key.
COLUMN = {"upos": 3, "deprel": 7, "xpos": 4, "feats": 5, "lemma": 2, "deps": 8, "misc": 9}
_ALL = frozenset(COLUMN)


def kept_columns(
    cols: list[list[str]], n: int, morphology: bool, keys: frozenset[str] = _ALL
) -> dict[str, list[str]]:
    """The raw columns (among ``keys``) that the round trip must keep: an empty UPOS or LEMMA,
    a DEPREL "ROOT" or empty, an XPOS "_" or empty (every XPOS with ``-m``), FEATS that
    normalising changes, any DEPS or MISC that is not "_". ``cols``: the 10 columns of ``n``
    word lines (a column outside ``keys`` is not looked at)."""
    _i, _f, lemmas, upos, xpos, feats, _h, deprels, deps, misc = cols
    found: dict[str, list[str]] = {}
    if "upos" in keys and "" in upos:
        found["upos"] = upos
    if "deprel" in keys and ("ROOT" in deprels or "" in deprels):
        found["deprel"] = deprels
    if "xpos" in keys and (morphology or "_" in xpos or "" in xpos):
        found["xpos"] = xpos
    if "feats" in keys and feats_odd(feats):
        found["feats"] = feats
    if "lemma" in keys and "" in lemmas:
        found["lemma"] = lemmas
    if "deps" in keys and deps.count("_") != n:
        found["deps"] = deps
    if "misc" in keys and misc.count("_") != n:
        found["misc"] = misc
    return found


def sentence_entry(
    found: dict[str, list[str]],
    n: int,
    forms: list[str],
    spaces: list[bool],
    comments: list[str],
    extra: list[tuple[int, str]],
    mwt: list[tuple[int, int, str]],
    head_fix: list[list[Any]],
) -> dict[str, Any]:
    """One sentence's round-trip data: ``found`` its :func:`kept_columns`, ``n`` its words,
    ``forms`` and ``spaces`` their forms and spacing. Keys are added in the order the reader has
    always added them, as a DocBin's msgpack bytes follow it."""
    out: dict[str, Any] = {"n": n}
    if found:
        if "upos" in found:
            out["upos"] = tuple(found["upos"])  # an empty field is written back as it was
        if "deprel" in found:
            out["deprel"] = [[k, d] for k, d in enumerate(found["deprel"]) if d in ("ROOT", "")]
    if comments:
        out["comments"] = kept_comments(comments, forms, spaces, mwt)
    if extra:
        out["extra"] = extra
    if found:
        # tuples of strings: msgpack writes them as arrays, and the garbage collector stops
        # tracking them, which matters when a shard of Docs is held in memory
        if "xpos" in found:
            out["xpos"] = tuple(found["xpos"])
        if "feats" in found:
            out["feats"] = tuple(found["feats"])
    if head_fix:
        out["head"] = head_fix
    if found:
        for key in ("lemma", "deps", "misc"):
            if key in found:
                out[key] = tuple(found[key])
    return out


def kept_comments(
    comments: list[str], words: list[str], spaces: list[bool], mwt: list[tuple[int, int, str]]
) -> tuple[str | None, ...]:
    """A sentence's comment lines as kept: a "# text = " line that the words spell out is None
    (rebuilt on writing)."""
    text = None
    for k, c in enumerate(comments):
        if c.startswith(TEXT):
            if text is None:
                text = TEXT + surface_text(words, spaces, mwt)
            if c == text:
                return (*comments[:k], None, *comments[k + 1 :])
    return tuple(comments)


def mwt_of(extra: Iterable[tuple[int, str]]) -> list[tuple[int, int, str]]:
    """The multiword tokens (first word, end word, form) among a sentence's kept extra lines."""
    out = []
    for k, line in extra:
        id_, _, rest = line.partition("\t")
        if "-" in id_:
            out.append((k, int(id_.partition("-")[2]), rest.partition("\t")[0]))
    return out


def sentence_entries(doc: Doc, doc_no: int = 0) -> list[tuple[int, int, dict[str, Any] | None]]:
    """The doc's sentences with their stored round-trip data where it fits the doc."""
    stored = doc.user_data.get(USER_DATA_KEY)
    if isinstance(stored, (list, tuple)) and stored and all(isinstance(e, dict) for e in stored):
        counts: list[Any] = [e.get("n") for e in stored]
        if all(isinstance(c, int) and c > 0 for c in counts) and sum(counts) == len(doc.words):
            out = []
            start = 0
            for e in stored:
                bad = entry_problem(e)
                if bad is not None:  # a damaged or hand-made DocBin: one line, not a traceback
                    where = f" ({doc.source}:{doc.lines[start]})" if doc.source and doc.lines else ""
                    raise UsageError(
                        f"cannot write CoNLL-U: doc {doc_no}{where} has round-trip data "
                        f"(user_data[{USER_DATA_KEY!r}]) that does not fit: {bad}"
                    )
                out.append((start, start + e["n"], e))
                start += e["n"]
            return out
    return [(s, e, None) for s, e in doc.sentence_bounds()]


def entry_problem(entry: dict[str, Any]) -> str | None:
    """What is wrong with one sentence's stored round-trip data (the shapes :func:`sentence_entry` writes)."""
    n = entry["n"]

    def strings(v: Any, size: int | None, none: bool = False) -> bool:
        ok = isinstance(v, (list, tuple)) and (size is None or len(v) == size)
        return ok and all(isinstance(x, str) or (none and x is None) for x in v)

    def pairs(v: Any, second: type) -> bool:
        return isinstance(v, (list, tuple)) and all(
            isinstance(p, (list, tuple)) and len(p) == 2 and type(p[0]) is int and isinstance(p[1], second)
            for p in v
        )

    for key, value in entry.items():
        if key in ("xpos", "feats", "deps", "misc", "lemma", "upos"):
            ok = strings(value, n)
        elif key in ("comments", "tail"):
            ok = strings(value, None, none=key == "comments")
        elif key == "extra":
            ok = pairs(value, str) and all(0 <= p[0] <= n for p in value)
        elif key in ("head", "deprel"):
            ok = pairs(value, str) and all(0 <= p[0] < n for p in value)
        else:
            ok = True  # "n", "noblank" and keys of later versions
        if not ok:
            return f"{key!r} is {str(value)[:60]}"
    return None
