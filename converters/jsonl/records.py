"""Records: one annotated text each, as found in a JSONL line or a Label Studio task."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from corpuskit.errors import FormatError

from .._json import TOO_DEEP, describe, lone_surrogate
from .common import _ANSWERS, Flavour


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
