"""debug-data over parts: each file's pass on its own (a Ray task), the results merged exactly.

``debug_corpus`` reads its files one after another, and nothing in one file's pass depends on
the files before it: each file has its own validator run, its own batches and its own doc
indices. What a pass leaves behind is a :class:`~corpuskit.debug.findings.Collector` (hits:
counts, and the first ``max_examples`` examples of each check) and a
:class:`~corpuskit.debug.stats.SplitStats` (counters, the first place of each label, one text
fingerprint per doc). :func:`merge_collector` and :func:`merge_split_stats` add one file's
results to those of the files before it: counts add, counters keep the order in which their
keys were first seen, "first" places and kept examples keep corpus order. Merged in file order,
they are exactly what one pass over all the files leaves, so the corpus checks (few-docs,
label balance, train/dev overlap, near duplicates, dev entities in train) run on the driver on
the merged facts and the report has the same bytes. The near-duplicate and dev-entity checks
read the files again on the driver, as a local run does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..distributed import RayAddress, map_tasks
from . import _active_checks, _finish, _list_files, _scan_file, _size
from .findings import Collector, Report
from .options import Options
from .stats import LABEL_KINDS, SplitStats

__all__ = ["debug_corpus_ray", "merge_collector", "merge_split_stats"]


def merge_collector(into: Collector, other: Collector) -> None:
    """Add ``other``'s hits (those of a later part of the corpus) to ``into``."""
    limit = into.max_examples
    for check_id, tally in other._tallies.items():
        mine = into._tallies.get(check_id)
        if mine is None:
            mine = into._tallies[check_id] = type(tally)()
        mine.count += tally.count
        for split, n in tally.by_split.items():
            mine.by_split[split] = mine.by_split.get(split, 0) + n
        room = len(tally.examples) if limit is None else max(0, limit - len(mine.examples))
        mine.examples.extend(tally.examples[:room])


def merge_split_stats(into: SplitStats, other: SplitStats) -> None:
    """Add ``other``'s statistics (those of a later part of the same split) to ``into``."""
    import numpy as np

    for path in other.files:
        into.add_file(path)
    for name in (
        "n_docs",
        "n_tokens",
        "n_sents",
        "n_empty",
        "n_unknown_spaces",
        "n_parsed_docs",
        "n_parsed_sents",
        "n_nonproj_sents",
        "n_ner_docs",
        "n_ents",
        "n_missing_ner",
    ):
        setattr(into, name, getattr(into, name) + getattr(other, name))
    for kind in LABEL_KINDS:  # "cat" is cats.positives: updated here once
        into.labels[kind].update(other.labels[kind])
        first = into.first[kind]
        for label, example in other.first[kind].items():
            first.setdefault(label, example)
    into.ent_label_docs.update(other.ent_label_docs)
    into.root_labels.update(other.root_labels)
    cats, more = into.cats, other.cats
    cats.docs += more.docs
    cats.labels.update(more.labels)
    cats.n_positive.update(more.n_positive)
    room = len(more.not_one) if into.max_examples is None else into.max_examples - len(cats.not_one)
    cats.not_one.extend(more.not_one[: max(0, room)])
    # the fingerprints' locations name a place by its index in the split's list of places
    remap = []
    for place in other._places:
        fid = into._place_index.get(place)
        if fid is None:
            fid = into._place_index[place] = len(into._places)
            into._places.append(place)
        remap.append(fid)
    table = np.array(remap, dtype=np.int32)
    for hashes, locs in zip(other._hashes, other._locs, strict=True):
        locs = locs.copy()
        locs[:, 0] = table[locs[:, 0]]
        into._hashes.append(hashes)
        into._locs.append(locs)
    into._cache = None


def _scan_part(job: tuple[str, str, str], setup: tuple[Options, bool]) -> tuple[Collector, SplitStats]:
    """In a task: one file's pass, with a collector and statistics of its own."""
    split, file, conv = job
    opts, corpus_checks = setup
    collector = Collector(max_examples=opts.max_examples)
    stats = SplitStats(split or "files", max_examples=opts.max_examples)
    active = _active_checks(opts, corpus_checks)
    _scan_file(split, Path(file), conv, opts, active, collector, stats, corpus_checks, None)
    return collector, stats


def debug_corpus_ray(
    train: str | Path,
    dev: str | Path | None = None,
    *,
    options: Options | None = None,
    ray: RayAddress = True,
    workers: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Report:
    """:func:`corpuskit.debug.debug_corpus` with each file's pass a Ray task (``ray``: see
    :func:`corpuskit.distributed.map_tasks`); the same Report. Every node must see the files
    at the same paths; the corpus checks and the report run here."""
    opts = options or Options()
    inputs: list[tuple[str, str | Path]] = [("train", train), *([("dev", dev)] if dev is not None else [])]
    active = _active_checks(opts, True)
    collector = Collector(max_examples=opts.max_examples)
    files, skipped = _list_files(inputs, opts, collector)
    total = sum(_size(f) for _, f, _ in files)
    splits: dict[str, SplitStats] = {}
    done = [0]

    def merge(k: int, result: tuple[Collector, SplitStats]) -> None:
        part_collector, part_stats = result
        merge_collector(collector, part_collector)
        split = files[k][0]
        if split not in splits:
            splits[split] = SplitStats(split or "files", max_examples=opts.max_examples)
        merge_split_stats(splits[split], part_stats)
        if on_progress is not None:
            done[0] += _size(files[k][1])
            on_progress(done[0], total)

    jobs = [(split, str(file), conv) for split, file, conv in files]
    map_tasks(_scan_part, jobs, shared=(opts, True), ray=ray, workers=workers, on_result=merge)
    return _finish(len(inputs) > 1, opts, active, collector, splits, skipped, True)
