"""``Example``: a predicted doc paired with its gold reference, aligned token to token.

The predicted doc holds the tokens the model sees (the tokenizer's, or the gold ones when training
with ``gold_preproc``); the reference holds the gold tokens and annotation. The two tokenizations
of the same text are aligned by characters (whitespace ignored), so gold annotation can be projected
onto the predicted tokens: ``get_aligned(attr)``, ``get_aligned_parse()``, ``get_aligned_ner()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..alignment import spans_from_offsets
from ..doc import Doc, Span
from ..errors import UsageError
from .biluo import MISSING, biluo_to_spans, doc_to_biluo, spans_to_biluo

__all__ = ["Alignment", "Example", "align_words"]

_TOKEN_ATTRS = ("tags", "pos", "morphs", "lemmas", "norms")


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
        tokens missing), ``cats``. An unknown key raises :class:`~corpuskit.errors.UsageError`.
        """
        known = {"words", "spaces", *_TOKEN_ATTRS, "heads", "deps", "sent_starts", "entities", "cats"}
        unknown = sorted(set(annotations) - known)
        if unknown:
            raise UsageError(
                f"Example.from_dict: unknown annotation key {unknown[0]!r}; expected one of {sorted(known)}"
            )
        words = list(annotations.get("words", predicted.words))
        spaces = annotations.get("spaces")
        if spaces is None:
            spaces = list(predicted.spaces or []) if "words" not in annotations else None
        fields: dict[str, Any] = {}
        for key in (*_TOKEN_ATTRS, "heads", "deps", "sent_starts"):
            if annotations.get(key) is not None:
                fields[key] = list(annotations[key])
        try:
            ref = Doc(words=words, spaces=spaces, **fields)
        except ValueError as e:
            raise UsageError(f"Example.from_dict: {e}") from None
        ref.cats = dict(annotations.get("cats") or {})
        entities = annotations.get("entities")
        if entities is not None:
            entities = list(entities)
            if entities and all(isinstance(e, str) or e is None for e in entities):
                if len(entities) != len(words):
                    raise UsageError(
                        f"Example.from_dict: {len(entities)} entity tags for {len(words)} tokens"
                    )
                try:
                    spans, missing = biluo_to_spans(entities)
                except ValueError as e:
                    raise UsageError(f"Example.from_dict: {e}") from None
                ref.ents = spans
                ref.ents_missing = missing if any(missing) else None
            else:
                # Character offsets: spans off the token boundaries leave their tokens missing.
                spans_from_offsets(ref, [_offset(e) for e in entities])
        return cls(predicted, ref)

    # -- gold annotation projected onto the predicted tokens ----------------------------------

    def get_aligned(self, attr: str) -> list[Any]:
        """Gold ``attr`` ("tags", "pos", "morphs", ...) per predicted token; None where unknown.

        A predicted token gets a value when all the gold tokens it overlaps agree on it and none
        of them also overlaps another predicted token (split and merged tokens get None).
        """
        values = getattr(self.reference, attr)
        n = len(self.predicted)
        if values is None:
            return [None] * n
        if self._same_tokens():
            return list(values)
        align = self.alignment
        out: list[Any] = [None] * n
        for i, ys in enumerate(align.x2y):
            if len(ys) == 1 and len(align.y2x[ys[0]]) == 1:
                out[i] = values[ys[0]]
        return out

    def _x_of_y(self) -> list[int | None]:
        """The predicted token of each gold token when they match one to one, else None."""
        align = self.alignment
        return [xs[0] if len(xs) == 1 and len(align.x2y[xs[0]]) == 1 else None for xs in align.y2x]

    def get_aligned_parse(self) -> tuple[list[int | None], list[str | None]]:
        """Gold ``(heads, deps)`` over the predicted tokens (absolute indices); None where unknown.

        A token whose gold token, or whose gold head, has no one-to-one predicted token is None.
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
        x_of_y = self._x_of_y()
        out_heads: list[int | None] = [None] * n
        out_deps: list[str | None] = [None] * n
        for j, i in enumerate(x_of_y):
            if i is None:
                continue
            if heads is not None and heads[j] is not None:
                h = heads[j]
                out_heads[i] = x_of_y[h] if h is not None and 0 <= h < len(x_of_y) else None
            if deps is not None and out_heads[i] is not None:
                out_deps[i] = deps[j]
        return out_heads, out_deps

    def get_aligned_sent_starts(self) -> list[bool | None]:
        """Gold sentence starts per predicted token (from ``sent_starts`` or the parse)."""
        n = len(self.predicted)
        ref = self.reference
        starts: list[bool | None]
        if ref.sent_starts is not None:
            starts = list(ref.sent_starts)
        elif ref.heads is not None and any(h is not None for h in ref.heads):
            starts = [False] * len(ref)
            for s, _ in ref.sentence_bounds():
                starts[s] = True
        else:
            return [None] * n
        if self._same_tokens():
            return starts
        out: list[bool | None] = [None] * n
        for j, i in enumerate(self._x_of_y()):
            if i is not None:
                out[i] = starts[j]
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


def _offset(entity: Any) -> tuple[int, int, str]:
    try:
        start, end, label = entity
        return int(start), int(end), str(label)
    except (TypeError, ValueError):
        raise UsageError(
            f"Example.from_dict: entity {entity!r} is neither a BILUO tag nor a (start, end, label) offset"
        ) from None
