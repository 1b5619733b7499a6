"""corpuskit: convert, check and train on annotated NLP corpora (spaCy's .spacy format)."""

from __future__ import annotations

from .doc import Doc, Span
from .errors import CorpusError, FormatError

__version__ = "0.1.0"

__all__ = ["CorpusError", "Doc", "DocBin", "FormatError", "Span", "__version__"]


def __getattr__(name: str) -> object:
    # Heavier parts load on first use, so `corpuskit check` starts fast.
    if name == "DocBin":
        from .docbin import DocBin

        return DocBin
    if name in ("load", "Example"):
        from . import train

        return getattr(train, name)
    raise AttributeError(f"module 'corpuskit' has no attribute {name!r}")
