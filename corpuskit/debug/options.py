"""The options of ``debug_corpus`` and ``check_files``: thresholds with CHECKS.md's defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Options"]


@dataclass(frozen=True, slots=True)
class Options:
    """Thresholds and switches of the checks.

    - ``min_docs`` / ``warn_docs``: ``few-docs`` is an error below the first, a warning below
      the second (training docs).
    - ``min_sents_per_doc``: ``sents-per-doc`` warns below this average.
    - ``low_count_label`` / ``low_count_dep_label``: ``low-count-label`` (entity labels) and
      ``low-count-dep-label`` warn at this many examples or fewer.
    - ``max_sentence_tokens``: ``long-sentence`` warns above this many tokens.
    - ``max_examples``: examples kept per check (None: all, as ``corpuskit check`` wants).
    - ``lang``: the reference tokenizer's language for ``misaligned-tokens`` (None: skip it).
    - ``exclusive_cats``: whether text categories are mutually exclusive (None: infer it: they
      are when at least ``exclusive_share`` of the docs with categories have one positive).
    - ``ignore``: check ids not to run.
    - ``converter``, ``encoding``: how text inputs are read (``"auto"`` detects each file).
    - ``batch_tokens``: docs are analysed in batches of about this many tokens.
    """

    min_docs: int = 100
    warn_docs: int = 2000
    min_sents_per_doc: float = 1.1
    low_count_label: int = 50
    low_count_dep_label: int = 20
    max_sentence_tokens: int = 300
    max_examples: int | None = 10
    lang: str | None = None
    exclusive_cats: bool | None = None
    exclusive_share: float = 0.9
    ignore: frozenset[str] = field(default_factory=frozenset)
    converter: str = "auto"
    encoding: str = "utf-8"
    batch_tokens: int = 20_000
