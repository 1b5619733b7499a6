"""Variation n-grams (Dickinson & Meurers' variation nuclei): the same words, annotated differently.

A *variation nucleus* is a token (for tags, POS, dependency labels and heads) or a word sequence
(for entities) that carries different annotations in different places where its surrounding words
are the same. The longer the shared context, the less likely the variation is genuine ambiguity
and the more likely one side is an annotation error; the side in the minority is the suspect.

The filters that raise precision, after Dickinson & Meurers (2003, 2005):

- *non-fringe*: a token nucleus needs at least one word of identical context on each side; a
  sentence boundary counts as a context word;
- *longest context first*: a nucleus is reported with the longest context in which it varies;
- *distrust the fringe*: for entities the words just outside the mention must match too; a
  mention with no shared context is reported only when its occurrences sit in different files
  (the same mention labelled differently across splits) and both sides are entities.

Everything runs on word ids in numpy arrays: contexts are hashed into 64-bit keys and grouped with
``np.unique``; no Python dict of tuples is built per token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .corpus import LoadedDoc, TokenTable
from .suspect import Suspect

__all__ = ["NGRAM_LAYERS", "find_variation"]

#: The layers the n-gram method looks at, in the order it reports them.
NGRAM_LAYERS = ("ents", "tags", "pos", "deps", "heads")

_MAX_CONTEXT = 3  # words of context on each side of a token nucleus
_MAX_MENTION = 8  # longest entity mention looked at, in tokens
_MAX_EVIDENCE = 5  # other occurrences quoted in a suspect's evidence
_NONE = -1
_OUT_LEFT = -(10**6)
_OUT_RIGHT = 10**6

Array = npt.NDArray[np.int64]


def _salts(n: int, seed: int) -> npt.NDArray[np.uint64]:
    rng = np.random.default_rng(seed)
    return rng.integers(1, 2**63 - 1, size=n, dtype=np.int64).astype(np.uint64) | np.uint64(1)


def _word_keys(table: TokenTable) -> npt.NDArray[np.uint64]:
    """A random 64-bit value per word id (the sentinel too), the building block of every key."""
    values = _salts(len(table.vocab) + 1, 7)
    return values[np.where(table.words < 0, len(table.vocab), table.words)]


def _window_key(wk: npt.NDArray[np.uint64], pos: Array, offsets: range, salt: int) -> npt.NDArray[np.uint64]:
    """Hash of the words at ``pos + o`` for each ``o`` in ``offsets`` (position-sensitive)."""
    mults = _salts(len(offsets) + 1, 1000 + salt)
    key = np.full(len(pos), mults[-1], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k, o in enumerate(offsets):
            key += wk[pos + o] * mults[k]
            key ^= key >> np.uint64(29)
    return key


@dataclass(slots=True)
class _Hit:
    """A flagged window: its first stream position and length, context and group counts."""

    pos: int
    length: int
    context: int
    own: int
    total: int
    label: int
    majority: int
    majority_count: int
    members: Array
    member_labels: Array


def _groups(keys: npt.NDArray[np.uint64], labels: Array) -> tuple[Array, Array, Array, Array, Array]:
    """Per item: group id, own-label count, group size, and the most frequent *other* label of
    its group with that label's count (on a tie, each side sees the other as the alternative)."""
    _, g = np.unique(keys, return_inverse=True)
    g = g.astype(np.int64)
    lab_ids, lab = np.unique(labels, return_inverse=True)
    n_lab = len(lab_ids)
    pair = g * n_lab + lab
    upair, pinv, pcount = np.unique(pair, return_inverse=True, return_counts=True)
    own = pcount[pinv]
    total = np.bincount(g)[g]
    pg = upair // n_lab
    order = np.lexsort((-pcount, pg))
    rank = np.empty(len(order), dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, pg[order][1:] != pg[order][:-1]])
    rank[order] = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    n_groups = int(g.max()) + 1 if len(g) else 0
    top = np.full((n_groups, 2), -1, dtype=np.int64)
    top_count = np.zeros((n_groups, 2), dtype=np.int64)
    first_two = rank < 2
    top[pg[first_two], rank[first_two]] = upair[first_two]
    top_count[pg[first_two], rank[first_two]] = pcount[first_two]
    is_top = top[g, 0] == pair
    alt_pair = np.where(is_top, top[g, 1], top[g, 0])
    alt_count = np.where(is_top, top_count[g, 1], top_count[g, 0])
    alternative = np.where(alt_pair >= 0, lab_ids[np.maximum(alt_pair, 0) % n_lab], labels)
    return g, own, total, alternative, alt_count


def _collect(
    keys: npt.NDArray[np.uint64],
    pos: Array,
    labels: Array,
    length: Array,
    context: int,
    best: dict[tuple[int, int], _Hit],
    only_multi: Array | None = None,
) -> None:
    """Flag the minority members of every group whose labels vary (longest context kept)."""
    if not len(keys):
        return
    g, own, total, majority, maj_count = _groups(keys, labels)  # majority: the best other label
    varies = own < total
    if only_multi is not None:
        # Keep a group only where its members come from more than one file.
        _, gi = np.unique(g, return_inverse=True)
        lo = np.full(gi.max() + 1, np.iinfo(np.int64).max)
        hi = np.full(gi.max() + 1, -1)
        np.minimum.at(lo, gi, only_multi)
        np.maximum.at(hi, gi, only_multi)
        varies &= lo[gi] != hi[gi]
    flagged = np.flatnonzero(varies & (own <= maj_count))
    if not len(flagged):
        return
    order = np.argsort(g, kind="stable")
    g_sorted = g[order]
    for k in flagged.tolist():
        where = (int(pos[k]), int(length[k]))
        old = best.get(where)
        if old is not None and old.context >= context:
            continue
        a, b = np.searchsorted(g_sorted, [g[k], g[k] + 1])
        members = order[a:b]
        best[where] = _Hit(
            int(pos[k]),
            int(length[k]),
            context,
            int(own[k]),
            int(total[k]),
            int(labels[k]),
            int(majority[k]),
            int(maj_count[k]),
            pos[members],
            labels[members],
        )


def _score(hit: _Hit) -> float:
    """0-1 from the counts: the minority's share and the length of the shared context."""
    share = 1.0 - hit.own / hit.total
    weight = hit.context / (hit.context + 1.0) if hit.context else 0.4
    return round(share * weight, 4)


# -- token layers ---------------------------------------------------------------------------------


def _stream_labels(table: TokenTable, docs: list[LoadedDoc], layer: str) -> tuple[Array, list[str]]:
    """Label ids of ``layer`` per stream position (-1 = none), and the label names; for heads,
    the stream position of each token's head."""
    out = np.full(len(table), _NONE, dtype=np.int64)
    values: list[object] = []
    where: list[Array] = []
    base: list[int] = []
    limit: list[int] = []  # the end of each token's doc in the flat order
    offset = 0
    for d, ld in enumerate(docs):
        v = getattr(ld.doc, layer)
        if v is not None:
            values.extend(v)
            where.append(table.doc_pos[d])
            base.extend([offset] * len(v))
            offset += len(v)
            limit.extend([offset] * len(v))
    if not values:
        return out, []
    pos = np.concatenate(where)
    if layer == "heads":
        heads = np.asarray([_NONE if h is None else h for h in values], dtype=np.int64)
        starts = np.asarray(base, dtype=np.int64)
        known = heads >= 0
        flat = starts + heads
        known &= flat < np.asarray(limit, dtype=np.int64)
        out[pos[known]] = pos[flat[known]]
        return out, []
    names: dict[object, int] = {}
    intern = names.setdefault
    out[pos] = [_NONE if v is None else intern(v, len(names)) for v in values]
    return out, [str(n) for n in names]


def _varying(keys: npt.NDArray[np.uint64], labels: Array) -> npt.NDArray[np.bool_]:
    """Per item: whether its group (equal keys) holds more than one label."""
    _, g = np.unique(keys, return_inverse=True)
    lab_ids, lab = np.unique(labels, return_inverse=True)
    pairs = np.sort(g.astype(np.int64) * len(lab_ids) + lab)
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
    n_labels = np.bincount(pairs // len(lab_ids), minlength=int(g.max()) + 1 if len(g) else 0)
    return np.asarray(n_labels[g] > 1)


def _token_hits(
    table: TokenTable, labels: Array, heads: bool, wk: npt.NDArray[np.uint64]
) -> dict[tuple[int, int], _Hit]:
    best: dict[tuple[int, int], _Hit] = {}
    has = np.flatnonzero(labels != _NONE)
    if not len(has):
        return best
    # A longer context's group is part of the one-word-each-side group of the same token: only
    # tokens whose shortest-context group varies can vary in a longer one (heads: in raw offsets).
    raw = labels[has] - has if heads else labels[has]
    pool = has[_varying(_window_key(wk, has, range(-1, 2), 11), raw)]
    pairs = [(a, b) for a in range(1, _MAX_CONTEXT + 1) for b in range(1, _MAX_CONTEXT + 1)]
    pairs.sort(key=lambda ab: -(ab[0] + ab[1]))
    for a, b in pairs:
        # The window may reach the sentence boundary (the sentinel) but not cross it.
        pos = pool[(table.left[pool] >= a - 1) & (table.right[pool] >= b - 1)]
        if not len(pos):
            continue
        keys = _window_key(wk, pos, range(-a, b + 1), 10 * a + b)
        lab = labels[pos]
        if heads:
            off = lab - pos
            lab = np.where(off < -a, _OUT_LEFT, np.where(off > b, _OUT_RIGHT, off))
        _collect(keys, pos, lab, np.ones(len(pos), dtype=np.int64), a + b, best)
    return best


# -- entities -------------------------------------------------------------------------------------


def _ent_stream(table: TokenTable, docs: list[LoadedDoc]) -> tuple[Array, Array, Array, list[str]]:
    """Per stream position: entity end (exclusive) and label id where one starts, the running
    count of entity tokens, and where the entity annotation is missing."""
    n = len(table)
    ent_end = np.full(n, -1, dtype=np.int64)
    ent_label = np.full(n, _NONE, dtype=np.int64)
    in_ent = np.zeros(n, dtype=np.int64)
    missing = np.zeros(n, dtype=np.int64)
    names: dict[str, int] = {}
    for d, ld in enumerate(docs):
        pos = table.doc_pos[d]
        doc = ld.doc
        if doc.ents is None:
            missing[pos] = 1
            continue
        if doc.ents_missing is not None:
            missing[pos[np.asarray(doc.ents_missing, dtype=bool)]] = 1
        for span in doc.ents:
            if span.end <= span.start:
                continue
            ent_end[pos[span.start]] = pos[span.end - 1] + 1
            ent_label[pos[span.start]] = names.setdefault(span.label, len(names))
            in_ent[pos[span.start : span.end]] = 1
    inside = np.concatenate([[0], np.cumsum(in_ent)])
    miss = np.concatenate([[0], np.cumsum(missing)])
    packed = np.stack([ent_end, ent_label])
    return packed, inside, miss, list(names)


_PART = -2  # a window that overlaps an entity without being exactly one
_O = -3  # a window with no entity token


def _ent_hits(
    table: TokenTable, docs: list[LoadedDoc], wk: npt.NDArray[np.uint64]
) -> tuple[dict[tuple[int, int], _Hit], list[str]]:
    (ent_end, ent_label), inside, miss, names = _ent_stream(table, docs)
    starts = np.flatnonzero(ent_label != _NONE)
    best: dict[tuple[int, int], _Hit] = {}
    if not len(starts):
        return best, names
    file_ids = {f: i for i, f in enumerate(dict.fromkeys(ld.file for ld in docs))}
    doc_file = np.asarray([file_ids[ld.file] for ld in docs] + [-1], dtype=np.int64)
    lengths = ent_end[starts] - starts
    cand_all = np.flatnonzero(table.words >= 0)
    for length in sorted(set(lengths[lengths <= _MAX_MENTION].tolist())):
        mention = starts[lengths == length]
        for ctx in (2, 1, 0):
            ok = (table.left[cand_all] >= ctx - 1) & (table.right[cand_all] >= length - 1 + max(ctx - 1, 0))
            if ctx == 0:
                ok = table.right[cand_all] >= length - 1
            cand = cand_all[ok]
            offsets = range(-ctx, length + ctx)
            salt = 100 * length + ctx
            keys = _window_key(wk, cand, offsets, salt)
            wanted = np.unique(_window_key(wk, mention[_fits(table, mention, length, ctx)], offsets, salt))
            sel = np.isin(keys, wanted)
            cand, keys = cand[sel], keys[sel]
            end = cand + length
            no_missing = miss[end] - miss[cand] == 0
            cand, keys, end = cand[no_missing], keys[no_missing], end[no_missing]
            n_in = inside[end] - inside[cand]
            exact = ent_end[cand] == end
            lab = np.where(exact, ent_label[cand], np.where(n_in == 0, _O, _PART))
            if ctx == 0:
                keep = lab >= 0
                cand, keys, lab = cand[keep], keys[keep], lab[keep]
                files = doc_file[table.doc_of[cand]]
                _collect(keys, cand, lab, np.full(len(cand), length), 0, best, only_multi=files)
            else:
                _collect(keys, cand, lab, np.full(len(cand), length), 2 * ctx, best)
    return best, names


def _fits(table: TokenTable, pos: Array, length: int, ctx: int) -> npt.NDArray[np.bool_]:
    if ctx == 0:
        return table.right[pos] >= length - 1
    return (table.left[pos] >= ctx - 1) & (table.right[pos] >= length - 1 + ctx - 1)


# -- suspects -------------------------------------------------------------------------------------


def _label_name(layer: str, value: int, names: list[str], hit_pos: int, table: TokenTable) -> str | None:
    if layer == "ents":
        return names[value] if value >= 0 else None
    if layer == "heads":
        if value in (_OUT_LEFT, _OUT_RIGHT):
            return None
        return str(int(table.tok_of[hit_pos + value]))
    return names[value] if value >= 0 else None


def _describe(layer: str, value: int, names: list[str]) -> str:
    if layer == "ents":
        return {_O: "O", _PART: "part of another entity"}.get(value, names[value] if value >= 0 else "?")
    if layer == "heads":
        if value == _OUT_LEFT:
            return "head left of the context"
        if value == _OUT_RIGHT:
            return "head right of the context"
        return "root" if value == 0 else f"head {value:+d}"
    return names[value]


def _suspect(hit: _Hit, layer: str, names: list[str], table: TokenTable, docs: list[LoadedDoc]) -> Suspect:
    d = int(table.doc_of[hit.pos])
    ld = docs[d]
    start = int(table.tok_of[hit.pos])
    end = start + hit.length
    others: list[dict[str, object]] = []
    for p, lab in zip(hit.members.tolist(), hit.member_labels.tolist(), strict=True):
        if lab == hit.label or len(others) >= _MAX_EVIDENCE:
            continue
        od = docs[int(table.doc_of[p])]
        others.append(
            {
                "file": od.file,
                "line": od.line(int(table.tok_of[p])),
                "doc": od.index,
                "label": _describe(layer, lab, names),
            }
        )
    if layer == "ents":
        current = _label_name(layer, hit.label, names, hit.pos, table)
    elif layer == "heads":
        h = ld.doc.heads[start] if ld.doc.heads is not None else None
        current = None if h is None else str(h)
    else:
        values = getattr(ld.doc, layer)
        current = values[start] if values is not None else None
    return ld.suspect(
        start,
        end,
        layer,
        current=current,
        suggested=_label_name(layer, hit.majority, names, hit.pos, table),
        score=_score(hit),
        method="ngram",
        evidence={
            "context": hit.context,
            "count": hit.own,
            "occurrences": hit.total,
            "majority": _describe(layer, hit.majority, names),
            "majority_count": hit.majority_count,
            "this": _describe(layer, hit.label, names),
            "others": others,
        },
    )


def find_variation(
    docs: list[LoadedDoc], *, layers: tuple[str, ...] = NGRAM_LAYERS, table: TokenTable | None = None
) -> list[Suspect]:
    """Variation-n-gram suspects of ``docs`` in the given layers, most suspect first."""
    table = table if table is not None else TokenTable.build(docs)
    out: list[Suspect] = []
    wk = _word_keys(table)
    for layer in layers:
        if layer == "ents":
            hits, names = _ent_hits(table, docs, wk)
        else:
            labels, names = _stream_labels(table, docs, layer)
            if not (labels != _NONE).any():
                continue
            hits = _token_hits(table, labels, layer == "heads", wk)
        out.extend(_suspect(h, layer, names, table, docs) for h in hits.values())
    out.sort(key=lambda s: (-s.score, s.file, s.doc, s.start, s.layer))
    return out
