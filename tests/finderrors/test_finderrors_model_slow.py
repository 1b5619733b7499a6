"""The model method on a real slice with injected errors (slow: cross-validates real models)."""

from __future__ import annotations

from pathlib import Path

import pytest
from finderrors_helpers import EWT_EDITS

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
    n_tokens = sum(len(ld.doc) for ld in queue.docs)
    # Some 10,000 tokens, a weak 3-fold model: every injected error is in the first fifth of the
    # tokens, and both methods flag each of them.
    assert max(ranks.values()) < n_tokens / 5, ranks
    assert all(queue.suspects[r].method == "model+ngram" for r in ranks.values())
    tag = queue.suspects[ranks[7016]]
    assert tag.current == "NN" and tag.suggested == "JJ"
