"""The round-trip data: what a DocBin cannot hold of a CoNLL-U sentence (comments, multiword-token
and empty-node lines, DEPS, MISC, the raw values the annotation does not regenerate), kept in
``Doc.user_data[USER_DATA_KEY]`` as one dict per sentence, so that grouping sentences into one
Doc concatenates the lists and the writer gives back the input file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from corpuskit import Doc
from corpuskit.doc import surface_text
from corpuskit.errors import UsageError

from .base import TEXT, USER_DATA_KEY, feats_odd

__all__ = [
    "COLUMN",
    "ColumnFacts",
    "entry_problem",
    "group_entries",
    "kept_comments",
    "mwt_of",
    "sentence_entries",
    "sentence_texts",
    "surface_text",
]


#: The raw columns a sentence may have to keep, by round-trip key.
COLUMN = {"upos": 3, "deprel": 7, "xpos": 4, "feats": 5, "lemma": 2, "deps": 8, "misc": 9}


@dataclass(slots=True)
class ColumnFacts:
    """What the converter learnt of a group's columns once, for the round trip to reuse: whether
    a field may be empty (the group's text has a tab next to a tab, or ends with one), some XPOS
    is "_", every MISC is "_"."""

    may_be_empty: bool
    xpos_blank: bool
    misc_blank: bool


def _kept_keys(cols: list[list[str]], facts: ColumnFacts, morphology: bool) -> list[str]:
    """The round-trip keys some sentence of ``cols`` (the 10 columns of a group's word lines)
    may need: an empty UPOS or LEMMA, a DEPREL "ROOT" or empty, an XPOS "_" or empty (every
    XPOS with ``-m``), FEATS that normalising changes, any DEPS or MISC that is not "_"."""
    _i, _f, lemmas, upos, xpos, feats, _h, deprels, deps, _misc = cols
    empty = facts.may_be_empty
    keys = []
    if empty and "" in upos:
        keys.append("upos")
    if "ROOT" in deprels or (empty and "" in deprels):
        keys.append("deprel")
    if morphology or facts.xpos_blank or (empty and "" in xpos):
        keys.append("xpos")
    if feats_odd(feats):
        keys.append("feats")
    if empty and "" in lemmas:
        keys.append("lemma")
    if deps.count("_") != len(deps):
        keys.append("deps")
    if not facts.misc_blank:
        keys.append("misc")
    return keys


#: Per key, whether one sentence's raw column must be kept (given that the group's may): the
#: rules of :func:`_kept_keys` for one sentence (there, spelt out with the group's facts, as one
#: call per group rather than one per key keeps a group of one cheap); DEPS and MISC ("not all
#: '_'") are tested in line.
_KEEP: dict[str, Callable[[list[str]], bool]] = {
    "upos": lambda v: "" in v,
    "deprel": lambda v: "ROOT" in v or "" in v,
    "xpos": lambda v: "_" in v or "" in v,
    "feats": feats_odd,
    "lemma": lambda v: "" in v,
}
_ONE = [True]  # the flags of a group of one sentence (never changed)


_Kept = list[tuple[str, list[str], list[bool]]]  # (key, raw column, which sentences keep it)


def _kept_flags(
    cols: list[list[str]], bounds: list[tuple[int, int]], keys: list[str], morphology: bool
) -> tuple[dict[str, list[bool]], _Kept, _Kept]:
    """For each of ``keys`` (the round-trip keys some sentence of the group may keep), which
    sentences (``bounds`` in ``cols``) keep their raw column: UPOS's and DEPREL's by key, then
    the other columns in two runs, as the entries hold them (the HEAD fixes come between)."""
    flags: dict[str, list[bool]] = {}
    run1: _Kept = []
    run2: _Kept = []
    for key in keys:
        col = cols[COLUMN[key]]
        if len(bounds) == 1:
            keep = _ONE
        elif key == "deps" or key == "misc":
            keep = [col[a:b].count("_") != b - a for a, b in bounds]
        elif key == "xpos" and morphology:
            keep = [True] * len(bounds)
        else:
            test = _KEEP[key]
            keep = [test(col[a:b]) for a, b in bounds]
        if key == "upos" or key == "deprel":
            flags[key] = keep
        else:
            (run1 if key == "xpos" or key == "feats" else run2).append((key, col, keep))
    return flags, run1, run2


def group_entries(
    cols: list[list[str]],
    bounds: list[tuple[int, int]],
    spaces: list[bool],
    comments: list[list[str]],
    extras: list[list[tuple[int, str]]],
    mwts: list[list[tuple[int, int, str]]],
    head_fixes: list[list[list[Any]]],
    merged: list[bool] | None,
    facts: ColumnFacts,
    morphology: bool,
) -> list[dict[str, Any]]:
    """The round-trip data of each sentence of a group: ``cols`` the 10 columns of its word
    lines, ``bounds`` each sentence's in them, ``spaces`` their spacing, and per sentence its
    comment lines, lines set apart, multiword tokens and HEAD fixes. A merged sentence
    (``merged``) keeps its comments only: the rest describes the words it no longer has.
    Keys are added in the order the reader has always added them, as a DocBin's msgpack bytes
    follow it; kept columns are tuples of strings (msgpack writes them as arrays, and the
    garbage collector stops tracking them, which matters when a shard of Docs is in memory)."""
    f, run1, run2 = _kept_flags(cols, bounds, _kept_keys(cols, facts, morphology), morphology)
    upos, deprels = cols[3], cols[7]
    f_upos, f_deprel = f.get("upos"), f.get("deprel")
    texts = sentence_texts(cols[1], spaces, bounds, mwts) if any(comments) else []
    out: list[dict[str, Any]] = []
    for s, (a, b) in enumerate(bounds):
        sent_comments = comments[s]
        if merged is not None and merged[s]:
            out.append({"n": b - a, **({"comments": tuple(sent_comments)} if sent_comments else {})})
            continue
        entry: dict[str, Any] = {"n": b - a}
        if f_upos is not None and f_upos[s]:
            entry["upos"] = tuple(upos[a:b])  # an empty field is written back as it was
        if f_deprel is not None and f_deprel[s]:
            entry["deprel"] = [[k, d] for k, d in enumerate(deprels[a:b]) if d in ("ROOT", "")]
        if sent_comments:
            entry["comments"] = kept_comments(sent_comments, texts[s])
        if extras[s]:
            entry["extra"] = extras[s]
        for key, col, keep in run1:
            if keep[s]:
                entry[key] = tuple(col[a:b])
        if head_fixes[s]:
            entry["head"] = head_fixes[s]
        for name, col, keep in run2:
            if keep[s]:
                entry[name] = tuple(col[a:b])
        out.append(entry)
    return out


def kept_comments(comments: list[str], text: str) -> tuple[str | None, ...]:
    """A sentence's comment lines as kept: the first "# text = " line that spells ``text`` (what
    the sentence's words spell out) is None (rebuilt on writing)."""
    want = TEXT + text
    if want in comments:
        k = comments.index(want)
        return (*comments[:k], None, *comments[k + 1 :])
    return tuple(comments)


def sentence_texts(
    words: list[str],
    spaces: list[bool],
    bounds: list[tuple[int, int]],
    mwts: list[list[tuple[int, int, str]]],
) -> list[str]:
    """Each sentence's text as its tokens spell it (:func:`surface_text`; ``bounds``: each
    sentence's words in ``words``)."""
    if len(bounds) == 1:
        return [surface_text(words, spaces, mwts[0])]
    return [surface_text(words[a:b], spaces[a:b], mwt) for (a, b), mwt in zip(bounds, mwts, strict=True)]


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
    """What is wrong with one sentence's stored round-trip data (the shapes :func:`group_entries` writes)."""
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
