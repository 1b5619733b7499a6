"""corpuskit: convert, check and train on annotated NLP corpora (spaCy's .spacy format)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .doc import Doc, Span
from .errors import CorpusError, FormatError

if TYPE_CHECKING:  # typed for users and mypy; loaded lazily at run time (below)
    from .docbin import DocBin
    from .train import Example, load

__version__ = "0.1.0"

__all__ = ["CorpusError", "Doc", "DocBin", "Example", "FormatError", "Span", "__version__", "load"]


def __getattr__(name: str) -> Any:
    # Heavier parts load on first use, so `corpuskit check` starts fast.
    if name == "DocBin":
        from .docbin import DocBin

        return DocBin
    if name in ("load", "Example"):
        from . import train

        return getattr(train, name)
    raise AttributeError(f"module 'corpuskit' has no attribute {name!r}")
