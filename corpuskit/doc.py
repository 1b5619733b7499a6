"""The one data model: a tokenised document with its (possibly partial) gold annotation."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress, pairwise
from operator import not_
from typing import Any, overload

from .errors import UsageError
from .views import Token, doc_from_spacy, doc_to_json, doc_to_spacy, iter_tokens, span_char_offsets

__all__ = [
    "PROVENANCE_KEY",
    "Doc",
    "Span",
    "Token",
    "line_runs",
    "lines_from_runs",
    "sent_starts_from_heads",
    "sent_starts_from_parse",
    "slice_doc",
    "surface_text",
]

#: Key of ``Doc.user_data`` under which a DocBin stores provenance (source file, token lines).
PROVENANCE_KEY = "corpuskit.provenance"


def line_runs(lines: list[int]) -> list[int]:
    """``lines`` as runs of consecutive numbers, flat: ``[first, count, first, count, ...]``.

    A sentence's tokens sit on consecutive lines, so a doc's lines take a few numbers per
    sentence instead of one per token (a DocBin stores them this way: less to compress).
    """
    if not lines:
        return []
    # k starts a run where lines[k] is not lines[k - 1] + 1
    starts = [k for k, (a, b) in enumerate(pairwise(lines), 1) if b - a != 1]
    bounds = [0, *starts, len(lines)]
    out: list[int] = []
    for a, b in pairwise(bounds):
        out.append(lines[a])
        out.append(b - a)
    return out


def lines_from_runs(runs: list[int]) -> list[int]:
    """The line of each token from :func:`line_runs`' form; ValueError when it is not that form."""
    if len(runs) % 2 or not all(type(v) is int for v in runs):
        raise ValueError("expected a flat list of (first line, count) integer pairs")
    out: list[int] = []
    for first, count in zip(runs[::2], runs[1::2], strict=True):
        if count < 0:
            raise ValueError(f"a run of {count} lines")
        out.extend(range(first, first + count))
    return out


@dataclass(slots=True, frozen=True)
class Span:
    """Tokens ``start`` to ``end`` (exclusive) of a Doc, with a label.

    A span in ``doc.ents`` (or from ``doc[a:b]``, ``doc.sents``) knows its doc, so it reads as
    spaCy's does: ``text``, ``start_char``, ``end_char``, ``label_``, ``len(span)``, its tokens.
    """

    start: int
    end: int
    label: str
    kb_id: str = ""
    id: str = ""
    _doc: Doc | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"Span end {self.end} is before its start {self.start}")

    @property
    def doc(self) -> Doc:
        """The Doc the span belongs to (ValueError for a span built on its own)."""
        if self._doc is None:
            raise ValueError(
                f"Span {self.start}:{self.end} ({self.label!r}) belongs to no Doc; take spans from "
                "doc.ents, doc.sents or doc[a:b] to read their text"
            )
        return self._doc

    @property
    def label_(self) -> str:
        return self.label

    @property
    def kb_id_(self) -> str:
        return self.kb_id

    @property
    def id_(self) -> str:
        return self.id

    @property
    def text(self) -> str:
        words = self.doc.words
        spaces = self.doc.spaces or []
        end = self.end
        return "".join(words[k] + (" " if spaces[k] and k < end - 1 else "") for k in range(self.start, end))

    @property
    def text_with_ws(self) -> str:
        spaces = self.doc.spaces or []
        return self.text + (" " if self.end > self.start and spaces[self.end - 1] else "")

    @property
    def start_char(self) -> int:
        return span_char_offsets(self.doc, self.start, self.end)[0]

    @property
    def end_char(self) -> int:
        return span_char_offsets(self.doc, self.start, self.end)[1]

    def __len__(self) -> int:
        return self.end - self.start

    def __iter__(self) -> Iterator[Token]:
        return iter_tokens(self.doc, self.start, self.end)

    def __getitem__(self, i: int) -> Token:
        n = self.end - self.start
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"token {i} of a span of {n} tokens")
        return Token(self.doc, self.start + i)


def _bound(span: Span, doc: Doc) -> Span:
    object.__setattr__(span, "_doc", doc)
    return span


_TOKEN_FIELDS = (
    "spaces",
    "tags",
    "pos",
    "morphs",
    "lemmas",
    "norms",
    "heads",
    "deps",
    "sent_starts",
    "ents_missing",
    "lines",
)


def _check_len(name: str, values: Any, n: int) -> None:
    if values is not None and len(values) != n:
        raise ValueError(f"Doc.{name} has {len(values)} items but Doc.words has {n}")


@dataclass(slots=True)
class Doc:
    """A document: words with their spacing and optional token-level annotation.

    Every per-token list is either ``None`` (that annotation is absent from the whole doc)
    or has one item per word, where ``None`` marks a token whose value is unknown.

    - ``heads`` are absolute token indices within the doc; a root is its own head.
    - ``sent_starts``: True starts a sentence, False does not, None is unknown.
    - ``ents``: entity spans. ``ents is None`` means no entity annotation at all (every token
      missing). Otherwise tokens outside every entity are "O", unless ``ents_missing`` marks them
      as missing (unknown, neither entity nor O).
    - ``spaces=None`` means the source had no spacing: every token is followed by a space
      and ``has_unknown_spaces`` is set, as in spaCy.
    - ``source`` and ``lines`` (the 1-based physical line of each token in ``source``) are the
      provenance that lets a finding point at ``file:line``.
    """

    words: list[str]
    spaces: list[bool] | None = None
    tags: list[str | None] | None = None
    pos: list[str | None] | None = None
    morphs: list[str | None] | None = None
    lemmas: list[str | None] | None = None
    norms: list[str | None] | None = None
    heads: list[int | None] | None = None
    deps: list[str | None] | None = None
    sent_starts: list[bool | None] | None = None
    ents: list[Span] | None = None
    ents_missing: list[bool] | None = None
    cats: dict[str, float] = field(default_factory=dict)
    spans: dict[str, list[Span]] = field(default_factory=dict)
    has_unknown_spaces: bool = False
    user_data: dict[Any, Any] = field(default_factory=dict)
    source: str | None = None
    lines: list[int] | None = None

    def __post_init__(self) -> None:
        n = len(self.words)
        if self.spaces is None:
            self.spaces = [True] * n
            self.has_unknown_spaces = True
        # Inline checks: this runs once per sentence in every converter's hot loop.
        if (
            len(self.spaces) != n
            or (self.tags is not None and len(self.tags) != n)
            or (self.pos is not None and len(self.pos) != n)
            or (self.morphs is not None and len(self.morphs) != n)
            or (self.lemmas is not None and len(self.lemmas) != n)
            or (self.norms is not None and len(self.norms) != n)
            or (self.heads is not None and len(self.heads) != n)
            or (self.deps is not None and len(self.deps) != n)
            or (self.sent_starts is not None and len(self.sent_starts) != n)
            or (self.ents_missing is not None and len(self.ents_missing) != n)
            or (self.lines is not None and len(self.lines) != n)
        ):
            for name in _TOKEN_FIELDS:
                _check_len(name, getattr(self, name), n)
        if self.ents:
            for span in self.ents:
                if span.start < 0 or span.end > n:
                    raise ValueError(
                        f"Doc.ents has span {span.start}:{span.end} ({span.label!r}) "
                        f"outside the doc's {n} tokens"
                    )

    def __len__(self) -> int:
        return len(self.words)

    @property
    def text(self) -> str:
        """The text rebuilt from the words and their trailing spaces."""
        spaces = self.spaces or [True] * len(self.words)
        return "".join(w + (" " if s else "") for w, s in zip(self.words, spaces, strict=True))

    def token_offsets(self) -> list[tuple[int, int]]:
        """Character ``(start, end)`` of each token in :attr:`text`."""
        spaces = self.spaces or [True] * len(self.words)
        offsets = []
        pos = 0
        for word, space in zip(self.words, spaces, strict=True):
            offsets.append((pos, pos + len(word)))
            pos += len(word) + (1 if space else 0)
        return offsets

    def ent_iob(self) -> list[str]:
        """Per-token entity IOB: "B", "I", "O", or "" where the annotation is missing."""
        n = len(self.words)
        if self.ents is None:
            return [""] * n
        missing = self.ents_missing
        iob = ["O"] * n if missing is None else ["" if m else "O" for m in missing]
        for span in self.ents:
            if span.end > span.start:
                iob[span.start] = "B"
                for i in range(span.start + 1, span.end):
                    iob[i] = "I"
        return iob

    def ent_types(self) -> list[str]:
        """Per-token entity label ("" outside entities)."""
        types = [""] * len(self.words)
        for span in self.ents or ():
            for i in range(span.start, span.end):
                types[i] = span.label
        return types

    def sentence_bounds(self) -> list[tuple[int, int]]:
        """``(start, end)`` token ranges of the sentences.

        From ``sent_starts`` when present, else from the parse (a sentence is the span of a
        root's subtree, as spaCy derives it), else the whole doc is one sentence.
        """
        n = len(self.words)
        if n == 0:
            return []
        starts: list[int]
        if self.sent_starts is not None and any(s for s in self.sent_starts):
            starts = [i for i, s in enumerate(self.sent_starts) if s or i == 0]
        elif self.heads is not None and any(h is not None for h in self.heads):
            starts = _starts_from_heads(self.heads)
        else:
            starts = [0]
        bounds = list(zip(starts, [*starts[1:], n], strict=True))
        return bounds

    # -- spaCy-like views (corpuskit.views): nothing is copied ------------------------------------

    @overload
    def __getitem__(self, i: int) -> Token: ...
    @overload
    def __getitem__(self, i: slice) -> Span: ...
    def __getitem__(self, i: int | slice) -> Token | Span:
        """``doc[i]`` a :class:`~corpuskit.views.Token`, ``doc[a:b]`` a :class:`Span` (no label)."""
        n = len(self.words)
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            if step != 1:
                raise ValueError("a Doc slice takes no step")
            return _bound(Span(start, max(start, stop), ""), self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"token {i} of a doc of {n} tokens")
        return Token(self, i)

    def __iter__(self) -> Iterator[Token]:
        return iter_tokens(self, 0, len(self.words))

    @property
    def sents(self) -> Iterator[Span]:
        """The sentences as Spans (see :meth:`sentence_bounds`)."""
        for start, end in self.sentence_bounds():
            yield _bound(Span(start, end, ""), self)

    def to_json(self) -> dict[str, Any]:
        """The doc in spaCy's ``Doc.to_json()`` shape."""
        return doc_to_json(self)

    def to_spacy(self, vocab: Any = None) -> Any:
        """A ``spacy.tokens.Doc`` (needs spaCy: ``pip install 'corpuskit[spacy]'``)."""
        return doc_to_spacy(self, vocab)

    @classmethod
    def from_spacy(cls, sdoc: Any) -> Doc:
        """A Doc with the annotation of a ``spacy.tokens.Doc``."""
        return doc_from_spacy(sdoc)

    @property
    def provenance(self) -> dict[str, Any]:
        """``{"source": ..., "runs": [first line, count, ...]}`` as stored in a DocBin's user
        data (see :func:`line_runs`)."""
        return {"source": self.source, "runs": None if self.lines is None else line_runs(self.lines)}


# ``Doc.ents`` is a property over its slot: assigning binds each span to the doc, so that
# ``ent.text`` and ``ent.start_char`` work; reading returns the stored list itself.
_ENTS_SLOT: Any = Doc.__dict__["ents"]


def _get_ents(doc: Doc) -> list[Span] | None:
    value: list[Span] | None = _ENTS_SLOT.__get__(doc, Doc)
    return value


def _set_ents(doc: Doc, ents: list[Span] | None) -> None:
    if ents:
        for span in ents:
            object.__setattr__(span, "_doc", doc)
    _ENTS_SLOT.__set__(doc, ents)


Doc.ents = property(_get_ents, _set_ents)  # type: ignore[assignment,misc]


def sent_starts_from_heads(heads: Sequence[int | None]) -> list[bool] | None:
    """Sentence starts from a (partial) parse as spaCy derives them: True at the left edge of
    each root's subtree. A missing head (None, or outside the doc) is neither a root nor a
    start, so it never splits a sentence; the first token always starts one. None when no
    token has a head."""
    n = len(heads)
    known = [h is not None and 0 <= h < n for h in heads]
    if not any(known):
        return None
    rel = [h - i if ok and h is not None else 0 for i, (h, ok) in enumerate(zip(heads, known, strict=True))]
    starts = [v == 1 for v in sent_starts_from_parse(rel, [int(ok) for ok in known])]
    starts[0] = True
    return starts


def _starts_from_heads(heads: list[int | None]) -> list[int]:
    """Sentence start indices from the parse (see :func:`sent_starts_from_heads`)."""
    starts = sent_starts_from_heads(heads)
    return [0] if starts is None else [i for i, s in enumerate(starts) if s]


def sent_starts_from_parse(rel: list[int], dep: list[int]) -> list[int]:
    """spaCy's ``set_children_from_heads``: 1 at the left edge of each root's subtree, else -1.

    ``rel`` is each token's head as an offset from itself (0: a root, or no head); ``dep`` is
    non-zero where the token has a dependency label. A token with offset 0 and no label has no
    head: it is neither a root nor a sentence start.
    """
    n = len(rel)
    l_edge = list(range(n))
    r_edge = list(range(n))
    loop_count = 0
    while True:
        for i in range(n):
            h = i + rel[i]
            if l_edge[i] < l_edge[h]:
                l_edge[h] = l_edge[i]
            if r_edge[i] > r_edge[h]:
                r_edge[h] = r_edge[i]
        for i in range(n - 1, -1, -1):
            h = i + rel[i]
            if r_edge[i] > r_edge[h]:
                r_edge[h] = r_edge[i]
            if l_edge[i] < l_edge[h]:
                l_edge[h] = l_edge[i]
        starts = {l_edge[i] for i in range(n) if rel[i] == 0}
        within = True
        cur_start = 0
        for i in range(n):
            if (i > 0 and i in starts) or i == n - 1:
                for j in range(cur_start, i):
                    if rel[j] + j < cur_start or rel[j] + j >= i + 1:
                        within = False
                        break
                if not within:
                    break
                cur_start = i
        if within or loop_count > 10:
            break
        loop_count += 1
    out = [-1] * n
    for i in range(n):
        if rel[i] == 0 and dep[i] != 0:
            out[l_edge[i]] = 1
    return out


def slice_doc(doc: Doc, start: int, end: int, *, outside_heads: str = "root") -> Doc:
    """Tokens ``start:end`` of ``doc`` as a new Doc (always a copy, entities and spans new objects).

    A head that leaves the slice makes its token a root (``outside_heads="root"``: what a
    converter writes, a tree per sentence) or a token with a missing head (``"missing"``: what
    training wants, no false attachment learnt). Entities and spans cut by the slice boundary
    are clipped to it; the provenance of each token (``lines``) is kept.
    """
    if outside_heads not in ("root", "missing"):
        raise ValueError(f"outside_heads must be 'root' or 'missing', not {outside_heads!r}")
    n = len(doc)
    if not 0 <= start <= end <= n:
        raise UsageError(f"slice {start}:{end} is outside the doc's {n} tokens")
    def cut(values: list[Any] | None) -> list[Any] | None:
        return None if values is None else values[start:end]

    heads: list[int | None] | None = None
    if doc.heads is not None:
        heads = []
        for i, h in enumerate(doc.heads[start:end], start=start):
            if h is None:
                heads.append(None)
            elif start <= h < end:
                heads.append(h - start)
            else:
                heads.append(i - start if outside_heads == "root" else None)
    sent_starts = cut(doc.sent_starts)
    if sent_starts is not None and sent_starts and not sent_starts[0]:
        sent_starts[0] = True

    def clip(spans: Iterable[Span]) -> list[Span]:
        out = []
        for s in spans:
            a, b = max(s.start, start), min(s.end, end)
            if a < b:
                out.append(Span(a - start, b - start, s.label, s.kb_id, s.id))
        return out

    return Doc(
        words=doc.words[start:end],
        spaces=cut(doc.spaces),
        tags=cut(doc.tags),
        pos=cut(doc.pos),
        morphs=cut(doc.morphs),
        lemmas=cut(doc.lemmas),
        norms=cut(doc.norms),
        heads=heads,
        deps=cut(doc.deps),
        sent_starts=sent_starts,
        ents=None if doc.ents is None else clip(doc.ents),
        ents_missing=cut(doc.ents_missing),
        cats=dict(doc.cats),
        spans={k: clip(v) for k, v in doc.spans.items()},
        has_unknown_spaces=doc.has_unknown_spaces,
        user_data={k: v for k, v in doc.user_data.items() if k != PROVENANCE_KEY},
        source=doc.source,
        lines=cut(doc.lines),
    )


def surface_text(words: list[str], spaces: list[bool], mwt: list[tuple[int, int, str]]) -> str:
    """A sentence's text as its tokens spell it (the one builder: CoNLL-U's ``# text``, debug's
    text-form check): each word, or a multiword token's form in place
    of its words, followed by a space where it has one, except the last."""
    if mwt:
        tokens: list[str] = []
        after: list[bool] = []
        k = 0
        for start, end, form in mwt:
            tokens.extend(words[k:start])
            after.extend(spaces[k:start])
            tokens.append(form)
            after.append(spaces[end - 1])
            k = end
        tokens.extend(words[k:])
        after.extend(spaces[k:])
        words, spaces = tokens, after
    # the words joined by spaces, cut after each word (but the last) without one: there are few
    cuts = list(compress(range(len(words) - 1), map(not_, spaces)))
    if not cuts:
        return " ".join(words)
    parts = []
    a = 0
    for c in cuts:
        parts.append(" ".join(words[a : c + 1]))
        a = c + 1
    parts.append(" ".join(words[a:]))
    return "".join(parts)
