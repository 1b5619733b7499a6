"""The training config: what ``init-config`` writes, loading with overrides, resolving.

One ``config.cfg`` (thinc's config system: sections, ``${section.key}`` interpolation,
``@registry`` references) holds every setting; nothing has a hidden default. Validation (every
section and every registered function's arguments, one ConfigError naming every wrong key) is
:mod:`corpuskit.train.validate`'s job; :func:`validate_config` is re-exported here.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confection import Config, ConfigValidationError

from ..errors import ConfigError, UsageError
from ..limits import MAX_CONFIG_BYTES, read_bounded
from .registry import BUILTIN_FACTORIES, import_factory, registry
from .validate import did_you_mean, join_problems, validate_config

__all__ = [
    "BUILTIN_FACTORIES",
    "TrainingSettings",
    "default_config",
    "did_you_mean",
    "interpolate_config",
    "is_config_file",
    "join_problems",
    "load_config",
    "parse_overrides",
    "read_config",
    "resolve_block",
    "resolve_training",
    "validate_config",
]

# Score weights of a component when its class does not say (spaCy's efficiency config).
_FALLBACK_WEIGHTS = {
    "tagger": {"tag_acc": 1.0},
    "parser": {"dep_uas": 0.5, "dep_las": 0.5, "sents_f": 0.0},
    "ner": {"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0},
}

_TOK2VEC_SECTION: dict[str, Any] = {
    "factory": "tok2vec",
    "model": {
        "@architectures": "corpuskit.Tok2Vec.v1",
        "embed": {
            "@architectures": "corpuskit.MultiHashEmbed.v1",
            "width": "${components.tok2vec.model.encode.width}",
            "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
            "rows": [5000, 1000, 2500, 2500],
            "seed": "${system.seed}",
        },
        "encode": {
            "@architectures": "corpuskit.MaxoutWindowEncoder.v1",
            "width": 128,
            "depth": 4,
            "window_size": 1,
            "maxout_pieces": 3,
        },
    },
}


@dataclass(slots=True)
class TrainingSettings:
    """The resolved ``[training]`` section."""

    dropout: float
    patience: int
    max_epochs: int
    max_steps: int
    eval_frequency: int
    seed: int
    accumulate_gradient: int
    limit: int
    max_length: int
    discard_oversize: bool
    gold_preproc: bool
    orth_variant_level: float
    batch_size: Any
    optimizer: Any
    score_weights: dict[str, float | None]


def _component_class(factory: str) -> Any:
    target = BUILTIN_FACTORIES.get(factory)
    if target is None or not target.split(":")[1]:
        return None
    module, cls = target.split(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError):
        return None


def default_config(pipeline: list[str], *, lang: str = "xx") -> Config:
    """The complete default config for ``pipeline`` (component factories, e.g. tagger, parser)."""
    # Every built-in module registers its architectures on import.
    import_factory("tok2vec")
    components: dict[str, Any] = {"tok2vec": _TOK2VEC_SECTION}
    weights: dict[str, float | None] = {}
    names = [p for p in pipeline if p != "tok2vec"]
    for name in names:
        cls = _component_class(name)
        if cls is None or not getattr(cls, "default_config", None):
            raise ConfigError(
                f"unknown component {name!r} in the pipeline; expected one of "
                f"{sorted(k for k in BUILTIN_FACTORIES if k != 'tok2vec')}"
            )
        components[name] = _copy(cls.default_config)
        comp_weights = getattr(cls, "default_score_weights", None) or _FALLBACK_WEIGHTS.get(name, {})
        for key, w in comp_weights.items():
            weights[key] = round(w / max(len(names), 1), 2)
    cfg: dict[str, Any] = {
        "paths": {"train": None, "dev": None},
        "system": {"seed": 0, "gpu": -1},
        "nlp": {"lang": lang, "pipeline": ["tok2vec", *names], "batch_size": 1000},
        "components": components,
        "training": {
            "dropout": 0.1,
            "patience": 1600,
            "max_epochs": 0,
            "max_steps": 20000,
            "eval_frequency": 200,
            "seed": "${system.seed}",
            "accumulate_gradient": 1,
            "limit": 0,
            "max_length": 0,
            "discard_oversize": False,
            "gold_preproc": False,
            "orth_variant_level": 0.0,
            "batch_size": {
                "@schedules": "compounding.v1",
                "start": 100,
                "stop": 1000,
                "compound": 1.001,
                "t": 0.0,
            },
            "optimizer": {
                "@optimizers": "Adam.v1",
                "learn_rate": 0.001,
                "beta1": 0.9,
                "beta2": 0.999,
                "eps": 1e-08,
                "L2": 0.01,
                "L2_is_weight_decay": True,
                "grad_clip": 1.0,
                "use_averages": True,
            },
            "score_weights": weights,
        },
    }
    # Round-trip through text so that interpolation markers stay in the written config.
    return Config().from_str(Config(cfg).to_str(), interpolate=False)


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def parse_overrides(args: list[str]) -> dict[str, Any]:
    """``["--training.max_epochs", "3", "--nlp.lang=en"]`` -> ``{"training.max_epochs": 3, ...}``.

    Values are read as JSON where they parse (numbers, true/false, null, lists), else as strings.
    """
    import srsly

    out: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or "." not in arg:
            raise ConfigError(f"unexpected argument {arg!r}; config overrides look like --section.key value")
        key, eq, value = arg[2:].partition("=")
        if not eq:
            if i + 1 >= len(args) or args[i + 1].startswith("--"):
                value = "true"  # a bare flag sets a boolean
            else:
                i += 1
                value = args[i]
        try:
            out[key.replace("-", "_")] = srsly.json_loads(value)
        except ValueError:
            out[key.replace("-", "_")] = value
        i += 1
    return out


_SECTION_LINE = re.compile(r"^\[[A-Za-z_][\w.\-]*\]\s*$")


def is_config_file(path: str | Path) -> bool:
    """Whether ``path`` is a config file by its content: its first line that is not blank or a
    comment is a ``[section]`` header (no corpus format starts so)."""
    p = Path(path)
    if not p.is_file():
        return False
    try:
        with p.open("rb") as f:
            head = f.read(8192).decode("utf-8", errors="replace")
    except OSError:
        return False
    for line in head.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        return bool(_SECTION_LINE.match(stripped))
    return False


def _override_problems(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> list[str]:
    problems = []
    for key in overrides:
        node: Any = base
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or parts[-1] not in node:
            hint = ""
            if isinstance(node, dict):
                hint = did_you_mean(parts[-1], [k for k in node if not str(k).startswith("@")])
            elif len(parts) > 1:
                hint = did_you_mean(parts[0], base)
            problems.append(f"config override --{key}: the config has no key {key!r}{hint}")
    return problems


def load_config(
    path: str | Path | None,
    *,
    overrides: Mapping[str, Any] | None = None,
    pipeline: list[str] | None = None,
    interpolate: bool = True,
) -> Config:
    """Read a config file (or the default one for ``pipeline``) and apply ``overrides``.

    An override must name an existing key (``training.max_epochs``). A config written by
    ``spacy init config`` is translated (see :mod:`corpuskit.train.spacy_config`).
    """
    return read_config(path, overrides=overrides, pipeline=pipeline, interpolate=interpolate)[0]


def read_config(
    path: str | Path | None,
    *,
    overrides: Mapping[str, Any] | None = None,
    pipeline: list[str] | None = None,
    interpolate: bool = True,
) -> tuple[Config, list[str]]:
    """:func:`load_config`, and the settings of a spaCy config that were ignored (one note each)."""
    if path is None:
        text = default_config(pipeline or ["tagger", "parser", "ner"]).to_str()
        source = "the default config"
    else:
        p = Path(path)
        try:
            text = read_bounded(p, MAX_CONFIG_BYTES, what="config file").decode("utf-8")
        except UsageError as e:
            raise ConfigError(f"cannot read config: {e}") from None
        except UnicodeDecodeError as e:
            raise ConfigError(f"cannot read config {str(p)!r}: not UTF-8 text ({e.reason})") from None
        source = str(p)
    overrides = dict(overrides or {})
    try:
        base = Config().from_str(text, interpolate=False)
    except Exception as e:
        raise ConfigError(f"{source}: not a valid config: {_one_line(e)}") from None
    from .spacy_config import from_spacy_config, is_spacy_config

    spacy_cfg = is_spacy_config(base)
    late = {k: overrides.pop(k) for k in list(overrides) if spacy_cfg and k == "system.gpu"}
    problems = _override_problems(base, overrides)
    if problems:
        raise ConfigError(join_problems(problems))
    try:
        cfg = Config().from_str(text, overrides=overrides, interpolate=interpolate and not spacy_cfg)
    except Exception as e:
        raise ConfigError(f"{source}: {_one_line(e)}") from None
    ignored: list[str] = []
    if spacy_cfg:
        try:
            resolved = cfg.interpolate()
        except Exception as e:
            raise ConfigError(f"{source}: {_one_line(e)}") from None
        translated, ignored = from_spacy_config(resolved, source)
        _refuse_ignored_overrides(text, overrides, source)
        if late:
            translated["system"]["gpu"] = late["system.gpu"]
        cfg = Config(translated)
    return cfg, ignored


def _refuse_ignored_overrides(text: str, overrides: Mapping[str, Any], source: str) -> None:
    """An override of a spaCy setting that the translation ignores is refused, never ignored:
    it is one whose value changes the spaCy config but not the corpuskit config."""
    from .spacy_config import from_spacy_config

    if not overrides:
        return
    try:
        base = Config().from_str(text, interpolate=False).interpolate()
        plain, _ = from_spacy_config(base, source)
    except Exception:
        return  # the config without the overrides has problems the overrides may fix
    ignored = []
    for key, value in overrides.items():
        node: Any = base
        for part in key.split("."):
            node = node[part]
        if node == value:
            continue
        alone = Config().from_str(text, overrides={key: value}, interpolate=False).interpolate()
        if from_spacy_config(alone, source)[0] == plain:
            ignored.append(f"--{key}")
    if ignored:
        raise ConfigError(
            f"{', '.join(ignored)}: spaCy-only setting(s) with no corpuskit equivalent; an override "
            "would be ignored, so it is refused (see docs/migrating-from-spacy.md)"
        )


_PARSE_ERROR = re.compile(r"\[line\s+(\d+)\]: '(.*?)'", re.S)
_INTERPOLATION = re.compile(r"option '([^']+)' in section '([^']+)' contains an interpolation key '([^']+)'")


def interpolate_config(config: Config) -> Config:
    """``config.interpolate()``, a ``${section.key}`` naming no setting a one-line ConfigError."""
    try:
        return config.interpolate()
    except Exception as e:
        raise ConfigError(f"config: {_one_line(e)}") from None


def _one_line(e: Exception) -> str:
    """confection's error as one line of what was wrong (line number, section and key)."""
    text = str(e)
    parse = _PARSE_ERROR.search(text)
    if "parsing errors" in text and parse:
        bad = parse.group(2).replace("\\n", "").strip()
        return f"line {parse.group(1)}: cannot parse {bad!r} (expected a [section] or key = value)"
    ref = _INTERPOLATION.search(text)
    if ref:
        key, section, target = ref.groups()
        return f"[{section}] {key}: ${{{target}}} names no setting of the config"
    if isinstance(e, ConfigValidationError) and e.errors:
        return "; ".join(
            f"{'.'.join(str(x) for x in err.get('loc', []))}: {err.get('msg')}" for err in e.errors
        )
    return " ".join(text.replace("Config validation error", "").split())


def resolve_block(block: Mapping[str, Any], where: str) -> Any:
    """Resolve one ``@registry`` block into its object; errors name the block."""
    try:
        return registry.resolve({"x": dict(block)}, validate=False)["x"]
    except ConfigError:
        raise
    except Exception as e:
        raise ConfigError(f"config: [{where}]: {_one_line(e)}") from None


def resolve_training(config: Mapping[str, Any]) -> TrainingSettings:
    """The ``[training]`` section with its schedule and optimizer built."""
    t = dict(config["training"])
    batch_size = t["batch_size"]
    t["batch_size"] = (
        resolve_block(batch_size, "training.batch_size") if isinstance(batch_size, dict) else batch_size
    )
    t["optimizer"] = resolve_block(t["optimizer"], "training.optimizer")
    t["score_weights"] = dict(t["score_weights"])
    return TrainingSettings(**t)
