"""Validation of a training config: every section, key and type, and every registered function's arguments.

:func:`validate_config` raises ONE :class:`~corpuskit.errors.ConfigError` naming every wrong,
missing or mistyped key (``config: [training] max_epochs: expected an integer, got 'three'``),
with a "did you mean" where a close name exists.
"""

from __future__ import annotations

import difflib
import inspect
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any, Union

import catalogue

from ..errors import ConfigError
from .registry import import_factory, registry

__all__ = ["did_you_mean", "join_problems", "validate_config"]

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


def did_you_mean(key: str, options: Iterable[str]) -> str:
    """``"; did you mean 'max_epochs'?"`` when a close option exists, else ``""``."""
    close = difflib.get_close_matches(key, [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def join_problems(problems: list[str]) -> str:
    """One message naming every problem (each ``[section] key: what is wrong``)."""
    if len(problems) == 1:
        return problems[0] if problems[0].startswith("config") else f"config: {problems[0]}"
    listed = "; ".join(f"({k}) {p.removeprefix('config: ')}" for k, p in enumerate(problems, 1))
    return f"config: {len(problems)} problems: {listed}"


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
    if not _is_registry(reg_name):
        problems.append(
            f"[{where}] {refs[0]} names no registry; expected one of "
            f"{', '.join('@' + n for n in _registry_names())}"
        )
        return
    if not isinstance(func_name, str) or not registry.has(reg_name, func_name):
        problems.append(f"[{where}] {refs[0]} = {func_name!r} is not registered")
        return
    func = registry.get(reg_name, func_name)
    args = {k: v for k, v in block.items() if not k.startswith("@")}
    _check_args(func, args, where, problems)
    for key, value in args.items():
        if isinstance(value, dict):
            _check_block(value, f"{where}.{key}", problems)


def _is_registry(name: str) -> bool:
    """Whether ``@name`` names a function registry (never another attribute of the registry class,
    such as ``@__dict__`` or ``@resolve``)."""
    return not name.startswith("_") and isinstance(getattr(registry, name, None), catalogue.Registry)


def _registry_names() -> list[str]:
    return sorted(n for n in dir(registry) if _is_registry(n))


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
