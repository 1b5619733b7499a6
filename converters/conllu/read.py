"""Reading CoNLL-U: lines to sentences (word lines, their first line number, the comments
before them), sentences to Docs a group at a time (:mod:`converters.conllu.columns`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from itertools import chain, islice
from pathlib import Path

from corpuskit import Doc
from corpuskit.errors import UsageError
from corpuskit.io import read_line_blocks
from corpuskit.registry import LineSource

from .base import COLUMNS, DIGITS, USER_DATA_KEY, error
from .columns import ReadOptions, convert_group
from .diagnose import Sents, check_columns, check_sentences, column_error
from .ner import file_has_ner, line_has_ner, lines_have_ner

__all__ = ["detect", "parse_conllu", "read_conllu"]


class _Sentences:
    """The sentences of a stream of line blocks, and what follows the last one."""

    def __init__(self, source: str | None, first_line: int) -> None:
        self.source = source
        self.line_no = first_line  # lines before the current block
        self.pre: list[str] = []  # lines before the current sentence's first word line
        self.noblank = False  # the last sentence has no blank line after it

    def read(self, blocks: Iterable[list[str]]) -> Iterator[tuple[list[str], int, list[str]]]:
        """``(word lines, first line number, comment lines)`` of each sentence, in order.

        Runs of lines that start with a digit (word lines) are taken whole; only the other
        lines (blank, comment, anything odd) are looked at one by one.
        """
        source = self.source
        rows: list[str] = []  # the current sentence's word lines
        first = 0
        digits = DIGITS
        for lines in blocks:
            line_no = self.line_no
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
                        check_columns(rows, first, source)
                        raise column_error(line, parts, source, line_no + i + 1)
                    line = ""
                if not line:
                    if rows:
                        yield rows, first, self.pre
                        rows = []
                        self.pre = []
                    else:
                        self.pre.append(line)
                elif rows:
                    check_columns(rows, first, source)
                    raise error(
                        f"comment line {line[:60]!r} inside a sentence; expected comments only "
                        "before the sentence's first word line (and a blank line after its last)",
                        source,
                        line_no + i + 1,
                        1,
                        check="misplaced-comment",
                    )
                else:
                    self.pre.append(line)
            self.line_no += len(lines)
        if rows:
            self.noblank = True
            pre, self.pre = self.pre, []
            yield rows, first, pre


def _parse_lines(
    blocks: Iterable[list[str]], source: str | None, opts: ReadOptions, first_line: int = 0, group: int = 1
) -> Iterator[Doc]:
    """One Doc per sentence (per ``group`` sentences), yielded one late (for the file's tail)."""
    size = max(group, 1)
    pending: Doc | None = None
    batch: Sents = []  # sentences of the current group
    sentences = _Sentences(source, first_line)
    try:
        for sent in chain(sentences.read(blocks), [None]):  # None: the end, the last group is done
            if sent is not None:
                batch.append(sent)
            if batch and (len(batch) == size or sent is None):
                done, batch = batch, []
                doc = convert_group(done, source, opts)
                if pending is not None:
                    yield pending
                pending = doc
    except Exception:
        # the sentences read before the error, whose group was not complete, come first in
        # the file: an error of theirs is the one to name
        check_sentences(batch, source, opts.merge_subtokens)
        raise
    pre = sentences.pre
    if pending is not None:
        entries = pending.user_data[USER_DATA_KEY]
        if sentences.noblank:
            entries[-1]["noblank"] = True
        if pre:
            entries[-1]["tail"] = pre
        yield pending
    elif pre and any(line.strip() for line in pre):
        raise error(
            f"no word lines, only comments; expected CoNLL-U sentences (10 tab-separated columns: {COLUMNS})",
            source,
            sentences.line_no,
            check="empty-sentence",
        )


def _strip_line_ends(lines: Iterable[str]) -> Iterator[str]:
    """Lines without ``\\n``/``\\r\\n`` (for callers that pass a text file object)."""
    it = iter(lines)
    for first in it:
        if first.endswith("\n"):
            return chain([first.lstrip("\ufeff").rstrip("\r\n")], (line.rstrip("\r\n") for line in it))
        return chain([first.lstrip("\ufeff")], it)
    return iter(())


def _blocks(lines: Iterable[str] | LineSource) -> Iterator[list[str]]:
    """Lines in lists of a few thousand: a source's own blocks if it has them."""
    if isinstance(lines, LineSource):
        yield from lines.blocks()
        return
    it = _strip_line_ends(lines)
    while True:
        block = list(islice(it, 4096))
        if not block:
            return
        yield block


def parse_conllu(
    lines: Iterable[str] | LineSource,
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

    Lines are numbered from ``lines.first_line + 1`` where ``lines`` is a
    :class:`~corpuskit.registry.LineSource` (a file, or a part of one: see
    :func:`converters.conllu.scan_conllu`), whose ``blocks()`` gives them a list at a time.
    """
    source_file = lines if isinstance(lines, LineSource) else None
    first_line = source_file.first_line if source_file is not None else 0
    if ner is None:
        path = source_file.path if source_file is not None else None
        if path is not None and Path(path).is_file():
            ner = file_has_ner(path)
        elif iter(lines) is not lines:
            ner = lines_have_ner(_strip_line_ends(lines))
        else:
            held: list[str] = []
            it = _strip_line_ends(lines)
            ner = False
            for line in it:
                held.append(line)
                if line_has_ner(line):
                    ner = True
                    break
            opts = ReadOptions(ner, merge_subtokens, morphology, ner_map)
            return _parse_lines(_blocks(chain(held, it)), source, opts, first_line, group)
    opts = ReadOptions(ner, merge_subtokens, morphology, ner_map)
    return _parse_lines(_blocks(lines), source, opts, first_line, group)


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
    opts = ReadOptions(ner, merge_subtokens, morphology, ner_map)
    return _parse_lines(read_line_blocks(path, encoding=encoding), str(path), opts, group=group)


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
