"""io.AtomicOutput, the one way corpuskit writes an output: whole or not at all, flushed to disk,
ordinary modes; and the writers that use it (write_docbin's shard writer, a model save).
Real UD slices from fixtures/ (CC BY-SA 4.0)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

import corpuskit.io
from corpuskit.doc import Doc
from corpuskit.docbin import is_docbin, read_docbin, shard_path, write_docbin
from corpuskit.io import AtomicOutput, aside_path, atomic_open

ROOT = Path(__file__).resolve().parents[2]
EWT = ROOT / "fixtures" / "convert" / "en_ewt-ud-dev.slice.conllu"  # 26 sentences, 607 tokens


def _docs() -> list[Doc]:
    from corpuskit.corpus import read_corpus

    return list(read_corpus(EWT))


def test_a_failed_block_leaves_nothing_and_keeps_the_old_output(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), AtomicOutput(target) as out:
        out.path.mkdir()
        (out.path / "a").write_text("new", encoding="utf-8")
        other = out.temp()
        other.write_text("half", encoding="utf-8")
        raise RuntimeError("cut short")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert target.read_text(encoding="utf-8") == "old"


def test_a_folder_replaces_a_file_and_gets_ordinary_modes(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "out"
    umask = os.umask(0o022)
    try:
        with AtomicOutput(target) as out:
            out.path.mkdir()
            (out.path / "a.bin").write_bytes(b"x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755  # not mkdtemp's private 0700
    assert stat.S_IMODE((target / "a.bin").stat().st_mode) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["out"]


def test_every_file_is_flushed_to_disk_before_it_is_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with atomic_open(tmp_path / "log.txt", "w", encoding="utf-8") as fh:
        fh.write("x")
    assert any(".log.txt." in s and s.endswith(".tmp") for s in synced)  # the file, at its temp name
    assert str(tmp_path) in synced  # and the folder it was renamed in
    synced.clear()
    stats = write_docbin(_docs(), tmp_path / "c.spacy", shard_tokens=200)
    assert len(stats.paths) > 1 and len([s for s in synced if s.endswith(".spacy")]) >= len(stats.paths)


def test_an_old_output_a_kill_left_aside_is_recovered_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model"
    aside = aside_path(target)
    aside.mkdir()
    (aside / "weights").write_bytes(b"old")  # killed between replace_path's two renames
    monkeypatch.setattr(corpuskit.io, "exchange", lambda a, b: False)
    with pytest.raises(RuntimeError), AtomicOutput(target):
        raise RuntimeError("this save fails too")
    assert (target / "weights").read_bytes() == b"old" and not aside.exists()


def test_write_docbin_names_shards_with_shard_path_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    docs = _docs()
    target = tmp_path / "train.spacy"
    stats = write_docbin(docs, target, shard_tokens=200)
    assert stats.paths == [shard_path(target, k) for k in range(len(stats.paths))]
    assert [p.name for p in stats.paths[:2]] == ["train-0000.spacy", "train-0001.spacy"]
    assert all(is_docbin(p.read_bytes()[:2]) for p in stats.paths)
    words = [d.words for d in docs]
    assert [d.words for d in read_docbin(target)] == words
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.spacy"]
    # one shard again: the folder is replaced by the one file, nothing else left
    one = write_docbin(docs, target)
    assert one.paths == [target] and target.is_file() and [d.words for d in read_docbin(target)] == words
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.spacy"]
