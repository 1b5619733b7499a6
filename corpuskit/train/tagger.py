"""The tagger: a softmax over the shared token vectors (the worked example of a Component)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np
from thinc.api import Model, Softmax_v2, with_array, zero_init

from ..doc import Doc
from .component import Component, GetExamples, TrainingError
from .example import Example
from .registry import registry
from .scorer import score_token_attr

__all__ = ["Tagger", "build_tagger_model", "make_tagger"]

_SCORE_KEY = {"tags": "tag_acc", "pos": "pos_acc", "morphs": "morph_acc"}


@registry.architectures("corpuskit.Tagger.v1")
def build_tagger_model(nO: int | None = None, normalize: bool = False) -> Model[Any, Any]:
    """A linear softmax layer over each token vector: ``list[Floats2d]`` in and out.

    ``nO`` (the number of labels) is set by the component when it sees the data. With
    ``normalize = false`` prediction returns logits (faster; same argmax), training probabilities.
    """
    softmax = Softmax_v2(nO=nO, init_W=zero_init, normalize_outputs=normalize)
    model: Model[Any, Any] = with_array(softmax)
    model.set_ref("output_layer", softmax)
    return model


class Tagger(Component):
    """Assigns one label per token to ``Doc.tags`` (or ``pos`` / ``morphs``, see ``attr``)."""

    factory = "tagger"
    loss_column = "Tag Loss"
    scores_keys = ("tag_acc",)
    default_config: ClassVar[dict[str, Any]] = {
        "factory": "tagger",
        "attr": "tags",
        "label_smoothing": 0.05,
        "model": {"@architectures": "corpuskit.Tagger.v1", "nO": None, "normalize": False},
    }

    def __init__(
        self, name: str, model: Model[Any, Any], *, attr: str = "tags", label_smoothing: float = 0.0
    ) -> None:
        if attr not in _SCORE_KEY:
            raise TrainingError(f"tagger {name!r}: attr {attr!r} is not one of {sorted(_SCORE_KEY)}")
        super().__init__(name, model, cfg={"attr": attr, "label_smoothing": label_smoothing})
        self.scores_keys = (_SCORE_KEY[attr],)

    @property
    def attr(self) -> str:
        return str(self.cfg["attr"])

    def _after_labels(self) -> None:
        self.model.get_ref("output_layer").set_dim("nO", len(self.labels), force=True)

    def initialize(self, get_examples: GetExamples, *, nO_tok2vec: int) -> None:
        labels: set[str] = set()
        for eg in get_examples():
            values = getattr(eg.reference, self.attr)
            if values is not None:
                labels.update(v for v in values if v is not None)
        if not labels:
            raise TrainingError(
                f"component {self.name!r}: no token in the training data has a {self.attr!r} value"
            )
        self.labels = sorted(labels)
        output = self.model.get_ref("output_layer")
        output.set_dim("nO", len(self.labels), force=True)
        output.set_dim("nI", nO_tok2vec, force=True)
        self.model.initialize()
        self._label_index = {label: i for i, label in enumerate(self.labels)}

    def predict(self, docs: list[Doc], tokvecs: list[Any]) -> list[Any]:
        scores = self.model.predict(tokvecs)
        ops: Any = self.model.ops
        return [ops.to_numpy(s.argmax(axis=1)) for s in scores]

    def predict_proba(self, docs: list[Doc], tokvecs: list[Any]) -> list[Any]:
        """Per doc, the probability of each of :attr:`labels` at each token (numpy ``(n, L)``)."""
        ops: Any = self.model.ops
        out = []
        normalized = bool(self.model.get_ref("output_layer").attrs.get("softmax_normalize", False))
        for s in self.model.predict(tokvecs):
            z = ops.to_numpy(s).astype("float64")
            if not normalized:
                z = z - z.max(axis=1, keepdims=True)
                e = np.exp(z)
                z = e / e.sum(axis=1, keepdims=True)
            out.append(z)
        return out

    def set_annotations(self, docs: list[Doc], scores: list[Any]) -> None:
        labels = self.labels
        for doc, guesses in zip(docs, scores, strict=True):
            setattr(doc, self.attr, [labels[i] for i in guesses.tolist()])

    def update(
        self, examples: list[Example], tokvecs: list[Any], *, drop: float = 0.0
    ) -> tuple[float, list[Any]]:
        ops: Any = self.model.ops
        xp = ops.xp
        index = getattr(self, "_label_index", None)
        if index is None:
            index = self._label_index = {label: i for i, label in enumerate(self.labels)}
        probs, backprop = self.model.begin_update(tokvecs)
        # Gold label ids over the predicted tokens; -1 = missing, misaligned or unseen label.
        gold: list[int] = []
        for eg in examples:
            gold.extend(index.get(v, -1) if v is not None else -1 for v in eg.get_aligned(self.attr))
        if not gold:
            return 0.0, [ops.alloc2f(*t.shape) for t in tokvecs]
        P = ops.flatten(probs)
        truth = xp.asarray(gold, dtype="i")
        valid = truth >= 0
        rows = xp.arange(len(truth))[valid]
        cols = truth[valid]
        d_scores = P.copy()
        smoothing = float(self.cfg["label_smoothing"])
        n_labels = P.shape[1]
        if smoothing > 0.0 and n_labels > 1:
            d_scores -= smoothing / (n_labels - 1)
            d_scores[rows, cols] -= 1.0 - smoothing - smoothing / (n_labels - 1)
        else:
            d_scores[rows, cols] -= 1.0
        d_scores[~valid] = 0.0
        loss = float(-xp.log(xp.maximum(P[rows, cols], 1e-12)).sum())
        d_tokvecs = backprop(ops.unflatten(d_scores, [len(t) for t in tokvecs]))
        return loss, d_tokvecs

    def score(self, examples: Iterable[Example]) -> dict[str, Any]:
        return {self.scores_keys[0]: score_token_attr(examples, self.attr)}


@registry.factories("tagger")
def make_tagger(
    name: str, model: Model[Any, Any], attr: str = "tags", label_smoothing: float = 0.0
) -> Tagger:
    """Build a :class:`Tagger` from its ``[components.NAME]`` section."""
    return Tagger(name, model, attr=attr, label_smoothing=label_smoothing)
