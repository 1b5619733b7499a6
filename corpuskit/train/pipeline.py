"""The pipeline (``nlp``): a shared tok2vec and its components, built from a config.

``Pipeline.from_config(config)`` builds it; ``nlp(text)``, ``nlp.pipe(docs)`` annotate;
``nlp.initialize(get_examples)`` sets the labels and weights and returns the optimizer;
``nlp.update(examples, drop=, sgd=, losses=)`` trains one batch (tok2vec run once, the components'
gradients summed, one backward pass); ``nlp.evaluate(examples)`` scores; ``nlp.to_disk(path)``
saves atomically; ``corpuskit.load(path)`` loads.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import srsly
from confection import Config
from thinc.api import Model, NumpyOps, Optimizer, get_current_ops, set_current_ops

from .. import __version__
from ..doc import Doc
from ..errors import ConfigError, UsageError
from ..io import AtomicOutput, recover_aside
from ..limits import MAX_CONFIG_BYTES, MAX_WEIGHTS_BYTES, read_bounded
from .component import Component, TrainingError, set_dropout_rate
from .config import interpolate_config, resolve_block, resolve_training
from .example import Example
from .registry import import_factory, registry
from .scorer import score_tokenization
from .validate import validate_config

__all__ = ["Pipeline", "load"]


def _tokenizer(lang: str) -> Callable[[str], Doc]:
    """corpuskit's rule-based tokenizer for ``lang`` (the language-neutral rules if it has none)."""
    from ..tokenizer import Tokenizer

    try:
        return Tokenizer(lang)
    except UsageError:
        return Tokenizer("xx")


def _bare_copy(doc: Doc) -> Doc:
    """The doc's tokens without any annotation (what a model sees)."""
    return Doc(
        words=list(doc.words),
        spaces=list(doc.spaces) if doc.spaces is not None else None,
        has_unknown_spaces=doc.has_unknown_spaces,
    )


class Pipeline:
    """A trained or trainable pipeline: ``tok2vec`` then the components, in config order."""

    def __init__(
        self,
        config: Config,
        *,
        tok2vec: Model[Any, Any],
        components: list[Component],
        lang: str,
        batch_size: int = 1000,
    ) -> None:
        self.config = config
        self.tok2vec = tok2vec
        self.components = components
        self.lang = lang
        self.batch_size = batch_size
        self.meta: dict[str, Any] = {"lang": lang, "corpuskit_version": __version__}
        self._make_doc: Callable[[str], Doc] | None = None
        self._optimizer: Optimizer | None = None

    # -- building -------------------------------------------------------------------------------

    @classmethod
    def from_config(cls, config: Config | Mapping[str, Any]) -> Pipeline:
        """Validate ``config`` and build the (uninitialised) pipeline it describes."""
        raw = config if isinstance(config, Config) else Config(dict(config))
        cfg = interpolate_config(raw)
        validate_config(cfg)
        previous = get_current_ops()
        if type(previous) is NumpyOps:
            # numpy's BLAS (OpenBLAS) multiplies matrices 2-3x faster than thinc's bundled blis
            # here, single-threaded too: every model of the pipeline is built on it.
            set_current_ops(NumpyOps(use_blis=False))
        try:
            return cls._build(raw, cfg)
        finally:
            set_current_ops(previous)

    @classmethod
    def _build(cls, raw: Config, cfg: Config) -> Pipeline:
        names = list(cfg["nlp"]["pipeline"])
        tok2vec = resolve_block(cfg["components"][names[0]]["model"], f"components.{names[0]}.model")
        components: list[Component] = []
        for name in names[1:]:
            section = dict(cfg["components"][name])
            factory_name = section.pop("factory")
            import_factory(factory_name)
            factory = registry.factories.get(factory_name)
            section["model"] = resolve_block(section["model"], f"components.{name}.model")
            try:
                comp = factory(name=name, **section)
            except ConfigError:
                raise
            except (TypeError, ValueError) as e:
                raise ConfigError(f"config: [components.{name}]: {e}") from None
            if not isinstance(comp, Component):
                raise ConfigError(
                    f"config: [components.{name}] factory {factory_name!r} did not build a Component"
                )
            components.append(comp)
        return cls(
            raw,
            tok2vec=tok2vec,
            components=components,
            lang=cfg["nlp"]["lang"],
            batch_size=cfg["nlp"]["batch_size"],
        )

    @property
    def pipe_names(self) -> list[str]:
        return [c.name for c in self.components]

    def get_pipe(self, name: str) -> Component:
        for comp in self.components:
            if comp.name == name:
                return comp
        raise UsageError(f"no component {name!r} in the pipeline; it has {self.pipe_names}")

    def has_pipe(self, name: str) -> bool:
        return name in self.pipe_names

    @property
    def width(self) -> int:
        return int(self.tok2vec.get_dim("nO"))

    # -- prediction -----------------------------------------------------------------------------

    def make_doc(self, text: str) -> Doc:
        """Tokenize ``text`` into an unannotated Doc."""
        if self._make_doc is None:
            self._make_doc = _tokenizer(self.lang)
        return self._make_doc(text)

    def __call__(self, text: str | Doc) -> Doc:
        doc = self.make_doc(text) if isinstance(text, str) else text
        self._annotate([doc])
        return doc

    def pipe(
        self,
        texts: Iterable[Any],
        *,
        batch_size: int | None = None,
        n_process: int = 1,
        as_tuples: bool = False,
        disable: Iterable[str] = (),
    ) -> Iterator[Any]:
        """Annotate texts or Docs in batches of ``batch_size`` docs; yield them in order (spaCy's
        ``nlp.pipe``).

        Docs given are annotated in place (in one process). ``as_tuples``: the items are
        ``(text, context)`` pairs and ``(doc, context)`` pairs come out. ``disable``: names of
        components not to run. ``n_process`` > 1 annotates batches in that many worker processes
        (-1: one per CPU), with the same results; the docs then come back as new objects.
        """
        skip = set(disable)
        unknown = sorted(skip - set(self.pipe_names))
        if unknown:
            raise UsageError(
                f"nlp.pipe: disable names no component {unknown}; the pipeline has {self.pipe_names}"
            )
        size = batch_size or self.batch_size
        if n_process == -1:
            n_process = os.cpu_count() or 1
        if n_process < 1:
            raise UsageError(f"nlp.pipe: n_process must be a positive number or -1, got {n_process}")
        if as_tuples:
            return self._pipe_tuples(texts, size, n_process, skip)
        if n_process > 1:
            return self._pipe_processes(texts, size, n_process, skip)
        return self._pipe_batches(texts, size, skip)

    def _pipe_tuples(self, items: Iterable[Any], size: int, n_process: int, skip: set[str]) -> Iterator[Any]:
        contexts: list[Any] = []

        def texts() -> Iterator[Any]:
            for item in items:
                if not isinstance(item, tuple) or len(item) != 2:
                    raise UsageError(
                        f"nlp.pipe(as_tuples=True) takes (text, context) pairs, got {item!r:.60}"
                    )
                contexts.append(item[1])
                yield item[0]

        docs = (
            self._pipe_processes(texts(), size, n_process, skip)
            if n_process > 1
            else (self._pipe_batches(texts(), size, skip))
        )
        for i, doc in enumerate(docs):
            yield doc, contexts[i]
            contexts[i] = None

    def _pipe_batches(self, texts: Iterable[Any], size: int, skip: set[str]) -> Iterator[Doc]:
        batch: list[Doc] = []
        for item in texts:
            batch.append(self.make_doc(item) if isinstance(item, str) else item)
            if len(batch) >= size:
                self._annotate(batch, skip)
                yield from batch
                batch = []
        if batch:
            self._annotate(batch, skip)
            yield from batch

    def _pipe_processes(
        self, texts: Iterable[Any], size: int, n_process: int, skip: set[str]
    ) -> Iterator[Doc]:
        import multiprocessing

        state = (self.config.to_str(), self.to_bytes())
        with multiprocessing.get_context().Pool(n_process, _worker_init, (state,)) as pool:
            jobs = ((batch, sorted(skip)) for batch in _batches(texts, size))
            for docs in pool.imap(_worker_annotate, jobs):
                yield from docs

    def _annotate(self, docs: list[Doc], skip: set[str] | None = None) -> None:
        nonempty = [d for d in docs if len(d)]
        if not nonempty:
            return
        tokvecs = self.tok2vec.predict(nonempty)
        for comp in self.components:
            if not skip or comp.name not in skip:
                comp.set_annotations(nonempty, comp.predict(nonempty, tokvecs))

    # -- training -------------------------------------------------------------------------------

    def create_optimizer(self) -> Optimizer:
        """The optimizer of ``[training.optimizer]``."""
        cfg = self.config.interpolate()
        optimizer: Optimizer = resolve_training(cfg).optimizer
        return optimizer

    def initialize(
        self, get_examples: Callable[[], Iterable[Example]] | None = None, *, sgd: Optimizer | None = None
    ) -> Optimizer:
        """Collect the labels from ``get_examples()`` and initialise all weights.

        Returns the optimizer (``sgd`` or the configured one). Without ``get_examples`` the
        components must already know their labels (added with ``add_label``).
        """
        if get_examples is None:
            comps = self.components
            for comp in comps:
                if not comp.labels:
                    raise TrainingError(
                        f"initialize: component {comp.name!r} has no labels and no examples were given"
                    )

            def get_examples() -> list[Example]:
                return []

        sample = []
        for eg in get_examples():
            if len(eg.predicted):
                sample.append(eg.predicted)
            if len(sample) >= 10:
                break
        self.tok2vec.initialize(X=sample or None)
        width = self.width
        for comp in self.components:
            comp.initialize(get_examples, nO_tok2vec=width)
        self._optimizer = sgd if sgd is not None else self.create_optimizer()
        return self._optimizer

    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optimizer | None = None,
        losses: dict[str, float] | None = None,
    ) -> dict[str, float]:
        """Train on one batch: tok2vec once, every component's loss, one backward pass.

        Gradients are applied when ``sgd`` is given (pass ``sgd=None`` to accumulate them).
        Tokens without gold annotation are left out of the losses. A non-finite loss raises
        :class:`~corpuskit.train.component.TrainingError` before any weight changes.
        """
        examples = [eg for eg in examples if len(eg.predicted)]
        if losses is None:
            losses = {}
        for comp in self.components:
            losses.setdefault(comp.name, 0.0)
        if not examples:
            return losses
        for eg in examples:
            if not isinstance(eg, Example):
                raise UsageError(f"nlp.update takes Examples, got {type(eg).__name__}")
        docs = [eg.predicted for eg in examples]
        set_dropout_rate(self.tok2vec, drop)
        tokvecs, backprop = self.tok2vec.begin_update(docs)
        d_tokvecs = [self.tok2vec.ops.alloc2f(*t.shape) for t in tokvecs]
        for comp in self.components:
            set_dropout_rate(comp.model, drop)
            loss, d_comp = comp.update(examples, tokvecs, drop=drop)
            if not math.isfinite(loss):
                raise TrainingError(
                    f"the {comp.name} loss is {loss} (not a finite number): training diverged. "
                    "Lower [training.optimizer] learn_rate, keep grad_clip on, or check the model."
                )
            losses[comp.name] += loss
            for acc, d in zip(d_tokvecs, d_comp, strict=True):
                acc += d
        backprop(d_tokvecs)
        if sgd is not None:
            self.finish_update(sgd)
        return losses

    def finish_update(self, sgd: Optimizer) -> None:
        """Apply the accumulated gradients of every model."""
        self.tok2vec.finish_update(sgd)
        for comp in self.components:
            if getattr(comp, "resized", False):
                _forget_old_shapes(sgd, comp.model)
                comp.resized = False  # type: ignore[attr-defined]
            comp.finish_update(sgd)

    def evaluate(self, examples: Iterable[Example], *, batch_size: int | None = None) -> dict[str, Any]:
        """Annotate copies of the examples' predicted docs and score them against the references.

        Returns spaCy's keys (values 0-1, None where the data has no such annotation) plus
        ``speed`` (words per second of prediction).
        """
        examples = list(examples)
        docs = [_bare_copy(eg.predicted) for eg in examples]
        start = time.perf_counter()
        for _ in self.pipe(docs, batch_size=batch_size):
            pass
        seconds = time.perf_counter() - start
        scored = [
            Example(doc, eg.reference, alignment=eg._alignment)
            for doc, eg in zip(docs, examples, strict=True)
        ]
        scores: dict[str, Any] = {}
        scores.update(score_tokenization(scored))
        for comp in self.components:
            scores.update(comp.score(scored))
        n_words = sum(len(d) for d in docs)
        scores["speed"] = n_words / seconds if seconds > 0 else 0.0
        return scores

    @contextlib.contextmanager
    def use_params(self, params: dict[Any, Any] | None) -> Iterator[None]:
        """Every model's weights temporarily replaced by ``params`` (an optimizer's averages, keyed
        by thinc model id and parameter name); None or empty changes nothing."""
        with contextlib.ExitStack() as stack:
            if params:
                stack.enter_context(self.tok2vec.use_params(params))
                for comp in self.components:
                    stack.enter_context(comp.model.use_params(params))
            yield

    # -- serialisation --------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The weights, labels and meta as one msgpack blob (the config is :attr:`config`)."""
        msg = {
            "meta": dict(self.meta),
            "tok2vec": self.tok2vec.to_bytes(),
            "components": {c.name: c.to_bytes() for c in self.components},
        }
        data: bytes = srsly.msgpack_dumps(msg)
        return data

    def from_bytes(self, data: bytes) -> Pipeline:
        """Load what :meth:`to_bytes` wrote into this pipeline (built from the same config)."""
        msg = srsly.msgpack_loads(data)
        self.tok2vec.from_bytes(msg["tok2vec"])
        for comp in self.components:
            comp.from_bytes(msg["components"][comp.name])
        self.meta.update(msg["meta"])
        return self

    def to_disk(self, path: str | Path) -> None:
        """Save the config, meta and weights to the directory ``path``, atomically.

        Everything is written to a temporary directory beside ``path`` and swapped into place
        (:class:`corpuskit.io.AtomicOutput`), so an interrupted save never leaves a half-written
        model, and ``path`` holds the old model or the new one at every moment.
        """
        path = Path(path)
        with AtomicOutput(path) as out:
            tmp = out.path
            tmp.mkdir()  # ordinary modes (the umask applies), not mkdtemp's private 0700
            (tmp / "config.cfg").write_text(self.config.to_str(), encoding="utf-8")
            meta = dict(self.meta)
            meta.update(
                {
                    "lang": self.lang,
                    "pipeline": self.pipe_names,
                    "labels": {c.name: list(c.labels) for c in self.components},
                }
            )
            srsly.write_json(tmp / "meta.json", meta)
            (tmp / "tok2vec.bin").write_bytes(self.tok2vec.to_bytes())
            for comp in self.components:
                (tmp / f"{comp.name}.bin").write_bytes(comp.to_bytes())

    def from_disk(self, path: str | Path) -> Pipeline:
        """Load weights saved by :meth:`to_disk` into this pipeline (built from the same config).

        Every file is read bounded (:mod:`corpuskit.limits`: regular files only, at most
        ``MAX_WEIGHTS_BYTES``); a bad file is a one-line :class:`UsageError` naming it.
        """
        path = Path(path)
        meta = _read_meta(path / "meta.json")
        if "pipeline" in meta and meta["pipeline"] != self.pipe_names:
            raise UsageError(
                f"{path / 'meta.json'}: 'pipeline' is {meta['pipeline']!r} but config.cfg builds "
                f"{self.pipe_names!r}"
            )
        parts: list[tuple[str, Any]] = [("tok2vec", self.tok2vec), *((c.name, c) for c in self.components)]
        for name, part in parts:
            file = path / f"{name}.bin"
            data = _read_model_file(file, MAX_WEIGHTS_BYTES, "weights file")
            try:
                part.from_bytes(data)
            except Exception as e:  # thinc and msgpack raise many types for bytes that do not fit
                reason = " ".join(str(e).split())[:200] or type(e).__name__
                raise UsageError(f"{file}: the saved weights do not fit config.cfg ({reason})") from None
        self.meta.update(meta)
        return self


_META_TYPES: dict[str, type | tuple[type, ...]] = {
    "lang": str,
    "pipeline": list,
    "labels": dict,
    "corpuskit_version": str,
}


def _read_model_file(file: Path, limit: int, what: str) -> bytes:
    if not file.exists() and not file.is_symlink():
        raise UsageError(f"{file}: missing: {file.parent} is not a complete corpuskit model directory")
    return read_bounded(file, limit, what=what)


def _read_meta(file: Path) -> dict[str, Any]:
    """meta.json of a model folder: a JSON object whose known keys have their types."""
    data = _read_model_file(file, MAX_CONFIG_BYTES, "meta.json")
    try:
        meta = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, RecursionError) as e:
        raise UsageError(f"{file}: not valid JSON ({type(e).__name__})") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{file}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    if not isinstance(meta, dict):
        raise UsageError(f"{file}: a JSON {type(meta).__name__}, expected an object")
    for key, kind in _META_TYPES.items():
        if key in meta and not isinstance(meta[key], kind):
            want = kind.__name__ if isinstance(kind, type) else kind
            raise UsageError(f"{file}: {key!r} is {meta[key]!r}, expected a {want}")
    return meta


def load(path: str | Path, *, overrides: Mapping[str, Any] | None = None) -> Pipeline:
    """Load a pipeline saved by ``nlp.to_disk`` or ``corpuskit train`` (``model-best``)."""
    from .config import load_config

    path = Path(path)
    if not path.exists():
        recover_aside(path)  # a save killed between its two renames (where no exchange exists)
    if not (path / "config.cfg").is_file():
        raise UsageError(f"{str(path)!r} is not a corpuskit model directory (no config.cfg in it)")
    config = load_config(path / "config.cfg", overrides=overrides, interpolate=False)
    nlp = Pipeline.from_config(config)
    return nlp.from_disk(path)


def _forget_old_shapes(sgd: Optimizer, model: Model[Any, Any]) -> None:
    """Drop the optimizer's moments and averages of parameters whose shape changed (a resized
    output layer: ``add_label`` after initialisation)."""
    for node in model.walk():
        for name in node.param_names:
            if not node.has_param(name):
                continue
            shape = node.get_param(name).shape
            key = (node.id, name)
            for table in (sgd.mom1, sgd.mom2, sgd.averages or {}):
                if key in table and table[key].shape != shape:
                    del table[key]


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# The pipeline of a worker process of ``nlp.pipe(n_process=...)``.
_WORKER: list[Pipeline] = []


def _worker_init(state: tuple[str, bytes]) -> None:
    config, data = state
    _WORKER[:] = [Pipeline.from_config(Config().from_str(config, interpolate=False)).from_bytes(data)]


def _worker_annotate(job: tuple[list[Any], list[str]]) -> list[Doc]:
    items, skip = job
    nlp = _WORKER[0]
    docs = [nlp.make_doc(x) if isinstance(x, str) else x for x in items]
    nlp._annotate(docs, set(skip))
    return docs
