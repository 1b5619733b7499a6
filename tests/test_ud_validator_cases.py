"""`corpuskit check` on the UD validator's own test cases (fixtures/ud_validator, GPL v2).

Each invalid level-1/2 file tests one defect; the table gives the check id corpuskit reports it
under and the line, as ``udvalidate --lang ud --level 2`` (udtools 0.2.9) names it, except
where noted. The tolerances corpuskit documents are warnings (``check --strict`` fails on them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpuskit.cli import cli

CASES = Path(__file__).resolve().parents[1] / "fixtures" / "ud_validator"
LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?:\d+:)? (?P<id>[a-z-]+)(?P<warning> \(warning\))? ")

#: file -> (check id, line): an error there, or a warning where the id is in TOLERATED.
EXPECTED: dict[str, tuple[str, int]] = {
    "invalid-level1/columns-format-minimal.conllu": ("column-whitespace", 4),  # DEPREL ' punct'
    "invalid-level1/columns-format.conllu": ("column-count", 4),
    "invalid-level1/duplicate-id.conllu": ("word-id-sequence", 5),  # validator: 4 (the sentence)
    "invalid-level1/empty-field.conllu": ("empty-column", 4),
    "invalid-level1/empty-head.conllu": ("empty-column", 4),
    "invalid-level1/empty-sentence.conllu": ("empty-sentence", 3),
    "invalid-level1/extra-empty-line.conllu": ("extra-blank-line", 6),
    "invalid-level1/id-starting-from-2.conllu": ("word-id-sequence", 9),
    "invalid-level1/id-with-extra-0.conllu": ("invalid-word-id", 4),
    "invalid-level1/invalid-line.conllu": ("invalid-line", 5),
    "invalid-level1/invalid-range.conllu": ("word-id-sequence", 5),
    "invalid-level1/invalid-word-id.conllu": ("invalid-word-id", 4),
    "invalid-level1/invalid-word-interval.conllu": ("invalid-word-id", 5),
    "invalid-level1/misindexed-empty-node.conllu": ("word-id-sequence", 5),
    "invalid-level1/misordered-multiword.conllu": ("word-id-sequence", 7),
    "invalid-level1/misplaced-comment-end.conllu": ("trailing-comment", 13),
    "invalid-level1/misplaced-comment-mid.conllu": ("misplaced-comment", 6),
    "invalid-level1/misplaced-comment.conllu": ("misplaced-comment", 4),
    "invalid-level1/misplaced-empty-node-2.conllu": ("word-id-sequence", 7),
    "invalid-level1/misplaced-empty-node.conllu": ("word-id-sequence", 7),
    "invalid-level1/misplaced-range.conllu": ("word-id-sequence", 7),
    "invalid-level1/misplaced-word-interval.conllu": ("word-id-sequence", 7),
    "invalid-level1/missing-final-line.conllu": ("missing-final-blank-line", 4),
    # a level-2 defect (the validator passes it at --level 1)
    "invalid-level1/mwt-nonempty-field.conllu": ("mwt-nonempty-field", 6),
    "invalid-level1/nan-id.conllu": ("invalid-line", 9),
    "invalid-level1/non-unix-newline.conllu": ("crlf-line-ends", 1),  # validator: the last line
    "invalid-level1/nonsequential-empty-node-id.conllu": ("word-id-sequence", 5),
    "invalid-level1/nonsequential-id.conllu": ("word-id-sequence", 5),  # validator: 4 (the sentence)
    "invalid-level1/out-of-bounds-range.conllu": ("word-id-sequence", 7),
    "invalid-level1/overlapping-multiword.conllu": ("word-id-sequence", 7),
    "invalid-level1/overlapping-range.conllu": ("word-id-sequence", 7),
    "invalid-level1/overlapping-word-interval.conllu": ("word-id-sequence", 7),
    "invalid-level1/pseudo-empty-line.conllu": ("pseudo-empty-line", 5),
    "invalid-level1/reversed-word-interval.conllu": ("word-id-sequence", 5),
    "invalid-level1/seemingly-empty-line.conllu": ("pseudo-empty-line", 5),
    "invalid-level1/tanl-broken.conllu": ("word-id-sequence", 16),  # validator: 11 (the sentence)
    "invalid-level1/trailing-tab.conllu": ("column-count", 4),
    "invalid-level1/unicode-normalization.conllu": ("unicode-normalization", 3),
    "invalid-level1/word-id-sequence-2.conllu": ("word-id-sequence", 4),
    "invalid-level1/word-id-sequence.conllu": ("word-id-sequence", 5),  # validator: 4 (the sentence)
    "invalid-level2/ambiguous-feature.conllu": ("invalid-feature", 4),
    "invalid-level2/cyclic-deps.conllu": ("dep-cycle", 5),  # validator: non-tree at 4 (the sentence)
    "invalid-level2/deprel-not-empty-in-empty.conllu": ("empty-node-nonempty-field", 5),
    "invalid-level2/duplicate-feature.conllu": ("invalid-feature", 4),
    "invalid-level2/duplicate-layered-feature.conllu": ("invalid-feature", 4),
    "invalid-level2/duplicate-value.conllu": ("invalid-feature", 4),
    "invalid-level2/empty-node-nonempty.conllu": ("empty-node-nonempty-field", 5),
    "invalid-level2/extra-empty-line.conllu": ("extra-blank-line", 6),
    "invalid-level2/extra-field.conllu": ("column-count", 4),
    "invalid-level2/head-not-empty-in-empty.conllu": ("empty-node-nonempty-field", 5),
    "invalid-level2/invalid-deps-id.conllu": ("invalid-deps", 4),
    "invalid-level2/invalid-deps-order.conllu": ("invalid-deps", 4),
    "invalid-level2/invalid-deps-syntax.conllu": ("invalid-deps", 4),
    "invalid-level2/invalid-deps.conllu": ("invalid-deps", 9),
    "invalid-level2/invalid-head.conllu": ("head-out-of-range", 5),
    "invalid-level2/invalid-range-format.conllu": ("invalid-word-id", 5),
    "invalid-level2/lowercase-feature-in-empty.conllu": ("invalid-feature", 5),
    "invalid-level2/lowercase-feature-value-in-empty.conllu": ("invalid-feature", 5),
    "invalid-level2/lowercase-feature.conllu": ("invalid-feature", 5),
    "invalid-level2/lowercase-postag-in-empty.conllu": ("unknown-upos", 5),
    "invalid-level2/lowercase-postag.conllu": ("unknown-upos", 4),
    "invalid-level2/lowercase-value.conllu": ("invalid-feature", 5),
    "invalid-level2/misordered-feature.conllu": ("feature-order", 5),
    "invalid-level2/misordered-layered-feature.conllu": ("invalid-feature", 5),
    "invalid-level2/missing-space-after.conllu": ("text-form-mismatch", 4),
    "invalid-level2/multiple-roots.conllu": ("multiple-roots", 4),  # validator: 3 (the sentence)
    "invalid-level2/multiple-sent-id.conllu": ("sent-id", 19),
    "invalid-level2/multiple-sent_id.conllu": ("sent-id", 19),
    "invalid-level2/mwt-nonempty-upos.conllu": ("mwt-nonempty-field", 6),
    "invalid-level2/mwt-nonempty.conllu": ("mwt-nonempty-field", 6),
    "invalid-level2/no-sent_id.conllu": ("sent-id", 8),
    "invalid-level2/parallel-id.conllu": ("parallel-id", 3),  # validator: 6 (the first word line)
    "invalid-level2/self-cycle-deps.conllu": ("invalid-deps", 5),
    "invalid-level2/self-cycle-head.conllu": ("head-self-loop", 5),
    "invalid-level2/space-in-field.conllu": ("column-whitespace", 4),
    "invalid-level2/uppercase-deprel.conllu": ("invalid-deprel", 5),
    "invalid-level2/uppercase-deps-deprel.conllu": ("invalid-deps", 5),
}
#: The documented tolerances: read without loss, reported as warnings.
TOLERATED = frozenset(
    [
        "empty-sentence",
        "extra-blank-line",
        "trailing-comment",
        "missing-final-blank-line",
        "crlf-line-ends",
        "feature-order",
    ]
)
VALID = sorted(p.name for p in (CASES / "valid").glob("*.conllu"))


def check(path: Path, *options: str) -> tuple[int, list[tuple[int, str, bool]]]:
    result = CliRunner().invoke(cli, ["check", *options, str(path)])
    assert result.exit_code in (0, 1), result.output
    found = []
    for line in result.stdout.splitlines():
        m = LINE.match(line)
        assert m is not None, line
        found.append((int(m["line"]), m["id"], bool(m["warning"])))
    return result.exit_code, found


def test_the_table_covers_every_invalid_level_1_and_2_file():
    files = {
        f"{p.parent.name}/{p.name}"
        for d in ("invalid-level1", "invalid-level2")
        for p in (CASES / d).glob("*.conllu")
    }
    assert files == set(EXPECTED)
    assert len(VALID) == 9


@pytest.mark.parametrize("name", VALID)
def test_valid_file_has_no_error(name):
    code, found = check(CASES / "valid" / name)
    assert code == 0
    assert [f for f in found if not f[2]] == []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_invalid_file_is_flagged_for_its_defect_at_its_line(name):
    check_id, line = EXPECTED[name]
    code, found = check(CASES / name)
    warning = check_id in TOLERATED
    assert (line, check_id, warning) in found, found
    if warning:
        assert code == 0  # a tolerance: reported, not failed on...
        assert all(w for _, _, w in found)
        assert check(CASES / name, "--strict")[0] == 1  # ...unless --strict
    else:
        assert code == 1


def test_empty_form_check_and_convert_agree(tmp_path):
    """An empty FORM: `check` and `convert` both name the line (spaCy cannot hold an empty word)."""
    case = CASES / "invalid-level1" / "empty-field.conllu"
    assert check(case)[1] == [(4, "empty-column", False)]
    result = CliRunner().invoke(cli, ["convert", str(case), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"{case}:4:3: FORM is empty" in result.output
    assert list(tmp_path.rglob("*.spacy")) == []


def test_padded_column_never_reaches_the_docbin(tmp_path):
    case = CASES / "invalid-level1" / "columns-format-minimal.conllu"
    result = CliRunner().invoke(cli, ["convert", str(case), str(tmp_path / "out")])
    assert result.exit_code == 2
    assert f"{case}:3:10: LEMMA ' Lon dra' is padded with spaces" in result.output


def test_whitespace_runs_in_text_are_not_an_error(tmp_path):
    """The validator allows a run of whitespace where the tokens have a space; so does check."""
    src = (CASES / "valid" / "tanl.conllu").read_text(encoding="utf-8")
    assert "# text = Evacuata la Tate Gallery ." in src
    doubled = tmp_path / "doubled.conllu"
    doubled.write_text(
        src.replace("# text = Evacuata la Tate", "# text = Evacuata  la \tTate"), encoding="utf-8"
    )
    assert check(doubled) == (0, [])
    # ...but a space where the tokens have none is still a mismatch
    glued = tmp_path / "glued.conllu"
    glued.write_text(src.replace("# text = Evacuata la Tate", "# text = Evacuatala Tate"), encoding="utf-8")
    code, found = check(glued)
    assert code == 1
    assert [i for _, i, _ in found] == ["text-form-mismatch"]


BASE = (
    "# sent_id = s1\n"
    "# text = Dog barks.\n"
    "1\tDog\tdog\tNOUN\tNN\t_\t2\tnsubj\t_\t_\n"
    "2\tbarks\tbark\tVERB\tVBZ\t_\t0\troot\t_\tSpaceAfter=No\n"
    "3\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_\n"
    "\n"
)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("# sent_id", "\ufeff# sent_id", (1, "byte-order-mark", True)),
        ("NOUN\tNN", "_\tNN", (3, "underspecified-column", True)),
        ("\tnsubj\t", "\t_\t", (3, "underspecified-column", True)),
        ("nsubj", "nsubjpass", (3, "unknown-deprel", True)),
        ("nsubj\t_\t_", "nsubj\t_\tspaceafter=No", (3, "misc-format", True)),
        ("SpaceAfter=No", "SpaceAfter=No|SpaceAfter=No", (4, "invalid-misc", False)),
        ("SpaceAfter=No", "SpaceAfter=Yes", (4, "invalid-misc", False)),
        ("# text = Dog barks.\n", "", (2, "text-metadata", False)),
        ("# text = Dog barks.", "# text = Dog barks. ", (3, "text-metadata", False)),
        ("# text = Dog barks.", "# text = Dog barks.\n# text = Dog barks.", (4, "text-metadata", False)),
        ("\t2\tnsubj", "\tx\tnsubj", (3, "invalid-head", False)),
        ("# sent_id = s1", "# sent_id = a b", (1, "sent-id", False)),
        ("punct\t_", "punct\t2", (5, "invalid-deps", False)),
        ("# sent_id = s1", "# newdoc\n# newdoc\n# sent_id = s1", (5, "text-metadata", False)),
        ("Dog\tdog", "Dog\tdog\u0301", (3, "unicode-normalization", False)),
        ("# text = Dog barks.", "# text = Dog barks\u0301.", (2, "unicode-normalization", False)),
        ("NOUN\tNN", "NOUN\tN N", (3, "column-whitespace", False)),
        ("\tdog\t", "\tdog \t", (3, "column-whitespace", False)),
    ],
)
def test_hostile_edits_of_a_valid_sentence(tmp_path, old, new, expected):
    path = tmp_path / "edited.conllu"
    assert check_text(path, BASE) == (0, [])
    assert old in BASE
    code, found = check_text(path, BASE.replace(old, new, 1))
    assert expected in found
    assert code == (0 if expected[2] else 1)


def check_text(path: Path, text: str) -> tuple[int, list[tuple[int, str, bool]]]:
    path.write_bytes(text.encode("utf-8"))
    return check(path)


def test_debug_data_reports_the_same_on_conllu():
    case = CASES / "invalid-level2" / "uppercase-deprel.conllu"
    result = CliRunner().invoke(cli, ["debug-data", str(case), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    (finding,) = [f for f in report["findings"] if f["id"] == "invalid-deprel"]
    assert finding["severity"] == "error"
    assert [(e["file"], e["line"]) for e in finding["examples"]] == [(str(case), 5)]


def test_a_new_paragraph_after_space_after_no(tmp_path):
    """UD level 2: the last word before a new document or paragraph cannot have SpaceAfter=No."""
    glued = BASE.replace(
        "3\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\t_", "3\t.\t.\tPUNCT\t.\t_\t2\tpunct\t_\tSpaceAfter=No"
    )
    second = BASE.replace("s1", "s2")
    assert check_text(tmp_path / "a.conllu", glued + second)[0] == 0
    code, found = check_text(tmp_path / "b.conllu", glued + "# newpar\n" + second)
    assert code == 1
    assert (10, "text-metadata", False) in found  # the first word line, as the validator


def test_random_edits_never_crash_the_validator(tmp_path):
    """Lines of every test case shuffled, cut, doubled and retyped: only findings, no exception."""
    import random

    from converters.conllu.ud_validate import validate_conllu
    from corpuskit.debug import CHECKS

    rng = random.Random(11)
    lines = [
        line
        for p in sorted(CASES.rglob("*.conllu"))
        for line in p.read_text(encoding="utf-8", errors="replace").split("\n")
    ]
    junk = ["", " ", "\t", "#", "1", "1-", "1.", "0", "01", "2-1", "1.1", "_", "\u0301", "\r", "a:b|c", "x y"]
    for k in range(300):
        picked = rng.sample(lines, 12)
        for _ in range(rng.randint(0, 4)):
            i = rng.randrange(len(picked))
            cols = picked[i].split("\t")
            cols[rng.randrange(len(cols))] = rng.choice(junk)
            picked[i] = "\t".join(cols)
        path = tmp_path / f"r{k}.conllu"
        path.write_text("\n".join(picked) + rng.choice(["", "\n", "\n\n"]), encoding="utf-8")
        for check_id, line, column, message, first, last in validate_conllu(path):
            assert check_id in CHECKS and message
            assert 1 <= line <= 15 and (column is None or column >= 1)
            assert first <= last
        if k % 6 == 0:  # and the whole check: exit 0 or 1, one parsed line per finding
            check(path)
