"""Shared fixtures of the trainer tests: tiny real corpora and small, fast configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "train"
TRAIN = FIXTURES / "ewt-train-40.conllu"
DEV = FIXTURES / "ewt-dev-15.conllu"


def _read(path: Path) -> list[Any]:
    from corpuskit.corpus import read_corpus

    return list(read_corpus(path, converter="conllu"))


@pytest.fixture(scope="session")
def ewt_train() -> list[Any]:
    return _read(TRAIN)


@pytest.fixture(scope="session")
def ewt_dev() -> list[Any]:
    return _read(DEV)


def _small_config(pipeline: list[str], **training: Any) -> Any:
    """The default config with a narrow tok2vec (fast), and ``training`` keys overridden."""
    from corpuskit.train import default_config

    cfg = default_config(pipeline, lang="en")
    encode = cfg["components"]["tok2vec"]["model"]["encode"]
    encode["width"] = 48
    encode["depth"] = 2
    cfg["components"]["tok2vec"]["model"]["embed"]["rows"] = [2000, 500, 1000, 500]
    cfg["training"]["batch_size"] = 400
    cfg["training"]["dropout"] = 0.0
    cfg["training"]["eval_frequency"] = 5
    cfg["training"]["max_steps"] = 10
    cfg["training"].update(training)
    return cfg


@pytest.fixture
def small_config() -> Any:
    """``small_config(pipeline, **training)``: a fast config for tests."""
    return _small_config
