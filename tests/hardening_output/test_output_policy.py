"""Outputs are never lost or half-written (issue 12 B): each case asserts the exit code, the one
error line, and what is on disk afterwards. Real UD slices from fixtures/ (CC BY-SA 4.0)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from corpuskit.cli import cli
from corpuskit.docbin import read_docbin
from corpuskit.errors import UsageError
from corpuskit.io import STAGING_NAME, OutputRun, aside_path, atomic_open, recover_aside, replace_path

ROOT = Path(__file__).resolve().parents[2]
FIX = ROOT / "fixtures"
EWT = FIX / "convert" / "en_ewt-ud-dev.slice.conllu"  # 26 sentences, 607 tokens
DE = FIX / "convert" / "de_gsd-ud-dev.slice.conllu"
BROKEN = FIX / "conllu" / "broken_column_count.conllu"


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [*map(str, args)])


def one_error(result: Result, code: int = 2) -> str:
    """The exit code, and exactly one `corpuskit: ...` line on stderr, no traceback."""
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.startswith("corpuskit: ")]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def snapshot(folder: Path) -> dict[str, str]:
    """Every path below ``folder`` (hidden ones too) with a hash of its bytes, or 'dir'/'link'."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def umask022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def corpus_dir(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(EWT, src / "a.conllu")
    shutil.copy(DE, src / "b.conllu")
    return src


# ------------------------------------------------------------------- whole-run atomicity


def test_a_failed_convert_leaves_every_earlier_output_intact(tmp_path: Path) -> None:
    src, out = corpus_dir(tmp_path), tmp_path / "out"
    assert invoke("convert", src, out).exit_code == 0
    before = snapshot(out)
    assert set(before) == {"a.spacy", "b.spacy"}
    # a.conllu changes and converts fine; b.conllu (converted after it) is now broken
    shutil.copy(DE, src / "a.conllu")
    shutil.copy(BROKEN, src / "b.conllu")
    line = one_error(invoke("convert", src, out, "-c", "conllu"))
    assert "b.conllu:" in line
    assert snapshot(out) == before  # a.spacy was NOT replaced by the new a: all or nothing


def test_interrupt_before_commit_replaces_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, out = corpus_dir(tmp_path), tmp_path / "out"
    assert invoke("convert", src, out).exit_code == 0
    before = snapshot(out)
    import corpuskit.io

    def interrupted(self: OutputRun, names: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(corpuskit.io.OutputRun, "commit", interrupted)
    shutil.copy(DE, src / "a.conllu")
    result = invoke("convert", src, out)
    assert one_error(result, 130) == "corpuskit: interrupted"
    assert snapshot(out) == before


def test_a_failed_commit_rolls_back_what_it_had_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, out = corpus_dir(tmp_path), tmp_path / "out"
    assert invoke("convert", src, out).exit_code == 0
    before = snapshot(out)
    import corpuskit.io

    real = corpuskit.io.replace_path
    calls = []

    def fails_second(src: Path, target: Path, **kw: object) -> None:
        calls.append(target)
        if len(calls) == 2:
            raise OSError(errno.EIO, "Input/output error", str(target))
        real(src, target, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(corpuskit.io, "replace_path", fails_second)
    shutil.copy(DE, src / "a.conllu")
    line = one_error(invoke("convert", src, out))
    assert "Input/output error" in line
    assert snapshot(out) == before


def test_reruns_between_sharded_and_single_outputs(tmp_path: Path, umask022: None) -> None:
    out = tmp_path / "out"
    assert invoke("convert", EWT, out).exit_code == 0
    single = out / "en_ewt-ud-dev.slice.spacy"
    assert single.is_file()
    assert invoke("convert", EWT, out, "--shard-size", "200").exit_code == 0
    assert single.is_dir() and len(list(single.iterdir())) == 4
    assert sum(len(d) for d in read_docbin(single)) == 607
    assert invoke("convert", EWT, out).exit_code == 0
    assert single.is_file() and sum(len(d) for d in read_docbin(single)) == 607
    assert sorted(p.name for p in out.iterdir()) == [single.name]  # no staging, no aside


def test_outputs_get_ordinary_modes(tmp_path: Path, umask022: None) -> None:
    out = tmp_path / "out"
    assert invoke("convert", EWT, out / "one", "-j", "1").exit_code == 0
    assert invoke("convert", EWT, out / "shards", "--shard-size", "200", "-j", "1").exit_code == 0
    assert invoke("convert", EWT, out / "parts", "--shard-size", "200", "-j", "2").exit_code == 0
    modes = {str(p.relative_to(out)): stat.S_IMODE(p.stat().st_mode) for p in out.rglob("*")}
    assert len(modes) == 14  # 3 OUTPUTs, a file, two shard folders of 4 shards
    for path, mode in modes.items():
        assert mode == (0o755 if (out / path).is_dir() else 0o644), (path, oct(mode))


# ------------------------------------------------------------------- staging, locks, recovery


def test_a_killed_runs_staging_is_cleaned_by_the_next_run(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / STAGING_NAME / "new" / "half").mkdir(parents=True)
    (out / STAGING_NAME / "new" / "half" / "x-0000.spacy").write_bytes(b"\x78\x9c" + b"\0" * 1000)
    (out / STAGING_NAME / "lock").write_text("99999\n")  # its owner is dead: nobody holds it
    (out / STAGING_NAME / ".journal.0123abcd.tmp").write_text("half a journal")
    assert invoke("convert", EWT, out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["en_ewt-ud-dev.slice.spacy"]


def test_a_second_run_into_the_same_output_is_refused_in_one_line(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("convert", DE, out).exit_code == 0
    before = snapshot(out)
    with OutputRun(out):
        line = one_error(invoke("convert", EWT, out))
        assert f"another corpuskit run (pid {os.getpid()}) is writing here" in line
    assert snapshot(out) == before


@pytest.mark.slow
def test_two_converts_at_once_never_crash(tmp_path: Path) -> None:
    """Eight pairs of real processes racing into one OUTPUT: each finishes, or says another run is
    writing there; never a FileNotFoundError, and the folder ends with complete outputs only."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "corpuskit", "convert"]
    for _ in range(8):
        procs = [
            subprocess.Popen([*cmd, str(f), str(out), "-j", "1"], stderr=subprocess.PIPE, text=True)
            for f in (EWT, DE)
        ]
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert "Traceback" not in err and "FileNotFoundError" not in err, err
            assert p.returncode == 0 or (p.returncode == 2 and "another corpuskit run" in err), err
    tokens = {p.name: sum(len(d) for d in read_docbin(p)) for p in out.iterdir()}
    assert tokens == {"en_ewt-ud-dev.slice.spacy": 607, "de_gsd-ud-dev.slice.spacy": 215}


@pytest.mark.parametrize("exchange", [True, False])
@pytest.mark.parametrize("die_after", [0, 1, 2, 3])
def test_a_kill_during_the_commit_is_completed_by_the_next_run(
    tmp_path: Path, die_after: int, exchange: bool
) -> None:
    """A real process dies (os._exit) at a point of the commit (after the journal, after the
    first or second move, after an aside rename); the next run into the folder completes the
    moves from the journal: the complete new set, nothing else left."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old a")
    (out / "b").mkdir()
    (out / "b" / "b-0000.spacy").write_text("old b")
    script = f"""
import os, corpuskit.io as io
from pathlib import Path
real, n = io.replace_path, []
if not {exchange}:
    io.exchange = lambda a, b: False
    real_rename = os.rename
    def rename(a, b):
        real_rename(a, b)
        if str(b).endswith(".corpuskit-old") and {die_after} == 3:
            os._exit(9)  # between the two renames of the fallback
    os.rename = rename
def dying(src, target, **kw):
    if {die_after} == 0 and Path(target).name == "journal":
        real(src, target, **kw); os._exit(9)
    real(src, target, **kw)
    if Path(target).parent == Path({str(out)!r}):
        n.append(1)
        if len(n) == {die_after}:
            os._exit(9)
io.replace_path = dying
with io.OutputRun({str(out)!r}) as run:
    run.staged("a.txt").write_text("new a")
    run.staged("b").write_text("new b")
    run.commit(["a.txt", "b"])
"""
    code = subprocess.run([sys.executable, "-c", script], check=False).returncode
    assert code == (0 if die_after == 3 and exchange else 9)
    if die_after == 1:
        assert (out / "a.txt").read_text() == "new a" and (out / "b").is_dir()
    with OutputRun(out):
        pass  # the next run recovers
    assert (out / "a.txt").read_text() == "new a" and (out / "b").read_text() == "new b"
    assert sorted(os.listdir(out)) == ["a.txt", "b"]


# ------------------------------------------------------------------- where outputs may go


def test_a_symlinked_folder_inside_output_is_never_written_through(tmp_path: Path) -> None:
    src, out, elsewhere = tmp_path / "in", tmp_path / "out", tmp_path / "elsewhere"
    (src / "sub").mkdir(parents=True)
    shutil.copy(EWT, src / "sub" / "a.conllu")
    out.mkdir()
    elsewhere.mkdir()
    (out / "sub").symlink_to(elsewhere)
    line = one_error(invoke("convert", src, out))
    assert "sub: is a symbolic link" in line and "never written through" in line
    assert list(elsewhere.iterdir()) == []
    assert snapshot(out) == {"sub": f"link:{elsewhere}"}


def test_an_output_that_is_a_link_is_replaced_not_followed(tmp_path: Path) -> None:
    out, target = tmp_path / "out", tmp_path / "precious.spacy"
    out.mkdir()
    target.write_bytes(b"precious")
    (out / "en_ewt-ud-dev.slice.spacy").symlink_to(target)
    assert invoke("convert", EWT, out).exit_code == 0
    assert target.read_bytes() == b"precious"
    assert not (out / "en_ewt-ud-dev.slice.spacy").is_symlink()


def test_output_below_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    line = one_error(invoke("convert", EWT, tmp_path / "file" / "out"))
    expected = f"{tmp_path}/file/out: is below {tmp_path}/file, which is a file; OUTPUT must be a folder"
    assert line == f"corpuskit: error: {expected}"
    line = one_error(invoke("convert", EWT, tmp_path / "file" / "out.spacy"))
    assert "which is a file" in line
    assert (tmp_path / "file").read_text() == "x"


def test_a_report_path_below_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    line = one_error(invoke("debug-data", EWT, "-o", tmp_path / "file" / "report.txt"))
    assert "which is a file" in line
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_ner_map_naming_a_folder(tmp_path: Path) -> None:
    line = one_error(invoke("convert", EWT, tmp_path / "out", "-nm", tmp_path))
    assert line == f"corpuskit: error: {tmp_path}: is a directory; --ner-map takes a JSON file"
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------- a full disk


def test_a_full_disk_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC from a write (as the kernel raises it: no file name) -> one line, exit 2, earlier
    outputs intact, nothing staged left."""
    out = tmp_path / "out"
    assert invoke("convert", EWT, out).exit_code == 0
    before = snapshot(out)
    import corpuskit.docbin.shards

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(corpuskit.docbin.shards, "serialise_stream", full)
    monkeypatch.setattr(corpuskit.docbin.shards, "serialise", full)
    line = one_error(invoke("convert", EWT, out, "-j", "1"))
    assert line == (
        f"corpuskit: error: {out}: cannot write the outputs: No space left on device; "
        "no earlier output was replaced"
    )
    assert snapshot(out) == before


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real 96 KiB file system (needs root to mount; skipped elsewhere)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        # killed workers may hold a file open for a moment: retry, then detach lazily
        for _ in range(50):
            if subprocess.run(["umount", str(mnt)], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        else:
            subprocess.run(["umount", "-l", str(mnt)], check=False)


@pytest.mark.parametrize("jobs", [["-j", "1"], ["-j", "2", "--shard-size", "3000"]])
def test_a_real_full_disk(small_tmpfs: Path, jobs: list[str]) -> None:
    out = small_tmpfs / "out"
    assert invoke("convert", DE, out).exit_code == 0  # 16 KB in, a few KB out: fits
    before = snapshot(out)
    big = small_tmpfs.parent / "big.conllu"
    big.write_bytes(EWT.read_bytes() * 12)  # about 120 KB of .spacy: does not fit
    line = one_error(invoke("convert", big, out / "de_gsd-ud-dev.slice.spacy", *jobs))
    assert "No space left on device" in line
    assert snapshot(out) == before


# ------------------------------------------------------------------- the primitives


def test_replace_path_keeps_target_whole_when_the_exchange_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import corpuskit.io

    monkeypatch.setattr(corpuskit.io, "exchange", lambda a, b: False)
    target = tmp_path / "model"
    target.mkdir()
    (target / "w").write_text("old")
    new = tmp_path / "new"
    new.mkdir()
    (new / "w").write_text("new")
    replace_path(new, target)
    assert (target / "w").read_text() == "new" and not aside_path(target).exists()
    # a kill between the two renames left the old one aside: the next start puts it back
    os.rename(target, aside_path(target))
    recover_aside(target)
    assert (target / "w").read_text() == "new" and not aside_path(target).exists()


def test_atomic_open_replaces_a_shard_folder_and_keeps_the_old_on_error(tmp_path: Path) -> None:
    target = tmp_path / "x.spacy"
    target.mkdir()
    (target / "x-0000.spacy").write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_open(target, "wb") as fh:
        fh.write(b"half")
        raise RuntimeError
    assert (target / "x-0000.spacy").read_bytes() == b"old"
    with atomic_open(target, "wb") as fh:
        fh.write(b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["x.spacy"]


def test_output_run_refuses_a_path_below_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError, match="which is a file"), OutputRun(tmp_path / "f" / "g"):
        pass


def test_a_temporary_file_a_killed_run_left_in_output_is_removed_by_the_next_run(tmp_path: Path) -> None:
    # atomic_open writes a training log beside the models; a SIGKILL mid-write leaves its
    # temporary file, which the next run into the folder removes (and nothing else).
    from corpuskit.io import temp_beside

    out = tmp_path / "out"
    out.mkdir()
    (out / "training.jsonl").write_text("{}\n")
    stale = temp_beside(out / "training.html")
    stale.write_text("<html>half")
    keep = out / ".notes.tmp"  # not a name atomic_open gives
    keep.write_text("mine")
    with OutputRun(out):
        pass
    assert sorted(os.listdir(out)) == [".notes.tmp", "training.jsonl"]


def test_a_forked_worker_does_not_hold_the_output_lock(tmp_path: Path) -> None:
    # A convert's workers are forked while the run holds OUTPUT's lock; when the run is killed
    # (no clean-up: the lock file stays), a worker still dying must not keep the folder locked.
    out = tmp_path / "out"
    code = (
        "import os, sys, time\n"
        "from corpuskit.io import OutputRun\n"
        "run = OutputRun(sys.argv[1]).__enter__()\n"
        "if os.fork() == 0:\n"
        "    os.close(1); os.close(2); time.sleep(30); os._exit(0)\n"
        "print(os.getpid(), flush=True)\n"
        "os._exit(0)  # killed: no release\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(out)], capture_output=True, text=True, check=True)
    assert (out / STAGING_NAME / "lock").exists()
    orphans = [int(e) for e in os.listdir("/proc") if e.isdigit() and _forked_child(int(e), proc.stdout)]
    try:
        with OutputRun(out):  # would say "another corpuskit run is writing here"
            pass
        assert not (out / STAGING_NAME).exists()
    finally:
        for pid in orphans:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _forked_child(pid: int, parent_pid_text: str) -> bool:
    """Whether ``pid`` is a python sleeping in the child the script above forked (by its cmdline)."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"OutputRun(sys.argv[1])" in cmd and str(pid) != parent_pid_text.strip()
