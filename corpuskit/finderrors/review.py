"""The review loop: the find-errors queue as an annotation tool's tasks, and the reviewed
decisions read back and applied to a copy of the corpus.

:func:`export_queue` writes one task per suspect: the sentence around it, its annotation now,
the suggestion as a pre-annotation, and where it comes from (``meta``). :func:`read_reviewed`
reads a reviewed file back (the tools' exports, or the plain JSONL of decisions the HTML review
page writes) as :class:`Decision`\\ s; :func:`apply_fixes` checks each against the corpus as it
is now and writes the corrected copy (see :mod:`corpuskit.finderrors.patch`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..doc import Doc, Span
from ..errors import FormatError, UsageError
from ..io import atomic_open, read_lines
from .suspect import Suspect

__all__ = [
    "DECISIONS",
    "TOOLS",
    "Decision",
    "FileFix",
    "FixResult",
    "TokenSpan",
    "Tool",
    "apply_fixes",
    "apply_label",
    "export_queue",
    "layer_values",
    "read_reviewed",
    "sentence_of",
    "to_span",
    "value_label",
]

Tool = Literal["doccano", "labelstudio", "prodigy"]
TOOLS: tuple[Tool, ...] = ("doccano", "labelstudio", "prodigy")
DECISIONS = ("accept", "reject", "edit")
#: Token layers: one value per token (Doc attribute of the same name).
_TOKEN_LAYERS = ("tags", "pos", "morphs", "lemmas", "heads", "deps")
_SUSPECT_FIELDS = ("file", "line", "doc", "start", "end", "text", "layer", "current", "suggested")

#: A span over the tokens of a doc: (start, end, label), end exclusive.
TokenSpan = tuple[int, int, str]


# ----------------------------------------------------------------------------- the layers


def sentence_of(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """The token range of the sentence(s) holding tokens ``start:end``."""
    bounds = doc.sentence_bounds() or [(0, len(doc.words))]
    a = max((s for s, _ in bounds if s <= start), default=0)
    b = min((e for _, e in bounds if e >= end), default=len(doc.words))
    return a, b


def value_label(layer: str, value: Any) -> str | None:
    """A token layer's value as a label (``head=N`` for heads)."""
    if value is None:
        return None
    return f"head={value}" if layer == "heads" else str(value)


def layer_values(doc: Doc, layer: str, a: int, b: int) -> list[TokenSpan]:
    """The annotation of ``layer`` on tokens ``a:b`` as token spans: the entities inside the
    range, or one single-token span per token with a value (heads as ``head=N``, N the head's
    token index in the doc)."""
    if layer == "ents":
        return [(s.start, s.end, s.label) for s in doc.ents or () if a <= s.start and s.end <= b]
    values = getattr(doc, layer)
    if values is None:
        return []
    out = []
    for i in range(a, b):
        v = value_label(layer, values[i])
        if v is not None:
            out.append((i, i + 1, v))
    return out


def suggested_values(current: list[TokenSpan], s: Suspect) -> list[TokenSpan]:
    """``current`` (from :func:`layer_values`) with the suspect's suggestion applied."""
    return apply_label(current, s.layer, s.start, s.end, s.suggested)


def apply_label(
    current: list[TokenSpan], layer: str, start: int, end: int, label: str | None
) -> list[TokenSpan]:
    """``current`` with ``label`` set on tokens ``start:end``: for entities, the spans that
    overlap it are removed and ``label`` (when not None) covers it; for token layers, each
    token of the range gets the value (None removes it)."""
    if layer == "ents":
        kept = [sp for sp in current if sp[1] <= start or sp[0] >= end]
        if label is not None:
            kept.append((start, end, label))
        return sorted(kept)
    value = value_label(layer, label)
    kept = [sp for sp in current if not start <= sp[0] < end]
    if value is not None:
        kept.extend((i, i + 1, value) for i in range(start, end))
    return sorted(kept)


# ----------------------------------------------------------------------------- export


@dataclass(slots=True)
class _Task:
    """One suspect's sentence: its text, tokens (character offsets in the text), annotation now
    and suggested (token spans in the doc), and the meta that locates it."""

    text: str
    tokens: list[tuple[int, int, bool]]
    base: int  # first token of the sentence in the doc
    current: list[TokenSpan]
    suggested: list[TokenSpan]
    meta: dict[str, Any]


def _task(s: Suspect, doc: Doc) -> _Task:
    if s.end > len(doc.words):
        raise UsageError(
            f"{s.file}:{s.line}: suspect tokens {s.start}-{s.end} are beyond doc {s.doc}'s {len(doc.words)}"
        )
    a, b = sentence_of(doc, s.start, s.end)
    offsets = doc.token_offsets()
    spaces = doc.spaces or [True] * len(doc.words)
    base_char = offsets[a][0]
    text = doc.text[base_char : offsets[b - 1][1]]
    tokens = [(offsets[i][0] - base_char, offsets[i][1] - base_char, spaces[i]) for i in range(a, b)]
    region = (a, b) if s.layer == "ents" else (s.start, s.end)
    current = layer_values(doc, s.layer, *region)
    suggested = suggested_values(current, s)
    meta: dict[str, Any] = {k: getattr(s, k) for k in _SUSPECT_FIELDS}
    meta.update(
        score=s.score,
        method=s.method,
        source=f"{s.file}:{s.line}" if s.line is not None else s.file,
        sentence=[a, b],
        region=list(region),
        current_spans=[list(sp) for sp in current],
        suggested_spans=[list(sp) for sp in suggested],
    )
    return _Task(text, tokens, a, current, suggested, meta)


def _chars(task: _Task, spans: list[TokenSpan]) -> list[tuple[int, int, str]]:
    return [(task.tokens[s - task.base][0], task.tokens[e - 1 - task.base][1], lab) for s, e, lab in spans]


def _doccano(task: _Task) -> dict[str, Any]:
    # doccano has no pre-annotation apart from the labels: they hold the annotation now (an
    # untouched task changes nothing) and the suggestion is in the metadata.
    return {"text": task.text, "label": [list(c) for c in _chars(task, task.current)], "meta": task.meta}


def _ls_results(task: _Task, spans: list[TokenSpan], prefix: str) -> list[dict[str, Any]]:
    return [
        {
            "id": f"{prefix}{k}",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": s, "end": e, "text": task.text[s:e], "labels": [lab]},
        }
        for k, (s, e, lab) in enumerate(_chars(task, spans))
    ]


def _labelstudio(task: _Task) -> dict[str, Any]:
    meta = task.meta
    return {
        "data": {"text": task.text, "meta": meta},
        "annotations": [{"result": _ls_results(task, task.current, "c"), "was_cancelled": False}],
        "predictions": [
            {
                "model_version": f"corpuskit find-errors ({meta['method']})",
                "score": meta["score"],
                "result": _ls_results(task, task.suggested, "s"),
            }
        ],
    }


def _prodigy(task: _Task) -> dict[str, Any]:
    tokens = [
        {"text": task.text[s:e], "start": s, "end": e, "id": k, "ws": ws}
        for k, (s, e, ws) in enumerate(task.tokens)
    ]
    spans = [
        {"start": cs, "end": ce, "token_start": s - task.base, "token_end": e - 1 - task.base, "label": lab}
        for (s, e, lab), (cs, ce, _) in zip(task.suggested, _chars(task, task.suggested), strict=True)
    ]
    return {"text": task.text, "tokens": tokens, "spans": spans, "meta": task.meta}


def export_queue(
    suspects: Sequence[Suspect], docs_by_file: dict[str, list[Doc]], tool: str, path: str | Path
) -> int:
    """Write ``suspects`` as ``tool``'s import file at ``path``; returns the number of tasks.

    doccano and Prodigy get JSONL (one task per line), Label Studio a JSON array (its import
    format) with one task per line. ``docs_by_file[s.file][s.doc]`` is each suspect's doc.
    """
    if tool not in TOOLS:
        raise UsageError(f"unknown review tool {tool!r}; expected one of {', '.join(TOOLS)}")
    make = {"doccano": _doccano, "labelstudio": _labelstudio, "prodigy": _prodigy}[tool]
    rows = []
    for s in suspects:
        docs = docs_by_file.get(s.file)
        if docs is None or not 0 <= s.doc < len(docs):
            raise UsageError(f"{s.file}: no doc {s.doc} among the docs given for the export")
        rows.append(json.dumps(make(_task(s, docs[s.doc])), ensure_ascii=False))
    with atomic_open(path, "w", encoding="utf-8") as fh:
        if tool == "labelstudio":
            fh.write("[\n" + ",\n".join(rows) + ("\n" if rows else "") + "]\n")
        else:
            fh.writelines(r + "\n" for r in rows)
    return len(rows)


# ----------------------------------------------------------------------------- reading back


@dataclass(slots=True)
class Decision:
    """One reviewed item: the suspect it is about, where it is in the reviewed file, what the
    reviewer decided, and the annotation it asks for.

    ``final`` is the reviewed annotation of the range ``region`` (token spans in the doc, as
    :func:`layer_values` gives them; None when the reviewer did not decide), compared on applying
    with ``expected``: the annotation the task was made from (the corpus must still have it).
    ``char_spans`` holds a tool's spans in characters of ``text`` until they are put on tokens.
    """

    suspect: Suspect
    where: str
    decision: str
    region: tuple[int, int]
    expected: list[TokenSpan] | None = None
    final: list[TokenSpan] | None = None
    text: str | None = None
    char_spans: list[tuple[int, int, str]] | None = None
    label: str | None = None
    sentence: tuple[int, int] | None = None
    suggested: list[TokenSpan] | None = None


def _suspect(data: dict[str, Any], where: str) -> Suspect:
    missing = [k for k in ("file", "doc", "start", "end", "layer") if k not in data]
    if missing:
        raise ValueError(
            f"no {', '.join(missing)}: expected a task written by `find-errors --export` (with its meta)"
        )
    fields: dict[str, Any] = {
        k: data.get(k) for k in (*_SUSPECT_FIELDS, "score", "method", "evidence") if k in data
    }
    fields.setdefault("text", "")
    fields.setdefault("line", None)
    fields.setdefault("current", None)
    fields.setdefault("suggested", None)
    fields.setdefault("score", 0.0)
    fields.setdefault("method", "")
    for k in ("doc", "start", "end"):
        if type(fields[k]) is not int:
            raise ValueError(f"{k!r} is {fields[k]!r}; expected an integer")
    return Suspect(**fields)


def _pair(meta: dict[str, Any], key: str, default: tuple[int, int]) -> tuple[int, int]:
    got = meta.get(key)
    if isinstance(got, list) and len(got) == 2 and all(type(x) is int for x in got):
        return got[0], got[1]
    return default


def _spans_from(value: Any) -> list[TokenSpan]:
    if not isinstance(value, list):
        raise ValueError(f"expected a list of [start, end, label], found {value!r}")
    out = []
    for sp in value:
        if not (isinstance(sp, list) and len(sp) == 3 and type(sp[0]) is int and type(sp[1]) is int):
            raise ValueError(f"expected [start, end, label], found {sp!r}")
        out.append((sp[0], sp[1], str(sp[2])))
    return sorted(out)


def _tool_decision(meta: Any, text: Any, spans: list[tuple[int, int, str]] | None, where: str) -> Decision:
    if not isinstance(meta, dict):
        raise ValueError("the task has no corpuskit meta: expected a task written by `find-errors --export`")
    s = _suspect(meta, where)
    expected = _spans_from(meta.get("current_spans", []))
    region = _pair(meta, "region", (s.start, s.end))
    sentence = _pair(meta, "sentence", region)
    d = Decision(s, where, "edit", region, expected=expected, sentence=sentence)
    if "suggested_spans" in meta:
        d.suggested = _spans_from(meta["suggested_spans"])
    d.text = text if isinstance(text, str) else None
    if spans is None:
        d.decision = "reject"
        d.final = expected
    else:
        d.char_spans = spans
    return d


def _char_spans(value: Any, kind: str) -> list[tuple[int, int, str]]:
    out = []
    for sp in value or ():
        if kind == "doccano" and isinstance(sp, list) and len(sp) == 3:
            s, e, lab = sp
        elif isinstance(sp, dict):
            s = sp.get("start", sp.get("start_offset"))
            e = sp.get("end", sp.get("end_offset"))
            labels = sp.get("labels")
            lab = labels[0] if isinstance(labels, list) and labels else sp.get("label")
        else:
            raise ValueError(f"a span is {sp!r}; expected [start, end, label] or an object")
        if type(s) is not int or type(e) is not int or not isinstance(lab, str):
            raise ValueError(f"a span is {sp!r}; expected integer offsets and a label")
        out.append((s, e, lab))
    return out


def _plain(obj: dict[str, Any], where: str) -> Decision:
    decision = obj.get("decision")
    if decision not in DECISIONS:
        raise ValueError(f"'decision' is {decision!r}; expected one of {', '.join(DECISIONS)}")
    s = _suspect(obj, where)
    label = obj.get("label", s.suggested if decision == "accept" else None)
    if label is not None and not isinstance(label, str):
        raise ValueError(f"'label' is {label!r}; expected a string or null")
    if decision == "accept":
        label = s.suggested
    return Decision(s, where, str(decision), (s.start, s.end), label=label)


def _jsonl_decision(obj: Any, where: str) -> Decision | None:
    if not isinstance(obj, dict):
        raise ValueError(f"found {type(obj).__name__}; expected a JSON object")
    if "decision" in obj:
        return _plain(obj, where)
    if "data" in obj:
        return _ls_decision(obj, where)
    if "tokens" in obj or "answer" in obj:  # Prodigy
        answer = obj.get("answer")
        if answer is None:
            return None  # not reviewed
        spans = _char_spans(obj.get("spans"), "prodigy") if answer == "accept" else None
        return _tool_decision(obj.get("meta"), obj.get("text"), spans, where)
    label = obj.get("label", obj.get("entities"))
    kind = "doccano" if "label" in obj else "entities"
    return _tool_decision(obj.get("meta"), obj.get("text"), _char_spans(label, kind), where)


def _ls_decision(obj: Any, where: str) -> Decision | None:
    if not isinstance(obj, dict) or not isinstance(obj.get("data"), dict):
        raise ValueError('expected a Label Studio task {"data": {"text": ...}, "annotations": [...]}')
    data = obj["data"]
    anns = [a for a in obj.get("annotations") or () if isinstance(a, dict) and not a.get("was_cancelled")]
    if not anns:
        return None  # skipped or not annotated
    result = anns[-1].get("result") or []
    spans = _char_spans(
        [r.get("value") for r in result if isinstance(r, dict) and r.get("type") == "labels"], "ls"
    )
    return _tool_decision(data.get("meta"), data.get("text"), spans, where)


def read_reviewed(path: str | Path) -> tuple[list[Decision], int]:
    """The decisions of a reviewed file and the number of tasks left undecided (a Prodigy task
    without an answer, a Label Studio task skipped or without annotation). Bad input raises
    :class:`FormatError` naming the file and line."""
    path = Path(path)
    lines = list(read_lines(path))
    first = next((ln.lstrip() for ln in lines if ln.strip()), "")
    out: list[Decision] = []
    undecided = 0
    for line_no, obj in _objects(path, lines, array=first.startswith("[")):
        where = f"{path}:{line_no}"
        try:
            d = _ls_decision(obj, where) if first.startswith("[") else _jsonl_decision(obj, where)
        except (ValueError, TypeError) as e:
            raise FormatError(str(e), path=str(path), line=line_no) from None
        if d is None:
            undecided += 1
        else:
            out.append(d)
    return out, undecided


def _objects(path: Path, lines: list[str], *, array: bool) -> Iterator[tuple[int, Any]]:
    if not array:
        for line_no, line in enumerate(lines, 1):
            if line.strip():
                try:
                    yield line_no, json.loads(line)
                except json.JSONDecodeError as e:
                    raise FormatError(
                        f"invalid JSON: {e.msg}", path=str(path), line=line_no, column=e.colno
                    ) from None
        return
    text = "\n".join(lines)
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as e:
        raise FormatError(f"invalid JSON: {e.msg}", path=str(path), line=e.lineno, column=e.colno) from None
    if not isinstance(tasks, list):
        raise FormatError("expected a JSON array of Label Studio tasks", path=str(path), line=1)
    # the line of each task: where its object opens
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    for task in tasks:
        while text[pos] in " \t\r\n,":
            pos += 1
        _, end = decoder.raw_decode(text, pos)
        yield text.count("\n", 0, pos) + 1, task
        pos = end


def to_span(sp: TokenSpan) -> Span:
    return Span(sp[0], sp[1], sp[2])


# ----------------------------------------------------------------------------- applying


@dataclass(slots=True)
class FileFix:
    """One corpus file and its corrected copy: the unified diff is empty when nothing changed."""

    source: Path
    output: Path
    diff: list[str]


@dataclass(slots=True)
class FixResult:
    """What :func:`apply_fixes` did: the files written, the decisions applied, those that
    changed nothing (rejected, or accepted as it was), the undecided tasks, and the refusals
    (one line each, naming the item and its file:line)."""

    files: list[FileFix]
    applied: list[Decision]
    unchanged: int
    undecided: int
    refused: list[str]


def _outputs(
    corpus_paths: Sequence[str | Path], output_dir: Path, converter: str, encoding: str
) -> list[tuple[Path, str, Path]]:
    from ..corpus import iter_corpus_files

    out = []
    for root in map(Path, corpus_paths):
        for file, conv, _why in iter_corpus_files(root, converter=converter, encoding=encoding):
            target = output_dir / (file.relative_to(root) if root.is_dir() else file.name)
            if target.resolve() == file.resolve():
                raise UsageError(f"{target}: the output would overwrite the corpus; choose another --output")
            out.append((file, conv, target))
    return out


def apply_fixes(
    corpus_paths: Sequence[str | Path],
    reviewed_path: str | Path,
    output_dir: str | Path,
    *,
    converter: str = "auto",
    encoding: str = "utf-8",
) -> FixResult:
    """Apply the reviewed decisions to a copy of the corpus in ``output_dir``.

    Every file of the corpus is written there (atomically), in its own format: byte for byte
    the input unless a decision changed it, and then with only the lines of the changed
    annotation rewritten. A decision whose item no longer matches the corpus (its doc, tokens,
    line or annotation differ from what was reviewed) is refused, with a message naming it.
    """
    decisions, undecided = read_reviewed(reviewed_path)
    targets = _outputs(corpus_paths, Path(output_dir), converter, encoding)
    by_path = {f.resolve(): (f, conv) for f, conv, _ in targets}
    result = FixResult([], [], 0, undecided, [])
    todo: dict[Path, list[Decision]] = {}
    for d in decisions:
        key = Path(d.suspect.file).resolve()
        if key not in by_path:
            result.refused.append(_refusal(d, "its file is not part of the corpus given"))
        else:
            todo.setdefault(key, []).append(d)
    texts: dict[Path, str] = {}
    for key, items in todo.items():
        file, conv = by_path[key]
        text = _patch_file(file, conv, items, encoding, result)
        if text is not None:
            texts[key] = text
    _write_copies(targets, texts, encoding, result)
    return result


def _patch_file(file: Path, conv: str, items: list[Decision], encoding: str, result: FixResult) -> str | None:
    """The text of ``file`` with the decisions applied (None when none changed it); what is
    applied, unchanged or refused is counted in ``result``."""
    from ..corpus import read_file
    from .patch import PATCHABLE, final_of, patch_text, stale, with_spans

    if conv not in PATCHABLE:
        reason = f"apply-fixes writes {', '.join(PATCHABLE)} files and {file} is {conv}"
        result.refused.extend(_refusal(d, reason) for d in items)
        return None
    held = PATCHABLE[conv][1]
    result.refused.extend(
        _refusal(d, f"{conv} files hold no {d.suspect.layer}") for d in items if d.suspect.layer not in held
    )
    items = [d for d in items if d.suspect.layer in held]
    docs = list(read_file(file, conv, encoding=encoding))
    changes: dict[int, tuple[Doc, Doc, set[str]]] = {}
    for d in items:
        s = d.suspect
        now = changes[s.doc][1] if s.doc in changes else (docs[s.doc] if 0 <= s.doc < len(docs) else None)
        why = stale(d, docs, now)
        try:
            final = final_of(d, now) if why is None and now is not None else None
        except ValueError as e:
            why = str(e)
        if why is not None or now is None or final is None:
            result.refused.append(_refusal(d, why or "unknown"))
            continue
        if final == layer_values(now, s.layer, *d.region):
            result.unchanged += 1
            continue
        if d.decision == "edit" and final == d.suggested:
            d.decision = "accept"
        old = changes[s.doc][0] if s.doc in changes else docs[s.doc]
        layers = changes[s.doc][2] if s.doc in changes else set()
        changes[s.doc] = (old, with_spans(now, s.layer, d.region, final), layers | {s.layer})
        result.applied.append(d)
    return patch_text(file, conv, changes, encoding) if changes else None


def _write_copies(
    targets: list[tuple[Path, str, Path]], texts: dict[Path, str], encoding: str, result: FixResult
) -> None:
    """Every corpus file into its target (atomically): the patched text, else the bytes as they were."""
    from ..io import atomic_open
    from .patch import unified_diff

    for file, _conv, target in targets:
        raw = file.read_bytes()
        new = texts.get(file.resolve())
        data = raw if new is None else new.encode(encoding)
        with atomic_open(target, "wb") as fh:
            fh.write(data)
        diff: list[str] = []
        if new is not None:
            old_text = raw.decode(encoding, errors="replace")
            diff = unified_diff(
                old_text.splitlines(keepends=True), new.splitlines(keepends=True), str(file), str(target)
            )
        result.files.append(FileFix(file, target, diff))


def _refusal(d: Decision, why: str) -> str:
    s = d.suspect
    place = f"{s.file}:{s.line}" if s.line is not None else s.file
    return (
        f"{d.where}: refused: {s.layer} {s.text!r} (doc {s.doc}, tokens {s.start}-{s.end}, {place}) "
        f"no longer matches the corpus: {why}; not applied"
    )
