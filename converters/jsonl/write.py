"""Writing Docs back as JSONL records (any flavour), unplaced spans under ``unplaced_spans``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import IO, Any

from corpuskit.alignment import (
    offset_table,
)
from corpuskit.doc import Doc
from corpuskit.errors import UsageError

from .common import FLAVOURS, META_KEY, PROBLEMS_KEY, Flavour, resolve_units


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
