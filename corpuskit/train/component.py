"""The pipeline component interface: a trainable head over the shared tok2vec output.

How a pipeline runs (``corpuskit/train/pipeline.py``)
-----------------------------------------------------
The pipeline owns ONE shared token-to-vector model (``tok2vec``: docs -> one ``(n_words, width)``
float array per doc, rows aligned with ``doc.words`` of the *predicted* doc). Every component is a
head that consumes those vectors; it never runs the tok2vec itself:

* prediction (``nlp.pipe``)::

      tokvecs = tok2vec.predict(docs)                # once per batch
      for comp in components:
          scores = comp.predict(docs, tokvecs)
          comp.set_annotations(docs, scores)

* training (``nlp.update``)::

      tokvecs, backprop_tok2vec = tok2vec.begin_update(docs)   # once per batch
      d_tokvecs = zeros like tokvecs
      for comp in components:
          loss, d_comp = comp.update(examples, tokvecs, drop=drop)   # head forward + backward
          d_tokvecs += d_comp                                         # gradients summed
          losses[comp.name] += loss
      backprop_tok2vec(d_tokvecs)                                     # once
      if sgd: tok2vec.finish_update(sgd); comp.finish_update(sgd) for each comp

Contract of :meth:`Component.update`
    * ``examples[i].predicted`` is the doc whose tokens ``tokvecs[i]`` describes (``len(doc)`` rows).
      Gold annotation comes from the example, projected onto the predicted tokens:
      ``eg.get_aligned("tags")``, ``eg.get_aligned_parse()``, ``eg.get_aligned_ner()`` (see
      ``corpuskit/train/example.py``); ``None`` = missing or not alignable: such tokens must be
      LEFT OUT of the loss (zero gradient).
    * It runs its head forward (``self.model.begin_update``), computes the loss and the gradient,
      backpropagates through the head (which ACCUMULATES the head's parameter gradients; it does
      not apply them) and returns ``(loss, d_tokvecs)``: a float and one array per doc with the
      same shape as ``tokvecs[i]``. It must not modify ``tokvecs``.
    * The loss must be a finite float; the pipeline stops training with a clear error on NaN.
    * ``drop`` is the dropout rate of this step; :func:`set_dropout_rate` applies it to every
      layer of a model that has a ``dropout_rate`` attribute (the pipeline already calls it on
      ``self.model`` before ``update``; components may ignore the argument).

Contract of :meth:`Component.initialize`
    Called once before training with a callable returning the training examples (a fresh iterable
    on every call) and the tok2vec output width. Collect the labels (sorted, so that the label
    order and the results are reproducible), set the output dimension, and call
    ``self.model.initialize(X=..., Y=...)`` (or set ``nI``/``nO`` and call ``initialize()``).

Serialisation
    :meth:`to_bytes` stores ``labels``, ``cfg`` and the model weights; :meth:`from_bytes` restores
    them into a component built from the same config (same architecture, not yet initialised).
    Override :meth:`_after_labels` if the model dims depend on the labels beyond ``nO``.

Registering a component (a factory)
    A factory builds a component from its ``[components.NAME]`` config section; the section's
    ``factory`` key names it, the other keys (``model`` resolved to a thinc Model) are passed as
    keyword arguments, validated against the factory's signature::

        @registry.factories("tagger")
        def make_tagger(name: str, model: Model[Any, Any], label_smoothing: float = 0.0) -> Tagger:
            return Tagger(name, model, label_smoothing=label_smoothing)

    The worked example is ``corpuskit/train/tagger.py`` (:class:`~corpuskit.train.tagger.Tagger`).
    Built-in components live in ``corpuskit/train/<factory>.py`` (``tagger.py``: ``Tagger``,
    ``parser.py``: ``DependencyParser``, ``ner.py``: ``EntityRecognizer``); the pipeline imports the module
    of a built-in factory on first use, so its ``@registry.factories`` decorator has run. Each
    component class carries ``default_config``: its whole ``[components.NAME]`` section as a dict
    (``factory``, settings, and ``model`` with ``@architectures``), which ``init-config`` writes.
    A component's ``scores_keys`` name the evaluation keys it produces (spaCy's names:
    ``tag_acc``, ``dep_uas``, ``dep_las``, ``ents_f`` ...), and :meth:`score` computes them with
    the functions of ``corpuskit/train/scorer.py`` on examples whose ``predicted`` docs carry the
    component's annotation (``score_token_attr``, ``score_deps`` + ``score_sents`` for a parser,
    ``score_spans`` for an entity recogniser). ``loss_column`` is the header of its loss in the training table
    (``"Tag Loss"``, ``"Dep Loss"``, ``"NER Loss"``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import srsly
from thinc.api import Model, Optimizer

from ..doc import Doc
from ..errors import CorpusError

if TYPE_CHECKING:
    from .example import Example

__all__ = [
    "Component",
    "TrainingError",
    "masked_softmax_xent",
    "row_softmax",
    "set_dropout_rate",
    "to_host",
]

#: Type of ``get_examples`` given to :meth:`Component.initialize`.
GetExamples = Callable[[], Iterable["Example"]]


class TrainingError(CorpusError, RuntimeError):
    """Training cannot go on: a NaN loss, no labels to learn, a model that does not fit its data."""


def set_dropout_rate(model: Model[Any, Any], drop: float | None) -> None:
    """Set the dropout rate of every layer of ``model`` that has a ``dropout_rate`` attribute."""
    if drop is None:
        return
    for node in model.walk():
        if "dropout_rate" in node.attrs:
            node.attrs["dropout_rate"] = drop


def to_host(x: Any) -> np.ndarray[Any, Any]:
    """A device (cupy) or host array as a numpy array."""
    get = getattr(x, "get", None)
    return np.asarray(get() if callable(get) else x)


def row_softmax(xp: Any, x: Any) -> Any:
    """The softmax of each row of ``x`` (numpy or cupy, as ``xp``)."""
    e = xp.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def masked_softmax_xent(xp: Any, scores: Any, gold: np.ndarray[Any, Any]) -> tuple[float, Any]:
    """Softmax cross-entropy over the rows whose ``gold`` class is known (>= 0), and its gradient."""
    d_scores = xp.zeros_like(scores)
    known = gold >= 0
    if not known.any():
        return 0.0, d_scores
    rows = xp.asarray(np.flatnonzero(known))
    probs = row_softmax(xp, scores[rows])
    target = xp.asarray(gold[known])
    r = xp.arange(len(target))
    loss = float(-xp.log(xp.maximum(probs[r, target], 1e-12)).sum())
    probs[r, target] -= 1.0
    d_scores[rows] = probs
    return loss, d_scores


class Component:
    """Base class of the trainable pipeline components (tagger, parser, ner).

    Subclasses implement :meth:`initialize`, :meth:`predict`, :meth:`set_annotations`,
    :meth:`update` and :meth:`score`; this class provides ``finish_update`` and serialisation.

    Attributes:
        name: the component's name in the pipeline (the ``[components.NAME]`` section).
        model: the thinc model of the head: ``list[Floats2d]`` (tokvecs) in, scores out.
        labels: the label set, fixed by :meth:`initialize` (or :meth:`from_bytes`).
        cfg: JSON-serialisable settings saved with the weights (e.g. ``label_smoothing``).
    """

    #: Name the component's factory is registered under ("tagger", "parser", "ner").
    factory: ClassVar[str] = ""
    #: Header of this component's loss column in the training table ("Tag Loss").
    loss_column: ClassVar[str] = ""
    #: The component's whole ``[components.NAME]`` config section (what ``init-config`` writes).
    default_config: ClassVar[dict[str, Any]] = {}
    #: The evaluation keys :meth:`score` returns, in spaCy's names (may be set per instance).
    scores_keys: tuple[str, ...] = ()

    def __init__(self, name: str, model: Model[Any, Any], *, cfg: dict[str, Any] | None = None) -> None:
        self.name = name
        self.model = model
        self.labels: list[str] = []
        self.cfg: dict[str, Any] = dict(cfg or {})

    # -- to implement ---------------------------------------------------------------------------

    def initialize(self, get_examples: GetExamples, *, nO_tok2vec: int) -> None:
        """Collect the labels from the examples and initialise the model (see module docs)."""
        raise NotImplementedError

    def predict(self, docs: list[Doc], tokvecs: list[Any]) -> Any:
        """Scores for ``docs`` (no side effects); ``tokvecs[i]`` has ``len(docs[i])`` rows."""
        raise NotImplementedError

    def set_annotations(self, docs: list[Doc], scores: Any) -> None:
        """Write the predictions of :meth:`predict` into the docs (overwriting that attribute)."""
        raise NotImplementedError

    def update(
        self, examples: list[Example], tokvecs: list[Any], *, drop: float = 0.0
    ) -> tuple[float, list[Any]]:
        """Forward + backward through the head: ``(loss, d_tokvecs)`` (see module docs)."""
        raise NotImplementedError

    def score(self, examples: Iterable[Example]) -> dict[str, Any]:
        """Evaluation scores of annotated ``examples`` under :attr:`scores_keys`."""
        raise NotImplementedError

    # -- provided -------------------------------------------------------------------------------

    def __call__(self, docs: list[Doc], tokvecs: list[Any]) -> list[Doc]:
        """Predict and annotate ``docs`` in place; return them."""
        self.set_annotations(docs, self.predict(docs, tokvecs))
        return docs

    def finish_update(self, sgd: Optimizer) -> None:
        """Apply the accumulated gradients of the head with the optimizer."""
        self.model.finish_update(sgd)

    def add_label(self, label: str) -> None:
        """Add a label before initialisation (kept sorted; a known one changes nothing).

        After initialisation a new label would change the output layer under the trained
        weights (and a re-sorted list would shift every prediction), so it is refused, as
        spaCy's E922; a component that can grow its output keeping what it learnt overrides
        this (the entity recogniser).
        """
        if label in self.labels:
            return
        if self.is_initialized:
            raise TrainingError(
                f"{self.name!r}: cannot add the label {label!r} after initialisation (it would "
                "change the trained output layer); add labels before nlp.initialize, or retrain"
            )
        self.labels.append(label)
        self.labels.sort()

    @property
    def is_initialized(self) -> bool:
        """Whether the model's weights are allocated (by initialisation or loading)."""
        return any(node.has_param(p) is True for node in self.model.walk() for p in node.param_names)

    def _after_labels(self) -> None:
        """Hook run when the labels are set by :meth:`from_bytes` (default: set ``nO``)."""
        if self.model.has_dim("nO") is not False:
            self.model.set_dim("nO", len(self.labels), force=True)

    def to_bytes(self) -> bytes:
        """Labels, cfg and weights as one msgpack blob."""
        msg = {"labels": list(self.labels), "cfg": self.cfg, "model": self.model.to_bytes()}
        data: bytes = srsly.msgpack_dumps(msg)
        return data

    def from_bytes(self, data: bytes) -> Component:
        """Restore what :meth:`to_bytes` wrote (into a component built from the same config)."""
        msg = srsly.msgpack_loads(data)
        self.labels = list(msg["labels"])
        self.cfg.update(msg["cfg"])
        self._after_labels()
        self.model.from_bytes(msg["model"])
        return self

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}: {len(self.labels)} labels>"
