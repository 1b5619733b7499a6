"""Fixtures of find-errors (the data is in finderrors_helpers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from finderrors_helpers import WNUT, write_ewt_injected


@pytest.fixture(scope="session")
def ewt_injected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ewt_injected(tmp_path_factory.mktemp("finderrors") / "ewt_injected.conllu")


@pytest.fixture
def wnut_injected() -> Path:
    return WNUT
