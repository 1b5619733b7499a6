"""Entity tag schemes (IOB1, IOB2, BILUO, BIOES): detection, conversion, spans, precise errors.

A tag is ``"O"`` (outside every entity), ``"-"`` or ``None`` (the token's entity annotation is
missing: neither entity nor O), or a one-letter prefix, a hyphen and a label (``B-PER``,
``I-creative-work``; the label is everything after the first hyphen).

- IOB1 (CoNLL-2003): ``I-X`` opens an entity unless it continues one of the same label; ``B-X``
  only separates two adjacent entities of the same label.
- IOB2: every entity opens with ``B-X``. IOB1 and IOB2 decode with the same rule, so both
  convert; ``B-X B-X`` is two entities.
- BILUO (spaCy): ``B-X I-X* L-X`` or ``U-X``; BIOES/IOBES is the same with ``E-``/``S-``.

Every malformed tag or sequence raises :class:`TagError`, which names the tag and the token
index; a converter re-raises it as a :class:`~corpuskit.errors.FormatError` with ``file:line``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import compress, repeat
from operator import ne
from typing import Literal

from .doc import Doc, Span
from .errors import FormatError

__all__ = [
    "MISSING",
    "Scheme",
    "TagError",
    "biluo_to_iob",
    "biluo_to_spans",
    "check_tags",
    "detect_scheme",
    "doc_to_tags",
    "iob_to_biluo",
    "missing_mask",
    "spans_to_biluo",
    "spans_to_iob",
    "spans_to_tags",
    "tags_to_ents",
    "tags_to_spans",
]

#: The tag written for a token whose entity annotation is missing.
MISSING = "-"

#: A tag scheme name as :func:`detect_scheme` returns it.
Scheme = Literal["IOB1", "IOB2", "BILUO", "BIOES"]

_SCHEMES = ("IOB1", "IOB2", "BILUO", "BIOES")
_EXPECTED = "expected 'O', '-', or B-/I-/L-/U- (or E-/S-) followed by a label"

# Parsed tags: (kind, label). kind: "O" outside, "-" missing, else the prefix letter.
_Parsed = tuple[str, str]
_CACHE: dict[str | None, _Parsed] = {None: ("-", ""), "-": ("-", ""), "O": ("O", "")}
_CACHE_MAX = 100_000
_PREFIXES = frozenset("BILUES")


class TagError(FormatError):
    """A malformed entity tag or tag sequence.

    ``tag`` is the offending tag, ``index`` its 0-based token index in the sequence given,
    ``code`` a stable kind (``no-label``, ``unknown-prefix``, ``no-begin``, ``unclosed``,
    ``mixed-scheme``, ``overlap``) and ``detail`` the message without the token index, for a
    caller that reports ``file:line`` instead.
    """

    def __init__(self, detail: str, *, tag: str | None, index: int, code: str) -> None:
        self.tag = tag
        self.index = index
        self.code = code
        self.detail = detail
        super().__init__(f"token {index + 1}: {detail}", check="invalid-tag-sequence")


def _parse(tag: str | None, index: int) -> _Parsed:
    """Split one tag into (kind, label), or raise a TagError that says what is wrong with it."""
    got = _CACHE.get(tag)
    if got is not None:
        return got
    if not isinstance(tag, str):
        raise TagError(
            f"entity tag {tag!r} is of type {type(tag).__name__}, not a string; {_EXPECTED}",
            tag=None,
            index=index,
            code="unknown-prefix",
        )
    if len(tag) == 1 and tag in _PREFIXES:
        raise TagError(
            f"entity tag {tag!r} has no label; expected {tag}-LABEL",
            tag=tag,
            index=index,
            code="no-label",
        )
    if len(tag) >= 2 and tag[1] == "-" and tag[0] in _PREFIXES:
        if len(tag) == 2 or not tag[2:].strip():
            raise TagError(
                f"entity tag {tag!r} is a prefix without a label; expected {tag[0]}-LABEL",
                tag=tag,
                index=index,
                code="no-label",
            )
        parsed = (tag[0], tag[2:])
    else:
        if tag == "":
            detail = f"empty entity tag; {_EXPECTED}"
        else:
            detail = f"entity tag {tag!r} has an unknown prefix; {_EXPECTED}"
        raise TagError(detail, tag=tag, index=index, code="unknown-prefix")
    if len(_CACHE) < _CACHE_MAX:
        _CACHE[tag] = parsed
    return parsed


def _kinds(tags: Sequence[str | None]) -> tuple[set[str], int]:
    """The set of prefixes used, and how many tags are missing (parses every distinct tag)."""
    kinds: set[str] = set()
    try:
        uniq = set(tags)
    except TypeError:
        i = next(k for k, t in enumerate(tags) if not isinstance(t, (str, type(None))))
        raise TagError(
            f"entity tag {tags[i]!r} is of type {type(tags[i]).__name__}, not a string; {_EXPECTED}",
            tag=None,
            index=i,
            code="unknown-prefix",
        ) from None
    if len(uniq) == 1 and "O" in uniq:
        return kinds, 0
    for tag in uniq:
        try:
            kind, _ = _parse(tag, 0)
        except TagError as e:
            # Report the first token with this tag, not token 1.
            raise _at(e, tags.index(tag)) from None
        kinds.add(kind)
    kinds.discard("O")
    n_missing = 0
    if "-" in kinds:
        kinds.discard("-")
        n_missing = sum(1 for t in tags if t is None or t == "-")
    return kinds, n_missing


def _at(e: TagError, index: int) -> TagError:
    return TagError(e.detail, tag=e.tag, index=index, code=e.code)


def _family(kinds: set[str], tags: Sequence[str | None]) -> str:
    """The family ("IOB", "BILUO" or "BIOES") of the prefixes used; BILUO with BIOES is an error."""
    biluo = kinds & {"L", "U"}
    bioes = kinds & {"E", "S"}
    if biluo and bioes:
        first = next(i for i, t in enumerate(tags) if t is not None and t[:1] in ("E", "S") and t[1:2] == "-")
        tag = tags[first]
        raise TagError(
            f"entity tag {tag!r} is BIOES but the sequence also has BILUO L-/U- tags (mixed schemes)",
            tag=tag,
            index=first,
            code="mixed-scheme",
        )
    if biluo:
        return "BILUO"
    if bioes:
        return "BIOES"
    return "IOB"


def _decode_iob(tags: Sequence[str | None]) -> list[Span]:
    spans: list[Span] = []
    cache = _CACHE
    start = -1
    label = ""
    prev = -2
    # Only the tokens that are not "O" matter: visit just those (found at C speed).
    for i in compress(range(len(tags)), map(ne, tags, repeat("O"))):
        tag = tags[i]
        kind, lab = cache.get(tag) or _parse(tag, i)
        if start >= 0 and i != prev + 1:
            spans.append(Span(start, prev + 1, label))
            start = -1
        prev = i
        if kind == "I":
            if start >= 0 and lab == label:
                continue
            if start >= 0:
                spans.append(Span(start, i, label))
            start, label = i, lab
        elif kind == "B":
            if start >= 0:
                spans.append(Span(start, i, label))
            start, label = i, lab
        elif kind == "-":
            if start >= 0:
                spans.append(Span(start, i, label))
                start = -1
        else:  # pragma: no cover - _family guarantees IOB prefixes only
            raise TagError(f"entity tag {tag!r} is not IOB", tag=tag, index=i, code="mixed-scheme")
    if start >= 0:
        spans.append(Span(start, prev + 1, label))
    return spans


def _decode_biluo(tags: Sequence[str | None], family: str) -> list[Span]:
    last, unit = ("L", "U") if family == "BILUO" else ("E", "S")
    spans: list[Span] = []
    cache = _CACHE
    start = -1
    label = ""
    for i, tag in enumerate(tags):
        kind, lab = cache.get(tag) or _parse(tag, i)
        if kind == "O" or kind == "-":
            if start >= 0:
                raise _unclosed(tags, start, label, last, i)
            continue
        if kind == "I" or kind == last:
            if start < 0 or lab != label:
                opened = f"'B-{label}' at token {start + 1}" if start >= 0 else "no entity"
                raise TagError(
                    f"entity tag {tag!r} continues an entity that was never begun "
                    f"(expected B-{lab} before it; {opened} is open)",
                    tag=tag,
                    index=i,
                    code="no-begin",
                )
            if kind == last:
                spans.append(Span(start, i + 1, label))
                start = -1
        elif kind == "B" or kind == unit:
            if start >= 0:
                raise _unclosed(tags, start, label, last, i)
            if kind == unit:
                spans.append(Span(i, i + 1, lab))
            else:
                start, label = i, lab
        else:
            raise TagError(
                f"entity tag {tag!r} does not belong to the {family} scheme of this sequence (mixed schemes)",
                tag=tag,
                index=i,
                code="mixed-scheme",
            )
    if start >= 0:
        raise _unclosed(tags, start, label, last, len(tags))
    return spans


def _unclosed(tags: Sequence[str | None], start: int, label: str, last: str, i: int) -> TagError:
    got = repr(tags[i]) if i < len(tags) else "the end of the sequence"
    return TagError(
        f"entity {tags[start]!r} opened at token {start + 1} is not closed by '{last}-{label}' "
        f"before {got} (IOB tags mixed into a BILUO sequence?)",
        tag=tags[start],
        index=start,
        code="unclosed" if i >= len(tags) or tags[i] in ("O", "-", None) else "mixed-scheme",
    )


def _check_scheme_arg(scheme: str) -> str:
    s = scheme.upper()
    if s == "AUTO" or s in _SCHEMES or s == "IOB" or s == "IOBES":
        return "BIOES" if s == "IOBES" else s
    raise ValueError(f"unknown tag scheme {scheme!r}; expected auto, IOB1, IOB2, BILUO or BIOES")


def tags_to_ents(tags: Sequence[str | None], scheme: str = "auto") -> tuple[list[Span], list[bool] | None]:
    """Entity spans and the missing-token mask (None when no tag is missing) from one sequence.

    ``scheme`` is ``"auto"`` (IOB1/IOB2 unless the tags use L-/U- or E-/S-), ``"IOB1"``,
    ``"IOB2"`` (both read leniently), ``"BILUO"`` or ``"BIOES"`` (read strictly).
    """
    s = _check_scheme_arg(scheme)
    kinds, n_missing = _kinds(tags)
    family = _family(kinds, tags)
    if s in ("BILUO", "BIOES"):
        bad = kinds - {"B", "I", "L", "U"} if s == "BILUO" else kinds - {"B", "I", "E", "S"}
        if bad:
            i = next(k for k, t in enumerate(tags) if t is not None and t[:1] in bad and t[1:2] == "-")
            raise TagError(
                f"entity tag {tags[i]!r} is not a {s} tag (mixed schemes)",
                tag=tags[i],
                index=i,
                code="mixed-scheme",
            )
        family = s
    elif s in ("IOB1", "IOB2", "IOB") and family != "IOB":
        i = next(k for k, t in enumerate(tags) if t is not None and t[:1] in "LUES" and t[1:2] == "-")
        raise TagError(
            f"entity tag {tags[i]!r} is not an IOB tag (mixed schemes: the sequence was read as {s})",
            tag=tags[i],
            index=i,
            code="mixed-scheme",
        )
    spans = _decode_iob(tags) if family == "IOB" else _decode_biluo(tags, family)
    return spans, (missing_mask(tags) if n_missing else None)


def tags_to_spans(tags: Sequence[str | None], scheme: str = "auto") -> list[Span]:
    """Entity spans of a tag sequence in any scheme (missing tokens belong to no span)."""
    return tags_to_ents(tags, scheme)[0]


def biluo_to_spans(tags: Sequence[str | None]) -> list[Span]:
    """Entity spans of a BILUO sequence, read strictly (``I-``/``L-`` need a ``B-``)."""
    return tags_to_ents(tags, "BILUO")[0]


def missing_mask(tags: Iterable[str | None]) -> list[bool]:
    """True for each token whose tag is missing (``"-"`` or None)."""
    return [t is None or t == MISSING for t in tags]


def detect_scheme(tags: Sequence[str | None]) -> Scheme:
    """The scheme a sequence is written in.

    ``"BILUO"`` or ``"BIOES"`` when it uses their L-/U- or E-/S- prefixes; ``"IOB1"`` when an
    ``I-`` tag opens an entity; otherwise ``"IOB2"`` (also for sequences with no entity at all,
    which every scheme writes alike). Bad tags and BILUO/BIOES mixtures raise :class:`TagError`.
    """
    kinds, _ = _kinds(tags)
    family = _family(kinds, tags)
    if family == "BILUO":
        return "BILUO"
    if family == "BIOES":
        return "BIOES"
    if "I" not in kinds:
        return "IOB2"
    prev_label: str | None = None
    for i, tag in enumerate(tags):
        kind, lab = _CACHE.get(tag) or _parse(tag, i)
        if kind == "I" and prev_label != lab:
            return "IOB1"
        prev_label = lab if kind in ("B", "I") else None
    return "IOB2"


def check_tags(tags: Sequence[str | None], scheme: str = "auto") -> list[TagError]:
    """Every problem of a sequence, without raising: bad tags, broken BILUO, mixed IOB1/IOB2.

    Mixing IOB1 (an ``I-`` that opens an entity) and IOB2 (a ``B-`` that opens an entity after
    ``O`` or another label) still converts, but a file should use one scheme: it is reported as
    ``mixed-scheme``.
    """
    problems: list[TagError] = []
    for i, tag in enumerate(tags):
        try:
            _parse(tag, i)
        except TagError as e:
            problems.append(e)
    if problems:
        return problems
    try:
        tags_to_ents(tags, scheme)
    except TagError as e:
        return [e]
    if _check_scheme_arg(scheme) in ("BILUO", "BIOES") or _family(_kinds(tags)[0], tags) != "IOB":
        return []
    first_i1 = first_i2 = -1
    prev_label: str | None = None
    for i, tag in enumerate(tags):
        kind, lab = _CACHE.get(tag) or _parse(tag, i)
        if kind == "I" and prev_label != lab and first_i1 < 0:
            first_i1 = i
        elif kind == "B" and prev_label != lab and first_i2 < 0:
            first_i2 = i
        prev_label = lab if kind in ("B", "I") else None
    if first_i1 >= 0 and first_i2 >= 0:
        i = max(first_i1, first_i2)
        problems.append(
            TagError(
                f"entity tag {tags[i]!r} mixes IOB1 (token {first_i1 + 1} {tags[first_i1]!r} opens an "
                f"entity) and IOB2 (token {first_i2 + 1} {tags[first_i2]!r} opens one after O)",
                tag=tags[i],
                index=i,
                code="mixed-scheme",
            )
        )
    return problems


def spans_to_biluo(n: int, spans: Sequence[Span], missing: Sequence[bool] | None = None) -> list[str]:
    """BILUO tags of ``n`` tokens holding ``spans``; ``missing[i]`` tokens get ``"-"``."""
    return spans_to_tags(n, spans, "BILUO", missing)


def spans_to_iob(
    n: int, spans: Sequence[Span], scheme: str = "IOB2", missing: Sequence[bool] | None = None
) -> list[str]:
    """IOB2 (or IOB1) tags of ``n`` tokens holding ``spans``; ``missing[i]`` tokens get ``"-"``."""
    s = _check_scheme_arg(scheme)
    if s not in ("IOB1", "IOB2", "IOB"):
        raise ValueError(f"spans_to_iob writes IOB1 or IOB2, not {scheme!r}")
    return spans_to_tags(n, spans, s, missing)


def spans_to_tags(
    n: int, spans: Sequence[Span], scheme: str = "IOB2", missing: Sequence[bool] | None = None
) -> list[str]:
    """Tags of ``n`` tokens in ``scheme`` (IOB1, IOB2, BILUO, BIOES).

    Spans must not overlap (:class:`TagError` ``overlap``); an empty span is skipped. A token
    under ``missing`` keeps ``"-"`` unless a span covers it.
    """
    s = _check_scheme_arg(scheme)
    if s == "AUTO" or s == "IOB":
        s = "IOB2"
    if missing is not None and len(missing) != n:
        raise ValueError(f"missing has {len(missing)} items but there are {n} tokens")
    tags = ["O"] * n if missing is None else [MISSING if m else "O" for m in missing]
    begin, inside, last, unit = {
        "IOB1": ("B", "I", "I", "I"),
        "IOB2": ("B", "I", "I", "B"),
        "BILUO": ("B", "I", "L", "U"),
        "BIOES": ("B", "I", "E", "S"),
    }[s]
    prev_end = -1
    prev_label = ""
    covered_until = 0
    for span in sorted(spans, key=lambda sp: (sp.start, sp.end)):
        start, end, label = span.start, span.end, span.label
        if end <= start:
            continue
        if start < 0 or end > n:
            raise ValueError(f"span {start}:{end} ({label!r}) is outside the {n} tokens")
        if start < covered_until:
            raise TagError(
                f"entity {start}:{end} ({label!r}) overlaps another entity ending at token "
                f"{covered_until}; overlapping entities cannot be written as tags",
                tag=None,
                index=start,
                code="overlap",
            )
        covered_until = end
        if s == "IOB1":
            first = "B" if prev_end == start and prev_label == label else "I"
        else:
            first = unit if end - start == 1 else begin
        tags[start] = f"{first}-{label}"
        if end - start > 1:
            mid = f"{inside}-{label}"
            for i in range(start + 1, end - 1):
                tags[i] = mid
            tags[end - 1] = f"{last}-{label}"
        prev_end, prev_label = end, label
    return tags


def iob_to_biluo(tags: Sequence[str | None]) -> list[str]:
    """BILUO tags of an IOB1 or IOB2 sequence (missing tokens stay ``"-"``)."""
    spans, missing = tags_to_ents(tags, "IOB")
    return spans_to_tags(len(tags), spans, "BILUO", missing)


def biluo_to_iob(tags: Sequence[str | None], scheme: str = "IOB2") -> list[str]:
    """IOB2 (or IOB1) tags of a BILUO (or BIOES) sequence (missing tokens stay ``"-"``)."""
    spans, missing = tags_to_ents(tags, "auto")
    return spans_to_iob(len(tags), spans, scheme, missing)


def doc_to_tags(doc: Doc, scheme: str = "IOB2") -> list[str]:
    """Per-token entity tags of a Doc in ``scheme``; ``"-"`` where the annotation is missing."""
    n = len(doc.words)
    if doc.ents is None:
        return [MISSING] * n
    return spans_to_tags(n, doc.ents, scheme, doc.ents_missing)
