"""spaCy-like read views over a Doc's columns: Token, MorphView, the Span accessors, to_json, and
the optional bridge to spaCy (``to_spacy`` / ``from_spacy``, spaCy imported only when called).

Nothing here copies a column: a :class:`Token` is a (doc, index) pair that reads ``doc.tags[i]``
and friends when asked. Where an annotation is missing the views answer as spaCy's do (empty
strings, no entity, ``None`` for an unknown sentence start); the columns keep missing distinct.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .doc import Doc, Span

__all__ = ["MorphView", "Token", "doc_from_spacy", "doc_to_json", "doc_to_spacy", "span_char_offsets"]


class MorphView:
    """A token's morphological features: ``str()`` gives spaCy's ``Feat=Val|...`` string."""

    __slots__ = ("_text",)

    def __init__(self, text: str | None) -> None:
        self._text = text or ""

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return self._text

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MorphView):
            return self._text == other._text
        return isinstance(other, str) and self._text == other

    def __hash__(self) -> int:
        return hash(self._text)

    def __len__(self) -> int:
        return len(self.to_dict())

    def to_json(self) -> str:
        return self._text

    def to_dict(self) -> dict[str, str]:
        """``{"Number": "Sing", ...}`` (spaCy's ``MorphAnalysis.to_dict``)."""
        out: dict[str, str] = {}
        for feat in self._text.split("|"):
            name, eq, value = feat.partition("=")
            if eq:
                out[name] = value
        return out

    def get(self, field: str) -> list[str]:
        """The values of ``field`` (spaCy's ``morph.get("Number")``: a list, empty if absent)."""
        value = self.to_dict().get(field)
        return value.split(",") if value else []


def _at(column: list[Any] | None, i: int) -> str:
    if column is None:
        return ""
    value = column[i]
    return "" if value is None else str(value)


class Token:
    """Token ``i`` of a Doc, read from its columns (spaCy's ``Token`` attribute names)."""

    __slots__ = ("_idx", "_shared", "doc", "i")

    def __init__(
        self, doc: Doc, i: int, idx: int | None = None, shared: dict[str, Any] | None = None
    ) -> None:
        self.doc = doc
        self.i = i
        self._idx = idx
        # What the tokens of one iteration compute once for all (the sentence starts).
        self._shared = shared

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def __len__(self) -> int:
        return len(self.doc.words[self.i])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Token) and other.doc is self.doc and other.i == self.i

    def __hash__(self) -> int:
        return hash((id(self.doc), self.i))

    @property
    def text(self) -> str:
        return self.doc.words[self.i]

    @property
    def orth_(self) -> str:
        return self.doc.words[self.i]

    @property
    def idx(self) -> int:
        """Character offset of the token in ``doc.text``."""
        if self._idx is None:
            spaces = self.doc.spaces or []
            words = self.doc.words
            self._idx = sum(len(words[k]) + (1 if spaces[k] else 0) for k in range(self.i))
        return self._idx

    @property
    def whitespace_(self) -> str:
        return " " if (self.doc.spaces or [])[self.i] else ""

    @property
    def text_with_ws(self) -> str:
        return self.text + self.whitespace_

    @property
    def tag_(self) -> str:
        return _at(self.doc.tags, self.i)

    @property
    def pos_(self) -> str:
        return _at(self.doc.pos, self.i)

    @property
    def morph(self) -> MorphView:
        return MorphView(_at(self.doc.morphs, self.i))

    @property
    def lemma_(self) -> str:
        return _at(self.doc.lemmas, self.i)

    @property
    def norm_(self) -> str:
        norm = _at(self.doc.norms, self.i)
        return norm or self.text.lower()

    @property
    def dep_(self) -> str:
        return _at(self.doc.deps, self.i)

    @property
    def head(self) -> Token:
        """The syntactic head (the token itself for a root or where the parse is missing)."""
        heads = self.doc.heads
        h = None if heads is None else heads[self.i]
        return self if h is None or h == self.i else Token(self.doc, h)

    def _ents(self) -> tuple[list[str], list[str]]:
        """The doc's per-token IOB and entity types, computed once per iteration."""
        shared = self._shared if self._shared is not None else {}
        ents = shared.get("ents")
        if ents is None:
            ents = shared["ents"] = (self.doc.ent_iob(), self.doc.ent_types())
        return ents  # type: ignore[no-any-return]

    @property
    def ent_iob_(self) -> str:
        """ "B", "I", "O", or "" where the entity annotation is missing."""
        return self._ents()[0][self.i]

    @property
    def ent_type_(self) -> str:
        return self._ents()[1][self.i]

    @property
    def is_sent_start(self) -> bool | None:
        """True, False, or None where unknown (spaCy's values); the first token is True."""
        if self.i == 0:
            return True
        doc = self.doc
        if doc.sent_starts is not None and any(doc.sent_starts):
            return doc.sent_starts[self.i]
        if doc.heads is not None and any(h is not None for h in doc.heads):
            # the sentence of a token is its root's subtree (Doc.sentence_bounds)
            shared = self._shared if self._shared is not None else {}
            starts = shared.get("starts")
            if starts is None:
                starts = shared["starts"] = {a for a, _ in doc.sentence_bounds()}
            return self.i in starts
        return None


def span_char_offsets(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Character ``(start, end)`` of tokens ``start:end`` in ``doc.text`` (trailing space excluded)."""
    spaces = doc.spaces or []
    words = doc.words
    pos = 0
    for k in range(start):
        pos += len(words[k]) + (1 if spaces[k] else 0)
    if end <= start:
        return pos, pos
    first = pos
    for k in range(start, end - 1):
        pos += len(words[k]) + (1 if spaces[k] else 0)
    return first, pos + len(words[end - 1])


def iter_tokens(doc: Doc, start: int, end: int) -> Iterator[Token]:
    """Tokens ``start:end`` with their character offsets computed once, in one pass."""
    spaces = doc.spaces or []
    words = doc.words
    idx = span_char_offsets(doc, 0, start)[1] if start else 0
    if start and spaces[start - 1]:
        idx += 1
    shared: dict[str, Any] = {}
    for k in range(start, end):
        yield Token(doc, k, idx, shared)
        idx += len(words[k]) + (1 if spaces[k] else 0)


def doc_to_json(doc: Doc) -> dict[str, Any]:
    """The doc in the shape of spaCy's ``Doc.to_json()`` (character offsets, token annotation)."""
    data: dict[str, Any] = {"text": doc.text}
    if doc.ents is not None and any(t != "" for t in doc.ent_iob()):
        data["ents"] = [
            {"start": a, "end": b, "label": s.label}
            for s in doc.ents
            for a, b in [span_char_offsets(doc, s.start, s.end)]
        ]
    ss, heads = doc.sent_starts, doc.heads
    if (
        len(doc) == 1
        or (ss is not None and any(s is not None for s in ss[1:]) and any(ss))
        or (heads is not None and any(h is not None for h in heads))
    ):
        data["sents"] = [
            {"start": a, "end": b}
            for s, e in doc.sentence_bounds()
            for a, b in [span_char_offsets(doc, s, e)]
        ]
    if doc.cats:
        data["cats"] = dict(doc.cats)
    has = {
        "tag": doc.tags is not None and any(doc.tags),
        "pos": doc.pos is not None and any(doc.pos),
        "morph": doc.morphs is not None and any(m is not None for m in doc.morphs),
        "lemma": doc.lemmas is not None and any(doc.lemmas),
        "dep": doc.deps is not None and any(doc.deps),
    }
    tokens = []
    for t in iter_tokens(doc, 0, len(doc)):
        row: dict[str, Any] = {"id": t.i, "start": t.idx, "end": t.idx + len(t)}
        if has["tag"]:
            row["tag"] = t.tag_
        if has["pos"]:
            row["pos"] = t.pos_
        if has["morph"]:
            row["morph"] = str(t.morph)
        if has["lemma"]:
            row["lemma"] = t.lemma_
        if has["dep"]:
            row["dep"] = t.dep_
            row["head"] = t.head.i
        tokens.append(row)
    data["tokens"] = tokens
    if doc.spans:
        data["spans"] = {
            name: [
                {"start": a, "end": b, "label": s.label, "kb_id": s.kb_id}
                for s in group
                for a, b in [span_char_offsets(doc, s.start, s.end)]
            ]
            for name, group in doc.spans.items()
        }
    return data


def doc_to_spacy(doc: Doc, vocab: Any = None) -> Any:
    """A ``spacy.tokens.Doc`` with every annotation of ``doc`` (missing stays unset in spaCy)."""
    try:
        import numpy as np
        from spacy.attrs import DEP, HEAD, LEMMA, MORPH, POS, SENT_START, TAG
        from spacy.parts_of_speech import IDS as POS_IDS
        from spacy.tokens import Doc as SDoc
        from spacy.tokens import Span as SSpan
        from spacy.vocab import Vocab
    except ImportError:
        raise ImportError("Doc.to_spacy needs spaCy: pip install 'corpuskit[spacy]'") from None
    from .doc import PROVENANCE_KEY

    vocab = Vocab() if vocab is None else vocab
    spaces = None if doc.has_unknown_spaces else list(doc.spaces or [])
    sdoc: Any = SDoc(vocab, words=list(doc.words), spaces=spaces)
    n = len(doc.words)
    strings = vocab.strings
    attrs: list[int] = []
    cols: list[list[int]] = []
    for attr, values in ((TAG, doc.tags), (LEMMA, doc.lemmas), (DEP, doc.deps)):
        if values is not None:
            attrs.append(attr)
            cols.append([strings.add(v) if v else 0 for v in values])
    if doc.pos is not None:
        attrs.append(POS)
        cols.append([int(POS_IDS[p]) if p else 0 for p in doc.pos])
    if doc.morphs is not None:
        attrs.append(MORPH)
        cols.append([0 if m is None else int(vocab.morphology.add(m)) for m in doc.morphs])
    if doc.heads is not None:
        attrs.append(HEAD)
        cols.append([0 if h is None else (h - i) & 0xFFFFFFFFFFFFFFFF for i, h in enumerate(doc.heads)])
        if doc.deps is None:  # spaCy needs DEP beside HEAD to build the tree
            attrs.append(DEP)
            cols.append([0] * n)
    if doc.sent_starts is not None:
        attrs.append(SENT_START)
        cols.append([0 if s is None else (1 if s else 0xFFFFFFFFFFFFFFFF) for s in doc.sent_starts])
    if attrs and n:
        sdoc.from_array(attrs, np.array(cols, dtype=np.uint64).T.copy())
    if doc.norms is not None:
        for token, norm in zip(sdoc, doc.norms, strict=True):
            if norm:
                token.norm_ = norm
    if doc.ents is not None:
        ents = [SSpan(sdoc, s.start, s.end, label=s.label, kb_id=s.kb_id, span_id=s.id) for s in doc.ents]
        missing = None
        if doc.ents_missing is not None:
            missing = [sdoc[i : i + 1] for i, m in enumerate(doc.ents_missing) if m]
        sdoc.set_ents(ents, missing=missing, default="outside")
    sdoc.cats = dict(doc.cats)
    for name, group in doc.spans.items():
        sdoc.spans[name] = [
            SSpan(sdoc, s.start, s.end, label=s.label, kb_id=s.kb_id, span_id=s.id) for s in group
        ]
    sdoc.user_data.update(doc.user_data)
    if doc.source is not None or doc.lines is not None:
        sdoc.user_data[PROVENANCE_KEY] = doc.provenance
    return sdoc


def _strs(sdoc: Any, attr: str) -> list[str | None] | None:
    values = [getattr(t, attr) or None for t in sdoc]
    return values if any(v is not None for v in values) else None


def doc_from_spacy(sdoc: Any) -> Doc:
    """A corpuskit Doc with the annotation of a spaCy Doc (unset values become None)."""
    from .doc import PROVENANCE_KEY, Doc, Span, lines_from_runs

    n = len(sdoc)
    heads: list[int | None] | None = None
    if n and sdoc.has_annotation("DEP"):
        heads = [t.head.i if t.dep_ or t.head.i != t.i else None for t in sdoc]
    sent_starts: list[bool | None] | None = None
    if n and sdoc.has_annotation("SENT_START") and not sdoc.has_annotation("DEP"):
        sent_starts = [t.is_sent_start for t in sdoc]
    ents: list[Span] | None = None
    ents_missing: list[bool] | None = None
    if n and sdoc.has_annotation("ENT_IOB"):
        ents = [Span(e.start, e.end, e.label_, e.kb_id_, e.id_) for e in sdoc.ents]
        if any(t.ent_iob == 0 for t in sdoc):
            ents_missing = [t.ent_iob == 0 for t in sdoc]
    user_data = dict(sdoc.user_data)
    prov = user_data.pop(PROVENANCE_KEY, None)
    source = lines = None
    if isinstance(prov, dict):
        source = prov.get("source")
        lines = lines_from_runs(list(prov["runs"])) if prov.get("runs") is not None else None
    morphs = [str(t.morph) if t.has_morph() else None for t in sdoc]
    return Doc(
        words=[t.text for t in sdoc],
        spaces=[bool(t.whitespace_) for t in sdoc],
        tags=_strs(sdoc, "tag_"),
        pos=_strs(sdoc, "pos_"),
        morphs=morphs if any(m is not None for m in morphs) else None,
        lemmas=_strs(sdoc, "lemma_"),
        heads=heads,
        deps=_strs(sdoc, "dep_") if heads is not None else None,
        sent_starts=sent_starts,
        ents=ents,
        ents_missing=ents_missing,
        cats=dict(sdoc.cats),
        spans={
            name: [Span(s.start, s.end, s.label_, s.kb_id_, s.id_) for s in group]
            for name, group in sdoc.spans.items()
        },
        has_unknown_spaces=bool(sdoc.has_unknown_spaces),
        user_data=user_data,
        source=source,
        lines=lines,
    )
