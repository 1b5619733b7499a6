"""What ``corpuskit train`` and ``evaluate`` do, as library calls: GPU selection, corpus reading,
the pre-training data checks, and building the pipeline from a config with overrides."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confection import Config

from ..corpus import read_corpus
from ..doc import Doc
from ..errors import ConfigError, UsageError
from .config import TrainingSettings, load_config, resolve_training
from .example import Example
from .loop import make_examples
from .pipeline import Pipeline, load

__all__ = [
    "DataCheck",
    "TrainingSetup",
    "check_corpus",
    "evaluate_model",
    "infer_pipeline",
    "read_docs",
    "setup_training",
    "use_gpu",
]


def use_gpu(gpu_id: int) -> str:
    """Select the GPU ``gpu_id`` for thinc (cupy ops); ``-1`` = CPU. Returns "GPU" or "CPU".

    Raises :class:`~corpuskit.errors.UsageError` with the reason when there is no usable GPU.
    """
    if gpu_id < 0:
        return "CPU"
    if importlib.util.find_spec("cupy") is None:
        raise UsageError(
            f"--gpu-id {gpu_id}: cupy is not installed; install corpuskit[cuda12x] on a machine "
            "with a CUDA GPU, or train on the CPU (--gpu-id -1)"
        )
    from thinc.api import require_gpu

    try:
        require_gpu(gpu_id)
    except Exception as e:
        raise UsageError(f"--gpu-id {gpu_id}: no usable GPU: {' '.join(str(e).split())}") from None
    return "GPU"


def read_docs(path: str | Path, *, converter: str = "auto") -> list[Doc]:
    """All docs of a corpus file or directory (.spacy or any format a converter reads)."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"corpus {str(p)!r} does not exist")
    return list(read_corpus(p, converter=converter))


def infer_pipeline(docs: Iterable[Doc]) -> list[str]:
    """The components the training docs have annotation for: tagger, parser, ner."""
    tags = heads = ents = False
    for doc in docs:
        tags = tags or (doc.tags is not None and any(t is not None for t in doc.tags))
        heads = heads or (doc.heads is not None and any(h is not None for h in doc.heads))
        ents = ents or (doc.ents is not None and (bool(doc.ents) or not all(doc.ents_missing or [False])))
        if tags and heads and ents:
            break
    names = [n for n, on in (("tagger", tags), ("parser", heads), ("ner", ents)) if on]
    if not names:
        raise UsageError("the training corpus has no tags, heads or entities to train on")
    return names


@dataclass(slots=True)
class DataCheck:
    """The outcome of the pre-training checks."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def check_corpus(train_path: str | Path, dev_path: str | Path, *, converter: str = "auto") -> DataCheck:
    """Run the debug-data checks (:func:`corpuskit.debug.debug_corpus`) on TRAIN and DEV.

    Returns one line per error finding (``id: message (count), first at file:line``) and per
    warning finding.
    """
    from ..debug import Options, debug_corpus

    report = debug_corpus(
        Path(train_path), Path(dev_path), options=Options(converter=converter, max_examples=1)
    )
    out = DataCheck()
    for finding in report.findings:
        where = ""
        if finding.examples:
            ex = finding.examples[0]
            if ex.file is not None:
                where = f", first at {ex.file}" + (f":{ex.line}" if ex.line is not None else "")
        text = f"{finding.id}: {finding.message} ({finding.count}{where})"
        if finding.severity == "error":
            out.errors.append(text)
        elif finding.severity == "warning":
            out.warnings.append(text)
    return out


@dataclass(slots=True)
class TrainingSetup:
    """A pipeline ready to train, its settings, and the corpora."""

    nlp: Pipeline
    settings: TrainingSettings
    config: Config
    train_docs: list[Doc]
    dev_docs: list[Doc]
    device: str


def setup_training(
    train_path: str | Path,
    dev_path: str | Path,
    config_path: str | Path | None,
    *,
    overrides: Mapping[str, Any] | None = None,
    gpu_id: int | None = None,
    converter: str = "auto",
    train_docs: list[Doc] | None = None,
    dev_docs: list[Doc] | None = None,
) -> TrainingSetup:
    """Read the config (or the default one for the data's annotation) with overrides, select the
    device, read the corpora and build the pipeline."""
    overrides = dict(overrides or {})
    if train_docs is None:
        train_docs = read_docs(train_path, converter=converter)
    if dev_docs is None:
        dev_docs = read_docs(dev_path, converter=converter)
    if not train_docs:
        raise UsageError(f"the training corpus {str(train_path)!r} has no documents")
    if not dev_docs:
        raise UsageError(f"the development corpus {str(dev_path)!r} has no documents")
    pipeline = None if config_path is not None else infer_pipeline(train_docs)
    if gpu_id is not None:
        overrides["system.gpu"] = gpu_id
    config = load_config(config_path, overrides=overrides, pipeline=pipeline, interpolate=False)
    config["paths"]["train"] = str(train_path)
    config["paths"]["dev"] = str(dev_path)
    try:
        gpu = int(config.get("system", {}).get("gpu", -1))
    except (TypeError, ValueError):
        raise ConfigError(
            f"config: [system] gpu: expected an integer, got {config['system'].get('gpu')!r}"
        ) from None
    device = use_gpu(gpu)
    nlp = Pipeline.from_config(config)
    settings = resolve_training(config.interpolate())
    return TrainingSetup(nlp, settings, config, train_docs, dev_docs, device)


def evaluate_model(
    model_path: str | Path,
    data_path: str | Path,
    *,
    gold_preproc: bool = False,
    gpu_id: int = -1,
    converter: str = "auto",
    batch_size: int | None = None,
) -> dict[str, Any]:
    """Load a model and score it on a corpus: spaCy's keys, values 0-1, plus ``speed`` (words/s)."""
    use_gpu(gpu_id)
    nlp = load(model_path)
    docs = read_docs(data_path, converter=converter)
    if not docs:
        raise UsageError(f"the evaluation corpus {str(data_path)!r} has no documents")
    examples: list[Example] = make_examples(docs, nlp, gold_preproc=gold_preproc)
    return nlp.evaluate(examples, batch_size=batch_size)
