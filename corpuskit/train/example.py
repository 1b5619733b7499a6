"""``Example``: a predicted doc paired with its gold reference, aligned token to token.

The predicted doc holds the tokens the model sees (the tokenizer's, or the gold ones when training
with ``gold_preproc``); the reference holds the gold tokens and annotation. The two tokenizations
of the same text are aligned by characters (whitespace ignored), so gold annotation can be projected
onto the predicted tokens: ``get_aligned(attr)``, ``get_aligned_parse()``, ``get_aligned_ner()``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..doc import Doc, Span, sent_starts_from_heads
from ..errors import UsageError
from ..offsets import char_span, spans_from_offsets
from .biluo import MISSING, biluo_to_ents, doc_to_biluo, spans_to_biluo

__all__ = [
    "Alignment",
    "EntityOffsetWarning",
    "Example",
    "align_words",
    "sent_starts_from_heads",
    "to_ternary",
]

_TOKEN_ATTRS = ("tags", "pos", "morphs", "lemmas", "norms")
_KEYS = frozenset(
    {"words", "spaces", *_TOKEN_ATTRS, "heads", "deps", "sent_starts", "entities", "spans", "links", "cats"}
)
# spaCy's attribute names for the same keys (its Example.from_dict accepts both, in any case).
_SPACY_KEYS = {
    "orth": "words",
    "spacy": "spaces",
    "tag": "tags",
    "lemma": "lemmas",
    "norm": "norms",
    "morph": "morphs",
    "head": "heads",
    "dep": "deps",
    "sent_start": "sent_starts",
    "ner": "entities",
}


class EntityOffsetWarning(UserWarning):
    """An entity offset given to :meth:`Example.from_dict` does not fit the gold tokens (spaCy's
    W030): its tokens are kept as missing, neither entity nor O."""


def to_ternary(value: Any) -> bool | None:
    """A sentence-start value as spaCy reads it (``to_ternary_int``): True or 1 start a
    sentence; None or 0 are unknown; False, -1 and anything else do not start one."""
    if value is None:
        return None
    if value is True or value is False:
        return value
    if value == 1:
        return True
    return None if value == 0 else False


@dataclass(slots=True, frozen=True)
class Alignment:
    """Token alignment of two tokenizations: ``x2y[i]`` lists the y tokens overlapping x token i."""

    x2y: list[list[int]]
    y2x: list[list[int]]

    @property
    def is_identity(self) -> bool:
        return all(len(ys) == 1 and ys[0] == i for i, ys in enumerate(self.x2y)) and len(self.x2y) == len(
            self.y2x
        )

    @classmethod
    def identity(cls, n: int) -> Alignment:
        ids = [[i] for i in range(n)]
        return cls(ids, ids)


def align_words(x_words: Sequence[str], y_words: Sequence[str]) -> Alignment:
    """Align two tokenizations of the same text through :mod:`corpuskit.alignment`.

    Raises :class:`~corpuskit.alignment.AlignmentError` (a CorpusError) naming the first
    difference when the texts differ beyond whitespace and case.
    """
    if list(x_words) == list(y_words):
        return Alignment.identity(len(x_words))
    from ..alignment import Alignment as _Engine

    engine = _Engine.from_words(list(x_words), list(y_words))
    return Alignment(engine.x2y.to_lists(), engine.y2x.to_lists())


class Example:
    """A training or evaluation example: ``predicted`` (model input) and ``reference`` (gold).

    ``Example(predicted, reference)`` aligns the two by characters; both must hold the same text
    up to whitespace. ``Example.from_dict(doc, annotations)`` builds the reference from a dict.
    """

    __slots__ = ("_alignment", "predicted", "reference")

    def __init__(self, predicted: Doc, reference: Doc, *, alignment: Alignment | None = None) -> None:
        if not isinstance(predicted, Doc) or not isinstance(reference, Doc):
            raise UsageError(
                f"Example(predicted, reference) takes two corpuskit Docs, got "
                f"{type(predicted).__name__} and {type(reference).__name__}"
            )
        self.predicted = predicted
        self.reference = reference
        self._alignment = alignment

    @property
    def x(self) -> Doc:
        return self.predicted

    @property
    def y(self) -> Doc:
        return self.reference

    @property
    def alignment(self) -> Alignment:
        if self._alignment is None:
            self._alignment = align_words(self.predicted.words, self.reference.words)
        return self._alignment

    def _same_tokens(self) -> bool:
        if self._alignment is not None:
            return self._alignment.is_identity
        return self.predicted.words == self.reference.words

    @classmethod
    def from_dict(cls, predicted: Doc, annotations: Mapping[str, Any]) -> Example:
        """Pair ``predicted`` with gold annotation given as a dict.

        Keys: ``words`` and ``spaces`` (gold tokens; default: the predicted doc's), ``tags``,
        ``pos``, ``morphs``, ``lemmas``, ``heads`` (absolute indices), ``deps``, ``sent_starts``,
        ``entities`` (BILUO/BIO tags, one per gold token, ``"-"`` = missing; or ``(start_char,
        end_char, label)`` offsets into the text: an offset off the token boundaries marks its
        tokens missing and warns :class:`EntityOffsetWarning`, as spaCy's W030; overlapping
        offsets raise :class:`~corpuskit.errors.UsageError`, as spaCy's E103), ``spans`` (span
        groups: ``{key: [(start_char, end_char, label[, kb_id]), ...]}``, overlaps allowed; a
        span off the token boundaries raises), ``links`` (``{(start_char, end_char): {kb_id:
        probability}}``: the kb_id with probability 1.0 goes to the entity at those offsets),
        ``cats``.
        ``sent_starts`` are read as spaCy reads them: True/1 start a sentence, None/0 are
        unknown, False/-1 are not a start. Keys may also be spaCy's attribute names (``ORTH``,
        ``TAG``, ``HEAD``, ...) in any case. An unknown key raises
        :class:`~corpuskit.errors.UsageError`.
        """
        annotations = _normalise_keys(annotations)
        words = list(annotations.get("words", predicted.words))
        spaces = annotations.get("spaces")
        if spaces is None:
            spaces = list(predicted.spaces or []) if "words" not in annotations else None
        fields: dict[str, Any] = {}
        for key in (*_TOKEN_ATTRS, "heads", "deps"):
            if annotations.get(key) is not None:
                fields[key] = list(annotations[key])
        if annotations.get("sent_starts") is not None:
            fields["sent_starts"] = [to_ternary(v) for v in annotations["sent_starts"]]
        try:
            ref = Doc(words=words, spaces=spaces, **fields)
        except ValueError as e:
            raise UsageError(f"Example.from_dict: {e}") from None
        ref.cats = dict(annotations.get("cats") or {})
        if annotations.get("spans") is not None:
            ref.spans = _span_groups(ref, annotations["spans"])
        entities = annotations.get("entities")
        if entities is not None:
            entities = list(entities)
            if entities and all(isinstance(e, str) or e is None for e in entities):
                if len(entities) != len(words):
                    raise UsageError(
                        f"Example.from_dict: {len(entities)} entity tags for {len(words)} tokens"
                    )
                try:
                    spans, missing = biluo_to_ents(entities)
                except ValueError as e:
                    raise UsageError(f"Example.from_dict: {e}") from None
                ref.ents = spans
                ref.ents_missing = missing if any(missing) else None
            else:
                _set_offset_entities(ref, [_offset(e) for e in entities])
        if annotations.get("links"):
            _set_links(ref, annotations["links"])
        return cls(predicted, ref)

    # -- gold annotation projected onto the predicted tokens ----------------------------------

    def get_aligned(self, attr: str) -> list[Any]:
        """Gold ``attr`` ("tags", "pos", "morphs", ...) per predicted token; None where unknown.

        As spaCy: a predicted token inside one gold token gets that token's value (so a gold
        token split in two gives its value to both halves); a predicted token covering several
        gold tokens gets their value when they all agree, else None; a token only the predicted
        side has (whitespace) gets None.
        """
        values = getattr(self.reference, attr)
        n = len(self.predicted)
        if values is None:
            return [None] * n
        if self._same_tokens():
            return list(values)
        out: list[Any] = [None] * n
        for i, ys in enumerate(self.alignment.x2y):
            if ys:
                first = values[ys[0]]
                if all(values[j] == first for j in ys[1:]):
                    out[i] = first
        return out

    def get_aligned_parse(self) -> tuple[list[int | None], list[str | None]]:
        """Gold ``(heads, deps)`` over the predicted tokens (absolute indices); None where unknown.

        As spaCy: a predicted token inside one gold token gets that token's label, and its head
        when the gold head is one predicted token (a gold token split in two, or a head split in
        two, has no head); a predicted token covering several gold tokens gets neither. Unlike
        spaCy, the heads are not projectivized (corpuskit's parser predicts non-projective trees).
        """
        ref = self.reference
        n = len(self.predicted)
        heads = ref.heads
        deps = ref.deps
        if heads is None and deps is None:
            return [None] * n, [None] * n
        if self._same_tokens():
            return (
                list(heads) if heads is not None else [None] * n,
                list(deps) if deps is not None else [None] * n,
            )
        align = self.alignment
        n_ref = len(ref)
        out_heads: list[int | None] = [None] * n
        out_deps: list[str | None] = [None] * n
        for i, ys in enumerate(align.x2y):
            if len(ys) != 1:
                continue
            j = ys[0]
            if deps is not None:
                out_deps[i] = deps[j]
            h = heads[j] if heads is not None else None
            if h is not None and 0 <= h < n_ref and len(align.y2x[h]) == 1:
                out_heads[i] = align.y2x[h][0]
        return out_heads, out_deps

    def _gold_sent_starts(self) -> list[bool | None] | None:
        """The reference's sentence starts: given, else from its (partial) parse, else None."""
        ref = self.reference
        given = ref.sent_starts
        if given is not None and any(s is not None for s in given[1:]):
            return _first_starts(given)
        if ref.heads is not None:
            from_heads = sent_starts_from_heads(ref.heads)
            if from_heads is not None:
                return list(from_heads)
        if given is not None and any(s is not None for s in given):
            return _first_starts(given)
        return None

    def get_aligned_sent_starts(self) -> list[bool | None]:
        """Gold sentence starts per predicted token (from ``sent_starts`` or the parse).

        A missing head never starts a sentence (spaCy's ``test_Example_missing_heads``). As
        spaCy: a gold sentence start marks the first predicted token that overlaps it, every other
        predicted token is False (a token only the predicted side has too). Unlike spaCy, a
        predicted token whose gold start is unknown (``None``) is None.
        """
        n = len(self.predicted)
        starts = self._gold_sent_starts()
        if starts is None:
            return [None] * n
        if self._same_tokens():
            return starts
        align = self.alignment
        out: list[bool | None] = [False] * n
        for i, ys in enumerate(align.x2y):
            # Only the first predicted piece of a gold token can start what that token starts.
            values = [starts[j] if align.y2x[j][0] == i else False for j in ys]
            if True in values:
                out[i] = True
            elif None in values:
                out[i] = None
        return out

    def get_aligned_ner(self) -> list[str | None]:
        """Gold BILUO tags over the predicted tokens; None where missing or not alignable.

        Entities whose boundaries fall inside a predicted token cannot be represented: their
        tokens are None (left out of the loss, as spaCy does).
        """
        ref = self.reference
        n = len(self.predicted)
        if ref.ents is None:
            return [None] * n
        if self._same_tokens():
            return [None if t == MISSING else t for t in doc_to_biluo(ref)]
        align = self.alignment
        x_of_y_start: dict[int, int] = {}
        x_of_y_end: dict[int, int] = {}
        for i, ys in enumerate(align.x2y):
            if ys:
                # predicted token i starts where gold token ys[0] starts, if ys[0] maps to i first.
                if align.y2x[ys[0]][0] == i:
                    x_of_y_start.setdefault(ys[0], i)
                if align.y2x[ys[-1]][-1] == i:
                    x_of_y_end[ys[-1]] = i
        missing = [False] * n
        gold_missing = ref.ents_missing or [False] * len(ref)
        for j, m in enumerate(gold_missing):
            if m:
                for i in align.y2x[j]:
                    missing[i] = True
        spans: list[Span] = []
        for span in ref.ents:
            start = x_of_y_start.get(span.start)
            end = x_of_y_end.get(span.end - 1)
            if start is not None and end is not None and end >= start:
                spans.append(Span(start, end + 1, span.label))
            else:
                for j in range(span.start, span.end):
                    for i in align.y2x[j]:
                        missing[i] = True
        # A predicted token that also covers text of a neighbouring gold token outside the entity
        # (a merged token) is not representable either.
        for j in range(len(ref)):
            xs = align.y2x[j]
            for i in xs:
                if len(align.x2y[i]) > 1:
                    ys = align.x2y[i]
                    iob = {_ent_at(ref, y) for y in ys}
                    if len(iob) > 1:
                        missing[i] = True
        tags = spans_to_biluo(n, [s for s in spans if not any(missing[s.start : s.end])], missing)
        return [None if t == MISSING else t for t in tags]

    def __repr__(self) -> str:
        return (
            f"Example(predicted={self.predicted.words[:8]!r}..., reference={self.reference.words[:8]!r}...)"
        )


def _ent_at(doc: Doc, j: int) -> int:
    for k, span in enumerate(doc.ents or ()):
        if span.start <= j < span.end:
            return k
    return -1


def _first_starts(starts: Sequence[bool | None]) -> list[bool | None]:
    out = list(starts)
    if out and out[0] is None:
        out[0] = True
    return out


def _normalise_keys(annotations: Mapping[str, Any]) -> dict[str, Any]:
    """``annotations`` with spaCy's attribute names and upper case mapped onto corpuskit's keys."""
    out: dict[str, Any] = {}
    for key, value in annotations.items():
        name = key.lower() if isinstance(key, str) else key
        name = _SPACY_KEYS.get(name, name)
        if name not in _KEYS:
            raise UsageError(
                f"Example.from_dict: unknown annotation key {key!r}; expected one of {sorted(_KEYS)}"
            )
        out[name] = value
    return out


def _set_offset_entities(ref: Doc, offsets: list[tuple[int, int, str]]) -> None:
    """Character-offset entities into ``ref``: an overlap raises (spaCy's E103); an offset off
    the token boundaries leaves its tokens missing and warns (spaCy's W030)."""
    problems = spans_from_offsets(ref, offsets)
    for p in problems:
        if "overlap" in p.reasons:
            raise UsageError(f"Example.from_dict: overlapping entity offsets: {p.message}")
    misfits = [p for p in problems if "empty-label" not in p.reasons]
    if misfits:
        warnings.warn(
            f"Example.from_dict: {len(misfits)} entity offset(s) do not fit the tokens {ref.words[:12]!r} "
            f"and were left missing: " + "; ".join(p.message for p in misfits),
            EntityOffsetWarning,
            stacklevel=3,
        )


def _span_groups(ref: Doc, groups: Any) -> dict[str, list[Span]]:
    """``{key: [(start_char, end_char, label[, kb_id]), ...]}`` as span groups of ``ref``."""
    expected = "expected {key: [(start_char, end_char, label), ...]}"
    if not isinstance(groups, Mapping):
        raise UsageError(f"Example.from_dict: spans must be a dict, got {type(groups).__name__}; {expected}")
    out: dict[str, list[Span]] = {}
    for key, items in groups.items():
        if not isinstance(items, list):
            raise UsageError(f"Example.from_dict: spans[{key!r}] is {items!r}, not a list; {expected}")
        spans: list[Span] = []
        for item in items:
            if not isinstance(item, (list, tuple)) or not 2 <= len(item) <= 4:
                raise UsageError(f"Example.from_dict: spans[{key!r}] holds {item!r}; {expected}")
            label = str(item[2]) if len(item) > 2 else ""
            span = char_span(ref, int(item[0]), int(item[1]), label)
            if span is None:
                raise UsageError(
                    f"Example.from_dict: span {tuple(item)!r} in spans[{key!r}] does not start and "
                    f"end on token boundaries of {ref.text!r}"
                )
            kb_id = str(item[3]) if len(item) > 3 else ""
            spans.append(Span(span.start, span.end, label, kb_id=kb_id))
        out[str(key)] = spans
    return out


def _set_links(ref: Doc, links: Mapping[Any, Mapping[str, float]]) -> None:
    """Entity links as spaCy's ``links``: the one kb_id with probability 1.0 per entity."""
    ents = {(s.start, s.end): k for k, s in enumerate(ref.ents or ())}
    for offsets, candidates in links.items():
        true_ids = [kb for kb, p in candidates.items() if p == 1.0]
        if len(true_ids) > 1:
            raise UsageError(
                f"Example.from_dict: link {offsets!r} has {len(true_ids)} kb_ids with probability 1.0"
            )
        if not true_ids:
            continue
        start, end = offsets
        span = char_span(ref, int(start), int(end))
        if span is None:
            raise UsageError(
                f"Example.from_dict: link {offsets!r} does not start and end on token boundaries "
                f"of {ref.text!r}"
            )
        k = ents.get((span.start, span.end))
        if k is None or ref.ents is None:
            raise UsageError(f"Example.from_dict: link {offsets!r} is not at an entity of the entities given")
        old = ref.ents[k]
        ref.ents[k] = Span(old.start, old.end, old.label, kb_id=true_ids[0], id=old.id)


def _offset(entity: Any) -> tuple[int, int, str]:
    try:
        start, end, label = entity
        return int(start), int(end), str(label)
    except (TypeError, ValueError):
        raise UsageError(
            f"Example.from_dict: entity {entity!r} is neither a BILUO tag nor a (start, end, label) offset"
        ) from None
