"""The config: complete defaults, overrides, and errors that name the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from confection import Config

from corpuskit.errors import ConfigError
from corpuskit.train import Pipeline, default_config, load_config, validate_config
from corpuskit.train.config import parse_overrides, resolve_training

TRAINING_KEYS = {
    "dropout",
    "patience",
    "max_epochs",
    "max_steps",
    "eval_frequency",
    "seed",
    "accumulate_gradient",
    "limit",
    "max_length",
    "discard_oversize",
    "gold_preproc",
    "orth_variant_level",
    "batch_size",
    "optimizer",
    "score_weights",
}


def test_default_config_is_complete_and_valid() -> None:
    cfg = default_config(["tagger", "parser", "ner"], lang="en")
    assert set(cfg) == {"paths", "system", "nlp", "components", "training"}
    assert cfg["nlp"]["pipeline"] == ["tok2vec", "tagger", "parser", "ner"]
    assert set(cfg["training"]) == TRAINING_KEYS
    assert cfg["training"]["batch_size"]["@schedules"] == "compounding.v1"
    assert cfg["training"]["optimizer"]["@optimizers"] == "Adam.v1"
    embed = cfg["components"]["tok2vec"]["model"]["embed"]
    assert embed["attrs"] == ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
    assert embed["width"] == "${components.tok2vec.model.encode.width}"  # interpolation kept
    text = cfg.to_str()
    resolved = Config().from_str(text)
    validate_config(resolved)
    assert resolved["components"]["tok2vec"]["model"]["embed"]["width"] == 128
    settings = resolve_training(resolved)
    assert next(settings.batch_size) == 100
    assert Pipeline.from_config(Config().from_str(text, interpolate=False)).pipe_names == [
        "tagger",
        "parser",
        "ner",
    ]


def _fails(cfg: Any, *needles: str) -> None:
    with pytest.raises(ConfigError) as info:
        Pipeline.from_config(cfg)
    for needle in needles:
        assert needle in str(info.value)


def test_a_wrong_key_is_named() -> None:
    cfg = default_config(["tagger"])
    cfg["training"]["max_epoch"] = 3
    _fails(cfg, "[training]", "'max_epoch'")
    cfg = default_config(["tagger"])
    cfg["components"]["tok2vec"]["model"]["encode"]["widht"] = 3
    _fails(cfg, "[components.tok2vec.model.encode]", "'widht'")
    cfg = default_config(["tagger"])
    cfg["components"]["tagger"]["smoothing"] = 0.1
    _fails(cfg, "[components.tagger]", "'smoothing'")
    cfg = default_config(["tagger"])
    cfg["training"]["optimizer"]["learning_rate"] = 0.1
    _fails(cfg, "[training.optimizer]", "'learning_rate'")


def test_a_wrong_type_is_named() -> None:
    cfg = default_config(["tagger"])
    cfg["training"]["max_epochs"] = "three"
    _fails(cfg, "[training] max_epochs", "'three'")
    cfg = default_config(["tagger"])
    cfg["components"]["tok2vec"]["model"]["encode"]["depth"] = "deep"
    _fails(cfg, "[components.tok2vec.model.encode] depth", "an integer", "'deep'")
    cfg = default_config(["tagger"])
    cfg["training"]["dropout"] = 1.5
    _fails(cfg, "[training] dropout")


def test_missing_keys_and_unknown_names() -> None:
    cfg = default_config(["tagger"])
    del cfg["training"]["patience"]
    _fails(cfg, "missing the key 'patience'")
    cfg = default_config(["tagger"])
    cfg["components"]["tagger"]["model"]["@architectures"] = "corpuskit.Nope.v1"
    _fails(cfg, "'corpuskit.Nope.v1' is not registered")
    with pytest.raises(ConfigError, match="unknown component 'lemmatizer'"):
        default_config(["lemmatizer"])


def test_overrides(tmp_path: Path) -> None:
    assert parse_overrides(["--training.max_epochs", "3", "--nlp.lang=en", "--training.gold_preproc"]) == {
        "training.max_epochs": 3,
        "nlp.lang": "en",
        "training.gold_preproc": True,
    }
    path = tmp_path / "config.cfg"
    path.write_text(default_config(["tagger"]).to_str(), encoding="utf-8")
    cfg = load_config(path, overrides={"training.max_epochs": 3, "components.tok2vec.model.encode.width": 64})
    assert cfg["training"]["max_epochs"] == 3
    assert cfg["components"]["tok2vec"]["model"]["embed"]["width"] == 64  # interpolated after the override
    with pytest.raises(
        ConfigError, match=r"--training\.max_epoch: the config has no key 'training\.max_epoch'"
    ):
        load_config(path, overrides={"training.max_epoch": 3})
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.cfg")
