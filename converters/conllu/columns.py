"""The column-wise converter: a group of CoNLL-U sentences (one, or ``-n`` of them) as one Doc.

A lone sentence is a group of one. The group's word lines are split into 10 columns in one go,
and each check and conversion runs once per column over the whole group; only what is
sentence-relative (IDs, HEAD, multiword tokens, entities, the round-trip data) goes sentence by
sentence. When a bulk check fails, :mod:`converters.conllu.diagnose` names the first bad line.
The Doc is the one :func:`corpuskit.transforms.merge_docs` makes of the group's sentences read
one by one (a space after every sentence but the last).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate, chain, pairwise, repeat
from operator import add
from operator import eq as _eq
from typing import Any

import numpy as np

from corpuskit import Doc, Span
from corpuskit.errors import FormatError

from .base import (
    FEATS_NORM,
    HEADS0,
    NO_SPACE,
    UPOS_TAGS,
    USER_DATA_KEY,
    expected_ids,
    is_num,
    normalise_feats,
)
from .diagnose import Sents, check_sentences, needs_padding_check, raise_first, split_ids
from .ner import iob_to_spans, map_tag, misc_ner_tag
from .roundtrip import ColumnFacts, group_entries
from .subtokens import Merged, Sentence, merge_subtokens

__all__ = ["ReadOptions", "convert_group"]


_NO_FIXES: list[list[Any]] = []  # a sentence's HEAD fixes when there are none (never changed)
#: MISC values read -> whether the word has a space after it (no SpaceAfter=No); bounded
_SPACE_AFTER: dict[str, bool] = {"_": True}
_SPACE_AFTER_LIMIT = 100_000


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How sentences become Docs (see :func:`converters.conllu.parse_conllu`)."""

    set_ents: bool = False
    merge_subtokens: bool = False
    morphology: bool = False
    ner_map: Mapping[str, str] | None = None


@dataclass(slots=True)
class _Words(Merged):
    """The token columns of a group as they go into its Doc (heads and entities absolute;
    ``sizes``: each sentence's length)."""

    sizes: list[int]


@dataclass(slots=True)
class _Group:
    """A group's word lines: the 10 columns of its words, each sentence's bounds in them, the
    words' line numbers, and per sentence the lines set apart and the multiword tokens."""

    cols: list[list[str]]
    bounds: list[tuple[int, int]]
    lines: list[int]
    extras: list[list[tuple[int, str]]]
    mwts: list[list[tuple[int, int, str]]]
    may_be_empty: bool = True  # a field may be empty: the lines have a tab next to a tab, or end with one


def convert_group(sents: Sents, source: str | None, opts: ReadOptions) -> Doc:
    """Sentences ``(word lines, first line, comments)`` as one Doc."""
    group = _words(sents, source, opts)
    cols = group.cols
    _ids, forms, lemmas, upos, xpos, feats, head_col, deprels, _deps, misc = cols
    pos = _pos(upos)
    morphs = _morphs(feats)
    found = _heads(head_col, group.bounds)
    if pos is None or morphs is None or found is None:
        raise_first(sents, source, opts.merge_subtokens)
    heads, head_fixes = found
    facts = ColumnFacts(group.may_be_empty, "_" in xpos, misc.count("_") == len(misc))
    tags = _tags(xpos, upos, facts.xpos_blank)
    spaces = _spaces(misc, group, facts.misc_blank)
    ents = _ents(misc, group.bounds, opts) if opts.set_ents else None
    merge = [bool(mwt) for mwt in group.mwts] if opts.merge_subtokens else None
    comments = [pre for _r, _f, pre in sents]
    entries = group_entries(
        cols,
        group.bounds,
        spaces,
        comments,
        group.extras,
        group.mwts,
        head_fixes,
        merge,
        facts,
        opts.morphology,
    )
    start = -1
    for _ in range(deprels.count("root")):  # "root" becomes "ROOT"
        start = deprels.index("root", start + 1)
        deprels[start] = "ROOT"
    tags_out = tags
    if opts.morphology:
        tags_out = [t if f == "_" or not f else f"{t}__{f}" for t, f in zip(tags, feats, strict=True)]
    if merge is not None and True in merge:
        whole = Sentence(forms, spaces, tags, pos, morphs, lemmas, heads, deprels, feats, group.lines, [])  # type: ignore[arg-type]
        words = _merged(whole, tags_out, ents, group, merge, source, opts)
        for entry, n in zip(entries, words.sizes, strict=True):
            entry["n"] = n
    else:
        words = _Words(
            forms,
            spaces,
            tags_out,
            pos,
            morphs,
            lemmas,  # type: ignore[arg-type]
            heads,
            deprels,  # type: ignore[arg-type]
            group.lines,
            None if ents is None else _shifted(ents, group.bounds),
            [b - a for a, b in group.bounds],
        )
    return _doc(words, entries, source)


def _words(sents: Sents, source: str | None, opts: ReadOptions) -> _Group:
    """The group's word lines split into columns, multiword-token and empty-node lines set apart."""
    rows = sents[0][0] if len(sents) == 1 else list(chain.from_iterable(rows for rows, _f, _p in sents))
    n = len(rows)
    # joined with "\t\n\t", every line's 10 fields are followed by a "\n" field, so a line
    # with more or fewer columns shows as a "\n" out of place
    joined = "\t\n\t".join(rows)
    if needs_padding_check(joined):
        check_sentences(sents, source, opts.merge_subtokens)  # a space next to a tab: maybe padded
    flat = joined.split("\t")
    if len(flat) != 11 * n - 1 or flat[10::11].count("\n") != n - 1:
        raise_first(sents, source, opts.merge_subtokens)
    cols = [flat[c::11] for c in range(10)]
    # searched once in the text, not column by column (a list is searched a value at a time)
    may_be_empty = "\t\t" in joined or joined.endswith("\t")
    if may_be_empty and "" in cols[1]:  # an empty FORM
        raise_first(sents, source, opts.merge_subtokens)
    group = _columns(sents, cols, source, opts)
    group.may_be_empty = may_be_empty
    return group


def _columns(sents: Sents, cols: list[list[str]], source: str | None, opts: ReadOptions) -> _Group:
    """The group of ``cols`` (the 10 columns of the sentences' lines): bounds and line numbers of
    the word lines, the other lines set apart."""
    ids = cols[0]
    n = len(ids)
    if len(sents) == 1:
        if ids == expected_ids(n):
            first = sents[0][1]
            return _Group(cols, [(0, n)], list(range(first, first + n)), [[]], [[]])
        return _set_apart(sents, cols, [n], source, opts)
    sizes = [len(rows) for rows, _f, _p in sents]
    if ids == list(chain.from_iterable(map(expected_ids, sizes))):
        lines: list[int] = []
        for (_r, first, _p), k in zip(sents, sizes, strict=True):
            lines.extend(range(first, first + k))
        return _Group(cols, _bounds(sizes), lines, [[] for _ in sents], [[] for _ in sents])
    return _set_apart(sents, cols, sizes, source, opts)


def _set_apart(
    sents: Sents, cols: list[list[str]], sizes: list[int], source: str | None, opts: ReadOptions
) -> _Group:
    """Multiword-token and empty-node lines set apart from the word lines of each sentence."""
    drop: list[int] = []
    lines: list[int] = []
    extras: list[list[tuple[int, str]]] = []
    mwts: list[list[tuple[int, int, str]]] = []
    a = 0
    for s, (rows, first, _pre) in enumerate(sents):
        n = sizes[s]
        sent_ids = cols[0][a : a + n]
        extra: list[tuple[int, str]] = []
        mwt: list[tuple[int, int, str]] = []
        if sent_ids == expected_ids(n):
            lines.extend(range(first, first + n))
        else:
            try:
                keep, odd, word_lines, extra, mwt = split_ids(rows, sent_ids, first, source)
            except FormatError:
                raise_first(sents, source, opts.merge_subtokens)
            drop.extend([a + r for r in odd] if a else odd)
            lines.extend(word_lines)
            sizes[s] = len(keep)
        extras.append(extra)
        mwts.append(mwt)
        a += n
    drop.reverse()
    for col in cols:
        for r in drop:
            del col[r]
    return _Group(cols, _bounds(sizes), lines, extras, mwts)


def _bounds(sizes: list[int]) -> list[tuple[int, int]]:
    starts = list(accumulate(sizes, initial=0))
    return list(pairwise(starts))


def _pos(upos: list[str]) -> list[str | None] | None:
    """UPOS, None where it is "_" or empty; None if one is not a Universal POS tag."""
    if UPOS_TAGS.issuperset(upos):
        return upos  # type: ignore[return-value]
    pos: list[str | None] = []
    for u in upos:
        if u in UPOS_TAGS:
            pos.append(u)
        elif u == "_" or not u:
            pos.append(None)
        else:
            return None
    return pos


def _tags(xpos: list[str], upos: list[str], xpos_blank: bool) -> list[str | None]:
    """The tags: XPOS, with UPOS standing in for "_" (``xpos_blank``: some XPOS is)."""
    if xpos_blank:
        return [u if x == "_" else x for x, u in zip(xpos, upos, strict=True)]
    return xpos[:]  # type: ignore[return-value]


def _morphs(feats: list[str]) -> list[str | None] | None:
    """FEATS normalised as spaCy does (cached per distinct value); None if one is malformed."""
    try:
        return list(map(FEATS_NORM.__getitem__, feats))
    except KeyError:
        pass
    try:
        return [FEATS_NORM[f] if f in FEATS_NORM else normalise_feats(f, None, 0) for f in feats]
    except ValueError:
        return None


def _heads(
    head_col: list[str], bounds: list[tuple[int, int]]
) -> tuple[list[int | None], list[list[list[Any]]]] | None:
    """The group's heads (absolute: a root, or "_", is its own head) and each sentence's raw HEAD
    values that the written form would not give back ([word, value] pairs); None for a HEAD
    that is not a number or "_", or is beyond its sentence."""
    if len(bounds) > 1:
        plain = _plain_heads(head_col, bounds)
        if plain is not None:
            return plain, [_NO_FIXES] * len(bounds)
    raw: list[Any] = list(map(HEADS0.get, head_col))  # "0" -> -1, "N" -> N - 1
    out: list[int | None] = []
    fixes_out: list[list[list[Any]]] = []
    for a, b in bounds:
        heads = raw if len(bounds) == 1 else raw[a:b]
        n = b - a
        fixes: dict[int, str] = {}
        try:
            beyond = max(heads) >= n
        except TypeError:  # a None: "_", or a number not written plainly
            for k, h in enumerate(heads):
                if h is not None:
                    continue
                value = head_col[a + k]
                if value == "_":
                    heads[k] = k
                elif is_num(value):
                    heads[k] = int(value) - 1
                    if str(heads[k] + 1) != value:
                        fixes[k] = value
                else:
                    return None
            beyond = max(heads) >= n
        if beyond:
            return None
        if any(map(_eq, heads, range(n))):  # HEAD "_" or the word's own ID: only "0" is written back
            fixes.update((k, head_col[a + k]) for k in range(n) if heads[k] == k)
        for _ in range(heads.count(-1)):
            root = heads.index(-1)
            heads[root] = root
        if len(bounds) == 1:
            out = heads
        else:
            out.extend(map(add, heads, repeat(a, n)) if a else heads)
        fixes_out.append([[k, v] for k, v in sorted(fixes.items())] if fixes else _NO_FIXES)
    return out, fixes_out


def _plain_heads(head_col: list[str], bounds: list[tuple[int, int]]) -> list[int | None] | None:
    """A group's heads checked all at once (numpy), if every HEAD is a number written plainly,
    within its sentence and not the word's own ID (else None: :func:`_heads` goes sentence by
    sentence)."""
    n = len(head_col)
    starts = np.fromiter((a for a, _b in bounds), dtype=np.int64, count=len(bounds))
    sizes = np.fromiter((b - a for a, b in bounds), dtype=np.int64, count=len(bounds))
    head = np.fromiter(map(HEADS0.get, head_col, repeat(-2)), dtype=np.int64, count=n)
    start = np.repeat(starts, sizes)  # each word's sentence start
    index = np.arange(n, dtype=np.int64)
    if (head < -1).any() or (head >= np.repeat(sizes, sizes)).any() or (head == index - start).any():
        return None
    heads: list[int | None] = np.where(head == -1, index, head + start).tolist()
    return heads


def _space_after(misc: str) -> bool:
    """Whether a MISC value lets its word be followed by a space (no SpaceAfter=No)."""
    return NO_SPACE not in misc or NO_SPACE not in misc.split("|")


def _spaces(misc: list[str], group: _Group, misc_blank: bool) -> list[bool]:
    """SpaceAfter=No in MISC (on the multiword token's line for its words; ``misc_blank``:
    every MISC is "_")."""
    if misc_blank:
        spaces = [True] * len(misc)
    else:
        try:  # most MISC values recur: looked up, not parsed
            spaces = list(map(_SPACE_AFTER.__getitem__, misc))
        except KeyError:
            spaces = [_space_after(m) for m in misc]
            if len(_SPACE_AFTER) < _SPACE_AFTER_LIMIT:
                _SPACE_AFTER.update(zip(misc, spaces, strict=True))
    for (a, _b), extra, mwt in zip(group.bounds, group.extras, group.mwts, strict=True):
        if mwt:
            mwt_misc = [e[1].rsplit("\t", 1)[1] for e in extra if "-" in e[1].split("\t", 1)[0]]
            for (start, end, _form), m in zip(mwt, mwt_misc, strict=True):
                for k in range(a + start, a + end - 1):
                    spaces[k] = False
                spaces[a + end - 1] = _space_after(m)
    return spaces


def _ents(misc: list[str], bounds: list[tuple[int, int]], opts: ReadOptions) -> list[list[Span]]:
    """Each sentence's entities (sentence-relative) from the NER tags in MISC."""
    iob = ["O" if m == "_" else (misc_ner_tag(m) or "O") for m in misc]
    if opts.ner_map:
        ner_map = opts.ner_map
        iob = [map_tag(t, ner_map) for t in iob]
    if len(bounds) == 1:
        return [iob_to_spans(iob)]
    return [iob_to_spans(iob[a:b]) for a, b in bounds]


def _merged(
    whole: Sentence,
    tags_out: list[str | None],
    ents: list[list[Span]] | None,
    group: _Group,
    merge: list[bool],
    source: str | None,
    opts: ReadOptions,
) -> _Words:
    """``-T``: each sentence with multiword tokens merged (``whole``: the group's columns, heads
    absolute, tags without ``-m``), the others as they are, joined again."""
    out = _Words([], [], [], [], [], [], [], [], [], None if ents is None else [], [])
    for s, (a, b) in enumerate(group.bounds):
        sent_ents = None if ents is None else ents[s]
        rel: list[Any] = whole.heads[a:b]
        heads: list[int | None] = [h - a for h in rel] if a else rel
        if merge[s]:
            sent = Sentence(
                whole.words[a:b],
                whole.spaces[a:b],
                whole.tags[a:b],
                whole.pos[a:b],
                whole.morphs[a:b],
                whole.lemmas[a:b],
                heads,
                whole.deps[a:b],
                whole.feats[a:b],
                whole.lines[a:b],
                group.mwts[s],
            )
            m = merge_subtokens(sent, sent_ents, opts.morphology, source)
        else:
            m = Merged(
                whole.words[a:b],
                whole.spaces[a:b],
                tags_out[a:b],
                whole.pos[a:b],
                whole.morphs[a:b],
                whole.lemmas[a:b],
                heads,
                whole.deps[a:b],
                whole.lines[a:b],
                sent_ents,
            )
        offset = len(out.words)
        for name in ("words", "spaces", "tags", "pos", "morphs", "lemmas", "deps", "lines"):
            getattr(out, name).extend(getattr(m, name))
        out.heads.extend(h if h is None else h + offset for h in m.heads)
        if out.ents is not None and m.ents is not None:
            out.ents.extend(_shift(span, offset) for span in m.ents)
        out.sizes.append(len(m.words))
    return out


def _shift(span: Span, offset: int) -> Span:
    return Span(span.start + offset, span.end + offset, span.label, span.kb_id, span.id) if offset else span


def _shifted(ents: list[list[Span]], bounds: list[tuple[int, int]]) -> list[Span]:
    if len(ents) == 1:
        return ents[0]
    return [_shift(span, a) for sent, (a, _b) in zip(ents, bounds, strict=True) for span in sent]


def _doc(words: _Words, entries: list[dict[str, Any]], source: str | None) -> Doc:
    """The Doc of a group's sentences (``words.sizes``: their lengths)."""
    spaces = words.spaces
    sent_starts: list[bool | None] = [False] * len(words.words)
    a = 0
    for n in words.sizes:
        sent_starts[a] = True
        if a and not spaces[a - 1]:
            spaces[a - 1] = True  # merge_docs: a space after every sentence but the last
        a += n
    return Doc(
        words=words.words,
        spaces=spaces,
        tags=words.tags,
        pos=words.pos,
        morphs=words.morphs,
        lemmas=words.lemmas,
        heads=words.heads,
        deps=words.deps,
        sent_starts=sent_starts,
        ents=words.ents,
        user_data={USER_DATA_KEY: entries},
        source=source,
        lines=words.lines,
    )
