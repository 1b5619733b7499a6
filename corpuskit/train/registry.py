"""corpuskit's function registry: thinc's (layers, optimizers, schedules ...) plus its own tables.

``registry.architectures`` holds the model architectures a config names with ``@architectures``
(``"corpuskit.Tok2Vec.v1"``, ``"corpuskit.Tagger.v1"`` ...); ``registry.factories`` holds the
component factories a ``[components.NAME]`` section names with ``factory = "tagger"``. Both are
open to plug-ins: register your own with the decorator, or through the entry-point groups
``corpuskit_architectures`` / ``corpuskit_factories``::

    from corpuskit.train import registry

    @registry.architectures("my.Tagger.v1")
    def my_tagger(nO: int | None = None) -> Model: ...
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import catalogue
import thinc.api

from ..errors import ConfigError

__all__ = ["BUILTIN_FACTORIES", "import_factory", "registry"]

_F = TypeVar("_F", bound=Callable[..., Any])


class _Table(Protocol):
    """The typed face of a catalogue registry table (catalogue itself is untyped)."""

    def __call__(self, name: str) -> Callable[[_F], _F]: ...

    def register(self, name: str, *, func: Any = None) -> Any: ...

    def get(self, name: str) -> Any: ...

    def get_all(self) -> dict[str, Any]: ...


class registry(thinc.api.registry):
    """thinc's registry extended with corpuskit's architectures and component factories."""

    architectures: _Table = catalogue.create("corpuskit", "architectures", entry_points=True)
    factories: _Table = catalogue.create("corpuskit", "factories", entry_points=True)


#: Built-in factory -> "module:Class"; the module is imported on first use (it registers it).
BUILTIN_FACTORIES = {
    "tok2vec": "corpuskit.train.tok2vec:",
    "tagger": "corpuskit.train.tagger:Tagger",
    "parser": "corpuskit.train.parser:DependencyParser",
    "ner": "corpuskit.train.ner:EntityRecognizer",
}


def import_factory(factory: str) -> None:
    """Import the module of a built-in factory, so its registrations have run."""
    target = BUILTIN_FACTORIES.get(factory)
    if target is not None:
        try:
            importlib.import_module(target.split(":")[0])
        except ImportError as e:
            raise ConfigError(f"component factory {factory!r} is not available: {e}") from None
