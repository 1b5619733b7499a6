"""``corpuskit find-errors``: wrong and inconsistent labels, ranked for review."""

from __future__ import annotations

from .suspect import LAYERS, Suspect

__all__ = ["LAYERS", "Suspect"]
