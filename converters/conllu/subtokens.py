"""``-T``/``merge_subtokens``: one token per multiword token, as spaCy's
``merge_conllu_subtokens`` and its retokenizer make it."""

from __future__ import annotations

from dataclasses import dataclass

from corpuskit import Span

from .base import error, normalise_feats

__all__ = ["Merged", "Sentence", "TokenColumns", "merge_subtokens", "span_root"]


@dataclass(slots=True)
class TokenColumns:
    """A sentence's (or a group's) token columns as they go into a Doc."""

    words: list[str]
    spaces: list[bool]
    tags: list[str | None]
    pos: list[str | None]
    morphs: list[str | None]
    lemmas: list[str | None]
    heads: list[int | None]
    deps: list[str | None]


@dataclass(slots=True)
class Sentence(TokenColumns):
    """One sentence's token columns before merging (heads sentence-relative; ``feats`` the raw
    FEATS; ``mwt``: first word, end word, form)."""

    feats: list[str]
    lines: list[int]
    mwt: list[tuple[int, int, str]]


@dataclass(slots=True)
class Merged(TokenColumns):
    """The merged sentence's columns (heads sentence-relative; ``ents`` None where not read)."""

    lines: list[int]
    ents: list[Span] | None


# a merged token: form, tag, lemma, FEATS, pos, head, dep, space after
_Token = tuple[str, str | None, str | None, str, str | None, int | None, str | None, bool]


def span_root(heads: list[int | None], start: int, end: int, source: str | None, line: int) -> int:
    """spaCy's ``Span.root``: a sentence root in the span, else the token nearest the root; heads
    that form a cycle are a FormatError at ``line``."""
    for i in range(start, end):
        if heads[i] == i:
            return i
    best = len(heads)
    root = -1
    for i in range(start, end):
        h = heads[i]
        assert h is not None
        if start <= h < end:
            continue
        steps = 0
        j = i
        while heads[j] != j:
            nxt = heads[j]
            assert nxt is not None
            j = nxt
            steps += 1
            if steps >= len(heads):
                raise error(
                    "the heads of this sentence form a cycle; expected a tree",
                    source,
                    line,
                    check="dep-cycle",
                )
        if steps < best:
            best = steps
            root = i
    return start if root == -1 else root


def merge_subtokens(sent: Sentence, ents: list[Span] | None, morphology: bool, source: str | None) -> Merged:
    """One token per multiword token: its form, the words' tags joined by ``_``, lemmas by a
    space, FEATS merged; POS, head and relation of the span's root; entities re-cut."""
    n = len(sent.words)
    raw_feats = [f if f != "_" else "" for f in sent.feats]
    ent_iob = ent_type = None
    if ents is not None:
        ent_iob = ["O"] * n
        ent_type = [""] * n
        for s in ents:
            ent_iob[s.start] = "B"
            for k in range(s.start, s.end):
                ent_type[k] = s.label
                if k > s.start:
                    ent_iob[k] = "I"
    merged: dict[int, _Token] = {}
    for start, end, form in sent.mwt:
        root = span_root(sent.heads, start, end, source, sent.lines[start])
        merged[start] = _merged_token(sent, raw_feats, start, end, form, root, morphology)
        if ent_iob is not None and ent_type is not None:
            _merge_ent(ent_iob, ent_type, start, root)
    keep = [True] * n
    for start, end, _form in sent.mwt:
        for k in range(start + 1, end):
            keep[k] = False
    out = _rebuild(sent, raw_feats, merged, keep, morphology)
    if ent_iob is not None and ent_type is not None:
        out.ents = _ents(
            [b for b, k in zip(ent_iob, keep, strict=True) if k],
            [t for t, k in zip(ent_type, keep, strict=True) if k],
        )
    return out


def _merged_token(
    sent: Sentence, raw_feats: list[str], start: int, end: int, form: str, root: int, morphology: bool
) -> _Token:
    sub = range(start, end)
    joined_tags = "_".join(str(sent.tags[k]) for k in sub)
    joined_lemmas = " ".join(str(sent.lemmas[k]) for k in sub)
    fields: dict[str, set[str]] = {}
    for k in sub:
        if raw_feats[k]:
            for feature in raw_feats[k].split("|"):
                field, values = feature.split("=", 1)
                fields.setdefault(field, set()).update(values.split(","))
    merged_feats = "|".join(sorted(f"{f}=" + ",".join(sorted(v)) for f, v in fields.items()))
    tag: str = joined_tags
    if morphology and merged_feats:
        tag = f"{tag}__{merged_feats}"
    return (
        form,
        tag,
        joined_lemmas,
        merged_feats,
        sent.pos[root],
        sent.heads[root],
        sent.deps[root],
        sent.spaces[end - 1],
    )


def _merge_ent(ent_iob: list[str], ent_type: list[str], start: int, root: int) -> None:
    """The entity tag of a merged token: its root's (an I- stays I- where the entity goes on)."""
    iob_root = ent_iob[root]
    new_iob = iob_root
    if iob_root in ("B", "I"):
        new_iob = "B"
        if (
            ent_iob[start] == "I"
            and start > 0
            and ent_type[start] == ent_type[root]
            and ent_type[start - 1] == ent_type[root]
        ):
            new_iob = "I"
    ent_iob[start] = new_iob
    ent_type[start] = ent_type[root]


def _rebuild(
    sent: Sentence, raw_feats: list[str], merged: dict[int, _Token], keep: list[bool], morphology: bool
) -> Merged:
    """The kept tokens, each multiword token's first word replaced by the merged token."""
    new_index = []
    pos_new = 0
    for kept in keep:
        if kept:
            new_index.append(pos_new)
            pos_new += 1
        else:
            new_index.append(pos_new - 1)
    out = Merged([], [], [], [], [], [], [], [], [], None)
    for k in range(len(sent.words)):
        if not keep[k]:
            continue
        if k in merged:
            m_form, m_tag, m_lemma, m_feats, p, h, d, sp = merged[k]
            out.words.append(m_form)
            out.tags.append(m_tag)
            out.lemmas.append(m_lemma)
            out.morphs.append(normalise_feats(m_feats, None, 0) if m_feats else "")
        else:
            out.words.append(sent.words[k])
            t = sent.tags[k]
            f = raw_feats[k]
            out.tags.append(f"{t}__{f}" if morphology and f else t)
            out.lemmas.append(sent.lemmas[k])
            out.morphs.append(sent.morphs[k])
            p, h, d, sp = sent.pos[k], sent.heads[k], sent.deps[k], sent.spaces[k]
        out.pos.append(p)
        out.heads.append(new_index[h] if h is not None else None)
        out.deps.append(d)
        out.spaces.append(sp)
        out.lines.append(sent.lines[k])
    return out


def _ents(out_iob: list[str], out_type: list[str]) -> list[Span]:
    """The retokenizer's ``make_iob_consistent`` (an I- after a token of another label is a B-),
    then the entities."""
    for i, b in enumerate(out_iob):
        if b == "I" and (i == 0 or out_type[i - 1] != out_type[i]):
            out_iob[i] = "B"
    out_ents = []
    start_i = -1
    label = ""
    for i, (b, t) in enumerate(zip(out_iob, out_type, strict=True)):
        if b == "I" and start_i != -1:
            continue
        if start_i != -1:
            out_ents.append(Span(start_i, i, label))
            start_i = -1
        if b in ("B", "I") and t:
            start_i, label = i, t
    if start_i != -1:
        out_ents.append(Span(start_i, len(out_iob), label))
    return out_ents
