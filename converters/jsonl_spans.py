"""Character-offset annotations from annotation tools: doccano, Label Studio, Prodigy, plain JSONL.

Four flavours, one converter each (``jsonl``, ``doccano``, ``labelstudio``, ``prodigy``)::

    jsonl        {"text": "...", "spans": [{"start": 0, "end": 5, "label": "ORG"}], "cats": {"X": 1.0}}
    doccano      {"text": "...", "label": [[0, 5, "ORG"]]}   or   "entities": [{"start_offset": 0,
                 "end_offset": 5, "label": "ORG"}]   ("label": ["POS"] is text classification)
    prodigy      {"text": "...", "tokens": [{"text", "start", "end", "id", "ws"}],
                 "spans": [{"start", "end", "label"}], "answer": "accept"}
    labelstudio  [{"data": {"text": "..."}, "annotations": [{"result": [{"type": "labels",
                 "value": {"start": 0, "end": 5, "labels": ["ORG"]}}, {"type": "choices",
                 "value": {"choices": ["X"]}}]}]}]     (one JSON array, not JSONL)

Records with ``tokens`` keep them (their ``ws``, or the gaps between their offsets, give the
spacing); records without are tokenized by :class:`corpuskit.tokenizer.Tokenizer` (``lang``).
Offsets may count code points, UTF-16 code units (JavaScript tools), UTF-8 bytes, or come from
text with CRLF line ends: ``offset_units="auto"`` picks, per file, the unit in which most spans
fit (ties go to code points), or the unit is set (``chars``, ``utf16``, ``utf8``, ``crlf``).

Nothing is dropped silently. A span that cannot be placed on the tokens (it starts or ends inside
a token, has whitespace at an edge, overlaps another span, is empty or has an empty label)
leaves its tokens missing (spaCy's ``"-"``) and is stored, with its line, reasons and the
nearest fit, in ``doc.user_data["jsonl.problems"]`` (see :data:`PROBLEMS_KEY`); records whose
offsets needed converting carry ``user_data["corpuskit.offset_units"]``; both are what
``corpuskit debug-data`` reads. Input that is not the format (invalid JSON, a record without
text, a span beyond the text, a negative or non-integer offset) raises :class:`FormatError`
with the file and line. The file's unit decision and the records skipped (Prodigy answers other
than ``accept``) are passed to the ``on_report`` callback as a :class:`JsonlReport`.

:func:`write_jsonl` writes Docs back in any flavour with code-point offsets (Label Studio can
take ``offset_units="utf16"``), the spans that could not be placed under ``"unplaced_spans"``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Literal

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
from corpuskit.errors import FormatError, UsageError
from corpuskit.registry import Converter
from corpuskit.tags import biluo_to_spans
from corpuskit.tokenizer import Tokenizer, shared_tokenizer

from ._json import TOO_DEEP, describe, lone_surrogate

__all__ = [
    "FLAVOURS",
    "META_KEY",
    "PROBLEMS_KEY",
    "UNITS_KEY",
    "Flavour",
    "JsonlReport",
    "doccano",
    "jsonl",
    "labelstudio",
    "parse_doccano",
    "parse_jsonl",
    "parse_labelstudio",
    "parse_prodigy",
    "prodigy",
    "read_jsonl",
    "resolve_units",
    "write_jsonl",
]

Flavour = Literal["jsonl", "doccano", "labelstudio", "prodigy"]
FLAVOURS: tuple[Flavour, ...] = ("jsonl", "doccano", "labelstudio", "prodigy")

#: ``Doc.user_data`` key of the spans of a record that could not be placed: a list of dicts with
#: :class:`~corpuskit.alignment.SpanProblem`'s fields (code-point offsets) plus ``line`` (the
#: record's physical line), ``given`` (the offsets as written in the file), ``reason`` (the
#: reasons, comma-separated), ``fix`` (nearest ``[start, end]`` on token boundaries, or None)
#: and ``message`` (one line).
PROBLEMS_KEY = "jsonl.problems"
#: ``Doc.user_data`` key, set on records whose offsets were converted from another unit
#: (``{"unit": "utf-16", "file_unit": "utf-16", "auto": bool, "converted": True}``), and on
#: records whose spans do not fit in the file's unit but all fit in ``unit`` (``"converted": False``).
UNITS_KEY = "corpuskit.offset_units"
#: ``Doc.user_data`` key holding a record's ``meta`` object (written back by :func:`write_jsonl`).
META_KEY = "jsonl.meta"

_UNIT_NAMES: dict[str, OffsetUnit] = {
    "chars": "codepoints",
    "codepoints": "codepoints",
    "utf16": "utf-16",
    "utf-16": "utf-16",
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "bytes": "utf-8",
    "crlf": "crlf",
}
_ANSWERS = ("accept", "reject", "ignore")


def resolve_units(name: str) -> OffsetUnit | None:
    """The offset unit named ``name`` (``chars``, ``utf16``, ``utf8``, ``crlf``), None for ``auto``."""
    if name == "auto":
        return None
    unit = _UNIT_NAMES.get(name)
    if unit is None:
        raise UsageError(f"offset units {name!r} are not one of: auto, chars, utf16, utf8, crlf")
    return unit


@dataclass
class JsonlReport:
    """What reading one file found: the offset unit used and why, what was skipped or not placed.

    ``unit`` is the unit the offsets were read in; ``auto`` whether it was detected;
    ``fits[unit]`` how many of the ``total`` spans fit the tokens in each unit, counting only
    the spans of texts that tell the units apart (a character beyond ASCII, a line end).
    ``skipped`` counts records left out by their answer (``{"reject": 3, "ignore": 1}``).
    """

    source: str | None
    flavour: Flavour
    unit: OffsetUnit
    auto: bool
    fits: dict[str, int] = field(default_factory=dict)
    total: int = 0
    records: int = 0
    docs: int = 0
    spans: int = 0
    placed: int = 0
    problems: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def message(self) -> str:
        """One line for a CLI to print."""
        how = "detected" if self.auto else "as set"
        msg = f"offsets counted in {_UNIT_LABELS[self.unit]} ({how}"
        if self.auto and self.total:
            others = ", ".join(
                f"{_UNIT_LABELS[u]}: {self.fits.get(u, 0)}" for u in OFFSET_UNITS if u != self.unit
            )
            msg += f": {self.fits.get(self.unit, 0)} of the {self.total} spans in texts that tell the units"
            msg += f" apart fit; {others}"
        elif self.auto:
            msg += ": no span in a text that tells the units apart"
        msg += f"); {self.docs} docs, {self.placed} of {self.spans} spans placed"
        if self.problems:
            msg += f", {self.problems} not placed (listed in user_data[{PROBLEMS_KEY!r}])"
        if self.skipped:
            msg += "; skipped " + ", ".join(f"{n} {a}" for a, n in sorted(self.skipped.items()))
        return msg


_UNIT_LABELS: dict[OffsetUnit, str] = {
    "codepoints": "code points",
    "utf-16": "UTF-16 code units",
    "utf-8": "UTF-8 bytes",
    "crlf": "CRLF line ends",
}

# --------------------------------------------------------------------------------------------
# Records


@dataclass
class _Record:
    """One annotated text as found in the file, before its offsets are placed."""

    line: int
    text: str
    spans: list[tuple[int, int, str]]
    has_spans: bool
    cats: dict[str, float]
    tokens: list[tuple[str, int, int, bool | None]] | None = None
    meta: dict[str, Any] | None = None
    tokenized: tuple[list[str], list[bool], list[tuple[int, int]]] | None = None


class _Where:
    """The file and line of the record being read, to build located errors."""

    __slots__ = ("line", "source")

    def __init__(self, source: str | None, line: int) -> None:
        self.source = source
        self.line = line

    def error(self, message: str, column: int | None = None) -> FormatError:
        return FormatError(message, path=self.source, line=self.line, column=column)


def _offset(value: Any, name: str, where: _Where) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            raise where.error(f"{name} {value!r} is a float; expected a non-negative integer offset")
        raise where.error(f"{name} is {describe(value)}; expected a non-negative integer offset")
    if value < 0:
        raise where.error(f"{name} {value} is negative; expected a non-negative integer offset")
    return value


def _label(value: Any, where: _Where) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise where.error(f"span label is {describe(value)}; expected a string")
    return value


def _span(item: Any, where: _Where) -> tuple[int, int, str]:
    """One span: ``[start, end, label]`` or ``{"start"/"start_offset", "end"/"end_offset", "label"}``."""
    if isinstance(item, (list, tuple)):
        if len(item) != 3:
            raise where.error(f"span {item!r} has {len(item)} items; expected [start, end, label]")
        start, end, label = item
    elif isinstance(item, dict):
        start = item.get("start", item.get("start_offset"))
        end = item.get("end", item.get("end_offset"))
        label = item.get("label")
        if start is None or end is None:
            raise where.error(f"span {describe(item)} has no start or end; expected start and end offsets")
    else:
        raise where.error(f"span is {describe(item)}; expected [start, end, label] or an object")
    s = _offset(start, "span start", where)
    e = _offset(end, "span end", where)
    if e < s:
        raise where.error(f"span [{s}, {e}] ends before it starts; expected start <= end")
    return s, e, _label(label, where)


def _spans(value: Any, key: str, where: _Where) -> list[tuple[int, int, str]]:
    if not isinstance(value, list):
        raise where.error(f"{key!r} is {describe(value)}; expected a list of spans")
    return [_span(item, where) for item in value]


def _cats(value: Any, where: _Where) -> dict[str, float]:
    if value is None:
        return {}
    if isinstance(value, dict):
        out: dict[str, float] = {}
        for k, v in value.items():
            if isinstance(v, bool):
                v = float(v)
            if not isinstance(v, (int, float)):
                raise where.error(f"category {k!r} has {describe(v)}; expected a number")
            out[str(k)] = float(v)
        return out
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return dict.fromkeys(value, 1.0)
    raise where.error(f"'cats' is {describe(value)}; expected an object of label: score")


def _tokens(value: Any, text: str, where: _Where) -> list[tuple[str, int, int, bool | None]]:
    """Prodigy-style tokens ``{"text", "start", "end", "ws"}``, checked against the text."""
    if not isinstance(value, list):
        raise where.error(f"'tokens' is {describe(value)}; expected a list of {{text, start, end, ws}}")
    out: list[tuple[str, int, int, bool | None]] = []
    prev_end = 0
    for k, tok in enumerate(value):
        if not isinstance(tok, dict):
            raise where.error(f"token {k} is {describe(tok)}; expected {{text, start, end, ws}}")
        s = tok.get("start")
        e = tok.get("end")
        if s is None or e is None:
            raise where.error(f"token {k} has no start or end; expected {{text, start, end, ws}}")
        s = _offset(s, f"token {k} start", where)
        e = _offset(e, f"token {k} end", where)
        if e > len(text) or e < s or s < prev_end:
            raise where.error(
                f"token {k} [{s}:{e}] is outside the text ({len(text)} characters) or before "
                f"token {k - 1}; expected tokens in order within the text"
            )
        word = text[s:e]
        given = tok.get("text", word)
        if given != word:
            raise where.error(f"token {k} is {given!r} but the text at [{s}:{e}] is {word!r}")
        ws = tok.get("ws")
        out.append((word, s, e, bool(ws) if ws is not None else None))
        prev_end = e
    return out


def _check_answer(obj: dict[str, Any], where: _Where) -> str:
    answer = obj.get("answer", "accept")
    if answer not in _ANSWERS:
        raise where.error(f"'answer' is {describe(answer)}; expected one of accept, reject, ignore")
    return str(answer)


def _text(obj: dict[str, Any], where: _Where, key: str = "text") -> str:
    text = obj.get(key)
    if text is None:
        raise where.error(f"the record has no {key!r}: found {describe(obj)}; expected a {key!r} string")
    if not isinstance(text, str):
        raise where.error(f"{key!r} is {describe(text)}; expected a string")
    return text


def _jsonl_record(obj: Any, flavour: Flavour, where: _Where) -> tuple[_Record, str]:
    """The record of one JSONL line and its answer."""
    if not isinstance(obj, dict):
        hint = ""
        if isinstance(obj, list) and obj and isinstance(obj[0], dict) and "data" in obj[0]:
            hint = " (a Label Studio export: use the labelstudio converter)"
        raise where.error(f"found {describe(obj)}; expected a JSON object with 'text' on each line{hint}")
    text = _text(obj, where)
    answer = _check_answer(obj, where)
    spans: list[tuple[int, int, str]] = []
    has_spans = False
    cats = _cats(obj.get("cats"), where)
    for key in ("spans", "entities"):
        if key in obj and obj[key] is not None:
            spans.extend(_spans(obj[key], key, where))
            has_spans = True
            break
    label = obj.get("label", obj.get("labels"))
    if label is not None and flavour != "prodigy":
        if isinstance(label, list) and label and all(isinstance(x, str) for x in label):
            cats.update(dict.fromkeys(label, 1.0))  # doccano text classification
        elif isinstance(label, list):
            if has_spans and label:
                raise where.error("the record has both 'label' spans and 'spans'/'entities'; expected one")
            spans.extend(_spans(label, "label", where))
            has_spans = True
        elif isinstance(label, str):
            cats[label] = 1.0
        else:
            raise where.error(f"'label' is {describe(label)}; expected a list of [start, end, label]")
    if flavour == "prodigy" or "accept" in obj or "options" in obj:
        accepted = obj.get("accept")
        options = obj.get("options")
        if isinstance(options, list) and isinstance(accepted, list):
            ids = [o.get("id") for o in options if isinstance(o, dict)]
            cats.update({str(i): float(i in accepted) for i in ids if i is not None})
        elif isinstance(accepted, list):
            cats.update({str(i): 1.0 for i in accepted})
        if isinstance(label, str) and not has_spans:
            cats[label] = 1.0  # binary text classification, accepted
    tokens = _tokens(obj["tokens"], text, where) if obj.get("tokens") is not None else None
    meta = obj.get("meta") if isinstance(obj.get("meta"), dict) else None
    return _Record(where.line, text, spans, has_spans, cats, tokens, meta), answer


def _iter_jsonl(
    lines: Iterable[str], source: str | None, flavour: Flavour, skipped: dict[str, int]
) -> Iterator[_Record]:
    where = _Where(source, 0)
    loads = json.loads
    for line_no, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        where.line = line_no
        try:
            obj = loads(line)
        except json.JSONDecodeError as e:
            hint = ""
            if line_no == 1 and line.lstrip().startswith("["):
                hint = " (a JSON array: use the labelstudio converter, or one object per line)"
            raise where.error(f"invalid JSON: {e.msg}{hint}", column=e.colno) from None
        except RecursionError:
            raise where.error(TOO_DEEP, column=1) from None
        if "\\ud" in line or "\\uD" in line or not line.isascii():  # the cheap test first
            bad = lone_surrogate(line, obj)
            if bad is not None:
                raise where.error(bad[0], column=bad[1] + 1)
        record, answer = _jsonl_record(obj, flavour, where)
        if answer != "accept":
            skipped[answer] = skipped.get(answer, 0) + 1
            continue
        yield record


def _iter_labelstudio(lines: Iterable[str], source: str | None, skipped: dict[str, int]) -> Iterator[_Record]:
    """The tasks of a Label Studio JSON export (one JSON array), each with its first line."""
    parts = list(lines)
    keep_ends = bool(parts) and parts[0].endswith("\n")
    text = "".join(parts) if keep_ends else "\n".join(parts)
    decoder = json.JSONDecoder()
    line = 1
    mark = 0

    def line_at(pos: int) -> int:
        nonlocal line, mark
        line += text.count("\n", mark, pos)
        mark = pos
        return line

    def fail(message: str, pos: int) -> FormatError:
        ln = line_at(pos)
        col = pos - text.rfind("\n", 0, pos)
        return FormatError(message, path=source, line=ln, column=col)

    n = len(text)
    pos = _skip_ws(text, 0)
    if pos >= n:
        raise FormatError(
            "the file is empty; expected a JSON array of Label Studio tasks", path=source, line=1
        )
    if text[pos] != "[":
        raise fail(
            f"found {text[pos : pos + 20]!r} at the top level; expected a JSON array of Label Studio "
            'tasks [{"data": {"text": ...}, "annotations": [...]}] (JSONL: use the jsonl converter)',
            pos,
        )
    pos = _skip_ws(text, pos + 1)
    index = 0
    while True:
        if pos >= n:
            raise fail("the file ends inside the top-level array: it is truncated", len(text.rstrip()))
        if text[pos] == "]":
            break
        if index:
            if text[pos] != ",":
                raise fail(f"invalid JSON: expected ',' or ']' after task {index}", pos)
            pos = _skip_ws(text, pos + 1)
        try:
            obj, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            if e.pos >= len(text.rstrip()):
                raise fail(
                    "the file ends in the middle of a JSON value: it is truncated", len(text.rstrip())
                ) from None
            raise fail(f"invalid JSON: {e.msg}", e.pos) from None
        except RecursionError:
            raise fail(TOO_DEEP, pos) from None
        bad = lone_surrogate(text[pos:end], obj)
        if bad is not None:
            raise fail(bad[0], pos + bad[1])
        index += 1
        where = _Where(source, line_at(pos))
        record = _labelstudio_task(obj, index, where, skipped)
        if record is not None:
            yield record
        pos = _skip_ws(text, end)
    end = _skip_ws(text, pos + 1)
    if end < n:
        raise fail(f"extra data after the top-level array: {text[end : end + 20]!r}", end)


def _skip_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _labelstudio_task(obj: Any, index: int, where: _Where, skipped: dict[str, int]) -> _Record | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), dict):
        raise where.error(
            f'task {index} is {describe(obj)}; expected {{"data": {{"text": ...}}, "annotations": [...]}}'
        )
    text = _text(obj["data"], where)
    annotations = obj.get("annotations", obj.get("completions"))
    if annotations is None:
        annotations = []
    if not isinstance(annotations, list):
        raise where.error(f"'annotations' of task {index} is {describe(annotations)}; expected a list")
    chosen = None
    for ann in annotations:
        if not isinstance(ann, dict):
            raise where.error(f"an annotation of task {index} is {describe(ann)}; expected an object")
        if not ann.get("was_cancelled"):
            chosen = ann
            break
    if chosen is None:
        why = "cancelled" if annotations else "unannotated"
        skipped[why] = skipped.get(why, 0) + 1
        return None
    result = chosen.get("result", [])
    if not isinstance(result, list):
        raise where.error(f"'result' of task {index} is {describe(result)}; expected a list")
    spans: list[tuple[int, int, str]] = []
    cats: dict[str, float] = {}
    has_choices = False
    for item in result:
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise where.error(f'a result of task {index} is {describe(item)}; expected {{"type", "value"}}')
        value = item["value"]
        kind = item.get("type")
        if "choices" in value:
            choices = value["choices"]
            if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
                raise where.error(f"'choices' is {describe(choices)}; expected a list of strings")
            cats.update(dict.fromkeys(choices, 1.0))
            has_choices = True
        elif "start" in value or "end" in value:
            labels = value.get("labels", value.get(kind) if isinstance(kind, str) else None)
            if labels is None:
                labels = [""]
            if not isinstance(labels, list) or not labels:
                raise where.error(f"'labels' is {describe(labels)}; expected a list of label strings")
            for lab in labels:
                spans.append(
                    _span({"start": value.get("start"), "end": value.get("end"), "label": lab}, where)
                )
    has_spans = bool(spans) or not has_choices
    return _Record(where.line, text, spans, has_spans, cats)


# --------------------------------------------------------------------------------------------
# Placing the spans


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


# --------------------------------------------------------------------------------------------
# Writing


def _char_spans(doc: Doc, offsets: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    return [
        (offsets[s.start][0], offsets[s.end - 1][1], s.label)
        for s in sorted(doc.ents or (), key=lambda s: (s.start, s.end))
        if s.end > s.start
    ]


def _unplaced(doc: Doc) -> list[dict[str, Any]]:
    problems = doc.user_data.get(PROBLEMS_KEY) if doc.user_data else None
    if not isinstance(problems, (list, tuple)):
        return []
    out = []
    for p in problems:
        if isinstance(p, dict):
            out.append(
                {
                    "start": p.get("start"),
                    "end": p.get("end"),
                    "label": p.get("label"),
                    "reasons": list(p.get("reasons") or ()),
                    "fix": p.get("fix"),
                    "line": p.get("line"),
                }
            )
    return out


def _record(doc: Doc, flavour: Flavour, table: Any | None, doc_id: int) -> dict[str, Any]:
    text = doc.text
    offsets = doc.token_offsets()
    cp_spans = _char_spans(doc, offsets)
    spans = cp_spans
    if table is not None:
        spans = [(int(table[s]), int(table[e]), lab) for s, e, lab in cp_spans]
    has_ner = doc.ents is not None
    unplaced = _unplaced(doc)
    rec: dict[str, Any]
    if flavour == "labelstudio":
        result: list[dict[str, Any]] = [
            {
                "id": f"s{doc_id}-{k}",
                "from_name": "label",
                "to_name": "text",
                "type": "labels",
                "value": {"start": s, "end": e, "text": text[cs:ce], "labels": [lab]},
            }
            for k, ((s, e, lab), (cs, ce, _)) in enumerate(zip(spans, cp_spans, strict=True))
        ]
        chosen = [c for c, v in doc.cats.items() if v >= 0.5]
        if chosen:
            choices = {"choices": chosen}
            result.append(
                {
                    "id": f"c{doc_id}",
                    "from_name": "cats",
                    "to_name": "text",
                    "type": "choices",
                    "value": choices,
                }
            )
        rec = {"id": doc_id, "data": {"text": text}, "annotations": [{"result": result}]}
        if unplaced:
            rec["unplaced_spans"] = unplaced
        meta = doc.user_data.get(META_KEY) if doc.user_data else None
        if isinstance(meta, dict):
            rec["meta"] = meta
        return rec
    rec = {"text": text}
    if flavour == "doccano":
        if has_ner:
            rec["label"] = [[s, e, lab] for s, e, lab in spans]
        elif doc.cats:
            rec["label"] = [c for c, v in doc.cats.items() if v >= 0.5]
        if has_ner and doc.cats:
            rec["cats"] = dict(doc.cats)
    else:
        if flavour == "prodigy":
            rec["tokens"] = [
                {"text": w, "start": s, "end": e, "id": i, "ws": bool(sp)}
                for i, ((s, e), w, sp) in enumerate(zip(offsets, doc.words, doc.spaces or (), strict=True))
            ]
        if has_ner:
            if flavour == "prodigy":
                token_spans = sorted(doc.ents or (), key=lambda s: (s.start, s.end))
                rec["spans"] = [
                    {"start": s, "end": e, "label": lab, "token_start": t.start, "token_end": t.end - 1}
                    for (s, e, lab), t in zip(spans, [t for t in token_spans if t.end > t.start], strict=True)
                ]
            else:
                rec["spans"] = [{"start": s, "end": e, "label": lab} for s, e, lab in spans]
        if doc.cats:
            rec["cats"] = dict(doc.cats)
        if flavour == "prodigy":
            rec["answer"] = "accept"
    if unplaced:
        rec["unplaced_spans"] = unplaced
    meta = doc.user_data.get(META_KEY) if doc.user_data else None
    if isinstance(meta, dict):
        rec["meta"] = meta
    return rec


def write_jsonl(
    docs: Iterable[Doc],
    out: IO[str],
    *,
    flavour: Flavour = "jsonl",
    offset_units: str = "chars",
) -> None:
    """Write Docs as ``flavour`` records: their text, entity spans (code-point offsets) and cats.

    The Label Studio flavour is one JSON array; the others are one JSON object per line.
    ``offset_units`` (``chars``, ``utf16``, ``utf8``) counts the offsets written. The spans a
    reader could not place (``user_data["jsonl.problems"]``) are written under
    ``"unplaced_spans"`` so they are not lost.
    """
    if flavour not in FLAVOURS:
        raise UsageError(f"flavour {flavour!r} is not one of {', '.join(FLAVOURS)}")
    unit = resolve_units(offset_units)
    if unit is None or unit == "crlf":
        raise UsageError(f"offset units {offset_units!r} cannot be written; expected chars, utf16 or utf8")
    dumps = json.dumps
    if flavour == "labelstudio":
        out.write("[")
    for k, doc in enumerate(docs):
        table = offset_table(doc.text, unit) if unit != "codepoints" else None
        rec = _record(doc, flavour, table, k + 1)
        if flavour == "labelstudio":
            out.write(("\n" if k == 0 else ",\n") + dumps(rec, ensure_ascii=False))
        else:
            out.write(dumps(rec, ensure_ascii=False) + "\n")
    if flavour == "labelstudio":
        out.write("\n]\n")


def _writer(flavour: Flavour) -> Callable[..., None]:
    def write(docs: Iterable[Doc], out: IO[str], *, offset_units: str = "chars") -> None:
        write_jsonl(docs, out, flavour=flavour, offset_units=offset_units)

    write.__doc__ = f"Write Docs as {flavour} (see :func:`write_jsonl`)."
    return write


# --------------------------------------------------------------------------------------------
# Detection and converters


def _first_object(head: list[str]) -> dict[str, Any] | None:
    for line in head:
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            return None
        return obj if isinstance(obj, dict) else None
    return None


def _detect(flavour: Flavour) -> Callable[[list[str]], float]:
    def detect(head: list[str]) -> float:
        if flavour == "labelstudio":
            text = "\n".join(head).lstrip()
            if not text.startswith("["):
                return 0.0
            return 0.9 if '"annotations"' in text and '"data"' in text else 0.0
        obj = _first_object(head)
        if obj is None or not isinstance(obj.get("text"), str):
            return 0.0
        if flavour == "prodigy":
            return 0.9 if "answer" in obj or "_input_hash" in obj else 0.0
        if flavour == "doccano":
            return 0.85 if "label" in obj or "start_offset" in json.dumps(obj.get("entities", "")) else 0.0
        return 0.8 if "spans" in obj or "entities" in obj else 0.5

    detect.__doc__ = f"How well the first lines of a file fit {flavour} (0-1)."
    return detect


_OPTIONS = frozenset({"offset_units", "lang", "on_report"})
_WRITE_OPTIONS = frozenset({"offset_units"})

jsonl = Converter(
    name="jsonl",
    parse=parse_jsonl,
    write=_writer("jsonl"),
    detect=_detect("jsonl"),
    extensions=(".jsonl",),
    options=_OPTIONS,
    write_options=_WRITE_OPTIONS,
    description='JSONL {"text", "spans"/"entities", "cats"} with character offsets',
)
doccano = Converter(
    name="doccano",
    parse=parse_doccano,
    write=_writer("doccano"),
    detect=_detect("doccano"),
    extensions=(".jsonl",),
    options=_OPTIONS,
    write_options=_WRITE_OPTIONS,
    description='doccano JSONL {"text", "label": [[start, end, label]]} (or text classes)',
)
prodigy = Converter(
    name="prodigy",
    parse=parse_prodigy,
    write=_writer("prodigy"),
    detect=_detect("prodigy"),
    extensions=(".jsonl",),
    options=_OPTIONS,
    write_options=_WRITE_OPTIONS,
    description='Prodigy JSONL {"text", "tokens", "spans", "answer"} (accepted records)',
)
labelstudio = Converter(
    name="labelstudio",
    parse=parse_labelstudio,
    write=_writer("labelstudio"),
    detect=_detect("labelstudio"),
    extensions=(".json",),
    options=_OPTIONS,
    write_options=_WRITE_OPTIONS,
    description="Label Studio JSON export (labels results as entities, choices as cats)",
)
