"""CoNLL-U: read UD treebanks as Docs (one per sentence) and write Docs back as CoNLL-U.

The reader gives the annotation ``spacy convert -c conllu`` gives (words, spaces, tag, pos,
morph, lemma, head, dep, entities from MISC, ``--merge-subtokens``, ``--morphology``) but reads
what spaCy crashes on (extra blank lines, comment-only blocks) and reports bad input (space
separated columns, a wrong column count, bad IDs and heads, malformed FEATS) as a
:class:`~corpuskit.errors.FormatError` naming ``file:line`` (and the check id).

What a DocBin cannot hold (comments, multiword-token lines, empty nodes, DEPS, MISC, the raw
XPOS and FEATS columns where they differ from what the annotation regenerates) is kept in
``Doc.user_data[USER_DATA_KEY]``: a list with one dict per sentence, so that grouping sentences
into one Doc concatenates the lists and :func:`write_conllu` gives back the input file.

The modules: ``read`` (lines to sentences to Docs), ``columns`` (the column-wise converter of a
group of sentences), ``diagnose`` (naming the bad line when a group's bulk check fails),
``roundtrip`` (the kept data), ``subtokens`` (``merge_subtokens``), ``ner`` (entities in MISC),
``scan`` (where a file may be cut into parts), ``write``, and the UD validator (levels 1 and 2,
``ud_validate`` and ``ud_fields``, run by ``check`` and ``debug-data`` only).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from corpuskit.registry import Converter, ConverterOptions

from .base import USER_DATA_KEY
from .ner import file_has_ner
from .read import detect, parse_conllu, read_conllu
from .scan import scan_conllu
from .write import write_conllu

__all__ = [
    "USER_DATA_KEY",
    "ConlluOptions",
    "converter",
    "detect",
    "file_has_ner",
    "parse_conllu",
    "read_conllu",
    "scan_conllu",
    "write_conllu",
]


def _validate(
    path: str | Path, *, encoding: str = "utf-8"
) -> Iterator[tuple[str, int, int | None, str, int, int]]:
    """UD levels 1 and 2 over the raw lines (imported on first use: ``convert`` never needs it)."""
    from .ud_validate import validate_conllu

    return validate_conllu(path, encoding=encoding)


@dataclass(frozen=True)
class ConlluOptions(ConverterOptions):
    """:func:`parse_conllu`'s options."""

    merge_subtokens: bool = False
    morphology: bool = False
    ner: bool | None = None
    ner_map: Mapping[str, str] | None = None
    group: int = 1


converter = Converter(
    name="conllu",
    parse=parse_conllu,
    write=write_conllu,
    detect=detect,
    extensions=(".conllu", ".conllx"),
    options_type=ConlluOptions,
    write_options=frozenset(),
    description="CoNLL-U (Universal Dependencies): 10 tab-separated columns, one word per line",
    scan=scan_conllu,
    validate=_validate,
    unit="sentence",
    resync="block",
)
