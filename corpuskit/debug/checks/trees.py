"""The checks of docs/checks.md's section "Dependency trees"."""

from __future__ import annotations

from collections.abc import Iterator

from ...doc import Doc
from ..batch import Batch
from ..findings import Example, Finding, Hit
from ..options import Options
from ..registry import register
from ..stats import CorpusStats
from .common import _examples


def _w(doc: Doc, i: int) -> str:
    return f"{i} {doc.words[i]!r}" if 0 <= i < len(doc.words) else str(i)


@register(
    "dep-cycle",
    severity="error",
    section="parse",
    summary="heads that form a cycle (the tokens of the cycle are listed)",
    unit="cycle",
    what="in the heads (tokens that never reach a root)",
)
def dep_cycle(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, cycle in batch.parse.cycles:
        item = batch.items[k]
        path = " -> ".join(_w(item.doc, i) for i in [*cycle, cycle[0]])
        yield item.hit(cycle[0], message=f"cycle: {path}")


@register(
    "no-root",
    severity="error",
    section="parse",
    summary="a sentence with no root",
    unit="sentence",
    what="with no root",
)
def no_root(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, start, end in batch.parse.no_root:
        yield batch.items[k].hit(
            start, message=f"no token of the sentence (tokens {start}-{end - 1}) is a root"
        )


@register(
    "multiple-roots",
    severity="error",
    section="parse",
    summary="a sentence with more than one root",
    unit="sentence",
    what="with more than one root",
)
def multiple_roots(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, roots in batch.parse.multiple_roots:
        item = batch.items[k]
        names = ", ".join(_w(item.doc, r) for r in roots)
        yield item.hit(roots[1], message=f"{len(roots)} roots: {names}")


@register(
    "head-out-of-range",
    severity="error",
    section="parse",
    summary="a head outside its sentence",
    unit="token",
    what="whose head is outside its sentence",
)
def head_out_of_range(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, token, head, start, end in batch.parse.out_of_range:
        yield batch.items[k].hit(
            token, message=f"head {head} is outside the sentence (tokens {start}-{end - 1})"
        )


@register(
    "non-projective",
    severity="info",
    section="parse",
    summary="non-projective sentences (counted; projectivity is allowed)",
    unit="sentence",
    what="with crossing arcs (non-projective; allowed, but a projective parser cannot learn them)",
)
def non_projective(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, dep, head, n_arcs in batch.parse.nonproj:
        item = batch.items[k]
        yield item.hit(
            dep,
            message=f"{n_arcs} non-projective arc(s); e.g. {_w(item.doc, head)} -> {_w(item.doc, dep)}",
        )


@register(
    "punct-non-projective",
    severity="warning",
    section="parse",
    summary="punctuation attached non-projectively",
    unit="punctuation token",
    what="attached non-projectively (its arc crosses another, or one crosses over it)",
)
def punct_non_projective(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, p, head in batch.parse.punct_nonproj:
        item = batch.items[k]
        yield item.hit(p, message=f"{_w(item.doc, p)} attached to {_w(item.doc, head)} non-projectively")


@register(
    "multiple-root-labels",
    severity="warning",
    section="parse",
    summary="more than one label used for roots (root and ROOT)",
    scope="corpus",
)
def multiple_root_labels(stats: CorpusStats, opts: Options) -> Iterator[Finding]:
    labels: dict[str, int] = {}
    for split in stats.splits():
        for label, n in split.root_labels.items():
            labels[label] = labels.get(label, 0) + n
    if len(labels) > 1:
        shown = ", ".join(f"{k!r} ({v})" for k, v in sorted(labels.items(), key=lambda kv: -kv[1]))
        examples = []
        for label in sorted(labels, key=lambda x: labels[x])[:-1]:
            for split in stats.splits():
                ex = split.first["dep"].get(label)
                if ex is not None:
                    examples.append(ex.saying(f"root label {label!r}"))
                    break
        yield Finding(
            "multiple-root-labels",
            "warning",
            f"{len(labels)} labels are used for roots: {shown}; use one",
            len(labels),
            examples,
            section="parse",
        )


@register(
    "low-count-dep-label",
    severity="warning",
    section="parse",
    summary="a dependency label with 20 examples or fewer",
    scope="corpus",
    unit="dependency label",
    what="with few training examples",
)
def low_count_dep_label(stats: CorpusStats, opts: Options) -> Iterator[Hit]:
    train = stats.train
    for label, count in sorted(train.label_counts("dep").items()):
        if count <= opts.low_count_dep_label:
            ex = train.first["dep"].get(label) or Example(None)
            msg = f"dependency label {label!r} has {_examples(count)} (<= {opts.low_count_dep_label})"
            yield Hit(ex.saying(msg), "train")


@register(
    "partial-parse",
    severity="warning",
    section="parse",
    summary="sentences where some tokens have heads and others do not",
    unit="sentence",
    what="where some tokens have heads and others do not",
)
def partial_parse(batch: Batch, opts: Options) -> Iterator[Hit]:
    for k, start, end, n_missing in batch.parse.partial:
        item = batch.items[k]
        heads = item.doc.heads or []
        first = next((i for i in range(start, end) if heads[i] is None), start)
        yield item.hit(first, message=f"{n_missing} of {end - start} tokens have no head")


# =========================================================================================
