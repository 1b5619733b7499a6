"""Every public name a module lists in ``__all__`` exists, and the lazy top-level names resolve."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import converters
import corpuskit


def _modules() -> list[str]:
    names = []
    for pkg in (corpuskit, converters):
        names.append(pkg.__name__)
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
            if info.name.endswith("__main__"):
                continue
            names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_all_is_honest(name: str) -> None:
    try:
        module = importlib.import_module(name)
    except ImportError as e:  # an optional extra (ray, cupy, playwright) that is not installed
        pytest.skip(f"{name}: {e}")
    for public in getattr(module, "__all__", []):
        assert hasattr(module, public), f"{name}.__all__ names {public!r}, which it does not define"


def test_lazy_top_level_names() -> None:
    from corpuskit.docbin import DocBin
    from corpuskit.train import Example, load

    assert corpuskit.DocBin is DocBin
    assert corpuskit.load is load
    assert corpuskit.Example is Example
    with pytest.raises(AttributeError):
        _ = corpuskit.NoSuchName  # type: ignore[attr-defined]
