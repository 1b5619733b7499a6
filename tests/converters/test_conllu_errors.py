"""The CoNLL-U reader's errors: the check id each carries, and one error whatever the group size.

The converter checks a ``-n`` group's columns in bulk and, when that fails, names the first bad
line of the first bad sentence (converters/conllu/diagnose.py): the same error as reading the
sentences one at a time, with every option.
"""

from __future__ import annotations

import pickle
import random
import re
from pathlib import Path
from typing import Any

import pytest

from converters.conllu import parse_conllu, read_conllu
from corpuskit.errors import FormatError
from corpuskit.io import read_lines

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "conllu"
DOCUMENTED = set(re.findall(r"^## `([a-z-]+)`", (ROOT / "docs" / "checks.md").read_text(), re.M))

CHECKS = {
    "broken_space_separated.conllu": "column-count",
    "broken_column_count.conllu": "column-count",
    "broken_head_value.conllu": "invalid-head",
    "broken_head_range.conllu": "head-out-of-range",
    "broken_word_id.conllu": "word-id-sequence",
    "broken_feats.conllu": "invalid-feature",
    "broken_upos.conllu": "unknown-upos",
    "broken_comment_inside.conllu": "misplaced-comment",
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_each_error_carries_its_documented_check_id(name: str) -> None:
    with pytest.raises(FormatError) as info:
        list(read_conllu(FIXTURES / name))
    assert info.value.check == CHECKS[name]
    assert info.value.check in DOCUMENTED
    again = pickle.loads(pickle.dumps(info.value))  # a worker process's error reaches the parent whole
    assert (again.check, again.line, str(again)) == (info.value.check, info.value.line, str(info.value))


@pytest.mark.parametrize(
    ("lines", "check"),
    [
        (["1\ta \t_\t_\t_\t_\t0\troot\t_\t_", ""], "column-whitespace"),
        (["1\t\t_\t_\t_\t_\t0\troot\t_\t_", ""], "empty-column"),
        (["1-2x\tab\t_\t_\t_\t_\t_\t_\t_\t_", "1\ta\t_\t_\t_\t_\t0\troot\t_\t_", ""], "invalid-word-id"),
        (["1-3\tdu\t_\t_\t_\t_\t_\t_\t_\t_", "1\tde\t_\t_\t_\t_\t0\troot\t_\t_", ""], "word-id-sequence"),
        (["1\ta\t_\t_\t_\t_\t2\tx\t_\t_", "2\tb\t_\t_\t_\t_\t1\tx\t_\t_", ""], None),  # a cycle is read
        (["# only a comment"], "empty-sentence"),
    ],
)
def test_more_check_ids(lines: list[str], check: str | None) -> None:
    if check is None:
        assert list(parse_conllu(lines))
        return
    with pytest.raises(FormatError) as info:
        list(parse_conllu(lines))
    assert info.value.check == check and check in DOCUMENTED


def test_a_cycle_through_a_merged_token_is_a_dep_cycle() -> None:
    lines = [
        "1-2\tab\t_\t_\t_\t_\t_\t_\t_\t_",
        "1\ta\t_\t_\t_\t_\t3\tx\t_\t_",
        "2\tb\t_\t_\t_\t_\t1\tx\t_\t_",
        "3\tc\t_\t_\t_\t_\t4\tx\t_\t_",
        "4\td\t_\t_\t_\t_\t3\tx\t_\t_",
        "",
    ]
    assert list(parse_conllu(lines))  # without -T the heads are read as they are
    with pytest.raises(FormatError) as info:
        list(parse_conllu(lines, merge_subtokens=True))
    assert (info.value.check, info.value.line) == ("dep-cycle", 2)


def _error(lines: list[str], **options: Any) -> tuple[int | None, str] | None:
    try:
        list(parse_conllu(lines, source="f", **options))
    except FormatError as e:
        return e.line, str(e)
    return None


# what a line may become: (column, value) or a whole-line change
_DAMAGE: list[tuple[int, str]] = [
    (0, "01"), (0, "3"), (0, "1a"), (0, "0"), (1, ""), (1, " x"), (3, "XYZ"), (3, ""), (3, "_"),
    (5, "Foo"), (5, "A=1||B=2"), (5, "B=2|A=1"), (6, "_"), (6, "99"), (6, "x"), (6, "-1"),
    (6, "4097"), (7, "ROOT"), (7, ""), (7, " punct"), (9, "SpaceAfter=No|B-PER"),
]  # fmt: skip


def _damaged(lines: list[str], rng: random.Random) -> list[str]:
    lines = list(lines)
    for _ in range(rng.randint(1, 3)):
        i = rng.choice([k for k, line in enumerate(lines) if line[:1].isdigit()])
        parts = lines[i].split("\t")
        kind = rng.random()
        if kind < 0.75 and len(parts) == 10:
            column, value = rng.choice(_DAMAGE)
            parts[column] = value
            lines[i] = "\t".join(parts)
        elif kind < 0.8:
            lines[i] += "\textra"
        elif kind < 0.85:
            lines.insert(i, "# a comment")
        elif kind < 0.9 and parts[0].isdigit():
            lines.insert(i, f"{parts[0]}-{int(parts[0]) + 1}\tab\t_\t_\t_\t_\t_\t_\t_\t_")
        elif kind < 0.95 and parts[0].isdigit() and i + 1 < len(lines) and lines[i + 1][:1].isdigit():
            after = lines[i + 1].split("\t")  # this word and the next point at each other
            if len(parts) == 10 and len(after) == 10:
                parts[6], after[6] = after[0], parts[0]
                lines[i], lines[i + 1] = "\t".join(parts), "\t".join(after)
        else:
            lines.insert(i + 1, f"{parts[0]}.1\te\t_\t_\t_\t_\t_\t_\t_\t_")
    return lines


@pytest.mark.parametrize(
    "name",
    [
        "en_ewt-ud-dev.slice.conllu",
        "fr_gsd-ud-dev.slice.conllu",
        "ner_misc.conllu",
    ],
)
def test_a_group_names_the_error_its_sentences_name_one_by_one(name: str) -> None:
    """Damaged real sentences: reading them a group at a time names the error that reading them
    one at a time names (the first bad line of the first bad sentence), with every option."""
    text = read_lines(FIXTURES / name)
    blocks = [b for b in "\n".join(text).split("\n\n") if b.strip()]
    rng = random.Random(14)
    options: list[dict[str, Any]] = [{}, {"merge_subtokens": True}, {"morphology": True}, {"ner": True}]
    named = 0
    for _ in range(120):
        picked = [b.split("\n") for b in rng.sample(blocks, min(len(blocks), rng.randint(2, 6)))]
        lines = _damaged([line for b in picked for line in [*b, ""]], rng)
        opts = rng.choice(options)
        alone = _error(lines, **opts)
        for group in (2, 3, 10):
            assert _error(lines, group=group, **opts) == alone, (group, opts, lines)
        named += alone is not None
    assert named > 60  # most damage is an error (the rest is read: HEAD "_", UPOS "_"...)
