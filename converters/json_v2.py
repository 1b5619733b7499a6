"""spaCy v2 training JSON: read it as Docs (one per paragraph) and write it as ``docs_to_json`` does.

The shape::

    [{"id": 0, "paragraphs": [{"raw": "...", "cats": [{"label": "X", "value": 1.0}],
      "sentences": [{"tokens": [{"id": 0, "orth": "Hi", "space": " ", "tag": "UH", "pos": "INTJ",
                                 "morph": "", "lemma": "hi", "head": 0, "dep": "ROOT",
                                 "ner": "U-X"}],
                     "brackets": []}]}]}]

``head`` is relative (the head's index minus the token's), ``ner`` is BILUO and ``"-"`` or
``null`` marks a token whose entity annotation is missing; a key absent from every token means
the annotation is absent. The file is read one top-level document at a time (never parsed
whole), and every token keeps the physical line of its ``"orth"``. What spaCy gets wrong and
corpuskit does not: another shape is an error that says what was found (spaCy reports
"0 documents", its issue #6342); broken or truncated JSON names the line and column; a
``B-`` without ``L-`` is an error (spaCy drops the entity silently); tokens with and without
tags in one paragraph keep the tags they have (spaCy fails).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from corpuskit.doc import Doc, Span
from corpuskit.errors import FormatError
from corpuskit.morph import sort_feats
from corpuskit.registry import Converter, ConverterOptions
from corpuskit.tags import TagError, tags_to_ents

from ._json import WS, Buffer, describe, lone_surrogate

__all__ = ["converter", "detect", "docs_to_json", "parse_json", "read_json", "write_json"]

_JSON_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')


_EXPECTED = 'expected a JSON array of documents [{"id": ..., "paragraphs": [...]}] (spaCy v2 training JSON)'


def _hint(value: Any) -> str:
    if isinstance(value, dict):
        if "paragraphs" in value:
            return ": a single document; wrap it in [ ]"
        if "data" in value and "annotations" in value:
            return ": this looks like a Label Studio export (use the labelstudio converter)"
        if "text" in value:
            return ": this looks like text with spans (use the jsonl, doccano or prodigy converter)"
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
        return ": this looks like spaCy v2's simple (text, annotations) training format"
    return ""


_TRUNCATED = "the file ends inside the top-level array: it is truncated"


def _iter_documents(buf: Buffer) -> Iterator[tuple[dict[str, Any], int, int]]:
    """Yield each document object of the top-level array, with its start and end in ``buf.text``."""
    buf.fill(0)
    pos = buf.skip_ws(0)
    if pos >= len(buf.text):
        raise FormatError(f"the file is empty; {_EXPECTED}", path=buf.source, line=1)
    if buf.text[pos] != "[":
        value, start, end = buf.decode(pos)
        line, column = buf.line_of(start), buf.column_of(start)
        hint = _hint(value)
        after = buf.skip_ws(end)
        if isinstance(value, dict) and after < len(buf.text) and buf.text[after] == "{":
            hint = ": one JSON object per line is JSONL (use the jsonl, doccano or prodigy converter)"
        raise FormatError(
            f"found {describe(value)} at the top level{hint}; {_EXPECTED}",
            path=buf.source,
            line=line,
            column=column,
        )
    pos += 1
    index = 0
    while True:
        pos = buf.skip_ws(pos)
        if pos >= len(buf.text):
            raise buf.error(_TRUNCATED, len(buf.text.rstrip()))
        if buf.text[pos] == "]":
            break
        if index:
            if buf.text[pos] != ",":
                raise buf.error(f"invalid JSON: expected ',' or ']' after document {index}", pos)
            pos = buf.skip_ws(pos + 1)
            if pos >= len(buf.text):
                raise buf.error(_TRUNCATED, len(buf.text.rstrip()))
        value, start, end = buf.decode(pos)
        index += 1
        bad = lone_surrogate(buf.text[start:end], value)
        if bad is not None:
            raise buf.error(bad[0], start + bad[1])
        if not isinstance(value, dict) or not isinstance(value.get("paragraphs"), list):
            found = describe(value)
            if isinstance(value, dict) and "paragraphs" in value:
                found = f"an object whose 'paragraphs' is {describe(value['paragraphs'])}"
            raise buf.error(
                f"document {index} of the top-level array is {found}{_hint(value)}; "
                'expected {"id": ..., "paragraphs": [...]} (spaCy v2 training JSON)',
                start,
            )
        yield value, start, end
        pos = end
    end = buf.skip_ws(pos + 1)
    if end < len(buf.text):
        raise buf.error(f"extra data after the top-level array: {buf.text[end : end + 20]!r}", end)


def _orth_positions(text: str, start: int, end: int, n_keys: int) -> list[int] | None:
    """Positions of the ``n_keys`` ``"orth"`` keys in ``text[start:end]``, in order (None if not found)."""
    found = []
    find = text.find
    k = find('"orth"', start, end)
    while k >= 0:
        j = k + 6
        while j < end and text[j] in WS:
            j += 1
        if j < end and text[j] == ":" and text[k - 1] != "\\":
            found.append(k)
        k = find('"orth"', j, end)
    if len(found) == n_keys:
        return found
    # exact but slower: walk every JSON string, so "orth" inside a value is never taken for a key
    exact = []
    for m in _JSON_STRING.finditer(text, start, end):
        if m.group() == '"orth"':
            j = m.end()
            while j < end and text[j] in WS:
                j += 1
            if j < end and text[j] == ":":
                exact.append(m.start())
    return exact if len(exact) == n_keys else None


def parse_json(lines: Iterable[str], *, source: str | None = None, scheme: str = "BILUO") -> Iterator[Doc]:
    """Yield one Doc per paragraph of spaCy v2 training JSON, read one document at a time.

    ``scheme`` is the scheme of the ``ner`` tags (``BILUO``, as spaCy writes them, or ``auto``).
    """
    buf = Buffer(lines, source)
    for doc_index, (value, start, end) in enumerate(_iter_documents(buf), 1):
        doc_line = buf.line_of(start)
        has_orth: list[bool] = []  # per token: does it have an "orth" key (whose line we can find)?
        for para in value["paragraphs"]:
            if isinstance(para, dict) and isinstance(para.get("sentences"), list):
                for sent in para["sentences"]:
                    if isinstance(sent, dict) and isinstance(sent.get("tokens"), list):
                        has_orth.extend(isinstance(t, dict) and "orth" in t for t in sent["tokens"])
        n_tokens = len(has_orth)
        positions = _orth_positions(buf.text, start, end, sum(has_orth))
        # the physical line of each token's "orth" (the document's first line if they cannot be told)
        token_lines = [doc_line] * n_tokens
        if positions is not None:
            count = buf.text.count
            line, prev = doc_line, start
            it = iter(positions)
            for k, ok in enumerate(has_orth):
                if ok:  # a token without "orth" gets the line of the token before it
                    p = next(it)
                    line += count("\n", prev, p)
                    prev = p
                token_lines[k] = line
            buf.line_of(prev)
        offset = 0
        for p_index, para in enumerate(value["paragraphs"], 1):
            where = f"document {doc_index}, paragraph {p_index}"
            doc = _paragraph(para, where, source, token_lines, offset, doc_line, scheme)
            offset += len(doc.words)
            yield doc


def _fail(message: str, source: str | None, line: int, check: str | None = None) -> FormatError:
    return FormatError(message, path=source, line=line, check=check)


def _paragraph(
    para: Any,
    where: str,
    source: str | None,
    token_lines: list[int],
    offset: int,
    doc_line: int,
    scheme: str,
) -> Doc:
    """One paragraph as a Doc, as spaCy's ``json_to_annotations`` + ``annotations_to_doc`` read it."""
    line = token_lines[offset] if offset < len(token_lines) else doc_line
    if not isinstance(para, dict):
        raise _fail(f"{where} is {describe(para)}; expected an object with 'sentences'", source, line)
    sents = para.get("sentences")
    if not isinstance(sents, list):
        raise _fail(
            f"{where} has {'no' if sents is None else describe(sents)} 'sentences'; "
            'expected a list of {"tokens": [...]}',
            source,
            line,
        )
    toks, sent_starts, doc_lines, words = _tokens(sents, where, source, token_lines[offset:], line)
    keys: set[str] = set().union(*toks) if toks else set()

    def column(key: str) -> list[Any]:
        if key not in keys:
            return []
        values = [t.get(key) for t in toks]
        if key != "space" and key != "head" and key != "ner":
            _check_strings(values, key, source, doc_lines)
        return values

    spaces, tags, pos, morphs, lemmas = (column(k) for k in ("space", "tag", "pos", "morph", "lemma"))
    rel_heads, deps, ner = column("head"), _norm_deps(column("dep")), column("ner")
    heads = _heads(rel_heads, words, source, doc_lines)
    raw = para.get("raw")
    if raw is not None and not isinstance(raw, str):
        raise _fail(f"'raw' of {where} is {describe(raw)}; expected a string", source, line)
    # spacing: the tokens' own, else guessed from the raw text (as spaCy does), else unknown
    doc_spaces: list[bool] | None = None
    if any(sp is not None for sp in spaces):
        doc_spaces = [bool(sp) for sp in spaces]
    elif raw is not None:
        doc_spaces = _guess_spaces(raw, words)
    has_heads = any(h is not None for h in heads)
    ents: list[Span] | None = None
    missing: list[bool] | None = None
    if any(t is not None and t != "-" for t in ner):
        try:
            ents, missing = tags_to_ents(ner, scheme)
        except TagError as e:
            raise _fail(f"'ner' {e.detail}", source, doc_lines[e.index], "invalid-tag-sequence") from None
    return Doc(
        words=words,
        spaces=doc_spaces,
        tags=_or_none(tags) if any(tags) else None,
        pos=_or_none(pos) if any(pos) else None,
        morphs=morphs if any(m is not None for m in morphs) else None,
        lemmas=_or_none(lemmas) if any(lemmas) else None,
        heads=heads if has_heads else None,
        deps=deps if any(deps) else None,
        sent_starts=None if has_heads else sent_starts,
        ents=ents,
        ents_missing=missing,
        cats=_cats(para.get("cats"), where, source, line),
        source=source,
        lines=doc_lines,
    )


def _tokens(
    sents: list[Any], where: str, source: str | None, lines: list[int], line: int
) -> tuple[list[Any], list[bool | None], list[int], list[str]]:
    """A paragraph's tokens, sentence starts, token lines and words (each an ``orth`` string)."""
    toks: list[Any] = []
    sent_starts: list[bool | None] = []
    for s_index, sent in enumerate(sents, 1):
        tokens = sent.get("tokens") if isinstance(sent, dict) else None
        if not isinstance(tokens, list):
            at = lines[len(toks)] if len(toks) < len(lines) else line
            raise _fail(
                f"sentence {s_index} of {where} has no 'tokens' list; expected {{\"tokens\": [...]}}",
                source,
                at,
            )
        if tokens:
            toks.extend(tokens)
            sent_starts.append(True)
            sent_starts.extend([False] * (len(tokens) - 1))
    n = len(toks)
    doc_lines = lines[:n] if len(lines) >= n else [line] * n
    words: list[Any] = [t.get("orth") if isinstance(t, dict) else t for t in toks]
    if not all(isinstance(w, str) for w in words):
        k = next(k for k, w in enumerate(words) if not isinstance(w, str))
        what = f"'orth' {words[k]!r}" if isinstance(toks[k], dict) else describe(toks[k])
        raise _fail(
            f"token {k + 1} of {where} has {what}; expected an object with an 'orth' string",
            source,
            doc_lines[k],
        )
    if "" in words:
        k = words.index("")
        raise _fail(
            f"token {k + 1} of {where} has an empty 'orth'; expected the token's text "
            "(spaCy cannot hold an empty token: its error E031)",
            source,
            doc_lines[k],
        )
    return toks, sent_starts, doc_lines, words


def _heads(
    rel_heads: list[Any], words: list[str], source: str | None, doc_lines: list[int]
) -> list[int | None]:
    """Relative heads as token indices (None where unset); one outside the paragraph raises."""
    n = len(words)
    heads: list[int | None] = []
    if rel_heads:
        for k, rel in enumerate(rel_heads):
            if rel is None:
                heads.append(None)
                continue
            if not isinstance(rel, int) or isinstance(rel, bool):
                raise _fail(f"'head' {rel!r} is not an integer (a relative offset)", source, doc_lines[k])
            if not 0 <= rel + k < n:
                raise _fail(
                    f"'head' {rel} of token {words[k]!r} points at token {rel + k + 1}, outside the "
                    f"paragraph's {n} tokens",
                    source,
                    doc_lines[k],
                    "head-out-of-range",
                )
            heads.append(rel + k)
    return heads


def _check_strings(values: list[Any], key: str, source: str | None, lines: list[int]) -> None:
    """Every value is a string or null, or a FormatError names the first that is not."""
    for k, v in enumerate(values):
        if v is not None and not isinstance(v, str):
            raise _fail(f"{key!r} of token {k + 1} is {describe(v)}; expected a string", source, lines[k])


def _or_none(values: list[Any]) -> list[str | None]:
    """``""`` means unset, as in spaCy."""
    return [v or None for v in values] if "" in values else values


def _norm_deps(deps: list[Any]) -> list[Any]:
    """spaCy reads the root label case-insensitively: ``root`` becomes ``ROOT``."""
    roots = {d for d in set(deps) if d is not None and d != "ROOT" and d.lower() == "root"}
    return ["ROOT" if d in roots else d for d in deps] if roots else _or_none(deps)


_CAT = '{"label": ..., "value": ...}'


def _cats(cats: Any, where: str, source: str | None, line: int) -> dict[str, float]:
    if not cats:
        return {}
    out: dict[str, float] = {}
    if isinstance(cats, dict):  # {"LABEL": 1.0}, as spaCy v3 writes cats
        items = list(cats.items())
    elif isinstance(cats, list):
        items = []
        for cat in cats:
            if not isinstance(cat, dict) or "label" not in cat or "value" not in cat:
                raise _fail(f"'cats' of {where} holds {describe(cat)}; expected {_CAT}", source, line)
            items.append((cat["label"], cat["value"]))
    else:
        raise _fail(f"'cats' of {where} is {describe(cats)}; expected a list of {_CAT}", source, line)
    for label, value in items:
        if not isinstance(label, str) or isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _fail(f"category {label!r}: {value!r}; expected a string label and a number", source, line)
        out[label] = value  # kept as given (spaCy keeps an int 0 an int)
    return out


def _guess_spaces(text: str, words: list[str]) -> list[bool]:
    """spaCy's ``_guess_spaces``: find each word in the raw text and look at the next character."""
    spaces = []
    text_pos = 0
    n = len(text)
    for word in words:
        start = text.find(word, text_pos)
        if start < 0:
            spaces.append(True)
            continue
        text_pos = start + len(word)
        spaces.append(text_pos < n and text[text_pos] == " ")
    return spaces


def read_json(path: str, *, encoding: str = "utf-8", scheme: str = "BILUO") -> Iterator[Doc]:
    """Yield the Docs of a spaCy v2 JSON file."""
    from corpuskit.io import read_lines

    return parse_json(read_lines(path, encoding=encoding), source=str(path), scheme=scheme)


# --- writing --------------------------------------------------------------------------------


def _paragraph_json(doc: Doc) -> dict[str, Any]:
    """One Doc as spaCy's ``docs_to_json`` writes a paragraph."""
    n = len(doc.words)
    spaces = doc.spaces if doc.spaces is not None else [True] * n
    offsets = doc.token_offsets()
    ents = sorted(doc.ents or (), key=lambda s: (s.start, s.end))
    para: dict[str, Any] = {
        "raw": None if doc.has_unknown_spaces else doc.text,
        "sentences": [],
        "cats": [{"label": k, "value": v} for k, v in doc.cats.items()],
        "entities": [(offsets[s.start][0], offsets[s.end - 1][1], s.label) for s in ents if s.end > s.start],
        "links": [],
    }
    all_missing = doc.ents_missing is not None and all(doc.ents_missing) and not ents
    has_ner = doc.ents is not None and not all_missing
    ner: list[str] = []
    if has_ner:
        missing = doc.ents_missing
        ner = ["O"] * n if missing is None else ["-" if m else "O" for m in missing]
        for s in ents:
            if s.end - s.start == 1:
                ner[s.start] = f"U-{s.label}"
            elif s.end > s.start:
                ner[s.start] = f"B-{s.label}"
                for i in range(s.start + 1, s.end - 1):
                    ner[i] = f"I-{s.label}"
                ner[s.end - 1] = f"L-{s.label}"
    tags = doc.tags if doc.tags is not None and any(doc.tags) else None
    pos = doc.pos if doc.pos is not None and any(doc.pos) else None
    morphs = doc.morphs if doc.morphs is not None and any(m is not None for m in doc.morphs) else None
    lemmas = doc.lemmas if doc.lemmas is not None and any(doc.lemmas) else None
    deps = doc.deps if doc.deps is not None and any(doc.deps) else None
    heads = doc.heads
    for start, end in doc.sentence_bounds():
        tokens = []
        for i in range(start, end):
            tok: dict[str, Any] = {"id": i, "orth": doc.words[i], "space": " " if spaces[i] else ""}
            if tags is not None:
                tok["tag"] = tags[i] or ""
            if pos is not None:
                tok["pos"] = pos[i] or ""
            if morphs is not None:
                tok["morph"] = sort_feats(morphs[i] or "")
            if lemmas is not None:
                tok["lemma"] = lemmas[i] or ""
            if deps is not None:
                h = heads[i] if heads is not None else None
                tok["head"] = (h - i) if h is not None else 0
                tok["dep"] = deps[i] or ""
            if has_ner:
                tok["ner"] = ner[i]
            tokens.append(tok)
        para["sentences"].append({"tokens": tokens, "brackets": []})
    return para


def docs_to_json(docs: Iterable[Doc], doc_id: int = 0) -> dict[str, Any]:
    """spaCy's ``docs_to_json``: one JSON document with one paragraph per Doc.

    Unlike spaCy, a token whose entity annotation is missing is written ``"-"`` (spaCy writes
    ``"O"``), and entity links are not written (spaCy's links cannot be serialised).
    """
    return {"id": doc_id, "paragraphs": [_paragraph_json(doc) for doc in docs]}


def _indented(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def write_json(docs: Iterable[Doc], out: IO[str], *, doc_id: int = 0) -> None:
    """Write Docs as ``spacy convert -t json`` does: ``[docs_to_json(docs)]``, streamed.

    The text is byte for byte what ``srsly.write_json`` gives (2-space indent, no space after
    colons), written one paragraph at a time.
    """
    import srsly  # here, not at the top: every command loads every converter to detect formats

    out.write(f'[\n  {{\n    "id":{srsly.json_dumps(doc_id)},\n    "paragraphs":[\n')
    first = True
    for doc in docs:
        if not first:
            out.write(",\n")
        first = False
        out.write(_indented(srsly.json_dumps(_paragraph_json(doc), indent=2), "      "))
    out.write("\n    ]\n  }\n]")


def detect(head: list[str]) -> float:
    """How well the first lines of a file fit spaCy v2 training JSON (0-1)."""
    text = "\n".join(head).lstrip()
    if not text.startswith("["):
        return 0.0
    rest = text[1:].lstrip()
    if rest and not rest.startswith("{"):
        return 0.0
    if '"paragraphs"' in text:
        return 1.0
    return 0.5 if '"id"' in text or not rest else 0.3


@dataclass(frozen=True)
class JsonOptions(ConverterOptions):
    """:func:`parse_json`'s options."""

    scheme: str = "BILUO"


converter = Converter(
    name="json",
    parse=parse_json,
    write=write_json,
    detect=detect,
    extensions=(".json",),
    options_type=JsonOptions,
    unit="document",
    write_options=frozenset({"doc_id"}),
    description="spaCy v2 training JSON: documents of paragraphs of sentences of tokens",
)
