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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from corpuskit.registry import Converter, ConverterOptions

from .jsonl.common import FLAVOURS, META_KEY, PROBLEMS_KEY, UNITS_KEY, Flavour, JsonlReport, resolve_units
from .jsonl.place import parse_doccano, parse_jsonl, parse_labelstudio, parse_prodigy, read_jsonl
from .jsonl.write import _writer, write_jsonl

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


@dataclass(frozen=True)
class JsonlOptions(ConverterOptions):
    """The options of :func:`parse_jsonl` (and of the doccano, Prodigy and Label Studio readers)."""

    offset_units: str = "auto"
    lang: str = "xx"
    on_report: Callable[[JsonlReport], None] | None = None


_WRITE_OPTIONS = frozenset({"offset_units"})

jsonl = Converter(
    name="jsonl",
    parse=parse_jsonl,
    write=_writer("jsonl"),
    detect=_detect("jsonl"),
    extensions=(".jsonl",),
    options_type=JsonlOptions,
    unit="document",
    resync="line",
    write_options=_WRITE_OPTIONS,
    description='JSONL {"text", "spans"/"entities", "cats"} with character offsets',
)
doccano = Converter(
    name="doccano",
    parse=parse_doccano,
    write=_writer("doccano"),
    detect=_detect("doccano"),
    extensions=(".jsonl",),
    options_type=JsonlOptions,
    unit="document",
    resync="line",
    write_options=_WRITE_OPTIONS,
    description='doccano JSONL {"text", "label": [[start, end, label]]} (or text classes)',
)
prodigy = Converter(
    name="prodigy",
    parse=parse_prodigy,
    write=_writer("prodigy"),
    detect=_detect("prodigy"),
    extensions=(".jsonl",),
    options_type=JsonlOptions,
    unit="document",
    resync="line",
    write_options=_WRITE_OPTIONS,
    description='Prodigy JSONL {"text", "tokens", "spans", "answer"} (accepted records)',
)
labelstudio = Converter(
    name="labelstudio",
    parse=parse_labelstudio,
    write=_writer("labelstudio"),
    detect=_detect("labelstudio"),
    extensions=(".json",),
    options_type=JsonlOptions,
    unit="document",
    write_options=_WRITE_OPTIONS,
    description="Label Studio JSON export (labels results as entities, choices as cats)",
)
