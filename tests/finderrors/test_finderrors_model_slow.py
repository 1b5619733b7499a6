"""The model method on a real slice with injected errors (slow: cross-validates real models)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EWT_EDITS

from corpuskit.finderrors.model import FoldSettings
from corpuskit.finderrors.queue import find_errors


@pytest.mark.slow
def test_cross_validated_queue_ranks_injected_errors_high(ewt_injected: Path, tmp_path: Path):
    queue = find_errors([ewt_injected], settings=FoldSettings(folds=3, epochs=6), cache_dir=tmp_path)
    ranks = {}
    for rank, s in enumerate(queue.suspects):
        if s.line in EWT_EDITS and s.layer == EWT_EDITS[s.line][3]:
            ranks.setdefault(s.line, rank)
    assert set(ranks) == set(EWT_EDITS)
    # Among some 10,000 tokens, every injected error is in the first 300 of the queue.
    assert max(ranks.values()) < 300, ranks
    top = queue.suspects[ranks[7016]]
    assert top.method == "model+ngram" and top.current == "NN" and top.suggested == "JJ"
