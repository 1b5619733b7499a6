"""zlib bombs: a small .spacy that inflates past its limit is refused in bounded memory, in every command.

Memory is bounded from outside: each command runs in a child process whose address space is
limited (RLIMIT_AS); without the bounded inflation those limits fail with a MemoryError or a kill.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hardening_helpers import one_line, run_limited, token_bomb, user_data_bomb, zero_bomb

from corpuskit.docbin import DocBin, read_docbin
from corpuskit.errors import DocBinError
from corpuskit.limits import INFLATE_FLOOR

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "docbin" / "ewt_dev_n10.spacy"
QUICK = 256 << 20  # inflated bytes of the quick bombs (4x the floor)
BIG = 1 << 30  # the bomb: about 1 MB that inflates to 1 GiB
Bomb = Callable[[Path, int], Path]
KINDS: list[Bomb] = [token_bomb, user_data_bomb, zero_bomb]


@pytest.fixture(scope="module")
def quick_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return token_bomb(tmp_path_factory.mktemp("bomb") / "bomb.spacy", QUICK)


def _assert_refused_line(line: str, bomb: Path) -> None:
    assert str(bomb) in line
    assert "inflates past" in line and "zlib bomb" in line


def test_library_refuses_the_bomb(quick_bomb: Path) -> None:
    with pytest.raises(DocBinError, match="inflates past") as info:
        list(read_docbin(quick_bomb))
    assert info.value.path == str(quick_bomb)
    with pytest.raises(DocBinError, match="inflates past"):
        DocBin().from_bytes(quick_bomb.read_bytes())


def test_small_bombs_still_load(tmp_path: Path) -> None:
    """Under the floor a DocBin may inflate any amount: a valid one of 1M identical tokens loads."""
    small = token_bomb(tmp_path / "small.spacy", 8 << 20)
    assert small.stat().st_size * 100 < (8 << 20) < INFLATE_FLOOR
    (doc,) = read_docbin(small)
    assert len(doc.words) == 1 << 20 and doc.words[0] == "a"


def test_convert_refuses_bomb_in_small_memory(quick_bomb: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_limited("convert", quick_bomb, out, "-t", "conllu", mem_mb=450)
    assert proc.returncode == 2, proc.stderr
    _assert_refused_line(one_line(proc), quick_bomb)
    assert not out.exists() or not any(out.iterdir())


def test_check_reports_bomb_in_small_memory(quick_bomb: Path) -> None:
    proc = run_limited("check", quick_bomb, mem_mb=450)
    assert proc.returncode == 1, proc.stderr  # a finding: the file is unreadable
    assert "Traceback" not in proc.stdout + proc.stderr
    (line,) = [x for x in proc.stdout.splitlines() if "corpus-unreadable" in x]
    _assert_refused_line(line, quick_bomb)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_gigabyte_bombs_in_every_command(kind: Bomb, tmp_path: Path) -> None:
    """The issue's case: ~1 MB inflating to 1 GiB took 2.1 GB in convert, check, debug-data, train."""
    bomb = kind(tmp_path / "bomb.spacy", BIG)
    assert bomb.stat().st_size < 2 << 20
    mem = 600
    out = tmp_path / "out"
    proc = run_limited("convert", bomb, out, mem_mb=mem)
    assert proc.returncode == 2, proc.stderr
    _assert_refused_line(one_line(proc), bomb)
    assert not out.exists() or not any(out.iterdir())
    for cmd in ("check", "debug-data"):
        proc = run_limited(cmd, bomb, mem_mb=mem)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
        assert "inflates past" in proc.stdout
    cfg = tmp_path / "config.cfg"
    assert run_limited("init-config", "--pipeline", "tagger", cfg).returncode == 0
    model = tmp_path / "model"
    for train, dev in ((bomb, FIXTURE), (FIXTURE, bomb)):
        proc = run_limited("train", train, dev, cfg, "--output", model, "--no-validate", mem_mb=1200)
        assert proc.returncode == 2, proc.stderr
        _assert_refused_line(one_line(proc), bomb)
        assert not model.exists()
