"""The trainer: config-driven thinc models (tok2vec, tagger, parser, ner), training and evaluation.

Importing this package imports thinc; ``import corpuskit`` does not (``corpuskit.load`` and
``corpuskit.Example`` forward here lazily).
"""

from __future__ import annotations

from . import tagger as _tagger  # noqa: F401 (registers the "tagger" factory and architecture)
from . import tok2vec as _tok2vec  # noqa: F401 (registers the tok2vec architectures)
from .component import Component, TrainingError, set_dropout_rate
from .config import default_config, load_config, validate_config
from .example import Example
from .loop import EvalInfo, train_pipeline, train_while_improving
from .pipeline import Pipeline, load
from .registry import registry

__all__ = [
    "Component",
    "EvalInfo",
    "Example",
    "Pipeline",
    "TrainingError",
    "default_config",
    "load",
    "load_config",
    "registry",
    "set_dropout_rate",
    "train_pipeline",
    "train_while_improving",
    "validate_config",
]
