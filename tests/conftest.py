"""Shared test helpers: fixtures live in the repo's fixtures/ folder, never in ../shared."""

from __future__ import annotations

import os
from pathlib import Path

# One BLAS thread, as `corpuskit train` uses: on a shared 2-core machine a second OpenBLAS thread
# makes the trainer's small matrix products several times slower. Set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
