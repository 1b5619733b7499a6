"""spaCy training configs (``spacy init config``) translated into corpuskit's config.

Every setting with a corpuskit equivalent is mapped (paths, seed, language, the tok2vec's
architecture, widths and depths, the tagger, parser and entity recogniser heads, dropout, the
optimizer, the batch-size schedule, patience, evaluation frequency, max steps and epochs, score
weights, the corpus readers' limits); a spaCy-only setting is listed once as ignored; and what
corpuskit cannot honour (a transformer, custom code, unknown architectures or factories, frozen
components, pretrained weights) is refused with every problem in one message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .validate import did_you_mean

__all__ = ["from_spacy_config", "is_spacy_config"]

_SPACY_SECTIONS = {"corpora", "initialize", "pretraining"}
_KNOWN_SECTIONS = {"paths", "system", "nlp", "components", "corpora", "training", "initialize", "pretraining"}
_TRANSFORMER = ("spacy-transformers.", "spacy-curated-transformers.", "spacy-transformers", "curated")
_CALLBACKS = {
    "nlp": ("before_creation", "after_creation", "after_pipeline_creation"),
    "training": ("before_to_disk", "before_update"),
    "initialize": ("before_init", "after_init"),
}
# [training] key -> corpuskit [training] key (same meaning, same units).
_TRAINING_KEYS = ("dropout", "accumulate_gradient", "patience", "max_steps", "eval_frequency")
_IGNORED_TRAINING = ("gpu_allocator", "logger", "dev_corpus", "train_corpus")


def _arch(block: Any) -> str:
    if not isinstance(block, Mapping):
        return ""
    for key, value in block.items():
        if str(key).startswith("@"):
            return str(value)
    return ""


def _walk_refs(node: Any, where: str) -> list[tuple[str, str, str]]:
    """Every ``@registry = name`` reference below ``node``: (where, registry, name)."""
    out: list[tuple[str, str, str]] = []
    if isinstance(node, Mapping):
        for key, value in node.items():
            if str(key).startswith("@"):
                out.append((where, str(key), str(value)))
            elif isinstance(value, Mapping):
                out.extend(_walk_refs(value, f"{where}.{key}" if where else str(key)))
    return out


def is_spacy_config(config: Mapping[str, Any]) -> bool:
    """Whether ``config`` was written for spaCy (``spacy init config``), by its content."""
    if _SPACY_SECTIONS & set(config):
        return True
    training = config.get("training")
    if isinstance(training, Mapping) and ("batcher" in training or "train_corpus" in training):
        return True
    return any(name.startswith(("spacy.", *_TRANSFORMER)) for _, _, name in _walk_refs(config, ""))


class _Translation:
    """The corpuskit config being built, the ignored notes and the problems."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.src = config
        self.ignored: list[str] = []
        self.problems: list[str] = []

    def ignore(self, where: str, keys: Any) -> None:
        names = [str(k) for k in keys]
        if not names:
            return
        head = f"[{where}] "
        for i, note in enumerate(self.ignored):
            if note.startswith(head):
                self.ignored[i] = f"{note}, {', '.join(names)}"
                return
        self.ignored.append(head + ", ".join(names))

    def refuse(self, message: str) -> None:
        self.problems.append(message)


def from_spacy_config(config: Mapping[str, Any], source: str) -> tuple[dict[str, Any], list[str]]:
    """The corpuskit config for an interpolated spaCy ``config``, and the ignored-settings notes.

    Raises :class:`~corpuskit.errors.ConfigError` naming every setting that cannot be honoured.
    """
    t = _Translation(config)
    for section in config:
        if section not in _KNOWN_SECTIONS:
            what = "custom code" if section == "code" else "an unknown section"
            t.refuse(
                f"[{section}] is {what}{did_you_mean(str(section), _KNOWN_SECTIONS)}; corpuskit runs no code"
            )
    for where, reg, name in _walk_refs(config, ""):
        if name.startswith(_TRANSFORMER) or "transformer" in name.lower():
            t.refuse(f"[{where}] {reg} = {name!r}: transformers are not supported (use a tok2vec config)")
    for section, keys in _CALLBACKS.items():
        values = config.get(section) or {}
        for key in keys:
            if values.get(key) is not None:
                t.refuse(f"[{section}] {key} = {values[key]!r}: a callback is custom code (not run)")
    out: dict[str, Any] = {}
    paths = dict(config.get("paths") or {})
    out["paths"] = {"train": paths.pop("train", None), "dev": paths.pop("dev", None)}
    seed = (config.get("system") or {}).get("seed", 0)
    out["system"] = {"seed": seed if seed is not None else 0, "gpu": -1}
    t.ignore("system", [k for k in (config.get("system") or {}) if k != "seed"])
    out["nlp"], pipeline = _nlp(t)
    out["components"] = _components(t, pipeline)
    out["training"] = _training(t, pipeline, out["system"]["seed"])
    _paths_and_vectors(t, paths)
    _initialize(t)
    pretraining = config.get("pretraining") or {}
    t.ignore("pretraining", ["(spacy pretrain's section)"] if pretraining else [])
    if t.problems:
        n = len(t.problems)
        lines = "\n".join(f"  - {p}" for p in t.problems)
        raise ConfigError(
            f"{source}: this spaCy config cannot be trained by corpuskit "
            f"({n} problem{'s' if n > 1 else ''}):\n{lines}"
        )
    return out, t.ignored


def _paths_and_vectors(t: _Translation, paths: dict[str, Any]) -> None:
    if paths.get("init_tok2vec") is not None:
        t.refuse(
            f"[paths] init_tok2vec = {paths['init_tok2vec']!r}: pretrained tok2vec weights cannot be loaded"
        )
    t.ignore("paths", [k for k, v in paths.items() if k != "init_tok2vec" and (v is None or k == "vectors")])
    unknown = [k for k in paths if k not in ("vectors", "init_tok2vec")]
    t.ignore("paths", [f"{k} (unused)" for k in unknown if paths[k] is not None])


def _initialize(t: _Translation) -> None:
    init = t.src.get("initialize") or {}
    if init.get("init_tok2vec") is not None and (t.src.get("paths") or {}).get("init_tok2vec") is None:
        t.refuse(f"[initialize] init_tok2vec = {init['init_tok2vec']!r}: pretrained weights cannot be loaded")
    notes = [k for k in init if k not in ("init_tok2vec", "before_init", "after_init")]
    if init.get("vectors") is not None:
        notes = [n if n != "vectors" else f"vectors = {init['vectors']!r} (no static vectors)" for n in notes]
    t.ignore("initialize", notes)


def _nlp(t: _Translation) -> tuple[dict[str, Any], list[str]]:
    nlp = t.src.get("nlp") or {}
    pipeline = list(nlp.get("pipeline") or [])
    if nlp.get("disabled"):
        t.refuse(f"[nlp] disabled = {nlp['disabled']!r}: corpuskit trains every component of the pipeline")
    skip = {"lang", "pipeline", "batch_size", "disabled", *_CALLBACKS["nlp"]}
    notes = [k for k in nlp if k not in skip]
    t.ignore("nlp", [*notes, "disabled"] if "disabled" in nlp and not nlp["disabled"] else notes)
    out = {"lang": nlp.get("lang") or "xx", "pipeline": pipeline, "batch_size": nlp.get("batch_size", 1000)}
    return out, pipeline


def _components(t: _Translation, pipeline: list[str]) -> dict[str, Any]:
    comps = t.src.get("components") or {}
    out: dict[str, Any] = {}
    tok2vecs = [n for n in pipeline if (comps.get(n) or {}).get("factory") == "tok2vec"]
    if len(tok2vecs) != 1 or pipeline[:1] != tok2vecs:
        t.refuse("[nlp] pipeline: corpuskit needs one shared 'tok2vec' first, listened to by the others")
    for name in pipeline:
        section = comps.get(name)
        if not isinstance(section, Mapping):
            t.refuse(f"[nlp] pipeline names {name!r} but there is no [components.{name}]")
            continue
        factory = section.get("factory")
        build = _FACTORIES.get(str(factory))
        if build is None:
            t.refuse(
                f"[components.{name}] factory = {factory!r} has no corpuskit equivalent "
                f"(corpuskit trains {', '.join(_FACTORIES)})"
            )
            continue
        model = section.get("model")
        if factory != "tok2vec" and isinstance(model, Mapping):
            listener = model.get("tok2vec")
            if _arch(listener) not in ("spacy.Tok2VecListener.v1", ""):
                t.refuse(
                    f"[components.{name}.model.tok2vec] {_arch(listener)!r}: a component's own tok2vec; "
                    "corpuskit shares one tok2vec (use spacy.Tok2VecListener.v1)"
                )
        result = build(t, name, section)
        if result is not None:
            out[name] = result
        t.ignore(f"components.{name}", [k for k in section if k in ("scorer",)])
    return out


def _tok2vec(t: _Translation, name: str, section: Mapping[str, Any]) -> dict[str, Any] | None:
    model = section.get("model") or {}
    arch = _arch(model)
    where = f"components.{name}.model"
    if arch in ("spacy.Tok2Vec.v1", "spacy.Tok2Vec.v2"):
        embed, encode = model.get("embed") or {}, model.get("encode") or {}
        e_arch, c_arch = _arch(embed), _arch(encode)
        if e_arch not in ("spacy.MultiHashEmbed.v1", "spacy.MultiHashEmbed.v2"):
            t.refuse(
                f"[{where}.embed] @architectures = {e_arch!r} has no corpuskit equivalent (MultiHashEmbed)"
            )
            return None
        if c_arch not in ("spacy.MaxoutWindowEncoder.v1", "spacy.MaxoutWindowEncoder.v2"):
            t.refuse(
                f"[{where}.encode] @architectures = {c_arch!r}: no corpuskit equivalent (MaxoutWindowEncoder)"
            )
            return None
        t.ignore(f"{where}.embed", [k for k in embed if k == "include_static_vectors" and embed[k]])
        width, depth = encode.get("width"), encode.get("depth")
        window, pieces = encode.get("window_size", 1), encode.get("maxout_pieces", 3)
        attrs, rows = list(embed.get("attrs") or []), list(embed.get("rows") or [])
        from .tok2vec import FEATURES

        bad = [a for a in attrs if a not in FEATURES]
        if bad:
            t.refuse(f"[{where}.embed] attrs {bad}: corpuskit embeds {sorted(FEATURES)}")
    elif arch in ("spacy.HashEmbedCNN.v1", "spacy.HashEmbedCNN.v2"):
        width, depth = model.get("width"), model.get("depth")
        window, pieces = model.get("window_size", 1), model.get("maxout_pieces", 3)
        size = int(model.get("embed_size", 2000))
        subwords = model.get("subword_features", True)
        attrs = ["NORM", "PREFIX", "SUFFIX", "SHAPE"] if subwords else ["NORM"]
        rows = [size, size // 2, size // 2, size // 2] if subwords else [size]
        t.ignore(where, [k for k in model if k == "pretrained_vectors" and model[k]])
    else:
        if not arch.startswith(_TRANSFORMER):  # a transformer is refused once, above
            t.refuse(
                f"[{where}] @architectures = {arch!r}: no corpuskit equivalent (Tok2Vec.v2, HashEmbedCNN)"
            )
        return None
    return {
        "factory": "tok2vec",
        "model": {
            "@architectures": "corpuskit.Tok2Vec.v1",
            "embed": {
                "@architectures": "corpuskit.MultiHashEmbed.v1",
                "width": width,
                "attrs": attrs,
                "rows": rows,
                "seed": (t.src.get("system") or {}).get("seed") or 0,
            },
            "encode": {
                "@architectures": "corpuskit.MaxoutWindowEncoder.v1",
                "width": width,
                "depth": depth,
                "window_size": window,
                "maxout_pieces": pieces,
            },
        },
    }


def _tagger(t: _Translation, name: str, section: Mapping[str, Any]) -> dict[str, Any] | None:
    model = section.get("model") or {}
    arch = _arch(model)
    if arch not in ("spacy.Tagger.v1", "spacy.Tagger.v2"):
        t.refuse(f"[components.{name}.model] @architectures = {arch!r}: no corpuskit equivalent (Tagger.v2)")
        return None
    t.ignore(f"components.{name}", [k for k in section if k in ("overwrite", "neg_prefix")])
    return {
        "factory": "tagger",
        "attr": "tags",
        "label_smoothing": section.get("label_smoothing", 0.0),
        "model": {
            "@architectures": "corpuskit.Tagger.v1",
            "nO": None,
            "normalize": bool(model.get("normalize", False)),
        },
    }


def _transition(
    t: _Translation, name: str, section: Mapping[str, Any], state: str
) -> Mapping[str, Any] | None:
    model = section.get("model") or {}
    arch = _arch(model)
    if not arch.startswith("spacy.TransitionBasedParser."):
        t.refuse(
            f"[components.{name}.model] @architectures = {arch!r} has no corpuskit equivalent "
            "(spacy.TransitionBasedParser.v2)"
        )
        return None
    if model.get("state_type", state) != state:
        t.refuse(f"[components.{name}.model] state_type = {model.get('state_type')!r} in a {state} component")
    if section.get("learn_tokens"):
        t.refuse(f"[components.{name}] learn_tokens = true: corpuskit's parser does not re-tokenise")
    t.ignore(
        f"components.{name}",
        [
            k
            for k in section
            if k
            in (
                "moves",
                "update_with_oracle_cut_size",
                "learn_tokens",
                "min_action_freq",
                "incorrect_spans_key",
            )
        ],
    )
    return model


def _parser(t: _Translation, name: str, section: Mapping[str, Any]) -> dict[str, Any] | None:
    model = _transition(t, name, section, "parser")
    if model is None:
        return None
    t.ignore(
        f"components.{name}.model",
        [k for k in model if k in ("state_type", "extra_state_tokens", "maxout_pieces", "use_upper")],
    )
    width = model.get("hidden_width", 128)
    return {
        "factory": "parser",
        "model": {
            "@architectures": "corpuskit.BiaffineParser.v1",
            "hidden_width": width,
            "label_width": width,
            "nO": None,
        },
    }


def _ner(t: _Translation, name: str, section: Mapping[str, Any]) -> dict[str, Any] | None:
    model = _transition(t, name, section, "ner")
    if model is None:
        return None
    t.ignore(
        f"components.{name}.model",
        [k for k in model if k in ("state_type", "extra_state_tokens", "use_upper")],
    )
    return {
        "factory": "ner",
        "model": {
            "@architectures": "corpuskit.BILUOTagger.v1",
            "hidden_width": model.get("hidden_width", 64),
            "maxout_pieces": model.get("maxout_pieces", 2),
            "crf": True,
            "nO": None,
        },
    }


_FACTORIES: dict[str, Any] = {"tok2vec": _tok2vec, "tagger": _tagger, "parser": _parser, "ner": _ner}


def _training(t: _Translation, pipeline: list[str], seed: Any) -> dict[str, Any]:
    src = t.src.get("training") or {}
    out: dict[str, Any] = {
        k: src.get(k, d) for k, d in zip(_TRAINING_KEYS, (0.1, 1, 1600, 20000, 200), strict=True)
    }
    out["seed"] = src.get("seed", seed) if src.get("seed") is not None else seed
    max_epochs = src.get("max_epochs", 0)
    if isinstance(max_epochs, int) and max_epochs < 0:
        t.refuse(
            f"[training] max_epochs = {max_epochs}: streaming the corpus is not supported (use 0 or more)"
        )
    out["max_epochs"] = max_epochs
    for key in ("frozen_components", "annotating_components"):
        if src.get(key):
            t.refuse(f"[training] {key} = {src[key]!r}: corpuskit trains every component")
    known = {
        *_TRAINING_KEYS,
        *_IGNORED_TRAINING,
        *_CALLBACKS["training"],
        "seed",
        "max_epochs",
        "frozen_components",
        "annotating_components",
        "optimizer",
        "batcher",
        "score_weights",
    }
    for key in src:
        if key not in known:
            t.refuse(f"[training] has an unknown key {key!r}{did_you_mean(str(key), known)}")
    t.ignore(
        "training",
        [k for k in src if k in (*_IGNORED_TRAINING, "frozen_components", "annotating_components")],
    )
    out.update(_corpus_settings(t))
    out.update(_batcher(t, src.get("batcher")))
    optimizer = src.get("optimizer")
    if not isinstance(optimizer, Mapping):
        t.refuse("[training.optimizer] is missing")
        optimizer = {}
    out["optimizer"] = dict(optimizer)
    weights = src.get("score_weights") or {}
    out["score_weights"] = {k: v for k, v in weights.items() if v is not None}
    nulls = [k for k, v in weights.items() if v is None]
    t.ignore("training.score_weights", [f"{k} (null)" for k in nulls])
    return out


def _corpus_settings(t: _Translation) -> dict[str, Any]:
    corpora = t.src.get("corpora") or {}
    out = {"limit": 0, "max_length": 0, "gold_preproc": False, "orth_variant_level": 0.0}
    for name, reader in corpora.items():
        arch = _arch(reader)
        if arch != "spacy.Corpus.v1":
            t.refuse(f"[corpora.{name}] @readers = {arch!r}: corpuskit reads corpora as spacy.Corpus.v1 does")
            continue
        augmenter = reader.get("augmenter")
        if name == "train":
            out.update({k: reader[k] for k in ("limit", "max_length", "gold_preproc") if k in reader})
            if _arch(augmenter) == "spacy.orth_variants.v1":
                out["orth_variant_level"] = augmenter.get("level", 0.0)
            elif augmenter is not None:
                t.refuse(f"[corpora.train.augmenter] {_arch(augmenter)!r} has no corpuskit equivalent")
        else:
            t.ignore(f"corpora.{name}", [k for k in ("limit", "max_length", "augmenter") if k in reader])
    return out


def _batcher(t: _Translation, batcher: Any) -> dict[str, Any]:
    arch = _arch(batcher)
    if not isinstance(batcher, Mapping):
        t.refuse("[training.batcher] is missing (spacy.batch_by_words.v1 and its size)")
        return {"batch_size": 1000, "discard_oversize": False}
    if arch != "spacy.batch_by_words.v1":
        t.refuse(
            f"[training.batcher] @batchers = {arch!r}: corpuskit batches by words (spacy.batch_by_words.v1)"
        )
        return {"batch_size": 1000, "discard_oversize": False}
    if batcher.get("get_length") is not None:
        t.refuse("[training.batcher] get_length: a custom length function is custom code")
    t.ignore("training.batcher", [k for k in batcher if k == "tolerance"])
    size = batcher.get("size", 1000)
    return {
        "batch_size": dict(size) if isinstance(size, Mapping) else size,
        "discard_oversize": bool(batcher.get("discard_oversize", False)),
    }
