"""Special files never block or feed a reader forever; symlinks in an input tree are followed, once.

Each command runs in a child process with an address-space limit and a generous timeout that only
catches a hang (a FIFO blocks ``open`` forever; ``/dev/zero`` never ends).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hardening_helpers import one_line, run_limited

from corpuskit.corpus import convert_corpus, iter_corpus_files
from corpuskit.docbin import read_docbin
from corpuskit.errors import DocBinError, UsageError
from corpuskit.io import iter_files, read_lines

FIX = Path(__file__).resolve().parents[2] / "fixtures"
EWT = FIX / "docbin" / "en_ewt-ud-dev.head30.conllu"
SPACY = FIX / "docbin" / "ewt_dev_n10.spacy"
MEM = 450
HANG = 120


def _tree(tmp_path: Path) -> Path:
    """A corpus folder holding one real file, a FIFO, a symlink to /dev/zero and a socket-free device link."""
    src = tmp_path / "corpus"
    src.mkdir()
    shutil.copy(EWT, src / "ewt.conllu")
    os.mkfifo(src / "pipe.conllu")
    (src / "zero.conllu").symlink_to("/dev/zero")
    return src


@pytest.mark.parametrize("cmd", ["convert", "check", "debug-data"])
def test_special_files_in_a_folder_are_skipped(cmd: str, tmp_path: Path) -> None:
    src = _tree(tmp_path)
    args: list[str | Path] = [cmd, src]
    if cmd == "convert":
        args.append(tmp_path / "out")
    proc = run_limited(*args, mem_mb=MEM, timeout=HANG)
    assert "Traceback" not in proc.stderr
    if cmd == "convert":
        assert proc.returncode == 0, proc.stderr
        assert "pipe.conllu: skipped: is a FIFO (named pipe); only regular files are read" in proc.stderr
        assert "zero.conllu: skipped: is a device (through a symlink)" in proc.stderr
        assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ewt.spacy"]
    else:
        assert proc.returncode in (0, 1), proc.stderr  # read, not refused


@pytest.mark.parametrize("cmd", ["convert", "check", "debug-data"])
@pytest.mark.parametrize("name", ["pipe", "zero"])
def test_a_named_special_file_is_refused(cmd: str, name: str, tmp_path: Path) -> None:
    src = _tree(tmp_path)
    target = src / f"{name}.conllu"
    args: list[str | Path] = [cmd, target]
    if cmd == "convert":
        args.append(tmp_path / "out")
    proc = run_limited(*args, mem_mb=MEM, timeout=HANG)
    line = one_line(proc)
    assert str(target) in line and "expected a regular file" in line
    assert proc.returncode == 2
    assert not (tmp_path / "out").exists()


def test_dev_zero_as_a_spacy_file(tmp_path: Path) -> None:
    link = tmp_path / "zero.spacy"
    link.symlink_to("/dev/zero")
    with pytest.raises(DocBinError, match="device"):
        list(read_docbin(link))
    proc = run_limited("convert", link, tmp_path / "out", mem_mb=MEM, timeout=HANG)
    assert proc.returncode == 2
    assert "expected a regular file" in one_line(proc)


def test_library_refuses_and_skips(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    with pytest.raises(UsageError, match="FIFO"):
        list(read_lines(src / "pipe.conllu"))
    with pytest.raises(UsageError, match="FIFO"):
        list(iter_files(src / "pipe.conllu"))
    skipped: list[tuple[Path, str]] = []
    found = list(iter_files(src, on_skip=lambda f, why: skipped.append((f, why))))
    assert found == [src / "ewt.conllu"]
    assert sorted(f.name for f, _ in skipped) == ["pipe.conllu", "zero.conllu"]


def test_symlinked_subfolder_is_followed_with_a_note(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "en"
    elsewhere.mkdir(parents=True)
    shutil.copy(EWT, elsewhere / "linked.conllu")
    src = tmp_path / "corpus"
    src.mkdir()
    shutil.copy(EWT, src / "ewt.conllu")
    (src / "sub").symlink_to(elsewhere, target_is_directory=True)
    (src / "loop").symlink_to(src, target_is_directory=True)  # a loop back to the top
    notes: list[tuple[Path, str]] = []
    skipped: list[tuple[Path, str]] = []
    files = [
        f
        for f, _, _ in iter_corpus_files(
            src, on_note=lambda f, what: notes.append((f, what)), on_skip=lambda f, w: skipped.append((f, w))
        )
    ]
    assert files == [src / "ewt.conllu", src / "sub" / "linked.conllu"]
    assert any(f == src / "sub" and "followed" in what for f, what in notes)
    assert any("symlink loop" in why for _, why in skipped)
    out = tmp_path / "out"
    result = convert_corpus(src, out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.spacy")) == [
        "ewt.spacy",
        "sub/linked.spacy",
    ]
    assert any("followed" in what for _, what in result.notes)
    proc = run_limited("convert", src, tmp_path / "out2", mem_mb=MEM, timeout=HANG)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out2" / "sub" / "linked.spacy").is_file()


def test_spacy_folder_with_a_fifo(tmp_path: Path) -> None:
    src = tmp_path / "bins"
    src.mkdir()
    shutil.copy(SPACY, src / "a.spacy")
    os.mkfifo(src / "b.spacy")
    proc = run_limited("check", src, mem_mb=MEM, timeout=HANG)
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1)


def test_convert_says_which_symlinks_it_followed(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from corpuskit.cli import cli

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(EWT, elsewhere / "linked.conllu")
    src = tmp_path / "corpus"
    src.mkdir()
    (src / "sub").symlink_to(elsewhere, target_is_directory=True)
    result = CliRunner().invoke(cli, ["convert", str(src), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert f"{src / 'sub'}: a symlink to the folder {elsewhere}: followed" in result.stderr
    assert (tmp_path / "out" / "sub" / "linked.spacy").is_file()
