"""The shared tok2vec: lexical features, hashing cache, output shapes."""

from __future__ import annotations

import numpy as np
import pytest

from corpuskit.doc import Doc
from corpuskit.errors import ConfigError
from corpuskit.train.tok2vec import FeatureTable, build_encoder, build_hash_embed, build_tok2vec, word_shape


@pytest.mark.parametrize(
    ("word", "shape"),
    [("Apple", "Xxxxx"), ("apple", "xxxx"), ("U.S.", "X.X."), ("1984", "dddd"), ("C3-PO", "Xd-XX"), ("", "")],
)
def test_word_shape_is_spacys(word: str, shape: str) -> None:
    assert word_shape(word) == shape


def test_word_shape_matches_spacy_on_many_words() -> None:
    spacy_attrs = pytest.importorskip("spacy.lang.lex_attrs")
    words = ["Hello", "WORLD", "x1234567", "naïve", "e-mail", "ÉCOLE", "''", "3.14159", "aaaaaaaab"]
    assert [word_shape(w) for w in words] == [spacy_attrs.word_shape(w) for w in words]


def test_feature_table_hashes_each_string_once_and_is_stable() -> None:
    table = FeatureTable(["NORM", "PREFIX", "SUFFIX", "SHAPE"])
    keys = table.lookup(["The", "cat", "the", "The"])
    assert keys.shape == (4, 4) and keys.dtype == np.uint64
    assert len(table) == 3  # "The", "cat", "the"
    assert (keys[0] == keys[3]).all()
    assert keys[0][0] == keys[2][0]  # NORM of "The" and "the" agree
    assert keys[0][3] != keys[2][3]  # SHAPE differs
    again = FeatureTable(["NORM", "PREFIX", "SUFFIX", "SHAPE"]).lookup(["cat"])
    assert (again[0] == keys[1]).all()  # same keys in another process-independent table


def test_feature_table_grows_past_its_first_allocation() -> None:
    table = FeatureTable(["NORM"])
    words = [f"w{i}" for i in range(5000)]
    keys = table.lookup(words)
    assert len(np.unique(keys[:, 0])) == 5000
    assert (table.lookup(["w4999"])[0] == keys[4999]).all()


def test_unknown_feature_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'LEMMA'"):
        FeatureTable(["LEMMA"])


def test_tok2vec_gives_one_row_per_word() -> None:
    model = build_tok2vec(
        build_hash_embed(32, ["NORM", "SHAPE"], [100, 50]),
        build_encoder(32, depth=2, window_size=1, maxout_pieces=2),
    )
    model.initialize()
    docs = [Doc(words=["A", "b", "c"]), Doc(words=["d"]), Doc(words=["e", "f"])]
    out = model.predict(docs)
    assert [o.shape for o in out] == [(3, 32), (1, 32), (2, 32)]
    # A doc's vectors do not depend on the other docs of the batch (padding between docs).
    alone = model.predict([docs[2]])
    np.testing.assert_allclose(alone[0], out[2], rtol=1e-5, atol=1e-6)
