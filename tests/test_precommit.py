"""pre-commit for real: a throwaway git repo whose commits run the `corpuskit-check` hook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures" / "debug"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "corpuskit tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "corpuskit tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(
    cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV, **(env or {})},
        capture_output=True,
        text=True,
        check=check,
    )


def _pre_commit() -> list[str]:
    return [sys.executable, "-m", "pre_commit"]


def _work_repo(tmp_path: Path, config: str) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
    git(work, "add", ".pre-commit-config.yaml")
    return work


def _commit(work: Path, src: Path, name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    shutil.copy(src, work / name)
    git(work, "add", name, env=env)
    return git(work, "commit", "-q", "-m", f"add {name}", env=env, check=False)


def _install(work: Path, env: dict[str, str]) -> None:
    subprocess.run(
        [*_pre_commit(), "install"],
        cwd=work,
        env={**os.environ, **GIT_ENV, **env},
        capture_output=True,
        text=True,
        check=True,
    )


def _rejects_broken_accepts_good(work: Path, env: dict[str, str]) -> None:
    _install(work, env)
    bad = _commit(work, FIXTURES / "broken_ewt_dev.conllu", "train.conllu", env)
    assert bad.returncode != 0, bad.stdout + bad.stderr
    out = bad.stdout + bad.stderr
    assert "corpuskit check" in out and "Failed" in out
    assert "train.conllu:24:1: dep-cycle" in out
    assert git(work, "log", "--oneline", check=False).returncode != 0  # nothing committed yet
    good = _commit(work, FIXTURES / "ewt_dev.conllu", "train.conllu", env)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout + good.stderr
    assert len(git(work, "log", "--oneline").stdout.splitlines()) == 1


def test_local_hook_with_this_environment(tmp_path):
    """`repo: local` pointing at this environment's corpuskit (offline, fast)."""
    config = f"""repos:
  - repo: local
    hooks:
      - id: corpuskit-check
        name: corpuskit check
        entry: {sys.executable} -m corpuskit check
        language: system
        files: \\.(conllu|conll|iob|jsonl|spacy)$
"""
    work = _work_repo(tmp_path, config)
    _rejects_broken_accepts_good(work, {"PRE_COMMIT_HOME": str(tmp_path / "cache")})


@pytest.mark.slow
def test_hook_installed_from_this_repository(tmp_path):
    """The published hook: pre-commit clones a commit of this repo and pip-installs it."""
    hooks = tmp_path / "corpuskit"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for rel in listed:
        src = ROOT / rel
        if src.is_file():
            dst = hooks / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    git(hooks, "init", "-q", "-b", "main")
    git(hooks, "add", "-A")
    git(hooks, "commit", "-q", "-m", "corpuskit at test time")
    rev = git(hooks, "rev-parse", "HEAD").stdout.strip()
    config = f"""repos:
  - repo: {hooks}
    rev: {rev}
    hooks:
      - id: corpuskit-check
"""
    work = _work_repo(tmp_path, config)
    _rejects_broken_accepts_good(work, {"PRE_COMMIT_HOME": str(tmp_path / "cache")})
