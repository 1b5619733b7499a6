"""The entity recogniser: BILUO tag scores over the token vectors, decoded into valid spans.

Architecture (``corpuskit.BILUOTagger.v1``): a maxout hidden layer (``hidden_width``,
``maxout_pieces``, layer-normalised, with the ``[training] dropout`` rate), a linear output over
the tags ``O, B-X, I-X, L-X, U-X`` of every label ``X`` and, with ``crf = true``, a learned
transition matrix: a linear-chain CRF restricted to valid BILUO sequences. Training is the CRF's
negative log-likelihood (:func:`~corpuskit.train.decoders.biluo_crf_loss`), in which tokens whose
gold annotation is missing (``Doc.ent_iob() == ""``, not alignable, or of an unknown label) are
marginalised out rather than taken as ``O``; with ``crf = false`` it is a per-token softmax
cross-entropy with those tokens left out. Prediction is a constrained Viterbi search
(:func:`~corpuskit.train.decoders.viterbi_biluo`): a transition mask forbids every invalid move
(``O -> I-X``, ``B-X -> I-Y``, ending inside an entity ...), so the output is always a valid BILUO
sequence, turned into spans by :func:`corpuskit.tags.biluo_to_spans`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import numpy as np
from thinc.api import Dropout, LayerNorm, Linear, Maxout, Model, chain, with_array, zero_init

from ..doc import Doc
from ..tags import biluo_to_spans
from .component import Component, GetExamples, TrainingError, masked_softmax_xent, to_host
from .decoders import biluo_crf_loss, biluo_marginals, biluo_tag_names, viterbi_biluo
from .example import Example
from .registry import registry
from .scorer import score_spans

__all__ = ["EntityRecognizer", "build_biluo_tagger", "make_ner"]


@registry.architectures("corpuskit.BILUOTagger.v1")
def build_biluo_tagger(
    hidden_width: int = 64,
    maxout_pieces: int = 2,
    crf: bool = True,
    nO: int | None = None,
) -> Model[Any, Any]:
    """Maxout hidden layer + linear BILUO scores: ``list[Floats2d]`` in, one score row per token out.

    With ``crf = true`` a learned ``(K, K)`` transition matrix (the ``"transitions"`` layer)
    makes it a linear-chain CRF over the valid BILUO sequences. ``nO`` (``1 + 4 * n_labels``) and
    the input width are set by the component.
    """
    hidden = Maxout(nO=hidden_width, nP=maxout_pieces)
    output = Linear(nO=nO, nI=hidden_width, init_W=zero_init)
    scorer: Model[Any, Any] = with_array(chain(hidden, LayerNorm(nI=hidden_width), Dropout(0.0), output))
    layers = [scorer]
    if crf:
        layers.append(
            Model(
                "biluo_transitions", _no_forward, init=_init_transitions, dims={"nO": nO}, params={"T": None}
            )
        )
    model: Model[Any, Any] = Model(
        "biluo_tagger", _tagger_forward, init=_init_tagger, layers=layers, attrs={"crf": crf}
    )
    model.set_ref("hidden", hidden)
    model.set_ref("output_layer", output)
    if crf:
        model.set_ref("transitions", layers[1])
    return model


def _tagger_forward(model: Model[Any, Any], X: Any, is_train: bool) -> tuple[Any, Any]:
    scores, backprop = model.layers[0](X, is_train)
    return scores, backprop


def _init_tagger(model: Model[Any, Any], X: Any = None, Y: Any = None) -> Model[Any, Any]:
    for layer in model.layers:
        layer.initialize()
    return model


def _no_forward(model: Model[Any, Any], X: Any, is_train: bool) -> tuple[Any, Any]:
    return X, lambda dY: dY


def _init_transitions(model: Model[Any, Any], X: Any = None, Y: Any = None) -> Model[Any, Any]:
    k = model.get_dim("nO")
    model.set_param("T", model.ops.alloc2f(k, k))
    return model


class EntityRecognizer(Component):
    """Predicts ``Doc.ents`` (and clears ``Doc.ents_missing``): always valid BILUO sequences."""

    factory = "ner"
    loss_column = "NER Loss"
    scores_keys = ("ents_p", "ents_r", "ents_f", "ents_per_type")
    default_config: ClassVar[dict[str, Any]] = {
        "factory": "ner",
        "model": {
            "@architectures": "corpuskit.BILUOTagger.v1",
            "hidden_width": 64,
            "maxout_pieces": 2,
            "crf": True,
            "nO": None,
        },
    }
    default_score_weights: ClassVar[dict[str, float]] = {"ents_f": 1.0, "ents_p": 0.0, "ents_r": 0.0}

    def __init__(self, name: str, model: Model[Any, Any]) -> None:
        super().__init__(name, model, cfg={})
        self._tag_index: dict[str, int] = {}
        #: Set by :meth:`add_label` after initialisation: an optimizer's state for the old
        #: shapes is dropped at the next ``nlp.finish_update``.
        self.resized = False

    @property
    def tag_names(self) -> list[str]:
        """The model's output tags: ``"O"``, then ``B-X I-X L-X U-X`` of each label in order."""
        return biluo_tag_names(self.labels)

    def _index(self) -> dict[str, int]:
        if len(self._tag_index) != 1 + 4 * len(self.labels):
            self._tag_index = {tag: i for i, tag in enumerate(self.tag_names)}
        return self._tag_index

    def _set_n_tags(self) -> None:
        n_tags = 1 + 4 * len(self.labels)
        self.model.get_ref("output_layer").set_dim("nO", n_tags, force=True)
        if self.model.has_ref("transitions"):
            self.model.get_ref("transitions").set_dim("nO", n_tags, force=True)

    def _after_labels(self) -> None:
        self._set_n_tags()

    @property
    def _unseen(self) -> list[str]:
        """Labels added after initialisation that no training example has shown yet: their tags
        are never predicted, so adding a label leaves every existing prediction as it was."""
        unseen: list[str] = self.cfg.setdefault("unseen_labels", [])
        return unseen

    def add_label(self, label: str) -> None:
        """Add an entity label (a known one changes nothing).

        Before :meth:`initialize` the label set is just extended. After it, the output layer (and
        the CRF transitions) grow by the label's four tags, the trained weights kept as they are;
        the new tags stay out of predictions until an update sees an entity of that label.
        """
        if label in self.labels:
            return
        output = self.model.get_ref("output_layer")
        if not output.has_param("W"):
            self.labels.append(label)
            self.labels.sort()
            return
        ops = self.model.ops
        T: Any = (
            self.model.get_ref("transitions").get_param("T") if self.model.has_ref("transitions") else None
        )
        W: Any = output.get_param("W")
        b: Any = output.get_param("b")
        n_old = W.shape[0]
        new_W: Any = ops.alloc2f(n_old + 4, W.shape[1])
        new_W[:n_old] = W
        new_b: Any = ops.alloc1f(n_old + 4)
        new_b[:n_old] = b
        self.labels.append(label)
        layers = [output, *([self.model.get_ref("transitions")] if self.model.has_ref("transitions") else [])]
        for layer in layers:  # thinc resizes a layer only while it holds no weights
            for name in layer.param_names:
                layer.set_param(name, None)
        self._set_n_tags()
        output.set_param("W", new_W)
        output.set_param("b", new_b)
        if self.model.has_ref("transitions"):
            layer = self.model.get_ref("transitions")
            new_T: Any = ops.alloc2f(n_old + 4, n_old + 4)
            new_T[:n_old, :n_old] = T
            layer.set_param("T", new_T)
        for layer in layers:
            for name in layer.param_names:
                if layer.has_grad(name):  # a gradient of the old shape
                    layer.set_grad(name, ops.alloc(layer.get_param(name).shape, dtype="f"))
        self._unseen.append(label)
        self._tag_index = {}
        self.resized = True

    def _transitions(self) -> np.ndarray[Any, Any] | None:
        if not self.model.has_ref("transitions"):
            return None
        return to_host(self.model.get_ref("transitions").get_param("T")).astype(np.float64)

    def initialize(self, get_examples: GetExamples, *, nO_tok2vec: int) -> None:
        labels: set[str] = set()
        for eg in get_examples():
            labels.update(span.label for span in eg.reference.ents or ())
        if not labels:
            raise TrainingError(f"component {self.name!r}: no entity in the training data")
        self.labels = sorted(labels)
        self.model.get_ref("hidden").set_dim("nI", nO_tok2vec, force=True)
        self._set_n_tags()
        self.model.initialize()

    def predict(self, docs: list[Doc], tokvecs: list[Any]) -> list[np.ndarray[Any, Any]]:
        ops = self.model.ops
        logits = self.model.predict(tokvecs)
        lengths = np.asarray([len(d) for d in docs], dtype=np.int64)
        if not len(docs) or int(lengths.max()) == 0:
            return [np.zeros(0, dtype=np.int64) for _ in docs]
        flat = to_host(ops.flatten(logits)).astype(np.float64)
        transitions = self._transitions()
        if transitions is None:
            # Per-token log-probabilities.
            flat -= flat.max(axis=1, keepdims=True)
            flat -= np.log(np.exp(flat).sum(axis=1, keepdims=True))
        if self._unseen:
            index = self._index()
            flat[:, [index[f"{p}-{label}"] for label in self._unseen for p in "BILU"]] = -1e30
        padded = _pad(flat, lengths, 0.0)
        tags = viterbi_biluo(padded, lengths, len(self.labels), transitions=transitions)
        return [tags[i, :n] for i, n in enumerate(lengths.tolist())]

    def predict_proba(self, docs: list[Doc], tokvecs: list[Any]) -> list[np.ndarray[Any, Any]]:
        """Per doc, the probability of each tag of :attr:`tag_names` at each token ``(n, K)``:
        the marginals over valid BILUO sequences (of the CRF where the model has one)."""
        logits = self.model.predict(tokvecs)
        lengths = np.asarray([len(d) for d in docs], dtype=np.int64)
        k = len(self.tag_names)
        if not len(docs) or int(lengths.max()) == 0:
            return [np.zeros((n, k)) for n in lengths.tolist()]
        flat = to_host(self.model.ops.flatten(logits)).astype(np.float64)
        transitions = self._transitions()
        if transitions is None:
            flat -= flat.max(axis=1, keepdims=True)
            flat -= np.log(np.exp(flat).sum(axis=1, keepdims=True))
        marg = biluo_marginals(_pad(flat, lengths, 0.0), lengths, len(self.labels), transitions=transitions)
        return [marg[i, :n] for i, n in enumerate(lengths.tolist())]

    def set_annotations(self, docs: list[Doc], scores: list[np.ndarray[Any, Any]]) -> None:
        names = self.tag_names
        for doc, ids in zip(docs, scores, strict=True):
            doc.ents = biluo_to_spans([names[i] for i in ids.tolist()])
            doc.ents_missing = None

    def update(
        self, examples: list[Example], tokvecs: list[Any], *, drop: float = 0.0
    ) -> tuple[float, list[Any]]:
        ops = self.model.ops
        index = self._index()
        gold: list[int] = []
        for eg in examples:
            gold.extend(-1 if t is None else index.get(t, -1) for t in eg.get_aligned_ner())
        if not gold:
            return 0.0, [ops.alloc2f(*t.shape) for t in tokvecs]
        if self._unseen:
            seen = {span.label for eg in examples for span in eg.reference.ents or ()}
            self._unseen[:] = [label for label in self._unseen if label not in seen]
        logits, backprop = self.model.begin_update(tokvecs)
        Z = ops.flatten(logits)
        lengths = [len(t) for t in tokvecs]
        if self.model.has_ref("transitions"):
            n_tokens = np.asarray(lengths, dtype=np.int64)
            loss, d_Z = self._crf_loss(Z, np.asarray(gold, dtype=np.int64), n_tokens)
        else:
            loss, d_Z = masked_softmax_xent(ops.xp, Z, np.asarray(gold, dtype=np.int32))
        d_tokvecs = backprop(ops.unflatten(d_Z, ops.asarray1i(lengths)))
        return loss, list(d_tokvecs)

    def _crf_loss(
        self, Z: Any, gold: np.ndarray[Any, Any], lengths: np.ndarray[Any, Any]
    ) -> tuple[float, Any]:
        ops = self.model.ops
        layer = self.model.get_ref("transitions")
        flat = to_host(Z).astype(np.float64)
        scores = _pad(flat, lengths, 0.0)
        gold_padded = _pad(gold[:, None].astype(np.float64), lengths, -1.0)[:, :, 0].astype(np.int64)
        transitions = to_host(layer.get_param("T")).astype(np.float64)
        loss, d_scores, d_trans = biluo_crf_loss(scores, lengths, gold_padded, transitions, len(self.labels))
        layer.inc_grad("T", ops.xp.asarray(d_trans.astype(np.float32)))
        valid = np.arange(scores.shape[1])[None, :] < lengths[:, None]
        return loss, ops.xp.asarray(d_scores[valid].astype(np.float32))

    def score(self, examples: Iterable[Example]) -> dict[str, Any]:
        return score_spans(examples)


@registry.factories("ner")
def make_ner(name: str, model: Model[Any, Any]) -> EntityRecognizer:
    """Build an :class:`EntityRecognizer` from its ``[components.NAME]`` section."""
    return EntityRecognizer(name, model)


def _pad(flat: np.ndarray[Any, Any], lengths: np.ndarray[Any, Any], fill: float) -> np.ndarray[Any, Any]:
    """Rows of consecutive sequences ``(sum(lengths), K)`` as a padded ``(n, T, K)`` array."""
    width = int(lengths.max()) if len(lengths) else 0
    out = np.full((len(lengths), width, flat.shape[1]), fill, dtype=flat.dtype)
    out[np.arange(width)[None, :] < lengths[:, None]] = flat
    return out
