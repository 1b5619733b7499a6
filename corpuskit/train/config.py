"""The training config: what ``init-config`` writes, loading with overrides, and validation.

One ``config.cfg`` (thinc's config system: sections, ``${section.key}`` interpolation,
``@registry`` references) holds every setting; nothing has a hidden default. Validation checks
every section and every registered function's arguments, and a wrong key, a missing key or a
value of the wrong type raises :class:`~corpuskit.errors.ConfigError` naming the key, e.g.
``config: [training] max_epochs: expected an integer, got 'three'``.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from confection import Config, ConfigValidationError

from ..errors import ConfigError
from .registry import registry

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

#: Built-in factory -> "module:Class"; the module is imported on first use (it registers it).
BUILTIN_FACTORIES = {
    "tok2vec": "corpuskit.train.tok2vec:",
    "tagger": "corpuskit.train.tagger:Tagger",
    "parser": "corpuskit.train.parser:DependencyParser",
    "ner": "corpuskit.train.ner:EntityRecognizer",
}

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

# [section] -> {key: (type description, checker)}; every key is required.
_Schema = dict[str, tuple[str, Any]]


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


_SCHEMAS: dict[str, _Schema] = {
    "system": {
        "seed": ("an integer", _is_int),
        "gpu": ("an integer (-1 = CPU)", _is_int),
    },
    "nlp": {
        "lang": ("a string", lambda v: isinstance(v, str)),
        "pipeline": (
            "a list of component names",
            lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        ),
        "batch_size": ("a positive integer", lambda v: _is_int(v) and v > 0),
    },
    "training": {
        "dropout": ("a number from 0 to 1", lambda v: _is_number(v) and 0 <= v < 1),
        "patience": ("an integer >= 0", lambda v: _is_int(v) and v >= 0),
        "max_epochs": ("an integer >= 0", lambda v: _is_int(v) and v >= 0),
        "max_steps": ("an integer >= 0", lambda v: _is_int(v) and v >= 0),
        "eval_frequency": ("a positive integer", lambda v: _is_int(v) and v > 0),
        "seed": ("an integer", _is_int),
        "accumulate_gradient": ("a positive integer", lambda v: _is_int(v) and v > 0),
        "limit": ("an integer >= 0", lambda v: _is_int(v) and v >= 0),
        "max_length": ("an integer >= 0", lambda v: _is_int(v) and v >= 0),
        "discard_oversize": ("true or false", lambda v: isinstance(v, bool)),
        "gold_preproc": ("true or false", lambda v: isinstance(v, bool)),
        "orth_variant_level": ("a number from 0 to 1", lambda v: _is_number(v) and 0 <= v <= 1),
        "batch_size": ("a schedule block or an integer", lambda v: _is_int(v) or isinstance(v, dict)),
        "optimizer": ("an optimizer block", lambda v: isinstance(v, dict)),
        "score_weights": (
            "a table of score names and weights",
            lambda v: isinstance(v, dict) and all(x is None or _is_number(x) for x in v.values()),
        ),
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


def import_factory(factory: str) -> None:
    """Import the module of a built-in factory, so its registrations have run."""
    target = BUILTIN_FACTORIES.get(factory)
    if target is not None:
        try:
            importlib.import_module(target.split(":")[0])
        except ImportError as e:
            raise ConfigError(f"component factory {factory!r} is not available: {e}") from None


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


def did_you_mean(key: str, options: Iterable[str]) -> str:
    """``"; did you mean 'max_epochs'?"`` when a close option exists, else ``""``."""
    close = difflib.get_close_matches(key, [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


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
            text = p.read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"cannot read config {str(p)!r}: {e.strerror}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{str(p)!r} is not a config file (not UTF-8 text)") from None
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


def join_problems(problems: list[str]) -> str:
    """One message naming every problem (each ``[section] key: what is wrong``)."""
    if len(problems) == 1:
        return problems[0] if problems[0].startswith("config") else f"config: {problems[0]}"
    lines = "\n".join(f"  - {p.removeprefix('config: ')}" for p in problems)
    return f"config: {len(problems)} problems:\n{lines}"


def validate_config(config: Mapping[str, Any]) -> None:
    """Check the sections, keys and types of an interpolated config; raise ONE ConfigError naming
    every wrong, missing or mistyped key."""
    problems: list[str] = []
    _validate(config, problems)
    if problems:
        raise ConfigError(join_problems(problems))


def _validate(config: Mapping[str, Any], problems: list[str]) -> None:
    allowed = {"paths", "system", "nlp", "components", "training"}
    for section in config:
        if section not in allowed:
            problems.append(
                f"unknown section [{section}]{did_you_mean(section, allowed)}; expected {sorted(allowed)}"
            )
    for section in ("paths", "system", "nlp", "components", "training"):
        if section not in config:
            problems.append(f"missing section [{section}]")
    for section, schema in _SCHEMAS.items():
        values = config.get(section)
        if not isinstance(values, Mapping):
            continue
        for key in values:
            if key not in schema:
                problems.append(
                    f"[{section}] has an unknown key {key!r}{did_you_mean(key, schema)}; "
                    f"expected one of {sorted(schema)}"
                )
        for key, (expected, check) in schema.items():
            if key not in values:
                problems.append(f"[{section}] is missing the key {key!r} ({expected})")
            elif not check(values[key]):
                problems.append(f"[{section}] {key}: expected {expected}, got {values[key]!r}")
    pipeline = config.get("nlp", {}).get("pipeline")
    components = config.get("components")
    if not isinstance(pipeline, list) or not isinstance(components, Mapping):
        return
    for name in pipeline:
        _validate_component(name, components, problems)
    factories = [components[n].get("factory") for n in pipeline if isinstance(components.get(n), Mapping)]
    if factories.count("tok2vec") != 1 or factories[0] != "tok2vec":
        problems.append("[nlp] pipeline must start with the one shared 'tok2vec' component")
    training = config.get("training")
    if isinstance(training, Mapping):
        for key in ("batch_size", "optimizer"):
            if isinstance(training.get(key), dict):
                _check_block(training[key], f"training.{key}", problems)


def _validate_component(name: str, components: Mapping[str, Any], problems: list[str]) -> None:
    if name not in components:
        problems.append(f"[nlp] pipeline names {name!r} but there is no [components.{name}]")
        return
    section = components[name]
    if not isinstance(section, dict) or "factory" not in section:
        problems.append(f"[components.{name}] is missing the key 'factory'")
        return
    if "model" not in section or not isinstance(section["model"], dict):
        problems.append(f"[components.{name}] is missing its [components.{name}.model] block")
        return
    try:
        import_factory(section["factory"])
    except ConfigError as e:
        problems.append(f"[components.{name}] {e}")
        return
    if section["factory"] != "tok2vec":
        _check_factory(name, section, problems)
    _check_block(section["model"], f"components.{name}.model", problems)


def _check_factory(name: str, section: Mapping[str, Any], problems: list[str]) -> None:
    factory = section["factory"]
    try:
        func = registry.factories.get(factory)
    except Exception:
        problems.append(
            f"[components.{name}] factory {factory!r} is not registered; known: "
            f"{sorted(registry.factories.get_all())}"
        )
        return
    args = {k: v for k, v in section.items() if k != "factory"}
    _check_args(func, args, f"components.{name}", problems, skip={"name"})


def _check_block(block: Mapping[str, Any], where: str, problems: list[str]) -> None:
    """Check a ``@registry`` block (recursively) against its function's signature."""
    refs = [k for k in block if k.startswith("@")]
    if not refs:
        for key, value in block.items():
            if isinstance(value, dict):
                _check_block(value, f"{where}.{key}", problems)
        return
    reg_name = refs[0][1:]
    func_name = block[refs[0]]
    if not registry.has(reg_name, func_name):
        problems.append(f"[{where}] {refs[0]} = {func_name!r} is not registered")
        return
    func = registry.get(reg_name, func_name)
    args = {k: v for k, v in block.items() if not k.startswith("@")}
    _check_args(func, args, where, problems)
    for key, value in args.items():
        if isinstance(value, dict):
            _check_block(value, f"{where}.{key}", problems)


def _check_args(
    func: Any, args: Mapping[str, Any], where: str, problems: list[str], *, skip: set[str] | None = None
) -> None:
    sig = inspect.signature(func)
    params = {n: p for n, p in sig.parameters.items() if n not in (skip or set())}
    var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    try:
        hints = typing.get_type_hints(func)
    except Exception:
        hints = {}
    for key, value in args.items():
        if key not in params:
            if var_kw:
                continue
            expected = [n for n, p in params.items() if p.kind is not inspect.Parameter.VAR_POSITIONAL]
            problems.append(
                f"[{where}] has an unknown key {key!r}{did_you_mean(key, expected)}; "
                f"expected one of {expected}"
            )
            continue
        hint = hints.get(key)
        if hint is not None and not isinstance(value, dict) and not _matches(value, hint):
            problems.append(f"[{where}] {key}: expected {_describe(hint)}, got {value!r}")
    for name, p in params.items():
        if (
            p.default is inspect.Parameter.empty
            and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
            and name not in args
        ):
            problems.append(f"[{where}] is missing the key {name!r}")


def _describe(hint: Any) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string", type(None): "null"}
    if hint in names:
        return names[hint]
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(hint))
    if origin is list:
        args = typing.get_args(hint)
        return f"a list of {_describe(args[0])}s" if args else "a list"
    return getattr(hint, "__name__", str(hint))


def _matches(value: Any, hint: Any) -> bool:
    """Whether ``value`` fits ``hint``; True for hints too complex to check here."""
    if hint is Any:
        return True
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return _is_int(value)
    if hint is float:
        return _is_number(value)
    if hint is str:
        return isinstance(value, str)
    if hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_matches(value, a) for a in typing.get_args(hint))
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(value, list):
            return False
        args = typing.get_args(hint)
        return not args or all(_matches(v, args[0]) for v in value)
    if origin in (tuple, typing.Tuple):  # noqa: UP006
        return isinstance(value, list | tuple)
    if isinstance(hint, type) and hint.__module__ == "builtins":
        return isinstance(value, hint)
    # A Model, a schedule, a generator...: a plain scalar where an object is expected is wrong,
    # but leave the finer checks to the function itself.
    return not isinstance(value, str | bool)


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
