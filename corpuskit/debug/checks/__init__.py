"""The checks of docs/checks.md: registered functions that yield hits or findings, never print.

A module per section of docs/checks.md, imported in its order (the order the checks are
registered in, and reported in). A ``batch`` check takes a
:class:`~corpuskit.debug.batch.Batch` and the options and yields :class:`Hit`s (one per
occurrence); a ``corpus`` check takes the :class:`~corpuskit.debug.stats.CorpusStats` and yields
hits or whole :class:`Finding`s. The runner (:func:`corpuskit.debug.debug_corpus`) counts the
hits, keeps a few examples of each and builds the messages from each check's ``unit`` and
``what``. Checks read what a converter stated (a text, raw features, unplaced spans) through
:mod:`corpuskit.debug.facts`, never a converter's own layout.
"""

from __future__ import annotations

# isort: off
# registered in docs/checks.md's order, which is the order they are reported in
from . import corpus  # noqa: F401
from . import tokens  # noqa: F401
from . import entities  # noqa: F401
from . import trees  # noqa: F401
from . import tags  # noqa: F401
from . import textcat  # noqa: F401

# isort: on
from .common import UPOS
from .tags import feats_problem

__all__ = ["UPOS", "feats_problem"]
