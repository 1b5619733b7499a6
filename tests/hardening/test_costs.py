"""Costs that grew with hostile input: one huge token's hash, the number of worker processes."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import corpuskit.parts
from corpuskit.corpus import convert_corpus
from corpuskit.docbin import read_docbin
from corpuskit.parts import default_jobs
from corpuskit.strings import hash_string, hash_strings, murmurhash64a

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample" / "en_ewt-train.sample.conllu"


def test_long_strings_hash_as_the_reference_does() -> None:
    """The per-string tail of the vectorised hash (strings longer than the others) is exact."""
    rng = random.Random(7)
    alphabet = "abcdé€😀 \t"
    lengths = [0, 1, 7, 8, 9, 15, 16, 17, 64, 200, 1000, 4096, 10_000]
    strings = ["".join(rng.choice(alphabet) for _ in range(rng.choice(lengths))) for _ in range(400)]
    strings += ["x" * 100_000, "y" * 100_003, "NOUN", ""]
    assert hash_strings(strings).tolist() == [hash_string(s) for s in strings]
    few = ["z" * 50_000, "short"]
    assert hash_strings(few).tolist() == [murmurhash64a(s.encode()) for s in few]


@pytest.mark.slow
def test_a_50_mb_token_hashes() -> None:
    """The issue: one 50 MB token took 83 s; its cost is now linear (block by block, a few seconds).
    No time is asserted: a hang-length regression shows as a slow test."""
    token = "ab" * (25 << 20)
    (h,) = hash_strings([token]).tolist()
    assert h == hash_string(token)


def test_jobs_are_capped_at_the_cpu_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`-j 64` on a 2-core machine started 65 processes; the pool never exceeds the CPUs."""
    asked: list[int] = []
    real = corpuskit.parts.process_pool

    def spy(jobs: int) -> Any:
        asked.append(jobs)
        return real(jobs)

    monkeypatch.setattr(corpuskit.parts, "process_pool", spy)
    out = tmp_path / "out"
    convert_corpus(SAMPLE, out, jobs=64, shard_size=2000)
    if default_jobs() >= 2:
        assert asked and max(asked) <= default_jobs()
    else:
        assert asked == []  # one CPU: no pool at all
    assert sum(len(d.words) for d in read_docbin(out)) > 2000
