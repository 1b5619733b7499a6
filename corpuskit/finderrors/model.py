"""Out-of-fold probabilities: K-fold cross-validation with the built-in trainer, or a given model.

Every doc gets the probabilities of a model that never saw it: the corpus is cut into K folds, a
model is trained on K-1 of them with a short schedule and scores the one left out. Fold models are
cached under a folder keyed by a hash of the data, the config, K and the schedule, and reused while
those stay unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..doc import Doc
from ..errors import UsageError
from .corpus import LoadedDoc

__all__ = ["DocProbs", "FoldSettings", "cross_validate", "default_cache_dir", "score_with_model"]

Floats = npt.NDArray[np.float64]


@dataclass(slots=True)
class DocProbs:
    """A model's probabilities for one doc (``None``: the layer was not scored).

    ``tags``/``pos``/``deps`` are ``(n, L)`` over ``labels[layer]``; ``ents`` is ``(n, K)`` over
    the BILUO tags ``labels["ents"]`` (``"O"``, then ``B-X I-X L-X U-X`` per label); ``heads`` is
    ``(n, n)``: ``heads[i, j]`` the probability that ``j`` heads ``i``. ``deps`` is given the gold
    head of each token.
    """

    labels: dict[str, list[str]]
    tags: Floats | None = None
    pos: Floats | None = None
    ents: Floats | None = None
    heads: Floats | None = None
    deps: Floats | None = None
    fold: int | None = None


@dataclass(slots=True)
class FoldSettings:
    """The cross-validation schedule: K folds, epochs over each training part, model size."""

    folds: int = 5
    epochs: int = 8
    width: int = 96
    depth: int = 2
    parser_width: int = 128
    batch_words: int = 800
    learn_rate: float = 0.002
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def default_cache_dir() -> Path:
    """``$CORPUSKIT_CACHE/find-errors``, else ``$XDG_CACHE_HOME/corpuskit/find-errors``
    (``~/.cache/corpuskit/find-errors``)."""
    root = os.environ.get("CORPUSKIT_CACHE")
    if root:
        return Path(root) / "find-errors"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "corpuskit" / "find-errors"


def _layers_of(docs: list[LoadedDoc]) -> dict[str, bool]:
    has = {"tags": False, "pos": False, "heads": False, "ents": False}
    for ld in docs:
        d = ld.doc
        has["tags"] |= d.tags is not None and any(t is not None for t in d.tags)
        has["pos"] |= d.pos is not None and any(t is not None for t in d.pos)
        has["heads"] |= d.heads is not None and d.deps is not None and any(h is not None for h in d.heads)
        has["ents"] |= bool(d.ents)
    return has


def _fold_config(has: dict[str, bool], s: FoldSettings) -> Any:
    from ..train.config import default_config

    factories = [
        n
        for n, on in (("tagger", has["tags"] or has["pos"]), ("parser", has["heads"]), ("ner", has["ents"]))
        if on
    ]
    cfg = default_config(factories, lang="xx")
    comps = cfg["components"]
    if has["pos"]:
        comps["pos"] = json.loads(json.dumps(comps["tagger"]))
        comps["pos"]["attr"] = "pos"
        if not has["tags"]:
            del comps["tagger"]
        names = [n for n in ("tagger", "pos", "parser", "ner") if n in comps]
        cfg["nlp"]["pipeline"] = ["tok2vec", *names]
    enc = comps["tok2vec"]["model"]["encode"]
    enc["width"] = s.width
    enc["depth"] = s.depth
    if "parser" in comps:
        comps["parser"]["model"]["hidden_width"] = s.parser_width
        comps["parser"]["model"]["label_width"] = s.parser_width
    cfg["training"]["optimizer"]["learn_rate"] = s.learn_rate
    return cfg


def _data_hash(docs: list[LoadedDoc]) -> str:
    h = hashlib.sha256()
    for ld in docs:
        d = ld.doc
        ents = [(e.start, e.end, e.label) for e in d.ents] if d.ents is not None else None
        h.update(json.dumps([d.words, d.tags, d.pos, d.heads, d.deps, ents, d.sent_starts]).encode())
    return h.hexdigest()


def _folds(n: int, k: int, seed: int) -> npt.NDArray[np.int64]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    fold = np.zeros(n, dtype=np.int64)
    fold[order] = np.arange(n) % k
    return fold


def _train_fold(
    docs: list[Doc], cfg: Any, s: FoldSettings, path: Path, progress: Callable[[str], None]
) -> None:
    """Train a model on ``docs`` with the short schedule; save its averaged weights to ``path``."""
    from thinc.api import fix_random_seed

    from ..train.loop import make_examples
    from ..train.pipeline import Pipeline

    fix_random_seed(s.seed)
    nlp = Pipeline.from_config(cfg)
    examples = make_examples(docs, nlp, gold_preproc=True)
    sgd = nlp.initialize(lambda: examples)
    rng = random.Random(s.seed)
    for epoch in range(s.epochs):
        rng.shuffle(examples)
        batch: list[Any] = []
        words = 0
        for eg in examples:
            batch.append(eg)
            words += len(eg.predicted)
            if words >= s.batch_words:
                nlp.update(batch, drop=0.1, sgd=sgd)
                batch, words = [], 0
        if batch:
            nlp.update(batch, drop=0.1, sgd=sgd)
        progress(f"epoch {epoch + 1}/{s.epochs}")
    with nlp.use_params(getattr(sgd, "averages", None)):
        nlp.to_disk(path)


@dataclass(slots=True)
class _FoldJob:
    """What every fold task shares (shipped once to a Ray cluster)."""

    docs: list[Doc]
    cfg: Any
    settings: FoldSettings
    fold_of: npt.NDArray[np.int64]
    progress: Callable[[str], None] | None


def _fold_task(k: int, job: _FoldJob) -> dict[str, bytes]:
    """Train fold ``k``'s model (on every doc outside fold ``k``); its files, by relative path."""
    import tempfile

    s = job.settings
    train = [job.docs[i] for i in np.flatnonzero(job.fold_of != k).tolist()]
    say = _Prefixed(job.progress, f"fold {k + 1}/{s.folds}: ") if job.progress else _quiet
    say(f"training on {len(train)} docs")
    with tempfile.TemporaryDirectory(prefix="corpuskit-fold-") as tmp:
        path = Path(tmp) / "model"
        _train_fold(train, job.cfg, s, path, say)
        return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def _store(path: Path, files: dict[str, bytes]) -> None:
    """Put a fold model's files at ``path`` in the cache, whole or not at all."""
    from ..io import make_dirs, replace_path, temp_beside

    make_dirs(path.parent, what="the fold-model cache")
    tmp = temp_beside(path)
    try:
        for rel, data in files.items():
            (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp / rel).write_bytes(data)
        replace_path(tmp, path)
    except BaseException:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _quiet(_message: str) -> None:
    pass


@dataclass(slots=True)
class _Prefixed:
    say: Callable[[str], None]
    prefix: str

    def __call__(self, message: str) -> None:
        self.say(self.prefix + message)


def cross_validate(
    docs: list[LoadedDoc],
    settings: FoldSettings | None = None,
    *,
    cache_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
    ray: str | bool | None = None,
    workers: int | None = None,
) -> list[DocProbs]:
    """Out-of-fold probabilities for every doc: K models, each scoring the fold it did not see.

    The fold models missing from the cache are trained by :func:`corpuskit.distributed.map_tasks`:
    in order here, or as Ray tasks at once with ``ray`` (the corpus shipped once); each comes
    back as its files and is stored in the cache, so the queue is the same either way.
    """
    from ..train.pipeline import load

    s = settings or FoldSettings()
    say: Callable[[str], None] = progress or _quiet
    if len(docs) < s.folds:
        raise UsageError(
            f"{len(docs)} docs cannot be cut into {s.folds} folds; use --folds {max(len(docs), 2)}"
        )
    if s.folds < 2:
        raise UsageError(f"--folds must be at least 2, got {s.folds}")
    has = _layers_of(docs)
    if not any(has.values()):
        raise UsageError("the corpus has no tags, POS, parse or entities for a model to check")
    cfg = _fold_config(has, s)
    schedule = {k: getattr(s, k) for k in FoldSettings.__slots__}  # type: ignore[attr-defined]
    key = hashlib.sha256(
        (_data_hash(docs) + cfg.to_str() + json.dumps(schedule, sort_keys=True, default=str)).encode()
    ).hexdigest()[:20]
    root = (cache_dir or default_cache_dir()) / key
    fold_of = _folds(len(docs), s.folds, s.seed)
    todo = [k for k in range(s.folds) if not (root / f"fold-{k}" / "config.cfg").is_file()]
    for k in sorted(set(range(s.folds)) - set(todo)):
        say(f"fold {k + 1}/{s.folds}: cached model {root / f'fold-{k}'}")
    if todo:
        from ..distributed import map_tasks

        say(f"training fold model(s) {', '.join(str(k + 1) for k in todo)} of {s.folds}")
        job = _FoldJob([d.doc for d in docs], cfg, s, fold_of, None if ray else say)
        map_tasks(
            _fold_task,
            todo,
            shared=job,
            ray=ray,
            workers=workers,
            on_result=lambda i, files: _store(root / f"fold-{todo[i]}", files),
        )
    out: list[DocProbs | None] = [None] * len(docs)
    for k in range(s.folds):
        held = np.flatnonzero(fold_of == k).tolist()
        nlp = load(root / f"fold-{k}")
        for i, probs in zip(held, predict_probs(nlp, [docs[i].doc for i in held]), strict=True):
            probs.fold = k
            out[i] = probs
    return align_labels([p for p in out if p is not None])


def align_labels(probs: list[DocProbs]) -> list[DocProbs]:
    """The same label columns in every doc's probabilities (fold models may know different labels:
    a label a model never saw gets probability 0)."""
    from ..train.decoders import biluo_tag_names

    union: dict[str, list[str]] = {}
    for layer in ("tags", "pos", "deps", "ents"):
        names: set[str] = set()
        for p in probs:
            names.update(p.labels.get(layer, []))
        if layer == "ents":
            ent_labels = sorted({n[2:] for n in names if n != "O"})
            union[layer] = biluo_tag_names(ent_labels) if names else []
        elif names:
            union[layer] = sorted(names)
    for p in probs:
        for layer, names_ in union.items():
            old = p.labels.get(layer)
            mat = getattr(p, layer)
            if mat is None or old is None or old == names_:
                continue
            index = {n: i for i, n in enumerate(names_)}
            new = np.zeros((mat.shape[0], len(names_)), dtype=mat.dtype)
            new[:, [index[n] for n in old]] = mat
            setattr(p, layer, new)
        p.labels = union
    return probs


def _bare(doc: Doc) -> Doc:
    """The doc's words and sentence boundaries, nothing else (what the model sees)."""
    starts: list[bool | None] | None = None
    bounds = doc.sentence_bounds()
    if len(bounds) > 1 or doc.sent_starts is not None:
        starts = [False] * len(doc)
        for s, _e in bounds:
            starts[s] = True
    return Doc(words=list(doc.words), spaces=list(doc.spaces or []) or None, sent_starts=starts)


def predict_probs(nlp: Any, docs: list[Doc], *, batch_size: int = 256) -> list[DocProbs]:
    """The probabilities of ``nlp``'s tagger(s), parser and NER for each gold doc."""
    from ..train.ner import EntityRecognizer
    from ..train.parser import DependencyParser
    from ..train.tagger import Tagger

    out: list[DocProbs] = []
    labels: dict[str, list[str]] = {}
    for comp in nlp.components:
        if isinstance(comp, Tagger):
            labels[comp.attr] = list(comp.labels)
        elif isinstance(comp, DependencyParser):
            labels["deps"] = list(comp.labels)
        elif isinstance(comp, EntityRecognizer):
            labels["ents"] = list(comp.tag_names)
    for a in range(0, len(docs), batch_size):
        gold = docs[a : a + batch_size]
        bare = [_bare(d) for d in gold]
        keep = [i for i, d in enumerate(bare) if len(d)]
        batch = [DocProbs(labels) for _ in gold]
        if keep:
            tokvecs = nlp.tok2vec.predict([bare[i] for i in keep])
            for comp in nlp.components:
                _fill(
                    comp, [bare[i] for i in keep], [gold[i] for i in keep], tokvecs, [batch[i] for i in keep]
                )
        out.extend(batch)
    return out


def _fill(comp: Any, bare: list[Doc], gold: list[Doc], tokvecs: Any, into: list[DocProbs]) -> None:
    from ..train.ner import EntityRecognizer
    from ..train.parser import DependencyParser
    from ..train.tagger import Tagger

    if isinstance(comp, Tagger):
        for p, probs in zip(into, comp.predict_proba(bare, tokvecs), strict=True):
            setattr(p, comp.attr, np.asarray(probs, dtype=np.float64))
    elif isinstance(comp, EntityRecognizer):
        for p, probs in zip(into, comp.predict_proba(bare, tokvecs), strict=True):
            p.ents = probs
    elif isinstance(comp, DependencyParser):
        heads = [[i if h is None else h for i, h in enumerate(g.heads or [None] * len(g))] for g in gold]
        for p, (hp, lp) in zip(into, comp.predict_proba(bare, tokvecs, heads=heads), strict=True):
            p.heads, p.deps = hp, lp


def _corpus_labels(docs: list[LoadedDoc]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {"tags": set(), "pos": set(), "deps": set(), "ents": set()}
    for ld in docs:
        d = ld.doc
        for layer in ("tags", "pos"):
            out[layer].update(v for v in getattr(d, layer) or () if v is not None)
        if d.deps is not None and d.heads is not None:
            out["deps"].update(
                v for i, (v, h) in enumerate(zip(d.deps, d.heads, strict=True)) if v and h not in (None, i)
            )
        out["ents"].update(e.label for e in d.ents or ())
    return out


def score_with_model(path: str | Path, docs: list[LoadedDoc]) -> list[DocProbs]:
    """The probabilities of the trained model at ``path`` for every doc.

    Raises :class:`UsageError` naming the labels when the corpus has labels the model does not
    know, or when the model has no component for any annotation the corpus has.
    """
    from ..train.pipeline import load

    nlp = load(path)
    known: dict[str, set[str]] = {}
    for comp in nlp.components:
        layer = getattr(comp, "attr", None) or {"parser": "deps", "ner": "ents"}.get(comp.factory)
        if layer:
            known[layer] = set(comp.labels)
    corpus = _corpus_labels(docs)
    shared = [layer for layer in known if corpus.get(layer)]
    if not shared:
        have = ", ".join(layer for layer, v in corpus.items() if v) or "nothing"
        raise UsageError(
            f"model {str(path)!r} predicts {', '.join(known) or 'nothing'}; the corpus has {have}"
        )
    for layer in shared:
        unknown = sorted(corpus[layer] - known[layer])
        if unknown:
            more = " ..." if len(unknown) > 10 else ""
            raise UsageError(
                f"model {str(path)!r} does not know the {layer} label(s) "
                f"{', '.join(map(repr, unknown[:10]))}{more} of the corpus; "
                f"it knows {', '.join(sorted(known[layer]))}"
            )
    return predict_probs(nlp, [ld.doc for ld in docs])
