"""corpuskit.strings against spaCy's StringStore (the oracle): hashes, symbols, UPOS IDs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.parts_of_speech import IDS as SPACY_POS_IDS
from spacy.strings import StringStore
from spacy.strings import hash_string as spacy_hash_string
from spacy.symbols import IDS as SPACY_SYMBOLS
from spacy.symbols import NAMES as SPACY_SYMBOL_NAMES

from corpuskit.strings import (
    N_SYMBOLS,
    SYMBOL_NAMES,
    SYMBOLS,
    UPOS,
    hash_string,
    hash_strings,
    murmurhash64a,
    pos_id,
    pos_name,
    symbol_name,
)

_STORE = StringStore()


def test_symbol_table_is_spacys() -> None:
    assert list(SYMBOL_NAMES) == list(SPACY_SYMBOL_NAMES)
    assert dict(SYMBOLS) == {k: int(v) for k, v in SPACY_SYMBOLS.items()}
    assert N_SYMBOLS == 457


def test_known_ids_from_formats_md() -> None:
    known = {"": 0, "nsubj": 429, "punct": 445, "root": 449, "ORG": 383, "PERSON": 380, "_": 456, "NOUN": 92}
    for s, i in known.items():
        assert hash_string(s) == i == _STORE[s]
    assert hash_string("ROOT") == _STORE["ROOT"] >= N_SYMBOLS  # upper-case ROOT is hashed


def test_hash_strings_empty_and_mixed() -> None:
    assert hash_strings([]).dtype == np.uint64
    assert len(hash_strings([])) == 0
    words = ["", "a", "12345678", "123456789", "nsubj", "x" * 1000, "ü" * 9, "ROOT"]
    assert hash_strings(words).tolist() == [_STORE[w] for w in words]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=100))
def test_hash_string_matches_spacy(s: str) -> None:
    assert hash_string(s) == _STORE[s]
    assert murmurhash64a(s.encode("utf-8")) == spacy_hash_string(s)


_MIXED = st.one_of(st.text(max_size=100), st.text(min_size=100, max_size=600), st.sampled_from(SYMBOL_NAMES))


@settings(max_examples=60, deadline=None)
@given(st.lists(_MIXED, max_size=40))
def test_hash_strings_vectorised_matches_spacy(strings: list[str]) -> None:
    assert hash_strings(strings).tolist() == [_STORE[s] for s in strings]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(max_size=80)))
def test_murmurhash_bytes(data: list[bytes]) -> None:
    for b in data:
        assert murmurhash64a(b) == _STORE[b]


@pytest.mark.parametrize("name", sorted(n for n in SPACY_POS_IDS if n))
def test_upos_ids(name: str) -> None:
    assert pos_id(name) == int(SPACY_POS_IDS[name]) == UPOS[name]
    assert pos_name(pos_id(name)) == name
    assert symbol_name(pos_id(name)) == name


def test_pos_helpers_edges() -> None:
    assert pos_name(0) is None
    assert symbol_name(100000) is None
    with pytest.raises(KeyError):
        pos_id("NOT_A_TAG")


def test_ud_upos_is_the_17_tags_of_ud_v2_within_spacys_table() -> None:
    from corpuskit.strings import UD_UPOS, UPOS

    assert len(UD_UPOS) == 17 and set(UPOS) >= UD_UPOS
    assert set(UPOS) - UD_UPOS == {"CONJ", "EOL", "SPACE"}  # spaCy's extras, not UD v2 tags
