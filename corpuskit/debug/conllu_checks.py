"""The CoNLL-U checks of UD validation levels 1 and 2, fed by the converter's validator.

``converters/conllu/ud_validate.py`` reads a CoNLL-U file's raw lines and reports problems under
these ids; :func:`corpuskit.debug._validate` turns them into hits. Errors are what the UD
validator (``udvalidate --level 2``) calls errors; warnings are what corpuskit reads without
loss although UD forbids it (the tolerances), and what the validator itself only warns about.
Ids the doc checks share (``unknown-upos``, ``invalid-feature``, ``head-out-of-range``) are
registered in :mod:`corpuskit.debug.checks`.
"""

from __future__ import annotations

from .findings import Severity
from .registry import register_reader_check

__all__ = ["CONLLU_CHECKS"]

#: ``(id, severity, section, UD level, summary, unit, what)``, in docs/checks.md's order.
CONLLU_CHECKS: tuple[tuple[str, Severity, str, int, str, str, str], ...] = (
    # level 1: lines and blocks
    (
        "invalid-line",
        "error",
        "corpus",
        1,
        "a line that is not a comment, a word line or empty",
        "line",
        "that are neither comments, word lines nor empty (their sentences were not checked further)",
    ),
    (
        "misplaced-comment",
        "error",
        "corpus",
        1,
        "a comment line after a sentence's first word line",
        "line",
        "with a comment inside a sentence",
    ),
    (
        "pseudo-empty-line",
        "error",
        "corpus",
        1,
        "a line of spaces or tabs as the sentence break",
        "line",
        "of whitespace used as a sentence break",
    ),
    (
        "empty-sentence",
        "warning",
        "corpus",
        1,
        "a block of comments with no word lines (read, and kept with the next sentence)",
        "block",
        "of comments without word lines",
    ),
    (
        "extra-blank-line",
        "warning",
        "corpus",
        1,
        "more than one blank line between sentences (read as one)",
        "line",
        "of extra blank lines",
    ),
    (
        "missing-final-blank-line",
        "warning",
        "corpus",
        1,
        "the file does not end with a blank line",
        "file",
        "without a blank line at the end",
    ),
    (
        "trailing-comment",
        "warning",
        "corpus",
        1,
        "comment lines after the last sentence",
        "file",
        "ending in comment lines",
    ),
    ("crlf-line-ends", "warning", "corpus", 1, "CRLF (Windows) line ends", "file", "with CRLF line ends"),
    (
        "byte-order-mark",
        "warning",
        "corpus",
        1,
        "the file starts with a UTF-8 byte-order mark",
        "file",
        "starting with a byte-order mark",
    ),
    ("unicode-normalization", "error", "corpus", 1, "text not in Unicode NFC", "line", "not in Unicode NFC"),
    # level 1: columns and IDs
    (
        "column-count",
        "error",
        "tokens",
        1,
        "a word line without exactly 10 tab-separated columns",
        "line",
        "without 10 tab-separated columns",
    ),
    (
        "empty-column",
        "error",
        "tokens",
        1,
        "an empty column (an unknown value is '_')",
        "line",
        "with an empty column",
    ),
    (
        "column-whitespace",
        "error",
        "tokens",
        1,
        "whitespace in ID/UPOS/XPOS/FEATS/HEAD/DEPREL/DEPS, a padded column, a run of spaces",
        "column",
        "with whitespace where UD allows none",
    ),
    (
        "invalid-word-id",
        "error",
        "tokens",
        1,
        "an ID that is not N, N-M or N.M (no leading zeros)",
        "line",
        "with a malformed ID",
    ),
    (
        "word-id-sequence",
        "error",
        "tokens",
        1,
        "word IDs not 1, 2, 3..., misplaced or overlapping multiword tokens and empty nodes",
        "line",
        "out of the ID sequence",
    ),
    # level 2: fields
    (
        "mwt-nonempty-field",
        "error",
        "tokens",
        2,
        "a multiword-token line with a value other than '_' in LEMMA to DEPS",
        "field",
        "on multiword-token lines that must be '_'",
    ),
    (
        "empty-node-nonempty-field",
        "error",
        "parse",
        2,
        "an empty node with a HEAD or DEPREL",
        "field",
        "on empty nodes that must be '_'",
    ),
    (
        "underspecified-column",
        "warning",
        "tags",
        2,
        "UPOS, HEAD or DEPREL left '_' (UD requires a value)",
        "field",
        "left '_' where UD requires a value",
    ),
    (
        "feature-order",
        "warning",
        "tags",
        2,
        "FEATS sorted by code point, not case-insensitively as UD sorts them",
        "token",
        "with features in code-point order (UD sorts case-insensitively)",
    ),
    ("invalid-head", "error", "parse", 2, "a HEAD that is not a number", "token", "with a malformed HEAD"),
    (
        "head-self-loop",
        "error",
        "parse",
        2,
        "a word that is its own head",
        "token",
        "that are their own head",
    ),
    (
        "invalid-deprel",
        "error",
        "parse",
        2,
        "a DEPREL that is not lowercase rel[:subtype] ('Punct', ' punct')",
        "token",
        "with a malformed DEPREL",
    ),
    (
        "unknown-deprel",
        "warning",
        "parse",
        2,
        "a DEPREL whose universal part is not one of UD's 37 relations",
        "token",
        "with a relation outside UD's 37",
    ),
    (
        "invalid-deps",
        "error",
        "parse",
        2,
        "malformed, unsorted or dangling DEPS, a self-loop, an unconnected graph, DEPS in some only",
        "problem",
        "in the enhanced dependencies (DEPS)",
    ),
    (
        "invalid-misc",
        "error",
        "tokens",
        2,
        "a repeated MISC attribute, SpaceAfter other than No or misplaced",
        "token",
        "with an invalid MISC",
    ),
    (
        "misc-format",
        "warning",
        "tokens",
        2,
        "an empty or padded MISC attribute, a typo of a UD attribute name",
        "token",
        "with a suspicious MISC attribute",
    ),
    # level 2: metadata
    (
        "sent-id",
        "error",
        "corpus",
        2,
        "a sentence without exactly one well-formed, unique '# sent_id'",
        "sentence",
        "without one unique sent_id",
    ),
    (
        "parallel-id",
        "error",
        "corpus",
        2,
        "a malformed, repeated or out-of-sequence '# parallel_id'",
        "sentence",
        "with a bad parallel_id",
    ),
    (
        "text-metadata",
        "error",
        "corpus",
        2,
        "no '# text' (or two, or empty, or padded), two newdoc/newpar, a new paragraph after SpaceAfter=No",
        "sentence",
        "with bad text metadata",
    ),
)

for _id, _severity, _section, _level, _summary, _unit, _what in CONLLU_CHECKS:
    register_reader_check(
        _id,
        severity=_severity,
        section=_section,
        summary=f"{_summary} (UD level {_level})",
        unit=_unit,
        what=_what,
    )
