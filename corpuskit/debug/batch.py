"""Batches of docs as the checks see them, and the columnar (numpy) analysis of their parses."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..doc import Doc
from .findings import Example, Hit

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["Batch", "Item", "ParseAnalysis", "is_punct", "snippet"]

_CONTEXT = 5
_MAX_SNIPPET = 100
_PUNCT_CACHE: dict[str, bool] = {}


def is_punct(word: str) -> bool:
    """Every character is Unicode punctuation (spaCy's ``is_punct``); cached per word."""
    got = _PUNCT_CACHE.get(word)
    if got is None:
        import unicodedata

        got = bool(word) and all(unicodedata.category(ch).startswith("P") for ch in word)
        if len(_PUNCT_CACHE) < 200_000:
            _PUNCT_CACHE[word] = got
    return got


def snippet(words: list[str], start: int | None, end: int | None = None) -> str:
    """The words around tokens ``start:end`` with those tokens in brackets."""
    if not words:
        return ""
    if start is None:
        text = " ".join(words[: 2 * _CONTEXT])
        return text + (" …" if len(words) > 2 * _CONTEXT else "")
    end = start + 1 if end is None else max(end, start + 1)
    start = min(max(start, 0), len(words))
    end = min(end, len(words))
    left = words[max(0, start - _CONTEXT) : start]
    right = words[end : end + _CONTEXT]
    middle = "[" + " ".join(words[start:end]) + "]"
    text = " ".join([*left, middle, *right])
    if start - _CONTEXT > 0:
        text = "… " + text
    if end + _CONTEXT < len(words):
        text += " …"
    if len(text) > _MAX_SNIPPET:
        text = text[: _MAX_SNIPPET - 1] + "…"
    return text


@dataclass(slots=True)
class Item:
    """One doc of a batch: the doc, its index in its file, the file read, and its split."""

    doc: Doc
    index: int
    file: str
    split: str
    _text: str | None = None

    @property
    def text(self) -> str:
        """The doc's text (words and their trailing spaces), built once."""
        if self._text is None:
            doc = self.doc
            spaces = doc.spaces
            if spaces is None or doc.has_unknown_spaces:
                self._text = " ".join(doc.words) + (" " if doc.words else "")
            else:
                self._text = "".join([w + " " if s else w for w, s in zip(doc.words, spaces, strict=True)])
        return self._text

    def example(
        self,
        token: int | None = None,
        end: int | None = None,
        message: str = "",
        *,
        column: int | None = None,
    ) -> Example:
        """An example pointing at ``token`` (or the doc's first line) of this doc.

        It names the file read; a doc whose provenance names another file (a ``.spacy`` file's
        doc, converted from ``source``) has no line of its own, so the source's file and line
        go alongside.
        """
        doc = self.doc
        lines = doc.lines
        line = None
        if lines:
            k = 0 if token is None else min(max(token, 0), len(lines) - 1)
            line = lines[k]
        text = snippet(doc.words, token, end)
        if doc.source is not None and doc.source != self.file:
            return Example(self.file, None, self.index, token, text, message, None, doc.source, line)
        return Example(self.file, line, self.index, token, text, message, column)

    def hit(self, token: int | None = None, end: int | None = None, message: str = "", n: int = 1) -> Hit:
        return Hit(self.example(token, end, message), self.split, n)


@dataclass(slots=True)
class ParseAnalysis:
    """What is wrong with the parses of a batch; token indices are doc-local.

    Each entry starts with the item's position in the batch.
    """

    cycles: list[tuple[int, list[int]]] = field(default_factory=list)
    no_root: list[tuple[int, int, int]] = field(default_factory=list)
    multiple_roots: list[tuple[int, list[int]]] = field(default_factory=list)
    out_of_range: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    nonproj: list[tuple[int, int, int, int]] = field(default_factory=list)
    punct_nonproj: list[tuple[int, int, int]] = field(default_factory=list)
    partial: list[tuple[int, int, int, int]] = field(default_factory=list)
    root_labels: Counter[str] = field(default_factory=Counter)
    n_sents: int = 0
    n_nonproj_arcs: int = 0


class Batch:
    """A run of docs from one split, analysed together (columnar where it pays)."""

    __slots__ = ("_cols", "_memo", "_parse", "items", "split")

    def __init__(self, items: list[Item], split: str) -> None:
        self.items = items
        self.split = split
        self._cols: _Columns | None = None
        self._parse: ParseAnalysis | None = None
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, make: Callable[[Batch], Any]) -> Any:
        """``make(batch)``, computed once per batch (for results several checks share)."""
        if key not in self._memo:
            self._memo[key] = make(self)
        return self._memo[key]

    def __len__(self) -> int:
        return len(self.items)

    @property
    def columns(self) -> _Columns:
        """Token offsets and sentence starts of the whole batch as numpy arrays."""
        if self._cols is None:
            self._cols = _columns(self.items)
        return self._cols

    @property
    def n_sents(self) -> int:
        """Sentences in the batch."""
        return int(self.columns.flags.sum())

    def sents(self, k: int) -> list[tuple[int, int]]:
        """Sentence bounds ``(start, end)`` of item ``k``."""
        import numpy as np

        cols = self.columns
        a, b = int(cols.offsets[k]), int(cols.offsets[k + 1])
        starts = np.flatnonzero(cols.flags[a:b]).tolist()
        return list(zip(starts, [*starts[1:], b - a], strict=True))

    @property
    def parse(self) -> ParseAnalysis:
        """The parse analysis of every doc with heads (computed once, on first use)."""
        if self._parse is None:
            self._parse = _analyse_parses(self)
        return self._parse


@dataclass(slots=True)
class _Columns:
    offsets: Any  # int64[n_items + 1]: first token of each item
    flags: Any  # bool[n_tokens]: sentence starts


def _columns(items: list[Item]) -> _Columns:
    import numpy as np

    flat: list[Any] = []
    lengths: list[int] = []
    for item in items:
        doc = item.doc
        n = len(doc.words)
        lengths.append(n)
        if n == 0:
            continue
        ss = doc.sent_starts
        if ss is not None and True in ss:
            flat.extend(ss)
        elif doc.heads is not None and any(h is not None for h in doc.heads):
            row = [False] * n
            for start, _ in doc.sentence_bounds():
                row[start] = True
            flat.extend(row)
        else:
            flat.extend([False] * n)
    offsets = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flags = np.array(flat, dtype=bool) if flat else np.zeros(0, dtype=bool)
    firsts = offsets[:-1][np.asarray(lengths, dtype=np.int64) > 0]
    flags[firsts] = True
    return _Columns(offsets, flags)


_NO_HEAD = -(1 << 62)


def _flat_heads(items: list[Item]) -> tuple[list[int], list[str | None]]:
    """The batch's heads (doc-relative, ``_NO_HEAD`` where missing) and labels, one flat list each."""
    flat: list[int] = []
    flat_deps: list[str | None] = []
    for item in items:
        doc = item.doc
        n = len(doc.words)
        heads = doc.heads
        if heads is None:
            flat.extend([_NO_HEAD] * n)
        elif None in heads:
            flat.extend([_NO_HEAD if x is None else x for x in heads])
        else:
            flat.extend(heads)  # type: ignore[arg-type]
        flat_deps.extend(doc.deps if doc.deps is not None else [None] * n)
    return flat, flat_deps


class _Sents:
    """The batch's sentences as arrays over its flat tokens."""

    __slots__ = ("n_tok", "offsets", "s_ends", "s_starts", "sent_id")

    def __init__(self, np: Any, cols: _Columns) -> None:
        self.offsets = cols.offsets
        total = int(self.offsets[-1])
        self.s_starts = np.flatnonzero(cols.flags)
        self.s_ends = np.append(self.s_starts[1:], total)
        self.sent_id = np.cumsum(cols.flags) - 1  # every doc's first token starts a sentence
        self.n_tok = self.s_ends - self.s_starts

    def where(self, np: Any, g: int) -> tuple[int, int]:
        """(doc, token in it) of flat token ``g``."""
        p = int(np.searchsorted(self.offsets, g, side="right")) - 1  # skips empty docs
        return p, int(g - self.offsets[p])


def _analyse_parses(batch: Batch) -> ParseAnalysis:
    out = ParseAnalysis()
    items = batch.items
    if not any(it.doc.heads is not None and it.doc.words for it in items):
        return out
    import numpy as np

    flat, flat_deps = _flat_heads(items)
    sents = _Sents(np, batch.columns)
    offsets, s_starts, sent_id, n_tok = sents.offsets, sents.s_starts, sents.sent_id, sents.n_tok
    hl = np.array(flat, dtype=np.int64)
    missing = hl == _NO_HEAD
    gi = np.arange(int(offsets[-1]), dtype=np.int64)
    h = hl + np.repeat(offsets[:-1], np.diff(offsets))
    n_sents = len(s_starts)
    valid = ~missing
    oor = valid & ((h < s_starts[sent_id]) | (h >= sents.s_ends[sent_id]))
    root = valid & (h == gi)
    n_miss = np.bincount(sent_id[missing], minlength=n_sents)
    n_root = np.bincount(sent_id[root], minlength=n_sents)
    out.n_sents = int((n_miss < n_tok).sum())
    for g in np.flatnonzero(root).tolist():  # root labels
        label = flat_deps[g]
        if label is not None:
            out.root_labels[label] += 1
    for g in np.flatnonzero(oor).tolist():  # heads outside the sentence
        k, t = sents.where(np, g)
        s = int(sent_id[g])
        first = t - int(g - s_starts[s])
        out.out_of_range.append((k, t, int(hl[g]), first, first + int(n_tok[s])))
    for s in np.flatnonzero((n_miss > 0) & (n_miss < n_tok)).tolist():  # partial parses
        k, t = sents.where(np, int(s_starts[s]))
        out.partial.append((k, t, t + int(n_tok[s]), int(n_miss[s])))
    he = np.where(valid & ~root & ~oor, h, gi)
    rounds = int(n_tok.max()).bit_length() + 1
    has_cycle = _cycles(np, out, sents, he, rounds)
    complete = n_miss == 0
    for s in np.flatnonzero(complete & (n_root == 0)).tolist():
        k, t = sents.where(np, int(s_starts[s]))
        out.no_root.append((k, t, t + int(n_tok[s])))
    for s in np.flatnonzero(n_root > 1).tolist():
        a, b = int(s_starts[s]), int(sents.s_ends[s])
        k, base = sents.where(np, a)
        out.multiple_roots.append((k, [base + int(g) for g in np.flatnonzero(root[a:b])]))
    n_oor = np.bincount(sent_id[oor], minlength=n_sents)
    tree = complete & (n_root == 1) & (n_oor == 0) & ~has_cycle
    _projectivity(np, out, items, sents, tree, he, gi, rounds)
    return out


def _cycles(np: Any, out: ParseAnalysis, sents: _Sents, he: Any, rounds: int) -> Any:
    """Cycles, by pointer doubling: tokens whose chain never reaches a root (or a cut) are
    stuck. Adds them to ``out``; returns which sentences have one."""
    anc = he.copy()
    for _ in range(rounds):
        anc = anc[anc]
    stuck = he[anc] != anc
    has_cycle = np.zeros(len(sents.s_starts), dtype=bool)
    for s in np.unique(sents.sent_id[stuck]).tolist():
        has_cycle[s] = True
        a, b = int(sents.s_starts[s]), int(sents.s_ends[s])
        k, base = sents.where(np, a)
        for cycle in _find_cycles(he[a:b].tolist(), a):
            out.cycles.append((k, [base + c - a for c in cycle]))
    return has_cycle


def _projectivity(
    np: Any, out: ParseAnalysis, items: list[Item], sents: _Sents, tree: Any, he: Any, gi: Any, rounds: int
) -> None:
    """Non-projective arcs of the well-formed trees: every subtree must cover a contiguous range."""
    tree_tok = tree[sents.sent_id]
    if not tree_tok.any():
        return
    bad = _noncontiguous(np, np.where(tree_tok, he, gi), gi, rounds) & tree_tok
    for s in np.unique(sents.sent_id[bad]).tolist():
        a, b = int(sents.s_starts[s]), int(sents.s_ends[s])
        k, base = sents.where(np, a)
        local = [int(x) - a for x in he[a:b].tolist()]
        arcs = _nonproj_arcs(local)
        out.n_nonproj_arcs += len(arcs)
        first = arcs[0] if arcs else 0
        out.nonproj.append((k, base + first, base + local[first], len(arcs)))
        for p in _punct_nonproj(local, arcs, items[k].doc, base):
            out.punct_nonproj.append((k, base + p, base + local[p]))


def _noncontiguous(
    np: Any, he: npt.NDArray[np.int64], gi: npt.NDArray[np.int64], rounds: int
) -> npt.NDArray[np.bool_]:
    """True for tokens whose subtree does not cover a contiguous range (``he``: a forest)."""
    dist = (he != gi).astype(np.int64)
    anc = he.copy()
    for _ in range(rounds):
        dist = dist + dist[anc]
        anc = anc[anc]
    lo = gi.copy()
    hi = gi.copy()
    size = np.ones(len(gi), dtype=np.int64)
    order = np.argsort(dist, kind="stable")
    depth = dist[order]
    top = int(depth[-1]) if len(depth) else 0
    bounds = np.searchsorted(depth, np.arange(top + 2))
    for d in range(top, 0, -1):
        nodes = order[bounds[d] : bounds[d + 1]]
        heads = he[nodes]
        np.minimum.at(lo, heads, lo[nodes])
        np.maximum.at(hi, heads, hi[nodes])
        np.add.at(size, heads, size[nodes])
    result: npt.NDArray[np.bool_] = (hi - lo + 1) != size
    return result


def _find_cycles(heads: list[int], base: int) -> list[list[int]]:
    """The distinct cycles among global ``heads`` of one sentence starting at ``base``."""
    cycles: list[list[int]] = []
    state = [0] * len(heads)  # 0 unseen, 1 on the current path, 2 done
    for i in range(len(heads)):
        path: list[int] = []
        j = i
        while state[j] == 0:
            state[j] = 1
            path.append(j)
            nxt = heads[j] - base
            if nxt == j:
                break
            j = nxt
        if state[j] == 1 and heads[j] - base != j:
            cycle = path[path.index(j) :]
            cycles.append([c + base for c in cycle])
        for p in path:
            state[p] = 2
    return cycles


def _ancestors(heads: list[int]) -> list[set[int]]:
    out: list[set[int]] = []
    for i in range(len(heads)):
        seen: set[int] = set()
        j = i
        while heads[j] != j:
            j = heads[j]
            if j in seen:
                break
            seen.add(j)
        out.append(seen)
    return out


def _nonproj_arcs(heads: list[int]) -> list[int]:
    """Dependents whose arc spans a token its head does not dominate (spaCy's definition)."""
    anc = _ancestors(heads)
    bad = []
    for d, h in enumerate(heads):
        if h == d:
            continue
        a, b = (h, d) if h < d else (d, h)
        if any(h not in anc[k] for k in range(a + 1, b)):
            bad.append(d)
    return bad


def _punct_nonproj(heads: list[int], arcs: list[int], doc: Doc, base: int) -> list[int]:
    """Punctuation whose own arc is non-projective or that sits under a non-projective arc."""
    deps = doc.deps
    pos = doc.pos
    words = doc.words
    anc = _ancestors(heads)

    def punct(i: int) -> bool:
        if deps is not None and deps[base + i] is not None:
            return str(deps[base + i]).lower() == "punct"
        if pos is not None and pos[base + i] is not None:
            return pos[base + i] == "PUNCT"
        return is_punct(words[base + i])

    out = []
    arcset = set(arcs)
    for p in range(len(heads)):
        if not punct(p):
            continue
        if p in arcset:
            out.append(p)
            continue
        for d in arcs:
            h = heads[d]
            a, b = (h, d) if h < d else (d, h)
            if a < p < b and h not in anc[p]:
                out.append(p)
                break
    return out
