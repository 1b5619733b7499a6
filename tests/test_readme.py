"""The README's two set-up commands: CI runs the test command verbatim, and the tour runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bash_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)


def test_ci_runs_the_readme_test_command() -> None:
    tour, tests = _bash_blocks()[:2]
    assert "pytest" in tests and "pytest" not in tour
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests.strip() in ci.splitlines()


@pytest.mark.slow
def test_readme_tour_runs_on_the_bundled_sample(tmp_path: Path) -> None:
    tour = _bash_blocks()[0].strip()
    setup = "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && "
    assert tour.startswith(setup), "the tour must start by installing the project"
    commands = tour[len(setup) :]
    shutil.copytree(ROOT / "fixtures" / "sample", tmp_path / "fixtures" / "sample")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(
        ["bash", "-c", f"set -e; {commands}"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "tour" / "model" / "model-best").is_dir()
    assert "UAS" in done.stdout, done.stdout[-2000:]
