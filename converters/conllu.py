"""CoNLL-U: read UD treebanks as Docs (one per sentence) and write Docs back as CoNLL-U.

The reader gives the annotation ``spacy convert -c conllu`` gives (words, spaces, tag, pos,
morph, lemma, head, dep, entities from MISC, ``--merge-subtokens``, ``--morphology``) but reads
what spaCy crashes on (extra blank lines, comment-only blocks) and reports bad input (space
separated columns, a wrong column count, bad IDs and heads, malformed FEATS) as a
:class:`~corpuskit.errors.FormatError` naming ``file:line``.

What a DocBin cannot hold (comments, multiword-token lines, empty nodes, DEPS, MISC, the raw
XPOS and FEATS columns where they differ from what the annotation regenerates) is kept in
``Doc.user_data[USER_DATA_KEY]``: a list with one dict per sentence, so that grouping sentences
into one Doc concatenates the lists and :func:`write_conllu` gives back the input file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor
from itertools import chain, compress, islice, pairwise, repeat
from operator import eq as _eq
from operator import not_
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from corpuskit import Doc, Span
from corpuskit.errors import FormatError, UsageError
from corpuskit.io import byte_blocks, open_binary, read_line_blocks
from corpuskit.registry import Converter, FileScan
from corpuskit.strings import UPOS
from corpuskit.transforms import merge_docs

__all__ = [
    "USER_DATA_KEY",
    "converter",
    "detect",
    "file_has_ner",
    "parse_conllu",
    "read_conllu",
    "scan_conllu",
    "write_conllu",
]

#: ``Doc.user_data`` key of the per-sentence round-trip data (a list, one dict per sentence).
USER_DATA_KEY = "conllu.sents"

_COLUMNS = "ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC"
# spaCy's MISC_NER_PATTERN without its "|O$" branch (a part that is exactly "O" is tested apart).
_NER_RE = re.compile(r"((?:name|NE)=)?([BILU])-([A-Z_]+)")
_MAX_FAST = 4096
_TEXT = "# text = "
_IDS = [str(i) for i in range(1, _MAX_FAST + 1)]
_HEADS0 = {str(i): i - 1 for i in range(_MAX_FAST + 1)}
_UPOS = frozenset(name for name in UPOS if name)
_DIGITS = frozenset("0123456789")
# bytes around a MISC part that may be an NER tag ("B-PER", "NE=I-LOC", "O")
_DASH = ord("-")
_O = ord("O")


def _byte_set(chars: bytes) -> npt.NDArray[np.bool_]:
    """A table of the 256 byte values, true for ``chars`` (``table[bytes_array]`` tests each)."""
    table = np.zeros(256, dtype=bool)
    table[np.frombuffer(chars, dtype=np.uint8)] = True
    return table


_BILU = _byte_set(b"BILU")
_BEFORE_TAG = _byte_set(b"\t|=")
_BEFORE_O = _byte_set(b"\t|")
_AFTER_O = _byte_set(b"\n|\r")


# --------------------------------------------------------------------------- NER detection


def _misc_ner_tag(misc: str) -> str | None:
    """The IOB tag of a MISC value as spaCy reads it, or None when no part is an NER tag."""
    for part in misc.split("|"):
        if part == "O":
            return "O"
        m = _NER_RE.match(part)
        if m is not None:
            return f"{m.group(2)}-{m.group(3)}"
    return None


def _line_has_ner(line: str) -> bool:
    """Whether a token line's MISC holds an NER tag (spaCy's ``has_ner``, for one line)."""
    if not line or line[0] == "#" or line.count("\t") != 9:
        return False
    misc = line[line.rfind("\t") + 1 :]
    if misc == "_" or ("-" not in misc and "O" not in misc):
        return False
    return _misc_ner_tag(misc) is not None


def file_has_ner(path: str | Path) -> bool:
    """Whether any token line of a CoNLL-U file has an NER tag in MISC (a fast byte scan).

    Only lines where a tab, ``|`` or ``=`` is followed by ``B-``/``I-``/``L-``/``U-``, or a tab
    or ``|`` by a lone ``O``, are decoded and checked.
    """
    return any(_block_has_ner(block) for block in byte_blocks(path))  # 1 MiB blocks: memory flat


def _block_has_ner(block: bytes) -> bool:
    for pos in _ner_candidates(block):
        start = block.rfind(b"\n", 0, pos) + 1
        end = block.find(b"\n", pos)
        line = block[start : end if end != -1 else len(block)].rstrip(b"\r")
        if _line_has_ner(line.decode("utf-8", errors="replace")):
            return True
    return False


def _ner_candidates(block: bytes) -> list[int]:
    """Offsets in ``block`` (which ends with a line end) where an NER tag may start."""
    a = np.frombuffer(block, dtype=np.uint8)
    if len(a) < 3:
        return []
    found: list[int] = []
    dash = np.flatnonzero(a[2:] == _DASH) + 2  # "B-" etc. preceded by \t | =
    if len(dash):
        keep = _BILU[a[dash - 1]] & _BEFORE_TAG[a[dash - 2]]
        found.extend((dash[keep] - 1).tolist())
    o = np.flatnonzero(a[1:] == _O) + 1  # "O" between \t or | and | or a line end
    if len(o):
        after = a[np.minimum(o + 1, len(a) - 1)]
        after[o == len(a) - 1] = 10  # the last line may have no line end
        keep = _BEFORE_O[a[o - 1]] & _AFTER_O[after]
        found.extend(o[keep].tolist())
    return found


def _lines_have_ner(lines: Iterable[str]) -> bool:
    return any(_line_has_ner(line) for line in lines)


# --------------------------------------------------------------------------- FEATS


_FEATS_NORM: dict[str, str] = {"_": ""}
#: Raw FEATS values that the normalised form does not regenerate (to be kept for the round trip).
_FEATS_ODD: set[str] = set()


def _normalise_feats(feats: str, path: str | None, line_no: int) -> str:
    """spaCy's normalised FEATS: ``Field=v1,v2`` pairs (values sorted) sorted as strings."""
    fields: dict[str, str] = {}
    if feats:
        for feat in feats.split("|"):
            pair = feat.split("=")
            if len(pair) != 2:
                raise FormatError(
                    f"bad FEATS value {feats!r}: feature {feat!r} is not Name=Value; "
                    "expected '_' or Name=Value pairs joined by '|'",
                    path=path,
                    line=line_no,
                )
            fields[pair[0]] = ",".join(sorted(pair[1].split(",")))
    norm = "|".join(sorted(f"{k}={v}" for k, v in fields.items()))
    if len(_FEATS_NORM) < 200_000:
        _FEATS_NORM[feats] = norm
    if (norm or "_") != feats:
        _FEATS_ODD.add(feats)
    return norm


# --------------------------------------------------------------------------- reading


def _is_num(value: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts ``²``, which ``int`` refuses)."""
    return value.isascii() and value.isdigit()


def _error(msg: str, path: str | None, line_no: int, column: int | None = None) -> FormatError:
    return FormatError(msg, path=path, line=line_no, column=column)


def _column_error(line: str, parts: list[str], path: str | None, line_no: int) -> FormatError:
    n = len(parts)
    shown = line if len(line) <= 80 else line[:77] + "..."
    if n == 1 and len(line.split()) >= 10:
        return _error(
            f"columns are separated by spaces, not tabs: {shown!r}; expected 10 tab-separated "
            f"columns ({_COLUMNS})",
            path,
            line_no,
        )
    return _error(f"expected 10 tab-separated columns ({_COLUMNS}), got {n}: {shown!r}", path, line_no)


def _column_of(parts: list[str], index: int) -> int:
    """1-based character column where field ``index`` of a tab-split line starts."""
    return sum(len(p) + 1 for p in parts[:index]) + 1


class _Sentence:
    """The word columns of one sentence (multiword-token and empty-node lines set apart)."""

    __slots__ = ("feats", "forms", "lines", "mwt", "pos", "spaces")

    def __init__(
        self,
        forms: list[str],
        spaces: list[bool],
        pos: list[str | None],
        feats: list[str],
        lines: list[int],
        mwt: list[tuple[int, int, str]],
    ) -> None:
        self.forms = forms
        self.spaces = spaces
        self.pos = pos
        self.feats = feats
        self.lines = lines
        self.mwt = mwt


def _parse_lines(
    blocks: Iterable[list[str]],
    source: str | None,
    set_ents: bool,
    merge_subtokens: bool,
    morphology: bool,
    ner_map: Mapping[str, str] | None,
    first_line: int = 0,
    group: int = 1,
) -> Iterator[Doc]:
    """The reading loop: one Doc per sentence (per ``group`` sentences), yielded one late (for
    the file's tail).

    ``blocks`` are lists of consecutive lines. Runs of lines that start with a digit (word
    lines) are taken whole; only the other lines (blank, comment, anything odd) are looked at
    one by one. Each sentence is checked and converted column by column when it ends
    (:func:`_finish`), or when its group is complete (:func:`_finish_group`).
    """
    size = max(group, 1)
    pending: Doc | None = None
    pre: list[str] = []  # lines before the current sentence's first word line
    rows: list[str] = []  # the current sentence's word lines
    batch: list[tuple[list[str], int, list[str]]] = []  # finished sentences of the current group
    first = 0
    line_no = first_line  # lines before the current block
    digits = _DIGITS
    noblank = False
    try:
        for lines in blocks:
            special = [i for i, line in enumerate(lines) if line[:1] not in digits]
            special.append(len(lines))
            prev = 0
            for i in special:
                if i > prev:  # word lines prev..i-1
                    if not rows:
                        first = line_no + prev + 1
                    rows.extend(lines[prev:i])
                prev = i + 1
                if i == len(lines):
                    break
                line = lines[i]
                if line and line[0] != "#":
                    parts = line.split("\t")
                    if len(parts) == 10:
                        if not rows:
                            first = line_no + i + 1
                        rows.append(line)
                        continue
                    if line.strip():
                        _check_columns(rows, first, source)
                        raise _column_error(line, parts, source, line_no + i + 1)
                    line = ""
                if not line:
                    if rows:
                        batch.append((rows, first, pre))
                        rows = []
                        pre = []
                        if len(batch) == size:
                            done, batch = batch, []
                            doc = _finish_group(done, source, set_ents, merge_subtokens, morphology, ner_map)
                            if pending is not None:
                                yield pending
                            pending = doc
                    else:
                        pre.append(line)
                elif rows:
                    _check_columns(rows, first, source)
                    raise _error(
                        f"comment line {line[:60]!r} inside a sentence; expected comments only "
                        "before the sentence's first word line (and a blank line after its last)",
                        source,
                        line_no + i + 1,
                        1,
                    )
                else:
                    pre.append(line)
            line_no += len(lines)
        if rows:
            batch.append((rows, first, pre))
            pre = []
            noblank = True
        if batch:
            done, batch = batch, []
            doc = _finish_group(done, source, set_ents, merge_subtokens, morphology, ner_map)
            if pending is not None:
                yield pending
            pending = doc
    except Exception:
        # the sentences read before the error, whose group was not complete, come first in
        # the file: an error of theirs is the one to name
        for sent_rows, sent_first, sent_pre in batch:
            _finish(sent_rows, sent_first, sent_pre, source, set_ents, merge_subtokens, morphology, ner_map)
        raise
    if pending is not None:
        entries = pending.user_data[USER_DATA_KEY]
        if noblank:
            entries[-1]["noblank"] = True
        if pre:
            entries[-1]["tail"] = pre
        yield pending
    elif pre and any(line.strip() for line in pre):
        raise _error(
            "no word lines, only comments; expected CoNLL-U sentences (10 tab-separated "
            f"columns: {_COLUMNS})",
            source,
            line_no,
        )


_NO_SPACE = "SpaceAfter=No"


def _space_after(misc: str) -> bool:
    """Whether MISC lacks the attribute ``SpaceAfter=No`` (``CorrectSpaceAfter=No`` is another)."""
    return "SpaceAfter=No" not in misc or "SpaceAfter=No" not in misc.split("|")


def _check_padding(rows: list[str], first: int, source: str | None) -> None:
    """Refuse a word line with a column padded with spaces or an empty FORM (UD level 1), which
    would otherwise reach the DocBin as labels of their own (``' punct'``) or empty words."""
    for k, line in enumerate(rows):
        parts = line.split("\t")
        if len(parts) != 10:
            continue  # the column count is reported by _check_columns
        for c, value in enumerate(parts):
            if value != value.strip(" "):
                raise _error(
                    f"{_COLUMNS.split()[c]} {value!r} is padded with spaces; expected no space before "
                    "or after a column's value",
                    source,
                    first + k,
                    _column_of(parts, c),
                )
        if not parts[1]:
            raise _error(
                "FORM is empty; expected the word (spaCy cannot hold an empty word)",
                source,
                first + k,
                _column_of(parts, 1),
            )


def _check_columns(rows: list[str], first: int, source: str | None) -> None:
    """Raise the error of the first word line without exactly 10 tab-separated columns."""
    for k, line in enumerate(rows):
        if line.count("\t") != 9:
            raise _column_error(line, line.split("\t"), source, first + k)


def _columns(rows: list[str], first: int, source: str | None) -> list[list[str]]:
    """The 10 columns of a sentence's word lines (split in one go), checking every line."""
    n = len(rows)
    # joined with "\t\n\t", every line's 10 fields are followed by a "\n" field, so a line
    # with more or fewer columns shows as a "\n" out of place
    joined = "\t\n\t".join(rows)
    # a space next to a tab is a padded column (" " first: a fast test, spaces are rare here)
    if " " in joined and (" \t" in joined or "\t " in joined or joined[-1:] == " "):
        _check_padding(rows, first, source)
    flat = joined.split("\t")
    if len(flat) != 11 * n - 1 or flat[10::11].count("\n") != n - 1:
        _check_columns(rows, first, source)
    cols = [flat[c::11] for c in range(10)]
    if "" in cols[1]:
        _check_padding(rows, first, source)  # an empty FORM
    return cols


def _split_rows(
    rows: list[str], ids: list[str], first: int, source: str | None
) -> tuple[list[int], list[int], list[tuple[int, str]], list[tuple[int, int, str]]]:
    """Set multiword-token and empty-node lines apart from word lines, checking every ID.

    Returns the rows of the words, their line numbers, the other lines (after which word, the
    line) and the multiword tokens (first word, end word, form).
    """
    odd = [r for r, id_ in enumerate(ids) if not id_.isdigit()]
    if odd and len(odd) < len(rows):
        # the common case: word IDs 1..n once the other lines are set apart
        odd_set = set(odd)
        keep = [r for r in range(len(rows)) if r not in odd_set]
        n = len(keep)
        if n <= _MAX_FAST and [ids[r] for r in keep] == _IDS[:n]:
            fast = _split_checked(rows, odd)
            if fast is not None:
                extra, mwt = fast
                return keep, [first + r for r in keep], extra, mwt
    return _split_rows_slow([line.split("\t") for line in rows], first, source)


def _split_checked(
    rows: list[str], odd: list[int]
) -> tuple[list[tuple[int, str]], list[tuple[int, int, str]]] | None:
    """Multiword-token and empty-node lines (at rows ``odd``) if their IDs fit, else None."""
    extra: list[tuple[int, str]] = []
    mwt: list[tuple[int, int, str]] = []
    mwt_end = 0
    for before, r in enumerate(odd):
        line = rows[r]
        id_, _, rest = line.partition("\t")
        n = r - before  # words before this line
        if "-" in id_:
            a, _, b = id_.partition("-")
            if not (_is_num(a) and _is_num(b) and int(a) == n + 1 and int(b) > n + 1 and mwt_end <= n):
                return None
            mwt_end = int(b)
            mwt.append((n, mwt_end, rest.partition("\t")[0]))
        else:
            a, _, b = id_.partition(".")
            if not (_is_num(a) and _is_num(b) and int(a) == n):
                return None
        extra.append((n, line))
    if mwt_end > len(rows) - len(odd):
        return None
    return extra, mwt


def _split_rows_slow(
    rows: list[list[str]], first: int, source: str | None
) -> tuple[list[int], list[int], list[tuple[int, str]], list[tuple[int, int, str]]]:
    """Set multiword-token and empty-node lines apart, one line at a time, naming the bad one."""
    words: list[int] = []
    lines: list[int] = []
    extra: list[tuple[int, str]] = []
    mwt: list[tuple[int, int, str]] = []
    mwt_end = 0
    for r, parts in enumerate(rows):
        line_no = first + r
        id_ = parts[0]
        n = len(words)
        if "-" in id_:
            a, _, b = id_.partition("-")
            if not (_is_num(a) and _is_num(b) and int(a) == n + 1 and int(b) > int(a)):
                raise _error(
                    f"bad multiword token ID {id_!r}; expected a range {n + 1}-M with M > {n + 1} "
                    "(the next word's ID first)",
                    source,
                    line_no,
                    1,
                )
            if mwt_end > n:
                raise _error(
                    f"multiword token {id_!r} starts inside the multiword token that ends at "
                    f"word {mwt_end}; expected multiword tokens not to overlap",
                    source,
                    line_no,
                    1,
                )
            mwt_end = int(b)
            mwt.append((n, mwt_end, parts[1]))
            extra.append((n, "\t".join(parts)))
        elif "." in id_:
            a, _, b = id_.partition(".")
            if not (_is_num(a) and _is_num(b) and int(a) == n):
                raise _error(
                    f"bad empty node ID {id_!r}; expected {n}.N (an empty node follows the word "
                    "it is numbered after)",
                    source,
                    line_no,
                    1,
                )
            extra.append((n, "\t".join(parts)))
        elif _is_num(id_) and int(id_) == n + 1:
            words.append(r)
            lines.append(line_no)
        else:
            raise _error(
                f"bad word ID {id_!r}; expected {n + 1} (word IDs count 1, 2, 3... in each "
                "sentence; N-M for multiword tokens, N.M for empty nodes)",
                source,
                line_no,
                1,
            )
    if mwt_end > len(words):
        raise _error(
            f"the sentence ends at word {len(words)} inside a multiword token that ends at word {mwt_end}",
            source,
            first + len(rows),
        )
    if not words:
        raise _error("a sentence with no words (only multiword-token or empty-node lines)", source, first)
    return words, lines, extra, mwt


def _mwt_spaces(
    spaces: list[bool], offset: int, mwt: list[tuple[int, int, str]], extra: list[tuple[int, str]]
) -> None:
    """The spacing of a sentence's multiword tokens (its words from ``offset`` in ``spaces``): no
    space inside one, and after its last word the SpaceAfter of the multiword token's line."""
    mwt_misc = [e[1].rsplit("\t", 1)[1] for e in extra if "-" in e[1].split("\t", 1)[0]]
    for (start, end, _form), m in zip(mwt, mwt_misc, strict=True):
        for k in range(offset + start, offset + end - 1):
            spaces[k] = False
        spaces[offset + end - 1] = _space_after(m)


def _tags(xpos: list[str], upos: list[str]) -> list[str | None]:
    """The tags: XPOS, with UPOS standing in for "_"."""
    if "_" in xpos:
        return [u if x == "_" else x for x, u in zip(xpos, upos, strict=True)]
    return xpos[:]  # type: ignore[return-value]


def _morphs(feats: list[str], source: str | None, lines: list[int]) -> list[str | None]:
    """FEATS normalised as spaCy does (cached per distinct value); a malformed value is an error
    at its line."""
    feats_norm = _FEATS_NORM
    try:
        return list(map(feats_norm.__getitem__, feats))
    except KeyError:
        return [
            feats_norm[f] if f in feats_norm else _normalise_feats(f, source, lines[k])
            for k, f in enumerate(feats)
        ]


def _finish(
    rows: list[str],
    first: int,
    comments: list[str],
    source: str | None,
    set_ents: bool,
    merge_subtokens: bool,
    morphology: bool,
    ner_map: Mapping[str, str] | None,
) -> Doc:
    """Check a sentence's word lines and turn them into a Doc, column by column."""
    cols = _columns(rows, first, source)
    n = len(rows)
    extra: list[tuple[int, str]] = []
    mwt: list[tuple[int, int, str]] = []
    if n <= _MAX_FAST and cols[0] == _IDS[:n]:
        lines = list(range(first, first + n))
    else:
        keep, lines, extra, mwt = _split_rows(rows, cols[0], first, source)
        rows = [rows[r] for r in keep]
        cols = [[col[r] for r in keep] for col in cols]
        n = len(rows)
    _ids, forms, lemmas_col, upos, xpos_col, feats, head_col, deprels, deps_col, misc = cols
    entry: dict[str, Any] = {"n": n}

    # UPOS, and XPOS with UPOS standing in for "_"
    if _UPOS.issuperset(upos):
        pos: list[str | None] = upos  # type: ignore[assignment]
    else:
        pos = []
        for k, u in enumerate(upos):
            if u in _UPOS:
                pos.append(u)
            elif u == "_" or not u:
                if not u:
                    entry["upos"] = tuple(upos)  # an empty field is written back as it was
                pos.append(None)
            else:
                raise _error(
                    f"UPOS {u!r} is not a Universal POS tag; expected one of "
                    f"{' '.join(sorted(_UPOS))} or '_' (a language-specific tag goes in XPOS)",
                    source,
                    lines[k],
                    _column_of(rows[k].split("\t"), 3),
                )
    tags = _tags(xpos_col, upos)
    morphs = _morphs(feats, source, lines)

    # HEAD: absolute, a root (0) or "_" is its own head
    heads: list[Any] = list(map(_HEADS0.get, head_col))  # "0" -> -1, "N" -> N - 1
    fixes: dict[int, str] = {}  # raw HEAD values that the written form would not give back
    try:
        beyond = max(heads) >= n
    except TypeError:  # a None: "_", or a number not written plainly
        for k, h in enumerate(head_col):
            if heads[k] is not None:
                continue
            if h == "_":
                heads[k] = k
            elif _is_num(h):
                heads[k] = int(h) - 1
                if str(heads[k] + 1) != h:
                    fixes[k] = h
            else:
                raise _error(
                    f"bad HEAD {h!r}; expected the ID of the head word (0 for the root) or '_'",
                    source,
                    lines[k],
                    _column_of(rows[k].split("\t"), 6),
                ) from None
        beyond = max(heads) >= n
    if beyond:
        k = next(k for k, h in enumerate(heads) if h >= n)
        raise _error(
            f"HEAD {head_col[k]!r} is beyond the sentence's last word; expected 0 to {n}",
            source,
            lines[k],
            _column_of(rows[k].split("\t"), 6),
        )
    if any(map(_eq, heads, range(n))):  # HEAD "_" or the word's own ID: only "0" is written back
        fixes.update((k, head_col[k]) for k in range(n) if heads[k] == k)
    for _ in range(heads.count(-1)):
        root = heads.index(-1)
        heads[root] = root
    head_fix = [[k, v] for k, v in sorted(fixes.items())]

    merge = merge_subtokens and bool(mwt)

    # DEPREL: "root" becomes "ROOT"
    if "ROOT" in deprels or "" in deprels:
        entry["deprel"] = [[k, d] for k, d in enumerate(deprels) if d in ("ROOT", "")]
    deps: list[str | None] = deprels  # type: ignore[assignment]
    for _ in range(deps.count("root")):
        deps[deps.index("root")] = "ROOT"

    # SpaceAfter=No in MISC (on the multiword token's line for its words)
    misc_blank = misc.count("_") == n
    spaces = [True] * n if misc_blank else [_NO_SPACE not in m or _NO_SPACE not in m.split("|") for m in misc]
    if mwt:
        _mwt_spaces(spaces, 0, mwt, extra)

    lemmas: list[str | None] = lemmas_col  # type: ignore[assignment]
    iob: list[str] | None = None
    if set_ents:
        iob = ["O" if m == "_" else (_misc_ner_tag(m) or "O") for m in misc]
        if ner_map:
            iob = [_map_tag(t, ner_map) for t in iob]
    ents = _iob_to_spans(iob) if iob is not None else None
    if morphology and not merge:
        tags = [t if f == "_" or not f else f"{t}__{f}" for t, f in zip(tags, feats, strict=True)]

    if comments:
        entry["comments"] = tuple(comments)
    words: list[str] = forms
    out_lines = lines
    if merge:
        sent = _Sentence(forms, spaces, pos, list(feats), lines, mwt)
        merged = _merge_subtokens(sent, heads, tags, morphs, lemmas, deps, ents, morphology, source)
        words, spaces, tags, pos, morphs, lemmas, heads, deps, out_lines, ents = merged
        # the merged sentence keeps its comments only: the rest describes the unmerged words
        entry = {"n": len(words), **({"comments": entry["comments"]} if comments else {})}
    else:
        if extra:
            entry["extra"] = extra
        # tuples of strings: msgpack writes them as arrays, and the garbage collector stops
        # tracking them, which matters when a shard of Docs is held in memory
        if "_" in xpos_col or "" in xpos_col or morphology:
            entry["xpos"] = tuple(xpos_col)
        if not _FEATS_ODD.isdisjoint(feats):
            entry["feats"] = tuple(feats)
        if head_fix:
            entry["head"] = head_fix
        if "" in lemmas_col:
            entry["lemma"] = tuple(lemmas_col)
        if deps_col.count("_") != n:
            entry["deps"] = tuple(deps_col)
        if comments:
            entry["comments"] = _kept_comments(comments, forms, spaces, mwt)
        if not misc_blank:
            entry["misc"] = tuple(misc)
    return Doc(
        words=words,
        spaces=spaces,
        tags=tags,
        pos=pos,
        morphs=morphs,
        lemmas=lemmas,
        heads=heads,
        deps=deps,
        sent_starts=_sent_starts(len(words)),
        ents=ents,
        user_data={USER_DATA_KEY: [entry]},
        source=source,
        lines=out_lines,
    )


def _finish_group(
    sents: list[tuple[list[str], int, list[str]]],
    source: str | None,
    set_ents: bool,
    merge_subtokens: bool,
    morphology: bool,
    ner_map: Mapping[str, str] | None,
) -> Doc:
    """Sentences ``(word lines, first line, comments)`` as one Doc: the Doc that
    :func:`corpuskit.transforms.merge_docs` makes of their :func:`_finish` Docs (``-n``; one
    sentence is its own Doc).

    Plain sentences (no options that rewrite tokens, entities, odd HEAD or DEPREL values) are
    converted together, column by column over the whole group (:func:`_finish_plain`); any
    other group, and any group with an error in it, goes sentence by sentence, so the error
    named is the first in the file.
    """
    if len(sents) > 1 and not (set_ents or merge_subtokens or morphology):
        try:
            doc = _finish_plain(sents, source)
        except FormatError:
            doc = None
        if doc is not None:
            return doc
    docs = [
        _finish(rows, first, pre, source, set_ents, merge_subtokens, morphology, ner_map)
        for rows, first, pre in sents
    ]
    return merge_docs(docs)


def _finish_plain(sents: list[tuple[list[str], int, list[str]]], source: str | None) -> Doc | None:
    """:func:`_finish_group` for sentences :func:`_finish` converts without rewriting (None
    otherwise): every check and column conversion runs once over the group's tokens."""
    if any(len(rows) > _MAX_FAST for rows, _first, _pre in sents):
        return None
    # a line with another number of columns raises here without its own line number: the
    # sentence-by-sentence path raises the error again, at its line
    cols = _columns(list(chain.from_iterable(rows for rows, _first, _pre in sents)), 0, source)
    ids = cols[0]
    sizes = [len(rows) for rows, _first, _pre in sents]
    extras: list[list[tuple[int, str]]] = [[] for _ in sents]
    mwts: list[list[tuple[int, int, str]]] = [[] for _ in sents]
    if ids == list(chain.from_iterable(_IDS[:n] for n in sizes)):
        lines = list(
            chain.from_iterable(
                range(first, first + n) for (_r, first, _p), n in zip(sents, sizes, strict=True)
            )
        )
    else:  # multiword tokens or empty nodes: set apart from the word lines
        drop: list[int] = []
        lines = []
        a = 0
        for s, ((rows, first, _pre), n) in enumerate(zip(sents, sizes, strict=True)):
            sent_ids = ids[a : a + n]
            if sent_ids == _IDS[:n]:
                lines.extend(range(first, first + n))
            else:
                words, word_lines, extras[s], mwts[s] = _split_rows(rows, sent_ids, first, source)
                # the lines set apart are those whose ID is not a number (others are errors)
                drop.extend(a + r for r, id_ in enumerate(sent_ids) if not id_.isdigit())
                lines.extend(word_lines)
                sizes[s] = len(words)
            a += n
        drop.reverse()
        for col in cols[1:]:
            for r in drop:
                del col[r]
        if len(cols[1]) != sum(sizes):
            return None  # the lines set apart are not those _split_rows set apart
    forms, lemmas, upos, xpos, feats, head_col, deprels, deps_col, misc = cols[1:]
    n = len(forms)
    if not _UPOS.issuperset(upos) or "ROOT" in deprels or "" in deprels:
        return None
    tags = _tags(xpos, upos)
    morphs = _morphs(feats, source, lines)

    # HEAD: sentence-relative IDs, each in its sentence, none the word's own; roots -> themselves
    size_arr = np.asarray(sizes, dtype=np.int64)
    starts = np.zeros(len(sizes), dtype=np.int64)
    np.cumsum(size_arr[:-1], out=starts[1:])
    tok_start = np.repeat(starts, size_arr)
    index = np.arange(n, dtype=np.int64)
    head = np.fromiter(map(_HEADS0.get, head_col, repeat(-2)), dtype=np.int64, count=n)
    if (
        (head < -1).any()
        or (head >= np.repeat(size_arr, size_arr)).any()
        or (head == index - tok_start).any()
    ):
        return None  # "_", a number not written plainly, beyond the sentence, its own head
    heads: list[int | None] = np.where(head == -1, index, head + tok_start).tolist()
    start = -1
    for _ in range(deprels.count("root")):
        start = deprels.index("root", start + 1)
        deprels[start] = "ROOT"

    # SpaceAfter=No in MISC (on the multiword token's line for its words)
    misc_blank = misc.count("_") == n
    spaces = [True] * n if misc_blank else [_NO_SPACE not in m or _NO_SPACE not in m.split("|") for m in misc]
    bounds = list(zip(starts.tolist(), (starts + size_arr).tolist(), strict=True))
    for (a, _b), extra, mwt in zip(bounds, extras, mwts, strict=True):
        if mwt:
            _mwt_spaces(spaces, a, mwt, extra)

    # the round-trip data, one entry per sentence, as _finish keeps it
    entries: list[dict[str, Any]] = []
    odd_xpos = "_" in xpos or "" in xpos
    odd_feats = not _FEATS_ODD.isdisjoint(feats)
    odd_lemma = "" in lemmas
    some_deps = deps_col.count("_") != n
    for (_rows, _first, comments), (a, b), extra, mwt in zip(sents, bounds, extras, mwts, strict=True):
        size = b - a
        entry: dict[str, Any] = {"n": size}
        if comments:
            entry["comments"] = _kept_comments(comments, forms[a:b], spaces[a:b], mwt)
        if extra:
            entry["extra"] = extra
        if odd_xpos and ("_" in xpos[a:b] or "" in xpos[a:b]):
            entry["xpos"] = tuple(xpos[a:b])
        if odd_feats and not _FEATS_ODD.isdisjoint(feats[a:b]):
            entry["feats"] = tuple(feats[a:b])
        if odd_lemma and "" in lemmas[a:b]:
            entry["lemma"] = tuple(lemmas[a:b])
        if some_deps and deps_col[a:b].count("_") != size:
            entry["deps"] = tuple(deps_col[a:b])
        if not misc_blank and misc[a:b].count("_") != size:
            entry["misc"] = tuple(misc[a:b])
        entries.append(entry)
    sent_starts: list[bool | None] = [False] * n
    for a, _b in bounds:
        sent_starts[a] = True
        if a and not spaces[a - 1]:
            spaces[a - 1] = True  # merge_docs: a space after every sentence but the last
    return Doc(
        words=forms,
        spaces=spaces,
        tags=tags,
        pos=upos,  # type: ignore[arg-type]
        morphs=morphs,
        lemmas=lemmas,  # type: ignore[arg-type]
        heads=heads,
        deps=deprels,  # type: ignore[arg-type]
        sent_starts=sent_starts,
        user_data={USER_DATA_KEY: entries},
        source=source,
        lines=lines,
    )


def _kept_comments(
    comments: list[str], words: list[str], spaces: list[bool], mwt: list[tuple[int, int, str]]
) -> tuple[str | None, ...]:
    """A sentence's comment lines as kept: a "# text = " line that the words spell out is None
    (rebuilt on writing)."""
    text = None
    for k, c in enumerate(comments):
        if c.startswith(_TEXT):
            if text is None:
                text = _TEXT + _surface_text(words, spaces, mwt)
            if c == text:
                return (*comments[:k], None, *comments[k + 1 :])
    return tuple(comments)


def _surface_text(words: list[str], spaces: list[bool], mwt: list[tuple[int, int, str]]) -> str:
    """A sentence's text as its tokens spell it: each word, or a multiword token's form in place
    of its words, followed by a space where it has one, except the last."""
    if mwt:
        tokens: list[str] = []
        after: list[bool] = []
        k = 0
        for start, end, form in mwt:
            tokens.extend(words[k:start])
            after.extend(spaces[k:start])
            tokens.append(form)
            after.append(spaces[end - 1])
            k = end
        tokens.extend(words[k:])
        after.extend(spaces[k:])
        words, spaces = tokens, after
    # the words joined by spaces, cut after each word (but the last) without one: there are few
    cuts = list(compress(range(len(words) - 1), map(not_, spaces)))
    if not cuts:
        return " ".join(words)
    parts = []
    a = 0
    for c in cuts:
        parts.append(" ".join(words[a : c + 1]))
        a = c + 1
    parts.append(" ".join(words[a:]))
    return "".join(parts)


def _mwt_of(extra: Iterable[tuple[int, str]]) -> list[tuple[int, int, str]]:
    """The multiword tokens (first word, end word, form) among a sentence's kept extra lines."""
    out = []
    for k, line in extra:
        id_, _, rest = line.partition("\t")
        if "-" in id_:
            out.append((k, int(id_.partition("-")[2]), rest.partition("\t")[0]))
    return out


def _sent_starts(n: int) -> list[bool | None]:
    out: list[bool | None] = [False] * n
    out[0] = True
    return out


def _map_tag(tag: str, ner_map: Mapping[str, str]) -> str:
    if tag == "O":
        return tag
    label = ner_map.get(tag[2:], tag[2:])
    return "O" if label == "" else f"{tag[0]}-{label}"


def _iob_to_spans(iob: list[str]) -> list[Span]:
    """spaCy's ``iob_to_biluo`` + ``biluo_tags_to_spans``: any tag opens an entity, I-/L- of
    the same label continue it."""
    spans = []
    i = 0
    n = len(iob)
    while i < n:
        tag = iob[i]
        if tag == "O":
            i += 1
            continue
        rest = tag[1:]
        j = i + 1
        while j < n and iob[j][1:] == rest and iob[j][0] in "IL":
            j += 1
        spans.append(Span(i, j, tag[2:]))
        i = j
    return spans


def _span_root(heads: list[int | None], start: int, end: int, source: str | None, line: int) -> int:
    """spaCy's ``Span.root``: a sentence root in the span, else the token nearest the root."""
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
                raise _error("the heads of this sentence form a cycle; expected a tree", source, line)
        if steps < best:
            best = steps
            root = i
    return start if root == -1 else root


def _merge_subtokens(
    sent: _Sentence,
    heads: list[int | None],
    tags: list[str | None],
    morphs: list[str | None],
    lemmas: list[str | None],
    deps: list[str | None],
    ents: list[Span] | None,
    morphology: bool,
    source: str | None,
) -> tuple[Any, ...]:
    """One token per multiword token, as spaCy's ``merge_conllu_subtokens`` + retokenizer."""
    n = len(sent.forms)
    words = list(sent.forms)
    spaces = list(sent.spaces)
    pos = list(sent.pos)
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
    # group -> (start, end) of each merge, sorted
    groups = sent.mwt
    new_index = list(range(n))
    keep = [True] * n
    merged: dict[int, tuple[str, str | None, str | None, str, str | None, int | None, str | None, bool]] = {}
    for start, end, form in groups:
        sub = range(start, end)
        joined_tags = "_".join(str(tags[k]) for k in sub)
        joined_lemmas = " ".join(str(lemmas[k]) for k in sub)
        fields: dict[str, set[str]] = {}
        for k in sub:
            if raw_feats[k]:
                for feature in raw_feats[k].split("|"):
                    field, values = feature.split("=", 1)
                    fields.setdefault(field, set()).update(values.split(","))
        merged_feats = "|".join(sorted(f"{f}=" + ",".join(sorted(v)) for f, v in fields.items()))
        root = _span_root(heads, start, end, source, sent.lines[start])
        tag: str = joined_tags
        if morphology and merged_feats:
            tag = f"{tag}__{merged_feats}"
        merged[start] = (
            form,
            tag,
            joined_lemmas,
            merged_feats,
            pos[root],
            heads[root],
            deps[root],
            spaces[end - 1],
        )
        if ent_iob is not None and ent_type is not None:
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
        for k in range(start + 1, end):
            keep[k] = False
    # new positions
    pos_new = 0
    for k in range(n):
        if keep[k]:
            new_index[k] = pos_new
            pos_new += 1
        else:
            new_index[k] = pos_new - 1
    out_words: list[str] = []
    out_spaces: list[bool] = []
    out_tags: list[str | None] = []
    out_pos: list[str | None] = []
    out_morphs: list[str | None] = []
    out_lemmas: list[str | None] = []
    out_heads: list[int | None] = []
    out_deps: list[str | None] = []
    out_lines: list[int] = []
    out_iob: list[str] = []
    out_type: list[str] = []
    for k in range(n):
        if not keep[k]:
            continue
        if k in merged:
            m_form, m_tag, m_lemma, m_feats, p, h, d, sp = merged[k]
            out_words.append(m_form)
            out_tags.append(m_tag)
            out_lemmas.append(m_lemma)
            out_morphs.append(_normalise_feats(m_feats, None, 0) if m_feats else "")
            out_pos.append(p)
            out_heads.append(new_index[h] if h is not None else None)
            out_deps.append(d)
            out_spaces.append(sp)
        else:
            out_words.append(words[k])
            t = tags[k]
            f = raw_feats[k]
            out_tags.append(f"{t}__{f}" if morphology and f else t)
            out_lemmas.append(lemmas[k])
            out_morphs.append(morphs[k])
            out_pos.append(pos[k])
            h = heads[k]
            out_heads.append(new_index[h] if h is not None else None)
            out_deps.append(deps[k])
            out_spaces.append(spaces[k])
        out_lines.append(sent.lines[k])
        if ent_iob is not None and ent_type is not None:
            out_iob.append(ent_iob[k])
            out_type.append(ent_type[k])
    out_ents: list[Span] | None = None
    if ent_iob is not None:
        # the retokenizer's make_iob_consistent: an I- after a token of another label is a B-
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
    return (
        out_words,
        out_spaces,
        out_tags,
        out_pos,
        out_morphs,
        out_lemmas,
        out_heads,
        out_deps,
        out_lines,
        out_ents,
    )


def _strip_line_ends(lines: Iterable[str]) -> Iterator[str]:
    """Lines without ``\\n``/``\\r\\n`` (for callers that pass a text file object)."""
    it = iter(lines)
    for first in it:
        if first.endswith("\n"):
            return chain([first.lstrip("\ufeff").rstrip("\r\n")], (line.rstrip("\r\n") for line in it))
        return chain([first.lstrip("\ufeff")], it)
    return iter(())


def _blocks(lines: Iterable[str]) -> Iterator[list[str]]:
    """Lines in lists of a few thousand: a source's own blocks if it has them."""
    blocks = getattr(lines, "blocks", None)
    if blocks is not None:
        yield from blocks()
        return
    it = _strip_line_ends(lines)
    while True:
        block = list(islice(it, 4096))
        if not block:
            return
        yield block


def parse_conllu(
    lines: Iterable[str],
    *,
    source: str | None = None,
    merge_subtokens: bool = False,
    morphology: bool = False,
    ner: bool | None = None,
    ner_map: Mapping[str, str] | None = None,
    group: int = 1,
) -> Iterator[Doc]:
    """Read CoNLL-U lines (with or without line ends) as Docs, one per sentence.

    - ``merge_subtokens``: one token per multiword token (spaCy's ``--merge-subtokens``).
    - ``morphology``: tags become ``TAG__FEATS`` (spaCy's ``--morphology``).
    - ``ner``: whether MISC holds entities. ``None`` decides as spaCy does, from the whole
      input: entities are read only if some token line has an NER tag, else ``Doc.ents`` stays
      None (missing). A re-iterable ``lines`` (a list, or an object whose ``__iter__`` starts
      over) is scanned first; an object with a ``path`` attribute is scanned as bytes; a
      one-shot iterator is held in memory up to its first NER tag (all of it if it has none).
    - ``ner_map``: entity labels to rename before the tags become spans; ``""`` means O.
    - ``group``: sentences per Doc (``corpuskit convert -n``): each Doc is the one
      :func:`corpuskit.transforms.group_sents` makes of that many sentence Docs (the last may
      have fewer), converted a group at a time, which is faster.

    Lines are numbered from ``lines.first_line + 1`` where ``lines`` has that attribute (a part
    of a file, see :func:`scan_conllu`); a ``lines.blocks()`` method, where there is one, gives
    them a list at a time.
    """
    first_line = getattr(lines, "first_line", 0)
    if ner is None:
        path = getattr(lines, "path", None)
        if path is not None and Path(path).is_file():
            ner = file_has_ner(path)
        elif iter(lines) is not lines:
            ner = _lines_have_ner(_strip_line_ends(lines))
        else:
            held: list[str] = []
            it = _strip_line_ends(lines)
            ner = False
            for line in it:
                held.append(line)
                if _line_has_ner(line):
                    ner = True
                    break
            return _parse_lines(
                _blocks(chain(held, it)), source, ner, merge_subtokens, morphology, ner_map, first_line, group
            )
    return _parse_lines(_blocks(lines), source, ner, merge_subtokens, morphology, ner_map, first_line, group)


def read_conllu(
    path: str | Path,
    *,
    encoding: str = "utf-8",
    merge_subtokens: bool = False,
    morphology: bool = False,
    ner: bool | None = None,
    ner_map: Mapping[str, str] | None = None,
    group: int = 1,
) -> Iterator[Doc]:
    """Read a CoNLL-U file as Docs, one per sentence or per ``group`` (see :func:`parse_conllu`)."""
    if ner is None:
        if not Path(path).is_file():
            what = "is a directory, expected a file" if Path(path).is_dir() else "no such file"
            raise UsageError(f"{path}: {what}")
        ner = file_has_ner(path)
    return _parse_lines(
        read_line_blocks(path, encoding=encoding),
        str(path),
        ner,
        merge_subtokens,
        morphology,
        ner_map,
        group=group,
    )


# --------------------------------------------------------------------------- parts


_SCAN_BLOCK = 1 << 24
_ID_BYTES = 12  # an ID longer than this (before its tab) sends the file to the whole-file reader


def scan_conllu(
    path: str | Path,
    *,
    encoding: str = "utf-8",
    executor: Executor | None = None,
    workers: int = 1,
    **options: Any,
) -> FileScan | None:
    """Where a CoNLL-U file may be cut: after every sentence that an empty line follows.

    A byte scan (numpy) that counts sentences and word lines as :func:`parse_conllu` does; it
    gives up (None) on whatever it cannot count exactly that way: an encoding that is not
    ASCII-compatible, CR line ends, a line that is neither empty, a comment nor a word line
    starting with a digit (whitespace-only lines, say), an over-long ID. ``options`` come back
    with ``ner`` decided for the whole file. With an ``executor``, ``workers`` stretches of the
    file are scanned at the same time.
    """
    if "\n#\t".encode(encoding, errors="replace") != b"\n#\t":
        return None
    options = dict(options)
    check_ner = options.get("ner") is None
    size = Path(path).stat().st_size
    bounds = _range_bounds(path, size, workers if executor is not None else 1)
    ranges = list(pairwise(bounds))
    if executor is not None and len(ranges) > 1:
        starts, ends = zip(*ranges, strict=True)
        n = len(ranges)
        found = list(executor.map(_scan_range, [path] * n, starts, ends, [check_ner] * n))
    else:
        found = [_scan_range(path, a, b, check_ner) for a, b in ranges]
    if any(f is None for f in found):
        return None
    offsets, lines, units, tokens = [], [], [], []
    n_lines = n_units = n_tokens = 0
    ner = bool(options.get("ner"))
    for (start, _end), f in zip(ranges, found, strict=True):
        assert f is not None
        o, ln, u, t, r_units, r_tokens, r_lines, r_ner = f
        offsets.append(o + start)
        lines.append(ln + n_lines)
        units.append(u + n_units)
        tokens.append(t + n_tokens)
        n_lines += r_lines
        n_units += r_units
        n_tokens += r_tokens
        ner = ner or r_ner
    options["ner"] = ner

    return FileScan(
        options=options,
        offsets=_concat(offsets),
        lines=_concat(lines),
        units=_concat(units),
        tokens=_concat(tokens),
        n_units=n_units,
        n_tokens=n_tokens,
        size=size,
        exact_tokens=not options.get("merge_subtokens"),
    )


def _concat(arrays: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)


def _range_bounds(path: str | Path, size: int, n: int) -> list[int]:
    """0, ``size`` and up to ``n - 1`` offsets between them, each right after an empty line."""
    bounds = [0]
    if n > 1:
        with open_binary(path) as fh:
            for k in range(1, n):
                fh.seek(size * k // n)
                window = fh.read(1 << 20)
                at = window.find(b"\n\n")
                if at != -1:
                    bound = size * k // n + at + 2
                    if bounds[-1] < bound < size:
                        bounds.append(bound)
    bounds.append(size)
    return bounds


def _scan_range(path: str | Path, start: int, end: int, check_ner: bool) -> tuple[Any, ...] | None:
    """The cuts of bytes ``start:end`` (offsets relative to ``start``), their units, tokens,
    line ends, and whether an NER tag is in them (when ``check_ner``)."""
    offsets: list[npt.NDArray[np.int64]] = []
    lines: list[npt.NDArray[np.int64]] = []
    units: list[npt.NDArray[np.int64]] = []
    tokens: list[npt.NDArray[np.int64]] = []
    n_bytes = n_lines = n_units = n_tokens = 0
    ner = False
    # blocks that end after an empty line
    for block in byte_blocks(path, end=b"\n\n", size=_SCAN_BLOCK, start=start, stop=end):
        skip = 3 if start + n_bytes == 0 and block.startswith(b"\xef\xbb\xbf") else 0
        found = _scan_block(block, skip)
        if found is None:
            return None
        if check_ner and not ner and _block_has_ner(block):
            ner = True
        o, ln, u, t, block_units, block_tokens, block_lines = found
        offsets.append(o + n_bytes)
        lines.append(ln + n_lines)
        units.append(u + n_units)
        tokens.append(t + n_tokens)
        n_bytes += len(block)
        n_lines += block_lines
        n_units += block_units
        n_tokens += block_tokens
    return (
        _concat(offsets),
        _concat(lines),
        _concat(units),
        _concat(tokens),
        n_units,
        n_tokens,
        n_lines,
        ner,
    )


def _scan_block(block: bytes, skip: int) -> tuple[Any, Any, Any, Any, int, int, int] | None:
    """Cuts in one block of whole lines: (offsets, lines, units, tokens) of each, and the
    block's units, tokens and line ends."""
    a = np.frombuffer(block, dtype=np.uint8)
    if b"\r" in block:  # CR: leave CRLF files to the whole-file reader
        return None
    nl = np.flatnonzero(a == 10)
    ends = nl if block.endswith(b"\n") else np.append(nl, len(a))
    starts = np.empty_like(ends)
    starts[0] = skip
    starts[1:] = ends[:-1] + 1
    empty = ends == starts
    first = a[np.minimum(starts, len(a) - 1)]
    digit = (first >= 48) & (first <= 57)
    if not np.all(empty | digit | (first == 35)):
        return None
    # word lines whose ID holds "-" or "." (multiword tokens, empty nodes) are not tokens
    word = np.flatnonzero(digit)
    at = starts[word]
    odd = np.zeros(len(word), dtype=bool)
    todo = np.arange(len(word))  # lines whose ID has not ended yet
    last = len(a) - 1
    for k in range(1, _ID_BYTES):
        c = a[np.minimum(at[todo] + k, last)]
        sep = (c == 45) | (c == 46)
        odd[todo[sep]] = True
        todo = todo[~(sep | (c == 9) | (c == 10))]
        if not len(todo):
            break
    else:
        return None
    token = np.zeros(len(ends), dtype=np.int64)
    token[word[~odd]] = 1
    following_empty = np.append(empty[1:], True)  # the end of the block ends a sentence too
    sent_end = digit & following_empty
    cum_units = np.cumsum(sent_end, dtype=np.int64)
    cum_tokens = np.cumsum(token)
    # a cut after the empty line that follows a sentence's last word line
    cut = np.flatnonzero(sent_end[:-1] & empty[1:])
    return (
        ends[cut + 1].astype(np.int64) + 1,
        cut.astype(np.int64) + 2,
        cum_units[cut],
        cum_tokens[cut],
        int(cum_units[-1]) if len(cum_units) else 0,
        int(cum_tokens[-1]) if len(cum_tokens) else 0,
        len(nl),
    )


# --------------------------------------------------------------------------- writing


def _sentence_entries(doc: Doc, doc_no: int = 0) -> list[tuple[int, int, dict[str, Any] | None]]:
    """The doc's sentences with their stored round-trip data where it fits the doc."""
    stored = doc.user_data.get(USER_DATA_KEY)
    if isinstance(stored, (list, tuple)) and stored and all(isinstance(e, dict) for e in stored):
        counts: list[Any] = [e.get("n") for e in stored]
        if all(isinstance(c, int) and c > 0 for c in counts) and sum(counts) == len(doc.words):
            out = []
            start = 0
            for e in stored:
                bad = _entry_problem(e)
                if bad is not None:  # a damaged or hand-made DocBin: one line, not a traceback
                    where = f" ({doc.source}:{doc.lines[start]})" if doc.source and doc.lines else ""
                    raise UsageError(
                        f"cannot write CoNLL-U: doc {doc_no}{where} has round-trip data "
                        f"(user_data[{USER_DATA_KEY!r}]) that does not fit: {bad}"
                    )
                out.append((start, start + e["n"], e))
                start += e["n"]
            return out
    return [(s, e, None) for s, e in doc.sentence_bounds()]


def _entry_problem(entry: dict[str, Any]) -> str | None:
    """What is wrong with one sentence's stored round-trip data (the shapes ``_finish`` writes)."""
    n = entry["n"]

    def strings(v: Any, size: int | None, none: bool = False) -> bool:
        ok = isinstance(v, (list, tuple)) and (size is None or len(v) == size)
        return ok and all(isinstance(x, str) or (none and x is None) for x in v)

    def pairs(v: Any, second: type) -> bool:
        return isinstance(v, (list, tuple)) and all(
            isinstance(p, (list, tuple)) and len(p) == 2 and type(p[0]) is int and isinstance(p[1], second)
            for p in v
        )

    for key, value in entry.items():
        if key in ("xpos", "feats", "deps", "misc", "lemma", "upos"):
            ok = strings(value, n)
        elif key in ("comments", "tail"):
            ok = strings(value, None, none=key == "comments")
        elif key == "extra":
            ok = pairs(value, str) and all(0 <= p[0] <= n for p in value)
        elif key in ("head", "deprel"):
            ok = pairs(value, str) and all(0 <= p[0] < n for p in value)
        else:
            ok = True  # "n", "noblank" and keys of later versions
        if not ok:
            return f"{key!r} is {str(value)[:60]}"
    return None


def _check_writable(doc: Doc, doc_no: int) -> None:
    """A word or lemma with a tab or line break cannot be a CoNLL-U field."""
    for name, values in (("word", doc.words), ("lemma", doc.lemmas)):
        if not values:
            continue
        joined = "".join(v for v in values if v)
        if "\t" in joined or "\n" in joined or "\r" in joined:
            i, bad = next((i, v) for i, v in enumerate(values) if v and ("\t" in v or "\n" in v or "\r" in v))
            raise UsageError(
                f"cannot write CoNLL-U: doc {doc_no} token {i} has the {name} {bad!r}; "
                "expected no tabs or line breaks in a CoNLL-U field"
            )


# a character no CoNLL-U line may hold (tabs separate its columns, so a field holds none either):
# line breaks (also the Unicode ones), C0/C1 control characters and DEL; a terminal or editor
# reading the file would act on them
_UNWRITABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_UNWRITABLE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")  # lines joined by \n
_FIELDS = ("ID", "FORM", "LEMMA", "UPOS", "XPOS", "FEATS", "HEAD", "DEPREL", "DEPS", "MISC")


def _refuse_token(doc_no: int, i: int, values: tuple[str, ...]) -> None:
    """The field of a token line that holds a tab, a line break or a control character."""
    column = next(k for k, v in enumerate(values) if "\t" in v or _UNWRITABLE.search(v))
    name, value = _FIELDS[column], values[column]
    raise UsageError(
        f"cannot write CoNLL-U: doc {doc_no} token {i}: {name} {value!r} holds a tab, line break "
        "or control character, which no CoNLL-U field can hold (a label from another tool?); "
        "fix the label, or write another format"
    )


def _refuse_lines(lines: list[str], doc_no: int, sent_no: int) -> None:
    """A comment (or other kept line) of sentence ``sent_no`` that holds a line break or a
    control character (tabs are allowed: a comment is not split into columns)."""
    bad = next((line for line in lines if _UNWRITABLE.search(line)), "\n".join(lines))
    raise UsageError(
        f"cannot write CoNLL-U: doc {doc_no}, sentence {sent_no}: the line {bad!r} holds a line break "
        "or control character; expected one line without control characters"
    )


def write_conllu(docs: Iterable[Doc], out: IO[str]) -> None:
    """Write Docs as CoNLL-U, one block per sentence.

    Sentences read from CoNLL-U come back as they were read (comments, multiword-token lines,
    empty nodes, DEPS, MISC, raw XPOS and FEATS). Other Docs get ``# sent_id`` and ``# text``
    comments, columns from their annotation (``_`` where unknown), ``SpaceAfter=No`` and
    ``NE=B-LABEL``/``NE=I-LABEL`` entity tags in MISC. A value that CoNLL-U cannot hold (a tab,
    a line break or a control character in a word, label, tag, relation or kept comment) is a
    :class:`UsageError` naming the doc and token, never a corrupt file.
    """
    _write_docs(docs, out.write)


def _discard(text: str) -> None:
    pass


def _write_docs(
    docs: Iterable[Doc],
    write: Callable[[str], object],
    *,
    strict: bool = False,
    doc_no0: int = 0,
    sent_no0: int = 0,
) -> None:
    """:func:`write_conllu`'s loop. A sentence that fails the cheap whole-sentence check is
    written again with ``strict`` checks of each token line, which name the bad field."""
    sent_no = sent_no0
    for doc_no, doc in enumerate(docs, start=doc_no0):
        doc_sent0 = sent_no
        words = doc.words
        n_words = len(words)
        _check_writable(doc, doc_no)
        spaces = doc.spaces or [True] * n_words
        lemmas = doc.lemmas
        pos = doc.pos
        tags = doc.tags
        morphs = doc.morphs
        heads = doc.heads
        deps = doc.deps
        iob = doc.ent_iob() if doc.ents is not None else None
        types = doc.ent_types() if doc.ents is not None else None
        for start, end, entry in _sentence_entries(doc, doc_no):
            sent_no += 1
            buf: list[str] = []
            toks: list[str] = []  # the token lines, whose tabs are counted
            if entry is None:
                text = "".join(
                    w + (" " if s else "") for w, s in zip(words[start:end], spaces[start:end], strict=True)
                ).rstrip(" ")
                buf.append(f"# sent_id = {sent_no}")
                buf.append(f"# text = {text}")
                entry = {}
            else:
                comments = entry.get("comments", ())
                if None in comments:
                    mwt = _mwt_of(entry.get("extra", ()))
                    text = _TEXT + _surface_text(words[start:end], spaces[start:end], mwt)
                    buf.extend(text if c is None else c for c in comments)
                else:
                    buf.extend(comments)
                if "misc" not in entry:
                    entry = {**entry, "misc": ["_"] * (end - start)}
            extra = entry.get("extra", ())
            n_extra = len(extra)
            e_i = 0
            xpos = entry.get("xpos")
            feats = entry.get("feats")
            dcol = entry.get("deps")
            misc = entry.get("misc")
            head_fix = dict(map(tuple, entry.get("head", ())))
            deprel_fix = dict(map(tuple, entry.get("deprel", ())))
            lemma_col = entry.get("lemma")
            upos_col = entry.get("upos")
            for i in range(start, end):
                k = i - start
                while e_i < n_extra and extra[e_i][0] == k:
                    buf.append(extra[e_i][1])
                    e_i += 1
                if lemma_col is not None:
                    lemma = lemma_col[k]
                else:
                    lemma = (lemmas[i] if lemmas is not None else None) or "_"
                upos = upos_col[k] if upos_col is not None else (pos[i] if pos is not None else None) or "_"
                tag = xpos[k] if xpos is not None else ((tags[i] if tags is not None else None) or "_")
                feat = feats[k] if feats is not None else ((morphs[i] if morphs is not None else None) or "_")
                if k in head_fix:
                    head = head_fix[k]
                else:
                    h = heads[i] if heads is not None else None
                    if h is None:
                        head = "_"
                    elif h == i:
                        head = "0"
                    elif start <= h < end:
                        head = str(h - start + 1)
                    else:
                        raise UsageError(
                            f"cannot write CoNLL-U: token {i} ({words[i]!r}) has its head at token {h}, "
                            f"outside its sentence (tokens {start} to {end - 1})"
                        )
                if k in deprel_fix:
                    dep = deprel_fix[k]
                else:
                    dep = (deps[i] if deps is not None else None) or "_"
                    if dep == "ROOT":
                        dep = "root"
                if misc is not None:
                    m = misc[k]
                else:
                    mparts = []
                    if not spaces[i] and not doc.has_unknown_spaces:
                        mparts.append("SpaceAfter=No")
                    if iob is not None and types is not None and iob[i] in ("B", "I"):
                        mparts.append(f"NE={iob[i]}-{types[i]}")
                    m = "|".join(mparts) or "_"
                dc = dcol[k] if dcol is not None else "_"
                line = f"{k + 1}\t{words[i]}\t{lemma}\t{upos}\t{tag}\t{feat}\t{head}\t{dep}\t{dc}\t{m}"
                if strict and (line.count("\t") != 9 or _UNWRITABLE.search(line)):
                    _refuse_token(doc_no, i, (str(k + 1), words[i], lemma, upos, tag, feat, head, dep, dc, m))
                buf.append(line)
                toks.append(line)
            while e_i < n_extra:
                buf.append(extra[e_i][1])
                e_i += 1
            if not entry.get("noblank"):
                buf.append("")
            buf.extend(entry.get("tail", ()))
            text = "\n".join(buf)
            if (
                _UNWRITABLE_TEXT.search(text)
                or text.count("\n") != len(buf) - 1
                or "".join(toks).count("\t") != 9 * len(toks)
            ):
                if strict:
                    _refuse_lines(buf, doc_no, sent_no)
                _write_docs([doc], _discard, strict=True, doc_no0=doc_no, sent_no0=doc_sent0)
            write(text)
            write("\n")


# --------------------------------------------------------------------------- detection


def _is_id(value: str) -> bool:
    if value.isdigit():
        return True
    for sep in ("-", "."):
        a, s, b = value.partition(sep)
        if s and a.isdigit() and b.isdigit():
            return True
    return False


def detect(head_lines: list[str]) -> float:
    """How well the first lines of a file fit CoNLL-U (0 to 1).

    Ten tab-separated columns with an ID first score high; ten space-separated ones score
    lower but still win, so that reading them reports the tabs as the problem.
    """
    tabbed = spaced = other = 0
    comments = 0
    for line in head_lines:
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        if line.startswith("#"):
            comments += 1
            continue
        parts = line.split("\t")
        if len(parts) == 10 and _is_id(parts[0]):
            tabbed += 1
        elif len(line.split()) == 10 and _is_id(line.split()[0]):
            spaced += 1
        else:
            other += 1
    total = tabbed + spaced + other
    if total == 0:
        return 0.0
    if tabbed:
        score = 0.9 * tabbed / total + (0.1 if comments else 0.05)
        return min(score, 1.0)
    if spaced:
        return 0.6 * spaced / total
    return 0.0


def _validate(
    path: str | Path, *, encoding: str = "utf-8"
) -> Iterator[tuple[str, int, int | None, str, int, int]]:
    """UD levels 1 and 2 over the raw lines (imported on first use: ``convert`` never needs it)."""
    from converters.conllu_validate import validate_conllu

    return validate_conllu(path, encoding=encoding)


converter = Converter(
    name="conllu",
    parse=parse_conllu,
    write=write_conllu,
    detect=detect,
    extensions=(".conllu", ".conllx"),
    options=frozenset({"merge_subtokens", "morphology", "ner", "ner_map", "group"}),
    write_options=frozenset(),
    description="CoNLL-U (Universal Dependencies): 10 tab-separated columns, one word per line",
    scan=scan_conllu,
    validate=_validate,
    unit="sentence",
    resync="block",
)
