"""The shared token-to-vector model: hashed lexical features, embedded, then a CNN encoder.

``corpuskit.Tok2Vec.v1`` chains an embedding (``corpuskit.MultiHashEmbed.v1``: hash embeddings of
NORM, PREFIX, SUFFIX and SHAPE mixed by a maxout layer) and an encoder
(``corpuskit.MaxoutWindowEncoder.v1``: ``depth`` residual maxout convolutions over a window of
``window_size`` tokens each side), as spaCy's efficiency pipeline does. Input ``list[Doc]``, output
one ``(len(doc), width)`` array per doc.

Feature extraction is the hot path: every distinct word string is turned into its four feature
keys once (a per-model cache, the "vocabulary"), and a batch's features are one numpy gather.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from thinc.api import (
    HashEmbed,
    Maxout,
    Model,
    chain,
    clone,
    concatenate,
    expand_window,
    residual,
    with_array,
)

from ..doc import Doc
from ..errors import ConfigError
from .registry import registry

__all__ = [
    "FEATURES",
    "FeatureTable",
    "build_encoder",
    "build_hash_embed",
    "build_tok2vec",
    "extract_features",
    "word_shape",
]

#: The lexical features a hash embedding can use, and how each is derived from the word.
FEATURES: dict[str, Callable[[str], str]] = {
    "ORTH": lambda w: w,
    "NORM": lambda w: w.lower(),
    "LOWER": lambda w: w.lower(),
    "PREFIX": lambda w: w[:1],
    "SUFFIX": lambda w: w[-3:],
    "SHAPE": lambda w: word_shape(w),
}

# Cap on the feature cache: a stream of unseen strings (raw text) cannot grow it without bound.
_MAX_CACHE = 2_000_000


def word_shape(word: str) -> str:
    """spaCy's word shape: ``Xxxx``, ``dd``, ``xxxx'x``; runs longer than 4 are cut to 4."""
    if len(word) >= 100:
        return "LONG"
    shape: list[str] = []
    last = ""
    run = 0
    for char in word:
        if char.isalpha():
            s = "X" if char.isupper() else "x"
        elif char.isdigit():
            s = "d"
        else:
            s = char
        if s == last:
            run += 1
        else:
            run = 0
            last = s
        if run < 4:
            shape.append(s)
    return "".join(shape)


def _hash(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class FeatureTable:
    """Word string -> row of uint64 feature keys, computed once per distinct string."""

    def __init__(self, attrs: Sequence[str]) -> None:
        unknown = [a for a in attrs if a not in FEATURES]
        if unknown:
            raise ConfigError(f"unknown feature {unknown[0]!r}; expected one of {sorted(FEATURES)}")
        self.attrs = tuple(attrs)
        self._funcs = [FEATURES[a] for a in attrs]
        self._index: dict[str, int] = {}
        self._table = np.zeros((1024, len(attrs)), dtype=np.uint64)

    def __len__(self) -> int:
        return len(self._index)

    def lookup(self, words: Sequence[str]) -> Any:
        """The ``(len(words), n_attrs)`` uint64 keys of ``words``."""
        index = self._index
        if len(index) > _MAX_CACHE:
            index.clear()
        n_before = len(index)
        setdefault = index.setdefault
        rows = [setdefault(w, len(index)) for w in words]
        if len(index) > n_before:
            self._add(n_before)
        return self._table[np.asarray(rows, dtype=np.int64)]

    def _add(self, start: int) -> None:
        n = len(self._index)
        if n > len(self._table):
            grown = np.zeros((max(n, 2 * len(self._table)), len(self.attrs)), dtype=np.uint64)
            grown[: len(self._table)] = self._table
            self._table = grown
        new = list(self._index)[start:]
        funcs = self._funcs
        self._table[start:n] = np.array([[_hash(f(w)) for f in funcs] for w in new], dtype=np.uint64).reshape(
            len(new), len(funcs)
        )


def extract_features(attrs: Sequence[str]) -> Model[Any, Any]:
    """A layer: ``list[Doc]`` -> one ``(len(doc), len(attrs))`` uint64 array per doc."""
    table = FeatureTable(attrs)

    def forward(
        model: Model[Any, Any], docs: list[Doc], is_train: bool
    ) -> tuple[list[Any], Callable[..., Any]]:
        words: list[str] = []
        for doc in docs:
            words.extend(doc.words)
        ops: Any = model.ops
        keys = ops.asarray(table.lookup(words), dtype="uint64")
        lengths = [len(doc) for doc in docs]
        out = ops.unflatten(keys, lengths) if docs else []

        def backprop(dY: Any) -> list[Doc]:
            return []

        return out, backprop

    return Model("extract_features", forward, attrs={"feature_names": list(attrs)})


@registry.architectures("corpuskit.MultiHashEmbed.v1")
def build_hash_embed(
    width: int,
    attrs: list[str],
    rows: list[int],
    *,
    seed: int = 0,
) -> Model[Any, Any]:
    """Hash embeddings of the lexical ``attrs`` (``rows`` buckets each), mixed by a maxout layer."""
    if len(rows) != len(attrs):
        raise ConfigError(f"MultiHashEmbed: {len(rows)} rows for {len(attrs)} attrs; give one per attr")
    embeddings: list[Model[Any, Any]] = [
        HashEmbed(width, n_rows, column=i, seed=seed + 7 * i + 1, dropout=0.0)
        for i, n_rows in enumerate(rows)
    ]
    mix = Maxout(width, width * len(embeddings), nP=3, dropout=0.0, normalize=True)
    model: Model[Any, Any] = chain(extract_features(attrs), with_array(chain(concatenate(*embeddings), mix)))
    model.set_dim("nO", width)
    return model


@registry.architectures("corpuskit.MaxoutWindowEncoder.v1")
def build_encoder(width: int, depth: int, window_size: int, maxout_pieces: int) -> Model[Any, Any]:
    """``depth`` residual blocks: a window of ``window_size`` tokens each side, then maxout."""
    cnn: Model[Any, Any] = chain(
        expand_window(window_size=window_size),
        Maxout(width, width * (window_size * 2 + 1), nP=maxout_pieces, dropout=0.0, normalize=True),
    )
    model: Model[Any, Any] = clone(residual(cnn), depth)
    model.set_dim("nO", width)
    return with_array(model, pad=window_size * depth)


@registry.architectures("corpuskit.Tok2Vec.v1")
def build_tok2vec(embed: Model[Any, Any], encode: Model[Any, Any]) -> Model[Any, Any]:
    """The shared tok2vec: ``list[Doc]`` -> ``list[Floats2d]`` (``embed`` then ``encode``)."""
    model: Model[Any, Any] = chain(embed, encode)
    if encode.has_dim("nO"):
        model.set_dim("nO", encode.get_dim("nO"))
    elif embed.has_dim("nO"):
        model.set_dim("nO", embed.get_dim("nO"))
    model.set_ref("embed", embed)
    model.set_ref("encode", encode)
    return model
