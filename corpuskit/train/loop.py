"""The training loop: a generator that trains, evaluates every ``eval_frequency`` steps, and yields.

``train_while_improving(nlp, train_examples, dev_examples, settings)`` yields one
:class:`EvalInfo` per evaluation; :func:`train_pipeline` wraps it, saving ``model-best`` on every
improvement and ``model-last`` at the end, and logging each evaluation to ``training.jsonl`` and
``training.html`` there (:mod:`corpuskit.html.training`). Neither prints: the CLI renders the infos.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thinc.api import fix_random_seed

from ..doc import Doc, slice_doc
from ..errors import UsageError
from ..io import OutputRun
from .config import TrainingSettings
from .example import Example
from .pipeline import Pipeline

__all__ = [
    "EvalInfo",
    "batch_by_words",
    "make_examples",
    "orth_variant",
    "train_pipeline",
    "train_while_improving",
    "weighted_score",
]


@dataclass(slots=True)
class EvalInfo:
    """The state after one evaluation."""

    epoch: int
    step: int
    losses: dict[str, float]
    scores: dict[str, Any]
    score: float
    words: int
    seconds: float
    is_best: bool
    best_score: float
    best_step: int
    checkpoints: list[str] = field(default_factory=list)


def weighted_score(scores: dict[str, Any], weights: dict[str, float | None]) -> float:
    """Sum of ``weight * score`` over the weighted keys, weights normalised to sum to 1."""
    active = {k: w for k, w in weights.items() if w}
    total = sum(active.values())
    if total <= 0:
        return 0.0
    return sum(float(scores.get(k) or 0.0) * w for k, w in active.items()) / total


def _split_long(doc: Doc, max_length: int) -> list[Doc]:
    """The doc, or its sentences when it is longer than ``max_length`` (longer ones dropped)."""
    if max_length <= 0 or len(doc) <= max_length:
        return [doc]
    out = []
    for start, end in doc.sentence_bounds():
        if end - start <= max_length:
            out.append(slice_doc(doc, start, end, outside_heads="missing"))
    return out


def make_examples(
    docs: Iterable[Doc],
    nlp: Pipeline,
    *,
    gold_preproc: bool,
    max_length: int = 0,
    limit: int = 0,
) -> list[Example]:
    """Examples from gold docs: predicted tokens are the gold ones (``gold_preproc``) or the
    tokenizer's on the doc's text (falling back to the gold tokens where the texts differ)."""
    from ..alignment import AlignmentError

    out: list[Example] = []
    for doc in docs:
        for part in _split_long(doc, max_length):
            if not len(part):
                continue
            predicted = None
            if not gold_preproc and not part.has_unknown_spaces:
                predicted = nlp.make_doc(part.text)
                eg = Example(predicted, part)
                try:
                    eg.alignment  # noqa: B018 (computes and caches it)
                except AlignmentError:
                    predicted = None
                else:
                    out.append(eg)
            if predicted is None:
                out.append(Example(Doc(words=list(part.words), spaces=list(part.spaces or []) or None), part))
            if limit and len(out) >= limit:
                return out
    return out


_QUOTE_VARIANTS = {"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'", "``": '"', "''": '"'}


def orth_variant(eg: Example, rng: random.Random, level: float) -> Example:
    """With probability ``level``: the example with lower-cased words and plain quotes."""
    if level <= 0 or rng.random() >= level:
        return eg
    lower = rng.random() < 0.5

    def vary(words: Sequence[str]) -> list[str]:
        out = [_QUOTE_VARIANTS.get(w, w) for w in words]
        return [w.lower() for w in out] if lower else out

    ref = eg.reference
    new_ref = slice_doc(ref, 0, len(ref))  # a copy
    new_ref.words = vary(ref.words)
    pred = eg.predicted
    new_pred = Doc(words=vary(pred.words), spaces=list(pred.spaces) if pred.spaces is not None else None)
    # Quote replacement keeps the token count, so the alignment stays valid.
    if [len(w) for w in new_ref.words] != [len(w) for w in ref.words] or [len(w) for w in new_pred.words] != [
        len(w) for w in pred.words
    ]:
        return Example(new_pred, new_ref)
    return Example(new_pred, new_ref, alignment=eg._alignment)


def batch_by_words(
    examples: Sequence[Example], sizes: Iterator[Any] | int, *, discard_oversize: bool
) -> Iterator[list[Example]]:
    """Batches of about ``size`` words (``size`` drawn from the schedule for each batch)."""
    size = sizes if isinstance(sizes, int) else int(next(sizes))
    batch: list[Example] = []
    n_words = 0
    for eg in examples:
        n = len(eg.predicted)
        if n > size:
            if not discard_oversize:
                yield [eg]
                size = sizes if isinstance(sizes, int) else int(next(sizes))
            continue
        if n_words + n > size and batch:
            yield batch
            size = sizes if isinstance(sizes, int) else int(next(sizes))
            batch, n_words = [], 0
        batch.append(eg)
        n_words += n
    if batch:
        yield batch


def train_while_improving(
    nlp: Pipeline,
    train_examples: list[Example],
    dev_examples: list[Example],
    settings: TrainingSettings,
    *,
    optimizer: Any = None,
) -> Iterator[EvalInfo]:
    """Train ``nlp`` (already initialised) and yield an :class:`EvalInfo` after each evaluation.

    Stops after ``max_steps`` steps or ``max_epochs`` epochs (0 = no limit), or when the score
    has not improved for ``patience`` steps (0 = never); the last step is always evaluated.
    """
    if not train_examples:
        raise UsageError("no training examples: the training corpus is empty")
    if not dev_examples:
        raise UsageError("no evaluation examples: the development corpus is empty")
    rng = random.Random(settings.seed)
    sgd = optimizer if optimizer is not None else nlp._optimizer or nlp.create_optimizer()
    s = settings
    step = 0
    epoch = 0
    best_score = -1.0
    best_step = 0
    losses: dict[str, float] = {}
    words = 0
    start = time.perf_counter()
    order = list(train_examples)
    done = False
    while not done:
        rng.shuffle(order)
        for batch in batch_by_words(order, s.batch_size, discard_oversize=s.discard_oversize):
            if s.orth_variant_level > 0:
                batch = [orth_variant(eg, rng, s.orth_variant_level) for eg in batch]
            n_sub = max(1, s.accumulate_gradient)
            for k in range(n_sub):
                sub = batch[k::n_sub]
                if sub:
                    nlp.update(sub, drop=s.dropout, sgd=None, losses=losses)
            nlp.finish_update(sgd)
            if hasattr(sgd, "step_schedules"):
                sgd.step_schedules()
            words += sum(len(eg.predicted) for eg in batch)
            step += 1
            last = bool(s.max_steps and step >= s.max_steps)
            if step % s.eval_frequency == 0 or last:
                info = _evaluate(
                    nlp, dev_examples, s, epoch, step, losses, words, start, sgd, best_score, best_step
                )
                if info.is_best:
                    best_score, best_step = info.score, step
                yield info
                losses = {}
                if last or (s.patience and step - best_step >= s.patience):
                    done = True
                    break
        else:
            epoch += 1
            if s.max_epochs and epoch >= s.max_epochs:
                if step % s.eval_frequency != 0:
                    info = _evaluate(
                        nlp,
                        dev_examples,
                        s,
                        epoch - 1,
                        step,
                        losses,
                        words,
                        start,
                        sgd,
                        best_score,
                        best_step,
                    )
                    yield info
                done = True


def _evaluate(
    nlp: Pipeline,
    dev: list[Example],
    s: TrainingSettings,
    epoch: int,
    step: int,
    losses: dict[str, float],
    words: int,
    start: float,
    sgd: Any,
    best_score: float,
    best_step: int,
) -> EvalInfo:
    with nlp.use_params(getattr(sgd, "averages", None)):
        scores = nlp.evaluate(dev)
    return eval_info(scores, s, epoch, step, losses, words, start, best_score, best_step)


def eval_info(
    scores: dict[str, Any],
    s: TrainingSettings,
    epoch: int,
    step: int,
    losses: dict[str, float],
    words: int,
    start: float,
    best_score: float,
    best_step: int,
) -> EvalInfo:
    """One evaluation's row: its scores weighted into one, and whether it is the best so far."""
    score = weighted_score(scores, s.score_weights)
    is_best = score > best_score
    return EvalInfo(
        epoch=epoch,
        step=step,
        losses=dict(losses),
        scores=scores,
        score=score,
        words=words,
        seconds=time.perf_counter() - start,
        is_best=is_best,
        best_score=max(score, best_score),
        best_step=step if is_best else best_step,
    )


def train_pipeline(
    nlp: Pipeline,
    train_docs: Iterable[Doc],
    dev_docs: Iterable[Doc],
    settings: TrainingSettings,
    *,
    output_dir: str | Path | None = None,
    on_examples: Callable[[list[Example], list[Example]], None] | None = None,
) -> Iterator[EvalInfo]:
    """Make examples, initialise, train; save ``model-best``/``model-last`` under ``output_dir``.

    Seeds every random generator with ``settings.seed`` first: the same seed and data give the
    same model and scores on CPU.
    """
    fix_random_seed(settings.seed)
    train_examples = make_examples(
        train_docs,
        nlp,
        gold_preproc=settings.gold_preproc,
        max_length=settings.max_length,
        limit=settings.limit,
    )
    dev_examples = make_examples(dev_docs, nlp, gold_preproc=settings.gold_preproc)
    if on_examples is not None:
        on_examples(train_examples, dev_examples)
    with contextlib.ExitStack() as stack:
        # the output folder is taken (and checked) before training, not at the first save
        run = stack.enter_context(OutputRun(output_dir)) if output_dir is not None else None
        optimizer = nlp.initialize(lambda: train_examples, sgd=settings.optimizer)
        log = None
        if run is not None:  # training.jsonl and training.html, rewritten at each evaluation
            from ..html.training import TrainingLog

            log = TrainingLog(run.out)
        for info in train_while_improving(nlp, train_examples, dev_examples, settings, optimizer=optimizer):
            if log is not None:
                log.add(info)
            if run is not None:
                nlp.meta["performance"] = {k: v for k, v in info.scores.items()}
                if info.is_best:
                    _save(nlp, optimizer, run, "model-best")
                    info.checkpoints.append(str(run.out / "model-best"))
            yield info
        if run is not None:
            _save(nlp, optimizer, run, "model-last")
        if log is not None:
            log.close()


def _save(nlp: Pipeline, optimizer: Any, run: OutputRun, name: str) -> None:
    """Save the weights scored (the optimizer's averages) as ``name``: written complete in the
    run's staging folder, then swapped in, so that ``name`` is always a whole model, old or new."""
    with nlp.use_params(getattr(optimizer, "averages", None)):
        nlp.to_disk(run.staged(name))
    run.place(name)
