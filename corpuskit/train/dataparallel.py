"""Data-parallel training on Ray: ``corpuskit train ... --ray --workers N``.

Every worker is a Ray actor holding a replica of the pipeline, built from the same config and
initialised from the same seed (then made identical: worker 0's weights are copied to all).
The driver shuffles and batches exactly as :func:`corpuskit.train.loop.train_while_improving`
does, and gives each worker its share of every batch (``batch[k::N]``, by example index: the
corpus reached every worker once, through the object store). Each worker returns its
gradients as one flat vector; the driver sums them (the all-reduce) and sends the sum with the
next step, and every worker applies the same sum with its own optimizer, so the replicas stay
identical without sending weights. Worker 0 evaluates; the driver writes its weights
(averaged, as the local trainer saves them) to ``model-best`` / ``model-last``.

The sum of the shards' gradients is the gradient ``--training.accumulate_gradient N`` gives in
one process: N workers train like one process accumulating over N sub-batches.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from thinc.api import fix_random_seed

from ..distributed import RayAddress, WorkerDied, ray_session
from ..doc import Doc
from ..errors import CorpusError, UsageError
from .config import TrainingSettings, resolve_training
from .example import Example
from .loop import EvalInfo, batch_by_words, eval_info, make_examples, orth_variant
from .pipeline import Pipeline

__all__ = ["flat_grads", "flat_params", "train_data_parallel"]


def _param_slots(nlp: Pipeline) -> list[tuple[Any, str]]:
    """Every (model node, parameter name) of the pipeline, in one fixed order."""
    slots = []
    for model in [nlp.tok2vec, *(c.model for c in nlp.components)]:
        for node in model.walk():
            for name in node.param_names:
                if node.has_param(name):
                    slots.append((node, name))
    return slots


def flat_params(nlp: Pipeline) -> np.ndarray:
    """All weights of the pipeline as one float32 vector (the order of :func:`_param_slots`)."""
    return np.concatenate([np.asarray(n.get_param(p), dtype="f").ravel() for n, p in _param_slots(nlp)])


def set_flat_params(nlp: Pipeline, flat: np.ndarray) -> None:
    start = 0
    for node, name in _param_slots(nlp):
        old = node.get_param(name)
        size = int(old.size)
        value = flat[start : start + size].reshape(old.shape).copy()  # the object store's are read-only
        node.set_param(name, node.ops.asarray(value, dtype="f"))
        start += size


def flat_grads(nlp: Pipeline) -> tuple[np.ndarray, np.ndarray]:
    """The accumulated gradients as one vector (zeros where a parameter has none), and a mask of
    the parameters that have one; the gradients are then zeroed."""
    parts, mask = [], []
    for node, name in _param_slots(nlp):
        size = int(node.get_param(name).size)
        if node.has_grad(name):
            grad = node.get_grad(name)
            parts.append(np.asarray(grad, dtype="f").ravel().copy())
            grad *= 0
            mask.append(True)
        else:
            parts.append(np.zeros(size, dtype="f"))
            mask.append(False)
    return np.concatenate(parts), np.asarray(mask, dtype=bool)


def _set_flat_grads(nlp: Pipeline, flat: np.ndarray, mask: np.ndarray) -> None:
    start = 0
    for (node, name), has in zip(_param_slots(nlp), mask.tolist(), strict=True):
        shape = node.get_param(name).shape
        size = int(np.prod(shape))
        if has:
            node.set_grad(name, node.ops.asarray(flat[start : start + size].reshape(shape).copy(), dtype="f"))
        start += size


class _Replica:
    """One worker: a replica of the pipeline, its optimizer, and the training examples."""

    def __init__(
        self, config_text: str, train_docs: list[Doc], dev_docs: list[Doc] | None, seed: int
    ) -> None:
        from confection import Config

        config = Config().from_str(config_text, interpolate=False)
        self.nlp = Pipeline.from_config(config)
        self.settings = resolve_training(config.interpolate())
        s = self.settings
        fix_random_seed(seed)
        self.train = make_examples(
            train_docs, self.nlp, gold_preproc=s.gold_preproc, max_length=s.max_length, limit=s.limit
        )
        self.dev = make_examples(dev_docs, self.nlp, gold_preproc=s.gold_preproc) if dev_docs else []
        self.sgd: Any = self.nlp.initialize(lambda: self.train, sgd=s.optimizer)

    def ready(self) -> int:
        return len(self.train)

    def params(self, averaged: bool = False) -> np.ndarray:
        with self.nlp.use_params(getattr(self.sgd, "averages", None) if averaged else None):
            return flat_params(self.nlp)

    def set_params(self, flat: np.ndarray) -> None:
        set_flat_params(self.nlp, flat)

    def apply(self, summed: tuple[np.ndarray, np.ndarray] | None) -> None:
        """Apply the all-reduced gradients of the previous step (the same on every worker)."""
        if summed is None:
            return
        _set_flat_grads(self.nlp, summed[0], summed[1])
        self.nlp.finish_update(self.sgd)
        if hasattr(self.sgd, "step_schedules"):
            self.sgd.step_schedules()

    def step(
        self, summed: tuple[np.ndarray, np.ndarray] | None, share: list[int] | list[Example]
    ) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        """Apply the previous step's sum, then this worker's gradients on its share of the batch."""
        self.apply(summed)
        s = self.settings
        examples = [self.train[i] if isinstance(i, int) else i for i in share]
        losses: dict[str, float] = {}
        n_sub = max(1, s.accumulate_gradient)
        for k in range(n_sub):
            sub = examples[k::n_sub]
            if sub:
                self.nlp.update(sub, drop=s.dropout, sgd=None, losses=losses)
        grads, mask = flat_grads(self.nlp)
        return grads, mask, losses

    def evaluate(self) -> dict[str, Any]:
        with self.nlp.use_params(getattr(self.sgd, "averages", None)):
            return self.nlp.evaluate(self.dev)


class _Run:
    """The driver's side: the actors, and the calls that name the worker that died."""

    def __init__(self, rt: Any, actors: list[Any], output_dir: Path | None) -> None:
        self.rt = rt
        self.actors = actors
        self.out = output_dir
        self.step = 0
        self.best_step: int | None = None

    def get(self, refs: list[Any]) -> list[Any]:
        from ray.exceptions import RayActorError, RayError, RayTaskError

        out = []
        for k, ref in enumerate(refs):
            try:
                out.append(self.rt.get(ref))
            except RayActorError as e:
                raise WorkerDied(self._died(k, e)) from None
            except RayTaskError as e:
                if isinstance(e.cause, CorpusError):
                    raise e.cause from None
                raise CorpusError(f"training worker {k} failed at step {self.step}: {e}") from None
            except RayError as e:  # its node or its objects lost
                raise WorkerDied(self._died(k, e)) from None
        return out

    def _died(self, k: int, e: BaseException) -> str:
        what = type(e).__name__
        where = f"training worker {k} of {len(self.actors)} died at step {self.step} ({what})"
        where += "; training stopped"
        if self.out is not None and self.best_step is not None:
            return f"{where}. The last saved model is {self.out / 'model-best'} (step {self.best_step})"
        return f"{where} before any model was saved"


def train_data_parallel(
    nlp: Pipeline,
    train_docs: list[Doc],
    dev_docs: list[Doc],
    settings: TrainingSettings,
    *,
    workers: int,
    ray: RayAddress = True,
    output_dir: str | Path | None = None,
    run_info: dict[str, Any] | None = None,
) -> Iterator[EvalInfo]:
    """Train ``nlp`` (not yet initialised) on ``workers`` Ray actors; yield an :class:`EvalInfo`
    per evaluation, like :func:`corpuskit.train.loop.train_pipeline`, and save the same model
    directories under ``output_dir``. ``run_info``, when given, gets ``"actors"`` (the Ray actor
    handles, worker 0 first) once they are up.

    A worker that dies raises :class:`~corpuskit.distributed.WorkerDied` naming it and the last
    saved model; ``model-best`` stays as it was.
    """
    if workers < 1:
        raise UsageError(f"--workers must be 1 or more, got {workers}")
    s = settings
    fix_random_seed(s.seed)
    train_examples = make_examples(
        train_docs, nlp, gold_preproc=s.gold_preproc, max_length=s.max_length, limit=s.limit
    )
    dev_examples = make_examples(dev_docs, nlp, gold_preproc=s.gold_preproc)
    if not train_examples:
        raise UsageError("no training examples: the training corpus is empty")
    if not dev_examples:
        raise UsageError("no evaluation examples: the development corpus is empty")
    nlp.initialize(lambda: train_examples, sgd=s.optimizer)  # the driver's copy: labels, shapes
    out = Path(output_dir) if output_dir is not None else None
    config_text = nlp.config.to_str()
    with ray_session(ray) as rt:
        actor_cls = rt.remote(num_cpus=1, max_restarts=0)(_Replica)
        train_ref, dev_ref = rt.put(train_docs), rt.put(dev_docs)
        actors = [
            actor_cls.remote(config_text, train_ref, dev_ref if k == 0 else None, s.seed)
            for k in range(workers)
        ]
        run = _Run(rt, actors, out)
        if run_info is not None:
            run_info["actors"] = actors
        counts = run.get([a.ready.remote() for a in actors])
        if any(c != len(train_examples) for c in counts):
            raise UsageError(f"the workers made {counts} training examples, the driver {len(train_examples)}")
        weights = run.get([actors[0].params.remote()])[0]
        set_flat_params(nlp, weights)
        weights_ref = rt.put(weights)
        run.get([a.set_params.remote(weights_ref) for a in actors[1:]])
        yield from _steps(run, nlp, train_examples, s)


def _steps(
    run: _Run, nlp: Pipeline, train_examples: list[Example], s: TrainingSettings
) -> Iterator[EvalInfo]:
    rt, actors, out = run.rt, run.actors, run.out
    rng = random.Random(s.seed)
    index = {id(eg): i for i, eg in enumerate(train_examples)}
    order = list(train_examples)
    epoch = 0
    best_score, best_step = -1.0, 0
    losses: dict[str, float] = {}
    words = 0
    summed: Any = None
    start = time.perf_counter()

    def evaluate(at_epoch: int) -> EvalInfo:
        nonlocal summed, best_score, best_step
        run.get([a.apply.remote(summed) for a in actors])
        summed = None
        scores = run.get([actors[0].evaluate.remote()])[0]
        info = eval_info(scores, s, at_epoch, run.step, losses, words, start, best_score, best_step)
        nlp.meta["performance"] = dict(scores)
        if info.is_best:
            best_score, best_step = info.score, run.step
            if out is not None:
                _save(run, nlp, out / "model-best")
                run.best_step = run.step
                info.checkpoints.append(str(out / "model-best"))
        return info

    while True:
        rng.shuffle(order)
        for batch in batch_by_words(order, s.batch_size, discard_oversize=s.discard_oversize):
            shares: list[list[Any]]
            if s.orth_variant_level > 0:
                varied = [orth_variant(eg, rng, s.orth_variant_level) for eg in batch]
                shares = [varied[k :: len(actors)] for k in range(len(actors))]
            else:
                ids = [index[id(eg)] for eg in batch]
                shares = [ids[k :: len(actors)] for k in range(len(actors))]
            summed_ref = rt.put(summed) if summed is not None else None
            refs = [a.step.remote(summed_ref, share) for a, share in zip(actors, shares, strict=True)]
            results = run.get(refs)
            grads = results[0][0].copy()
            mask = results[0][1].copy()
            for g, m, _ in results[1:]:
                grads += g
                mask |= m
            for _, _, worker_losses in results:
                for name, value in worker_losses.items():
                    losses[name] = losses.get(name, 0.0) + value
            summed = (grads, mask)
            words += sum(len(eg.predicted) for eg in batch)
            run.step += 1
            last = bool(s.max_steps and run.step >= s.max_steps)
            if run.step % s.eval_frequency == 0 or last:
                info = evaluate(epoch)
                yield info
                losses = {}
                if last or (s.patience and run.step - info.best_step >= s.patience):
                    _save_last(run, nlp, out)
                    return
        epoch += 1
        if s.max_epochs and epoch >= s.max_epochs:
            if run.step % s.eval_frequency != 0:
                yield evaluate(epoch - 1)
            _save_last(run, nlp, out)
            return


def _save(run: _Run, nlp: Pipeline, path: Path) -> None:
    """Worker 0's averaged weights written by the driver (atomically, as ``nlp.to_disk`` does)."""
    weights = run.get([run.actors[0].params.remote(True)])[0]
    set_flat_params(nlp, weights)
    nlp.to_disk(path)


def _save_last(run: _Run, nlp: Pipeline, out: Path | None) -> None:
    if out is not None:
        _save(run, nlp, out / "model-last")
