"""`corpuskit check`: one `file:line:col: id message` line per finding, exit 1 on errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from corpuskit.cli import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "debug"


def invoke(*args: str):
    return CliRunner().invoke(cli, ["check", *map(str, args)])


def test_clean_files_pass_silently():
    result = invoke("-c", "conllu", FIXTURES / "ewt_dev.conllu")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_broken_file_lines():
    broken = FIXTURES / "broken_ewt_dev.conllu"
    result = invoke("-c", "conllu", broken)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == sorted(lines, key=lambda s: (s.split(":")[0], int(s.split(":")[1])))
    assert f"{broken}:24:1: dep-cycle cycle: 8 'replace' -> 10 'jurists' -> 8 'replace'" in lines
    assert any(line.startswith(f"{broken}:76:85: head-out-of-range HEAD '99'") for line in lines)
    assert any(line.startswith(f"{broken}:190:1: punct-non-projective (warning)") for line in lines)
    assert len(lines) == 8
    errors_only = invoke("-c", "conllu", "--no-warnings", broken)
    assert len(errors_only.stdout.splitlines()) == 7
    with_infos = invoke("-c", "conllu", "--infos", broken)
    assert len(with_infos.stdout.splitlines()) == 11


def test_warnings_alone_exit_0():
    result = invoke(
        "-c",
        "conllu",
        "--ignore",
        "dep-cycle",
        "--ignore",
        "multiple-roots",
        "--ignore",
        "head-out-of-range",
        "--ignore",
        "invalid-feature",
        "--ignore",
        "unknown-upos",
        "--ignore",
        "text-form-mismatch",
        FIXTURES / "broken_ewt_dev.conllu",
    )
    assert result.exit_code == 0
    assert "punct-non-projective" in result.stdout


def test_misuse_exits_2(tmp_path):
    assert invoke().exit_code == 2
    assert invoke(tmp_path / "missing.conllu").exit_code == 2
    assert invoke("--ignore", "nope", FIXTURES / "ewt_dev.conllu").exit_code == 2


def test_check_starts_without_thinc():
    # The hook runs on every commit: `corpuskit check` must not import the trainer's stack.
    code = (
        "import sys; from corpuskit.cli import main; sys.argv=['corpuskit','check','-c','conllu',"
        f"{str(FIXTURES / 'ewt_dev.conllu')!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('thinc', 'spacy', 'tabulate', 'torch') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_strict_fails_on_warnings():
    """The tolerances (BOM, CRLF, extra blank lines, a comment-only block) are warnings: the
    hook passes, unless --strict."""
    tolerated = FIXTURES.parent / "conllu" / "bom_crlf_blank.conllu"
    result = invoke(tolerated)
    assert result.exit_code == 0
    ids = {line.split(" ")[1] for line in result.stdout.splitlines()}
    assert ids == {"byte-order-mark", "crlf-line-ends", "extra-blank-line", "empty-sentence"}
    assert all("(warning)" in line for line in result.stdout.splitlines())
    assert invoke("--strict", tolerated).exit_code == 1
    assert invoke("--strict", FIXTURES / "ewt_dev.conllu").exit_code == 0
