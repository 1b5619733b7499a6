"""Placing a record's spans on its tokens: the Docs, and the readers ``parse_*``/``read_jsonl``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from corpuskit.alignment import (
    OFFSET_UNITS,
    OffsetUnit,
    SpanProblem,
    detect_offset_units,
    offset_table,
    offsets_to_biluo,
)
from corpuskit.doc import Doc
from corpuskit.errors import UsageError
from corpuskit.tags import biluo_to_spans
from corpuskit.tokenizer import Tokenizer, shared_tokenizer

from .common import (
    _UNIT_LABELS,
    FLAVOURS,
    META_KEY,
    PROBLEMS_KEY,
    UNITS_KEY,
    Flavour,
    JsonlReport,
    resolve_units,
)
from .records import _iter_jsonl, _iter_labelstudio, _Record, _Where


def _words_for(record: _Record, tokenizer: Tokenizer) -> tuple[list[str], list[bool], list[tuple[int, int]]]:
    """Words, spaces and code-point offsets of the record's tokens; their text is the record's."""
    if record.tokenized is not None:
        return record.tokenized
    text = record.text
    if record.tokens is None:
        words, spaces = tokenizer.tokenize(text)
        # The tokenizer only splits text and drops whitespace: equal lengths mean the same text.
        if sum(map(len, words)) + sum(spaces) != len(text):
            # The tokens do not rebuild the text exactly: place them in it, gaps become tokens.
            words, spaces = _words_from_tokens(text, _locate(text, words))
    else:
        words, spaces = _words_from_tokens(text, record.tokens)
    offsets: list[tuple[int, int]] = []
    pos = 0
    for w, sp in zip(words, spaces, strict=True):
        offsets.append((pos, pos + len(w)))
        pos += len(w) + sp
    record.tokenized = (words, spaces, offsets)
    return record.tokenized


def _locate(text: str, words: list[str]) -> list[tuple[str, int, int, bool | None]]:
    out: list[tuple[str, int, int, bool | None]] = []
    pos = 0
    for w in words:
        if not w.strip():
            continue
        k = text.find(w, pos)
        if k < 0:
            continue
        out.append((w, k, k + len(w), None))
        pos = k + len(w)
    return out


def _words_from_tokens(
    text: str, tokens: Sequence[tuple[str, int, int, bool | None]]
) -> tuple[list[str], list[bool]]:
    """Words and spaces whose text is exactly ``text``: gaps other than one space become tokens."""
    words: list[str] = []
    spaces: list[bool] = []
    pos = 0
    for k, (word, s, e, ws) in enumerate(tokens):
        if s > pos:
            _gap(text[pos:s], words, spaces)
        if e == s:
            continue
        words.append(word)
        nxt = tokens[k + 1][1] if k + 1 < len(tokens) else len(text)
        space = e < len(text) and text[e] == " " and (ws is None or ws) and nxt > e
        spaces.append(space)
        pos = e + 1 if space else e
    if pos < len(text):
        _gap(text[pos:], words, spaces)
    return words, spaces


def _gap(gap: str, words: list[str], spaces: list[bool]) -> None:
    """Text between tokens: a space after a token is its trailing space, the rest whitespace tokens."""
    if words and not spaces[-1] and gap.startswith(" "):
        spaces[-1] = True
        gap = gap[1:]
    if gap:
        # As spaCy: one whitespace token, with a trailing space if the gap ends in one more.
        if len(gap) > 1 and gap.endswith(" "):
            words.append(gap[:-1])
            spaces.append(True)
        else:
            words.append(gap)
            spaces.append(False)


def _unit_length(text: str, unit: OffsetUnit) -> int:
    if unit == "codepoints":
        return len(text)
    return int(offset_table(text, unit)[-1])


def _convert(
    text: str, spans: list[tuple[int, int, str]], unit: OffsetUnit, where: _Where
) -> tuple[list[tuple[int, int, str]], list[tuple[bool, bool]]]:
    """Spans in code points, and which edges fell inside a character (rounded outwards)."""
    size = _unit_length(text, unit)
    for s, e, label in spans:
        if e > size:
            counted = f" counted in {_UNIT_LABELS[unit]}" if unit != "codepoints" else ""
            hint = ""
            fitting = [u for u in OFFSET_UNITS if u != unit and e <= _unit_length(text, u)]
            if fitting:
                guess = detect_offset_units(text, spans)
                if guess.unit in fitting and guess.exact:
                    named = _UNIT_LABELS[guess.unit]
                    hint = f" (the record's spans all fit counted in {named}: set the offset units)"
                else:
                    named = _UNIT_LABELS[fitting[0]]
                    hint = f" (it is within the text counted in {named}: check the offset units)"
            raise where.error(
                f"span [{s}, {e}] ({label!r}) ends beyond the text, which is {size} long{counted}; "
                f"expected offsets within the text{hint}"
            )
    if unit == "codepoints" or not spans:
        return spans, [(False, False)] * len(spans)
    table = offset_table(text, unit)
    flat = np.array([x for s, e, _ in spans for x in (s, e)], dtype=np.int64)
    idx = np.searchsorted(table, flat, side="left")
    exact = table[idx] == flat
    out = []
    rounded = []
    for k, (_, _, label) in enumerate(spans):
        si, ei = int(idx[2 * k]), int(idx[2 * k + 1])
        s_ok, e_ok = bool(exact[2 * k]), bool(exact[2 * k + 1])
        out.append((si if s_ok else si - 1, ei, label))
        rounded.append((not s_ok, not e_ok))
    return out, rounded


def _choose_unit(records: list[_Record], tokenizer: Tokenizer) -> tuple[OffsetUnit, dict[str, int], int]:
    """The unit in which most spans of the file fit the tokens (ties go to code points).

    Only records whose text tells the units apart (a character beyond ASCII, a line end) are
    looked at; ``fits`` and ``total`` count their spans.
    """
    fits: dict[str, int] = dict.fromkeys(OFFSET_UNITS, 0)
    total = 0
    for record in records:
        text = record.text
        if not record.spans or (text.isascii() and "\n" not in text):
            continue
        total += len(record.spans)
        _, _, offsets = _words_for(record, tokenizer)
        guess = detect_offset_units(text, record.spans, offsets)
        base = guess.fits.get("codepoints", 0)
        for unit in OFFSET_UNITS:
            # A unit this text cannot tell from code points (no line end, say) fits as they do.
            fits[unit] += guess.fits.get(unit, base)
    if not total:
        return "codepoints", {}, 0
    best = max(OFFSET_UNITS, key=lambda u: fits[u])  # max() keeps the first on a tie
    return best, fits, total


def _problem_dict(p: SpanProblem, line: int, given: tuple[int, int], note: str) -> dict[str, Any]:
    return {
        "index": p.index,
        "start": p.start,
        "end": p.end,
        "label": p.label,
        "text": p.text,
        "reasons": list(p.reasons),
        "tokens": list(p.tokens) if p.tokens is not None else None,
        "token_texts": list(p.token_texts),
        "overlaps": p.overlaps,
        "fix": list(p.fix) if p.fix is not None else None,
        "fix_text": p.fix_text,
        "line": line,
        "given": list(given),
        "reason": ", ".join(p.reasons),
        "message": p.message + note,
    }


def _doc(
    record: _Record,
    source: str | None,
    unit: OffsetUnit,
    file_unit: OffsetUnit,
    auto: bool,
    tokenizer: Tokenizer,
    report: JsonlReport,
) -> Doc:
    where = _Where(source, record.line)
    words, spaces, offsets = _words_for(record, tokenizer)
    spans, rounded = _convert(record.text, record.spans, unit, where)
    doc = Doc(words=words, spaces=spaces, cats=record.cats, source=source, lines=[record.line] * len(words))
    if record.meta:
        doc.user_data[META_KEY] = record.meta
    if spans != record.spans:
        doc.user_data[UNITS_KEY] = {"unit": unit, "file_unit": file_unit, "auto": auto, "converted": True}
    if not record.has_spans:
        return doc
    tags, problems = offsets_to_biluo(doc, spans)
    bad = {p.index for p in problems}
    for k, (rs, re_) in enumerate(rounded):
        if (rs or re_) and k not in bad:
            # An edge inside a character (half a surrogate pair, inside a UTF-8 sequence): the
            # span, rounded out to whole characters, fits the tokens: report it, do not place it.
            s, e, label = spans[k]
            first = next(i for i, (ts, _) in enumerate(offsets) if ts == s)
            last = next(i for i, (_, te) in enumerate(offsets) if te == e)
            for t in range(first, last + 1):
                tags[t] = "-"
            reasons: list[Any] = ["start-inside-token"] if rs else []
            reasons += ["end-inside-token"] if re_ else []
            problems.append(
                SpanProblem(
                    index=k,
                    start=s,
                    end=e,
                    label=label,
                    text=record.text[s:e],
                    reasons=tuple(reasons),
                    tokens=(first, last + 1),
                    token_texts=tuple(words[first : last + 1]),
                    fix=(s, e),
                    fix_text=record.text[s:e],
                )
            )
    problems.sort(key=lambda p: p.index)
    doc.ents = biluo_to_spans(tags)
    doc.ents_missing = [t == "-" for t in tags] if "-" in tags else None
    report.spans += len(spans)
    report.placed += len(spans) - len(problems)
    if problems:
        note = ""
        guess = detect_offset_units(record.text, record.spans, offsets)
        if guess.exact and guess.unit is not None and guess.unit != unit:
            # This record was annotated in another unit than the file's: say so (debug-data's
            # offset-units check reads the key), its spans stay listed as they are.
            note = (
                f" (the record's offsets all fit counted in {_UNIT_LABELS[guess.unit]}: set the offset units)"
            )
            doc.user_data[UNITS_KEY] = {
                "unit": guess.unit,
                "file_unit": unit,
                "auto": auto,
                "converted": False,
            }
        doc.user_data[PROBLEMS_KEY] = [
            _problem_dict(p, record.line, record.spans[p.index][:2], note) for p in problems
        ]
        report.problems += len(problems)
    return doc


def _parse_records(
    records: Iterable[_Record],
    *,
    source: str | None,
    flavour: Flavour,
    offset_units: str,
    lang: str,
    skipped: dict[str, int],
    on_report: Callable[[JsonlReport], None] | None,
) -> Iterator[Doc]:
    """Docs of already extracted records (reads them all first when the units are detected)."""
    unit = resolve_units(offset_units)
    tokenizer = shared_tokenizer(lang)
    auto = unit is None
    fits: dict[str, int] = {}
    total = 0
    items: Iterable[_Record]
    if unit is None:
        listed = list(records)
        unit, fits, total = _choose_unit(listed, tokenizer)
        items = listed
    else:
        items = records
    report = JsonlReport(source, flavour, unit, auto, fits, total)
    for record in items:
        report.records += 1
        doc = _doc(record, source, unit, unit, auto, tokenizer, report)
        report.docs += 1
        yield doc
    report.skipped = dict(skipped)
    if on_report is not None:
        on_report(report)


def _parse(
    flavour: Flavour,
    lines: Iterable[str],
    source: str | None,
    offset_units: str,
    lang: str,
    on_report: Callable[[JsonlReport], None] | None,
) -> Iterator[Doc]:
    resolve_units(offset_units)  # a bad name fails before anything is read
    skipped: dict[str, int] = {}
    records = (
        _iter_labelstudio(lines, source, skipped)
        if flavour == "labelstudio"
        else _iter_jsonl(lines, source, flavour, skipped)
    )
    return _parse_records(
        records,
        source=source,
        flavour=flavour,
        offset_units=offset_units,
        lang=lang,
        skipped=skipped,
        on_report=on_report,
    )


def parse_jsonl(
    lines: Iterable[str],
    *,
    source: str | None = None,
    offset_units: str = "auto",
    lang: str = "xx",
    on_report: Callable[[JsonlReport], None] | None = None,
) -> Iterator[Doc]:
    """Docs of plain JSONL: ``{"text", "spans"/"entities", "cats"?, "tokens"?}`` per line.

    ``offset_units``: ``auto`` (detected per file), ``chars``, ``utf16``, ``utf8`` or ``crlf``;
    ``lang``: the tokenizer's language for records without ``tokens``; ``on_report`` is called
    once the file is read, with the unit used and what was skipped or not placed.
    """
    return _parse("jsonl", lines, source, offset_units, lang, on_report)


def parse_doccano(
    lines: Iterable[str],
    *,
    source: str | None = None,
    offset_units: str = "auto",
    lang: str = "xx",
    on_report: Callable[[JsonlReport], None] | None = None,
) -> Iterator[Doc]:
    """Docs of doccano JSONL (``label``: spans or text classes; or ``entities``). See :func:`parse_jsonl`."""
    return _parse("doccano", lines, source, offset_units, lang, on_report)


def parse_prodigy(
    lines: Iterable[str],
    *,
    source: str | None = None,
    offset_units: str = "auto",
    lang: str = "xx",
    on_report: Callable[[JsonlReport], None] | None = None,
) -> Iterator[Doc]:
    """Docs of Prodigy JSONL: ``answer: accept`` records only (the others are counted)."""
    return _parse("prodigy", lines, source, offset_units, lang, on_report)


def parse_labelstudio(
    lines: Iterable[str],
    *,
    source: str | None = None,
    offset_units: str = "auto",
    lang: str = "xx",
    on_report: Callable[[JsonlReport], None] | None = None,
) -> Iterator[Doc]:
    """Docs of a Label Studio JSON export (the first non-cancelled annotation of each task)."""
    return _parse("labelstudio", lines, source, offset_units, lang, on_report)


def read_jsonl(
    path: str,
    *,
    flavour: Flavour = "jsonl",
    encoding: str = "utf-8",
    offset_units: str = "auto",
    lang: str = "xx",
    on_report: Callable[[JsonlReport], None] | None = None,
) -> Iterator[Doc]:
    """The Docs of a file in one of the :data:`FLAVOURS`."""
    from corpuskit.io import read_lines

    if flavour not in FLAVOURS:
        raise UsageError(f"flavour {flavour!r} is not one of {', '.join(FLAVOURS)}")
    return _parse(flavour, read_lines(path, encoding=encoding), str(path), offset_units, lang, on_report)
