"""Applying reviewed decisions: check each against the doc as it is now (:func:`stale`), turn
it into the annotation it asks for (:func:`final_of`), and write that back into the corpus
file in its own format, line by line (:func:`patch_text`).

The converters' writers regenerate a whole file, and only some reproduce their input byte for
byte (CoNLL-U and doccano JSONL do; the CoNLL NER writer joins columns with one space, the
Prodigy and Label Studio writers drop keys they do not read). So the corrected copy is the
original file with only the lines that hold a changed annotation rewritten: a CoNLL-U word line's
column, a CoNLL NER line's POS or entity tag, a JSONL record's spans. Every other byte is the
input's. The patched text is read back with the same converter and checked against the
intended annotation before anything is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

from ..doc import Doc
from ..errors import UsageError
from ..io import read_lines
from .review import Decision, TokenSpan, apply_label, layer_values, sentence_of, to_span, value_label

__all__ = [
    "PATCHABLE",
    "changed_tokens",
    "final_of",
    "patch_text",
    "stale",
    "task_spans",
    "unified_diff",
    "with_spans",
]

#: CoNLL-U columns of each token layer.
_CONLLU_COLUMN = {"lemmas": 2, "pos": 3, "tags": 4, "morphs": 5, "heads": 6, "deps": 7}
_NER_PART = re.compile(r"^((?:name|NE)=)?([BILU])-([A-Z_]+)$")
_JSONL = ("jsonl", "doccano", "prodigy")


def changed_tokens(old: Doc, new: Doc, layer: str) -> list[int]:
    """Tokens whose ``layer`` annotation differs between two versions of a doc."""
    if layer == "ents":
        a = list(zip(old.ent_iob(), old.ent_types(), strict=True))
        b = list(zip(new.ent_iob(), new.ent_types(), strict=True))
    else:
        a, b = getattr(old, layer) or [None] * len(old), getattr(new, layer) or [None] * len(new)
    return [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]


def _conllu(lines: list[str], old: Doc, new: Doc, layer: str, path: str, scheme: str) -> None:
    assert old.lines is not None
    bounds = new.sentence_bounds()
    for i in changed_tokens(old, new, layer):
        k = old.lines[i] - 1
        cols = lines[k].split("\t")
        if len(cols) != 10:
            raise UsageError(f"{path}:{k + 1}: expected a CoNLL-U word line for token {i}")
        if layer == "ents":
            iob, label = new.ent_iob()[i], new.ent_types()[i]
            cols[9] = _misc_with(cols[9], f"{iob}-{label}" if iob in ("B", "I") else "O")
        elif layer == "heads":
            h = new.heads[i] if new.heads is not None else None
            s = max(a for a, _ in bounds if a <= i)
            cols[6] = "_" if h is None else ("0" if h == i else str(h - s + 1))
        else:
            value = getattr(new, layer)[i]
            if layer == "deps" and value == "ROOT":
                value = "root"
            cols[_CONLLU_COLUMN[layer]] = "_" if value is None else str(value)
        lines[k] = "\t".join(cols)


def _misc_with(misc: str, tag: str) -> str:
    """MISC with its NER part set to ``tag`` (``B-X``, ``I-X`` or ``O``), in the part's style."""
    parts = [] if misc == "_" else misc.split("|")
    for j, part in enumerate(parts):
        m = _NER_PART.match(part)
        if part == "O" or m is not None:
            prefix = (m.group(1) or "") if m is not None else ""
            if tag == "O":
                if part == "O":
                    return misc
                del parts[j]
            else:
                parts[j] = prefix + tag
            return "|".join(parts) or "_"
    if tag == "O":
        return misc
    return "|".join([*parts, "NE=" + tag])


def _fields(line: str) -> list[str]:
    """A column line split into fields and the separators between them (kept as they were)."""
    return re.split(r"(\s+)", line.strip("\r"))


def _scheme(written: list[str], path: str) -> str:
    """The entity tag scheme of a file's tag column (one sequence, "O" between sentences)."""
    from ..tags import TagError, detect_scheme

    try:
        return str(detect_scheme([t for t in written if t != "-"]))
    except TagError:
        return "IOB2"


def _new_tags(old: Doc, new: Doc, written: list[str], scheme: str) -> dict[int, str]:
    """The entity tags to write (token -> tag) where the reviewed entities change them: the
    changed tokens and their neighbours (IOB1's B- depends on the entity before)."""
    from ..tags import spans_to_tags

    changed = changed_tokens(old, new, "ents")
    if not changed:
        return {}
    tags = spans_to_tags(len(new), new.ents or [], scheme, new.ents_missing)
    lo, hi = max(changed[0] - 1, 0), min(changed[-1] + 2, len(new))
    return {i: tags[i] for i in range(lo, hi) if tags[i] != written[i]}


def _conll(lines: list[str], old: Doc, new: Doc, layer: str, path: str, scheme: str) -> None:
    assert old.lines is not None
    if layer == "tags":
        for i in changed_tokens(old, new, layer):
            f = _fields(lines[old.lines[i] - 1])
            f[2] = str((new.tags or [None] * len(new))[i] or "-")
            lines[old.lines[i] - 1] = "".join(f)
        return
    written = [_fields(lines[x - 1])[-1] for x in old.lines]
    for i, tag in _new_tags(old, new, written, scheme).items():
        f = _fields(lines[old.lines[i] - 1])
        f[-1] = tag
        lines[old.lines[i] - 1] = "".join(f)


def _iob(lines: list[str], old: Doc, new: Doc, layer: str, path: str, scheme: str) -> None:
    assert old.lines is not None
    k = old.lines[0] - 1
    f = _fields(lines[k])
    at = [j for j, x in enumerate(f) if x and not x.isspace()]
    n_fields = f[at[0]].count("|") + 1
    parts = [f[j].rsplit("|", n_fields - 1) for j in at]
    if layer == "tags":
        for i in changed_tokens(old, new, layer):
            parts[i][1] = str((new.tags or [None] * len(new))[i] or "-")
    else:
        for i, tag in _new_tags(old, new, [p[-1] for p in parts], scheme).items():
            parts[i][-1] = tag
    for j, p in zip(at, parts, strict=True):
        f[j] = "|".join(p)
    lines[k] = "".join(f)


def _file_tags(conv: str, lines: list[str]) -> list[str]:
    """The entity tag column of a CoNLL or IOB file, "O" for lines that are not tokens."""
    out: list[str] = []
    for line in lines:
        f = line.split()
        if conv == "iob":
            out.extend(t.rsplit("|", 1)[-1] for t in f)
            out.append("O")
        elif not f or f[0] == "-DOCSTART-" or (f[0].startswith("#") and not _is_tag(f[-1])):
            out.append("O")
        else:
            out.append(f[-1])
    return out


def _is_tag(value: str) -> bool:
    return value == "O" or (len(value) > 2 and value[1] == "-")


def _jsonl(lines: list[str], old: Doc, new: Doc, layer: str, path: str, scheme: str) -> None:
    assert old.lines is not None
    k = old.lines[0] - 1
    obj = json.loads(lines[k])
    text = obj["text"]
    offsets: list[tuple[int, int]] = []
    pos = 0
    for w in new.words:
        at = text.find(w, pos)
        if at < 0:
            raise UsageError(f"{path}:{k + 1}: token {w!r} is not in the record's text; cannot place spans")
        offsets.append((at, at + len(w)))
        pos = at + len(w)
    spans = [(offsets[s.start][0], offsets[s.end - 1][1], s.label) for s in new.ents or ()]
    if "label" in obj and "spans" not in obj and "entities" not in obj:
        obj["label"] = [[s, e, lab] for s, e, lab in spans]
    elif "entities" in obj and "spans" not in obj:
        obj["entities"] = [{"start_offset": s, "end_offset": e, "label": lab} for s, e, lab in spans]
    else:
        rows: list[dict[str, Any]] = []
        for sp, (s, e, lab) in zip(new.ents or (), spans, strict=True):
            row: dict[str, Any] = {"start": s, "end": e, "label": lab}
            if "tokens" in obj:
                row.update(token_start=sp.start, token_end=sp.end - 1)
            rows.append(row)
        obj["spans"] = rows
    lines[k] = json.dumps(obj, ensure_ascii=False)


#: The formats whose files can be patched, how, and the layers each holds.
PATCHABLE: dict[str, tuple[Callable[[list[str], Doc, Doc, str, str, str], None], frozenset[str]]] = {
    "conllu": (_conllu, frozenset(["ents", "tags", "pos", "morphs", "lemmas", "heads", "deps"])),
    "conll": (_conll, frozenset(["ents", "tags"])),
    "iob": (_iob, frozenset(["ents", "tags"])),
    **dict.fromkeys(_JSONL, (_jsonl, frozenset(["ents"]))),
}


def patch_text(path: Path, conv: str, changes: dict[int, tuple[Doc, Doc, set[str]]], encoding: str) -> str:
    """The text of ``path`` with the changed docs' lines rewritten (``changes``: doc index ->
    (doc as read, doc as it should be, layers changed)), checked by reading it back."""
    patch, layers_held = PATCHABLE[conv]
    raw = path.read_bytes()
    crlf = b"\r\n" in raw
    lines = list(read_lines(path, encoding=encoding))
    scheme = _scheme(_file_tags(conv, lines), str(path)) if conv in ("conll", "iob") else ""
    for old, new, layers in changes.values():
        if not old.lines:
            raise UsageError(f"{path}: doc without line numbers; cannot patch it")
        for layer in sorted(layers & layers_held):
            patch(lines, old, new, layer, str(path), scheme)
    sep = "\r\n" if crlf else "\n"
    text = sep.join(lines) + (sep if raw.endswith(b"\n") else "")
    _check(path, conv, text, changes)
    return text


def _check(path: Path, conv: str, text: str, changes: dict[int, tuple[Doc, Doc, set[str]]]) -> None:
    from ..registry import get_converter

    docs = list(get_converter(conv).read(text.replace("\r\n", "\n").split("\n"), source=str(path)))
    for index, (_old, new, layers) in changes.items():
        got = docs[index] if index < len(docs) else None
        for layer in layers:
            if got is None or changed_tokens(got, new, layer):
                raise UsageError(
                    f"{path}: the patched file does not read back with the reviewed {layer} of doc {index}; "
                    "nothing was written (please report this)"
                )


def stale(d: Decision, docs: list[Doc], doc_now: Doc | None) -> str | None:
    """Why the decision no longer fits the corpus (None when it does)."""
    s = d.suspect
    if doc_now is None:
        return f"the file has no doc {s.doc} (it has {len(docs)})"
    a, b = d.region
    if not (0 <= a <= s.start < s.end <= b <= len(doc_now.words)):
        return f"tokens {s.start}-{s.end} are beyond the doc's {len(doc_now.words)} tokens"
    words = " ".join(doc_now.words[s.start : s.end])
    if s.text and "".join(s.text.split()) != "".join(words.split()):
        return f"the tokens there are now {words!r}"
    if s.line is not None and doc_now.lines and doc_now.lines[s.start] != s.line:
        return f"the span is now at line {doc_now.lines[s.start]}"
    if d.text is not None and d.sentence is not None:
        sa, sb = d.sentence
        if not 0 <= sa < sb <= len(doc_now.words):
            return f"its sentence (tokens {sa}-{sb}) is beyond the doc's {len(doc_now.words)} tokens"
        offsets = doc_now.token_offsets()
        now = doc_now.text[offsets[sa][0] : offsets[sb - 1][1]]
        if now != d.text:
            return f"the sentence is now {now[:60]!r}"
    current = layer_values(doc_now, s.layer, a, b)
    if d.expected is not None:
        if current != d.expected:
            return f"its {s.layer} annotation is now {current}, the task was made from {d.expected}"
        return None
    if s.layer == "ents":
        now_label = next((lab for x, y, lab in current if (x, y) == (s.start, s.end)), None)
        if now_label != s.current:
            return f"the entity there is now {now_label!r}, the review was of {s.current!r}"
    else:
        want = value_label(s.layer, s.current)
        values = {x: lab for x, _, lab in current}
        bad = [values.get(i) for i in range(s.start, s.end) if values.get(i) != want]
        if bad:
            return f"its {s.layer} value is now {bad[0]!r}, the review was of {want!r}"
    return None


def with_spans(doc: Doc, layer: str, region: tuple[int, int], spans: list[TokenSpan]) -> Doc:
    """A copy of ``doc`` whose ``layer`` on ``region`` is ``spans``."""
    from dataclasses import replace

    a, b = region
    if layer == "ents":
        kept = [s for s in doc.ents or () if s.end <= a or s.start >= b]
        return replace(doc, ents=sorted([*kept, *map(to_span, spans)], key=lambda s: (s.start, s.end)))
    values = list(getattr(doc, layer) or [None] * len(doc))
    by_token = {x: lab for x, _, lab in spans}
    for i in range(a, b):
        lab = by_token.get(i)
        values[i] = int(lab[5:]) if layer == "heads" and lab is not None else lab
    change: dict[str, Any] = {layer: values}
    return replace(doc, **change)


def unified_diff(old: list[str], new: list[str], a: str, b: str, *, context: int = 3) -> list[str]:
    """The unified diff of two texts (lines with their ends) that have the same number of lines,
    as :func:`difflib.unified_diff` writes it, in time linear in their length (difflib's
    matching is quadratic on a large file with scattered changes)."""
    if len(old) != len(new):
        import difflib

        return list(difflib.unified_diff(old, new, a, b))
    changed = [i for i, (x, y) in enumerate(zip(old, new, strict=True)) if x != y]
    if not changed:
        return []
    groups = [[changed[0]]]
    for i in changed[1:]:
        if i - groups[-1][-1] - 1 > 2 * context:
            groups.append([i])
        else:
            groups[-1].append(i)
    out = [f"--- {a}\n", f"+++ {b}\n"]
    for g in groups:
        lo, hi = max(g[0] - context, 0), min(g[-1] + context + 1, len(old))
        span = f"{lo + 1},{hi - lo}" if hi - lo != 1 else f"{lo + 1}"
        out.append(f"@@ -{span} +{span} @@\n")
        i = lo
        while i < hi:
            if old[i] == new[i]:
                out.append(" " + old[i])
                i += 1
                continue
            j = i
            while j < hi and old[j] != new[j]:
                j += 1
            out.extend("-" + x for x in old[i:j])
            out.extend("+" + x for x in new[i:j])
            i = j
    return out


def task_spans(d: Decision, doc: Doc) -> list[TokenSpan]:
    """A tool decision's character spans put on the doc's tokens (offsets in the task's text,
    the tokens ``d.sentence``); ValueError naming a span that does not fall on token edges.
    Spans outside ``d.region`` (for a token layer: the suspect's tokens) are left out."""
    a, b = d.sentence or d.region
    lo, hi = d.region
    offsets = doc.token_offsets()
    base = offsets[a][0]
    starts = {offsets[i][0] - base: i for i in range(a, b)}
    ends = {offsets[i][1] - base: i + 1 for i in range(a, b)}
    out = []
    for s, e, lab in d.char_spans or ():
        if s not in starts or e not in ends or ends[e] <= starts[s]:
            raise ValueError(f"the reviewed span {lab!r} at characters {s}-{e} does not fall on token edges")
        if lo <= starts[s] and ends[e] <= hi:
            out.append((starts[s], ends[e], lab))
    return sorted(out)


def final_of(d: Decision, doc: Doc) -> list[TokenSpan]:
    """The annotation the decision asks for on ``d.region``, from the doc as it is now;
    ValueError when it cannot be (a span off the token edges, a head that is not a token of
    the sentence, overlapping entities)."""
    s = d.suspect
    current = layer_values(doc, s.layer, *d.region)
    if d.char_spans is None and d.final is not None:
        spans = d.final
    elif d.char_spans is not None:
        spans = task_spans(d, doc)
        if s.layer != "ents":  # a token the reviewer left without a span keeps its value
            covered = {sp[0] for sp in spans if sp[1] == sp[0] + 1}
            spans = sorted(spans + [sp for sp in current if sp[0] not in covered])
    elif d.decision == "reject":
        spans = current
    else:
        spans = apply_label(current, s.layer, s.start, s.end, d.label)
    _check_spans(s.layer, spans, doc)
    return spans


def _check_spans(layer: str, spans: list[TokenSpan], doc: Doc) -> None:
    if layer == "ents":
        for (_, e1, l1), (s2, _, l2) in pairwise(spans):
            if s2 < e1:
                raise ValueError(f"the reviewed entities {l1!r} and {l2!r} overlap")
        return
    if layer != "heads":
        return
    for i, _, label in spans:
        head = label[5:] if label.startswith("head=") else ""
        a, b = sentence_of(doc, i, i + 1)
        if not head.isdigit() or not a <= int(head) < b:
            raise ValueError(
                f"the head {label!r} of token {i} is not head=N with N a token of its sentence ({a}-{b - 1})"
            )
