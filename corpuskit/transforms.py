"""Doc-stream transforms: merge, group sentences into docs, map entity labels, split sentences."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .doc import PROVENANCE_KEY, Doc, Span, slice_doc
from .errors import FormatError, UsageError

__all__ = [
    "DOCUMENT_KEY",
    "SENT_END_CHARS",
    "concatenate",
    "group_docs",
    "group_sents",
    "load_ner_map",
    "map_ner",
    "merge_docs",
    "seg_sents",
    "sentence_starts",
    "slice_doc",
    "split_sents",
]

#: Tokens that end a sentence (spaCy's sentencizer's default ``punct_chars``, Unicode-wide).
SENT_END_CHARS = frozenset(
    "!.?։؟۔܀܁܂߹।॥၊။።፧፨᙮᜵᜶᠃᠉᥄᥅᪨᪩᪪᪫᭚᭛᭞᭟᰻᰼᱾᱿‼‽⁇⁈⁉⸮⸼꓿꘎꘏꛳꛷꡶꡷꣎꣏꤯꧈꧉꩝꩞꩟꫰꫱꯫﹒﹖﹗！．？𐩖𐩗𑁇𑁈𑂾𑂿𑃀𑃁𑅁𑅂𑅃𑇅𑇆𑇍𑇞𑇟𑈸𑈹𑈻𑈼𑊩𑑋𑑌𑗂𑗃𑗉𑗊𑗋𑗌𑗍𑗎𑗏𑗐𑗑𑗒𑗓𑗔𑗕𑗖𑗗𑙁𑙂𑜼𑜽𑜾𑩂𑩃𑪛𑪜𑱁𑱂𖩮𖩯𖫵𖬷𖬸𖭄𛲟𝪈｡。"
)

#: ``Doc.user_data`` key marking a Doc that is a whole document (a CoNLL ``-DOCSTART-`` block):
#: grouping never merges it with others and never splits it (spaCy disables ``-n`` for such files).
DOCUMENT_KEY = "corpuskit.docstart"

_TOKEN_LISTS = ("tags", "pos", "morphs", "lemmas", "norms", "deps")


def _is_punct(word: str) -> bool:
    """Every character is Unicode punctuation (spaCy's ``is_punct``)."""
    return all(unicodedata.category(ch).startswith("P") for ch in word)


def _doc_sent_starts(doc: Doc) -> list[bool | None]:
    """Sentence starts of ``doc`` as a list: its own, else from the parse, else the first token."""
    n = len(doc)
    if doc.sent_starts is not None:
        starts = list(doc.sent_starts)
        if n and starts[0] is None:
            starts[0] = True
        return starts
    if doc.heads is not None and any(h is not None for h in doc.heads):
        out: list[bool | None] = [False] * n
        for start, _end in doc.sentence_bounds():
            out[start] = True
        return out
    return [True, *([None] * (n - 1))] if n else []


def merge_docs(docs: Sequence[Doc]) -> Doc:
    """One Doc made of ``docs`` in order, like spaCy's ``Doc.from_docs(docs, ensure_whitespace=True)``.

    Heads and spans are offset; a space is added after the last token of every doc but the last
    when it has none (even after a whitespace token, as ``spacy convert``'s blank vocab does).
    An annotation absent from some docs is unknown (``None``) on their tokens, and their
    entities are missing, never "O".
    ``user_data`` is merged: list values under the same key are concatenated, other values
    keep the first doc's. Provenance (``source``, ``lines``) is kept. Unlike spaCy, ``cats``
    are kept too (later docs win on a shared label).
    """
    if not docs:
        raise UsageError("merge_docs() needs at least one Doc")
    if len(docs) == 1:
        return docs[0]
    lengths = [len(d.words) for d in docs]
    offsets = [0] * len(docs)
    for k in range(1, len(docs)):
        offsets[k] = offsets[k - 1] + lengths[k - 1]
    words, spaces = _merged_text(docs, lengths)
    fields: dict[str, Any] = {}
    for name in _TOKEN_LISTS:
        values = [getattr(d, name) for d in docs]
        if values.count(None) == len(values):
            continue
        merged: list[Any] = []
        for n, v in zip(lengths, values, strict=True):
            merged.extend(v if v is not None else [None] * n)
        fields[name] = merged
    head_lists = [d.heads for d in docs]
    if head_lists.count(None) < len(docs):
        fields["heads"] = _merged_heads(head_lists, lengths, offsets)
    # sentence starts: explicit ones are kept; a doc without any starts a sentence
    parsed_all = all(
        d.sent_starts is None and hs is not None and hs.count(None) < n
        for d, hs, n in zip(docs, head_lists, lengths, strict=True)
    )
    if not parsed_all:
        sent_starts: list[bool | None] = []
        for d in docs:
            sent_starts.extend(_doc_sent_starts(d))
        fields["sent_starts"] = sent_starts
    if any(d.ents is not None for d in docs):
        fields["ents"], fields["ents_missing"] = _merged_ents(docs, lengths, offsets)
    spans: dict[str, list[Span]] = {}
    for d, offset in zip(docs, offsets, strict=True):
        for key, group in d.spans.items():
            spans.setdefault(key, []).extend(_shift(s, offset) for s in group)
    cats: dict[str, float] = {}
    for d in docs:
        if d.cats:
            cats.update(d.cats)
    source = next((d.source for d in docs if d.source is not None), None)
    lines: list[int] | None = None
    if any(d.lines is not None for d in docs):
        lines = []
        for d, n in zip(docs, lengths, strict=True):
            lines.extend(d.lines if d.lines is not None else [0] * n)
    return Doc(
        words=words,
        spaces=spaces,
        cats=cats,
        spans=spans,
        has_unknown_spaces=any(d.has_unknown_spaces for d in docs),
        user_data=_merge_user_data(docs),
        source=source,
        lines=lines,
        **fields,
    )


def _merged_text(docs: Sequence[Doc], lengths: list[int]) -> tuple[list[str], list[bool]]:
    """The words and spaces of the docs in order, a space after every doc but the last."""
    words: list[str] = []
    spaces: list[bool] = []
    last = len(docs) - 1
    for k, doc in enumerate(docs):
        words.extend(doc.words)
        sp = doc.spaces if doc.spaces is not None else [True] * lengths[k]
        spaces.extend(sp)
        if k < last and lengths[k] and not sp[-1]:
            spaces[-1] = True
    return words, spaces


def _merged_heads(
    head_lists: list[list[int | None] | None], lengths: list[int], offsets: list[int]
) -> list[int | None]:
    """Heads as absolute indices, offset by each doc's position (unknown where a doc has none)."""
    heads: list[int | None] = []
    for n, offset, hs in zip(lengths, offsets, head_lists, strict=True):
        if hs is None:
            heads.extend([None] * n)
        elif not offset:
            heads.extend(hs)
        elif None in hs:
            heads.extend([h + offset if h is not None else None for h in hs])
        else:
            heads.extend([h + offset for h in hs])  # type: ignore[operator]
    return heads


def _merged_ents(
    docs: Sequence[Doc], lengths: list[int], offsets: list[int]
) -> tuple[list[Span], list[bool] | None]:
    """Entities, offset, and the missing mask: a doc without NER annotation contributes missing tokens."""
    ents: list[Span] = []
    missing: list[bool] = []
    any_missing = False
    for d, n, offset in zip(docs, lengths, offsets, strict=True):
        if d.ents is None:
            missing.extend([True] * n)
            any_missing = any_missing or n > 0
            continue
        ents.extend([_shift(s, offset) for s in d.ents] if offset else d.ents)
        if d.ents_missing is None:
            missing.extend([False] * n)
        else:
            missing.extend(d.ents_missing)
            any_missing = any_missing or True in d.ents_missing
    return ents, (missing if any_missing else None)


def _shift(span: Span, offset: int) -> Span:
    if not offset:
        return span
    return Span(span.start + offset, span.end + offset, span.label, span.kb_id, span.id)


def _merge_user_data(docs: Sequence[Doc]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for d in docs:
        for key, value in d.user_data.items():
            if key == PROVENANCE_KEY:
                continue  # rebuilt from source and lines
            if key not in out:
                out[key] = list(value) if isinstance(value, list) else value
            elif isinstance(value, list) and isinstance(out[key], list):
                out[key].extend(value)
    return out


def split_sents(docs: Iterable[Doc]) -> Iterator[Doc]:
    """One Doc per sentence (see :meth:`Doc.sentence_bounds`); whole documents stay whole."""
    for doc in docs:
        if doc.user_data.get(DOCUMENT_KEY):
            yield doc
            continue
        bounds = doc.sentence_bounds()
        if len(bounds) <= 1:
            yield doc
            continue
        for start, end in bounds:
            yield slice_doc(doc, start, end)


def group_sents(docs: Iterable[Doc], n_sents: int) -> Iterator[Doc]:
    """Merge every ``n_sents`` consecutive sentences into one Doc (spaCy's ``convert -n``).

    Each input doc counts as one sentence, as the converters yield them and as spaCy counts
    them (a CoNLL-U sentence is one unit even if its tree has two roots); use
    :func:`split_sents` first to cut docs at their sentence boundaries. ``n_sents`` 0 or 1
    means no grouping: the docs pass through. The last doc may hold fewer sentences. A doc marked as a
    whole document (``user_data[DOCUMENT_KEY]``, a CoNLL ``-DOCSTART-`` block) passes through
    as it is and is never merged with its neighbours.
    """
    if n_sents < 0:
        raise UsageError(f"n_sents must be 0 or more, got {n_sents}")
    if n_sents <= 1:
        yield from docs
        return
    buffer: list[Doc] = []
    for doc in docs:
        if doc.user_data.get(DOCUMENT_KEY):
            if buffer:
                yield merge_docs(buffer)
                buffer = []
            yield doc
            continue
        buffer.append(doc)
        if len(buffer) >= n_sents:
            yield merge_docs(buffer)
            buffer = []
    if buffer:
        yield merge_docs(buffer)


def group_docs(docs: Iterable[Doc], starts_document: Any) -> Iterator[Doc]:
    """Merge the docs between two document starts (``starts_document(doc)`` is true) into one."""
    buffer: list[Doc] = []
    for doc in docs:
        if buffer and starts_document(doc):
            yield merge_docs(buffer)
            buffer = []
        buffer.append(doc)
    if buffer:
        yield merge_docs(buffer)


def load_ner_map(path: str | Path) -> dict[str, str]:
    """Read an entity label map (spaCy's ``--ner-map``): a JSON object ``{"OLD": "NEW"}``.

    Mapping a label to ``""`` drops those entities (their tokens become "O").
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file (the --ner-map JSON)") from None
    except UnicodeDecodeError as e:
        raise FormatError(f"byte {e.object[e.start : e.end]!r} is not valid UTF-8", path=str(path)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise FormatError(f"invalid JSON: {e.msg}", path=str(path), line=e.lineno, column=e.colno) from None
    if not isinstance(data, dict):
        raise FormatError(
            f"expected a JSON object mapping entity labels to new labels, got a {type(data).__name__}",
            path=str(path),
        )
    for key, value in data.items():
        if not isinstance(value, str):
            raise FormatError(
                f'label {key!r} maps to {value!r}; expected a string ("" drops the label)', path=str(path)
            )
    return {str(k): v for k, v in data.items()}


def map_ner(docs: Iterable[Doc], ner_map: Mapping[str, str]) -> Iterator[Doc]:
    """Rename entity labels by ``ner_map`` (spaCy's ``--ner-map``); unknown labels are kept.

    A label mapped to ``""`` drops its entities: their tokens become "O" (not missing).
    """
    if not ner_map:
        yield from docs
        return
    for doc in docs:
        if doc.ents:
            ents = []
            for s in doc.ents:
                label = ner_map.get(s.label, s.label)
                if label:
                    ents.append(s if label == s.label else Span(s.start, s.end, label, s.kb_id, s.id))
            doc.ents = ents
        yield doc


def sentence_starts(words: Sequence[str]) -> list[bool]:
    """Rule-based sentence starts (spaCy's sentencizer's rules).

    A sentence ends at a token in :data:`SENT_END_CHARS` (``.``, ``!``, ``?``, and their kin in
    other scripts) and any punctuation right after it (closing quotes and brackets, ``...``);
    the next token that is not punctuation starts a new sentence.
    """
    starts = [False] * len(words)
    if not words:
        return starts
    starts[0] = True
    seen_end = False
    for i, word in enumerate(words):
        is_end = word in SENT_END_CHARS
        if seen_end and not is_end and not _is_punct(word):
            starts[i] = True
            seen_end = False
        elif is_end:
            seen_end = True
    return starts


def seg_sents(docs: Iterable[Doc]) -> Iterator[Doc]:
    """Set rule-based sentence starts (see :func:`sentence_starts`) on docs that have none.

    A doc that already has sentence boundaries (explicit starts after its first token, or a
    parse) is left as it is.
    """
    for doc in docs:
        has_bounds = (doc.sent_starts is not None and any(doc.sent_starts[1:])) or (
            doc.heads is not None and any(h is not None for h in doc.heads)
        )
        if not has_bounds and len(doc):
            doc.sent_starts = list(sentence_starts(doc.words))
        yield doc


def concatenate(streams: Iterable[Iterable[Doc]]) -> Iterator[Doc]:
    """One stream of the docs of every stream in order (``convert --concatenate``)."""
    for stream in streams:
        yield from stream
