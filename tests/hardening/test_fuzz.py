"""Fuzzing every reader and the DocBin decoder: only corpuskit's own errors (CorpusError) escape.

A quick profile runs by default (few examples); the `slow` ones run many more. Text input goes
through each converter's ``parse`` as physical lines; bytes go through the line reader first (as
a file would). Mutated valid fixtures reach deeper than random text.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpuskit.doc import Doc
from corpuskit.docbin import DocBin, read_docbin
from corpuskit.errors import CorpusError
from corpuskit.registry import get_converter, list_converters

FIX = Path(__file__).resolve().parents[2] / "fixtures"
SEEDS = {
    "conllu": FIX / "convert" / "en_ewt-ud-dev.slice.conllu",
    "conll": FIX / "convert" / "conll2003-style.conll",
    "iob": FIX / "convert" / "spacy-ner-token-per-line.iob",
    "json": FIX / "convert" / "spacy-training-data.json",
    "jsonl": FIX / "jsonl" / "accents_utf8.jsonl",
    "doccano": FIX / "jsonl" / "misaligned.doccano.jsonl",
    "labelstudio": FIX / "jsonl" / "labelstudio_export.json",
    "prodigy": FIX / "jsonl" / "prodigy_ner.jsonl",
}
SPACY = FIX / "docbin" / "ewt_dev_n10.spacy"
CONVERTERS = sorted(list_converters())
QUICK = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
_MAX_DOCS = 200  # enough to exercise a reader; bounds the work of one example


def _head(path: Path, n_bytes: int = 6000) -> str:
    data = path.read_bytes()[:n_bytes]
    return data.decode("utf-8", errors="ignore")


def _parse(name: str, text: str) -> list[Doc]:
    """Parse ``text`` with the converter ``name``: docs, or a CorpusError (anything else fails)."""
    conv = get_converter(name)
    try:
        return list(itertools.islice(conv.read(text.split("\n"), source="fuzz.txt"), _MAX_DOCS))
    except CorpusError:
        return []


def test_every_converter_has_a_seed() -> None:
    assert set(CONVERTERS) <= set(SEEDS), set(CONVERTERS) - set(SEEDS)


@st.composite
def _mutated_text(draw: st.DrawFn, name: str) -> str:
    """A converter's fixture, cut and spliced: lines dropped, doubled, swapped, characters changed."""
    lines = _head(SEEDS[name]).split("\n")
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["drop", "dup", "swap", "char", "insert", "cut"]))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "char" and lines[i]:
            k = draw(st.integers(0, len(lines[i]) - 1))
            c = draw(st.sampled_from([*'\t "{}[],:0-1_#\\\x00\ud800é', draw(st.characters())]))
            lines[i] = lines[i][:k] + c + lines[i][k + 1 :]
        elif op == "insert":
            lines.insert(i, draw(st.text(max_size=40)))
        elif op == "cut":
            lines[i] = lines[i][: draw(st.integers(0, len(lines[i])))]
    return "\n".join(lines)


def _check_text_reader(name: str, text: str) -> None:
    for doc in _parse(name, text):
        assert isinstance(doc, Doc)


@pytest.mark.parametrize("name", CONVERTERS)
@QUICK
@given(data=st.data())
def test_converters_on_arbitrary_text(name: str, data: st.DataObject) -> None:
    _check_text_reader(name, data.draw(st.text(max_size=300)))


@pytest.mark.parametrize("name", CONVERTERS)
@QUICK
@given(data=st.data())
def test_converters_on_mutated_fixtures(name: str, data: st.DataObject) -> None:
    _check_text_reader(name, data.draw(_mutated_text(name)))


def _check_file_bytes(name: str, data: bytes, tmp: Path) -> None:
    """Bytes as a file: the line reader (decoding, NUL bytes, BOMs) and then the converter."""
    from corpuskit.corpus import read_file

    f = tmp / "fuzz.txt"
    f.write_bytes(data)
    try:
        for _ in itertools.islice(read_file(f, name), _MAX_DOCS):
            pass
    except CorpusError:
        pass


@pytest.mark.parametrize("name", ["conllu", "json", "jsonl"])
@QUICK
@given(data=st.binary(max_size=400))
def test_converters_on_arbitrary_bytes(
    name: str, data: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _check_file_bytes(name, data, tmp_path_factory.mktemp("bytes"))


def _mutations(data: bytes, draw: st.DrawFn) -> bytes:
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "set", "cut", "insert", "delete"]))
        i = draw(st.integers(0, max(len(buf) - 1, 0)))
        if op == "flip" and buf:
            buf[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "set" and buf:
            buf[i] = draw(st.integers(0, 255))
        elif op == "cut":
            del buf[i:]
        elif op == "insert":
            buf[i:i] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del buf[i : i + draw(st.integers(1, 16))]
    return bytes(buf)


def _inflated() -> bytes:
    return zlib.decompress(SPACY.read_bytes())


@st.composite
def _mutated_docbin(draw: st.DrawFn) -> bytes:
    """A valid DocBin changed inside the zlib stream (so the msgpack and columns get mutated), or
    a map entry replaced by another msgpack value, or the compressed bytes themselves mutated."""
    how = draw(st.sampled_from(["inside", "field", "outside"]))
    if how == "outside":
        return _mutations(SPACY.read_bytes(), draw)
    raw = _inflated()
    if how == "inside":
        return zlib.compress(_mutations(raw, draw))
    msg = msgpack.unpackb(raw, raw=False)
    key = draw(st.sampled_from(sorted(msg)))
    scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.text(max_size=8)
    values = st.recursive(
        scalars | st.binary(max_size=64),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
        max_leaves=8,
    )
    if isinstance(msg[key], list) and msg[key] and draw(st.booleans()):
        i = draw(st.integers(0, len(msg[key]) - 1))
        item = msg[key][i]
        if isinstance(item, bytes) and draw(st.booleans()):
            msg[key][i] = _mutations(item, draw)  # user_data, span_groups: msgpack inside msgpack
        else:
            msg[key][i] = draw(values)
    else:
        msg[key] = draw(values)
    return zlib.compress(msgpack.packb(msg, use_bin_type=True))


def _decode_all(data: bytes) -> Iterator[Doc]:
    try:
        yield from DocBin().from_bytes(data, path="fuzz.spacy").get_docs()
    except CorpusError:
        return


@QUICK
@given(data=_mutated_docbin())
def test_docbin_decoder_on_mutated_files(data: bytes) -> None:
    for doc in _decode_all(data):
        assert isinstance(doc, Doc)


@QUICK
@given(data=st.binary(max_size=300))
def test_docbin_decoder_on_arbitrary_bytes(data: bytes) -> None:
    for _ in _decode_all(data):
        pass
    for _ in _decode_all(zlib.compress(data)):
        pass


def test_read_docbin_names_the_file_on_mutations(tmp_path: Path) -> None:
    f = tmp_path / "bad.spacy"
    raw = bytearray(_inflated())
    raw[len(raw) // 2 : len(raw) // 2 + 40] = b"\xc1" * 40  # 0xc1: never valid msgpack
    f.write_bytes(zlib.compress(bytes(raw)))
    with pytest.raises(CorpusError) as info:
        list(read_docbin(f))
    assert str(f) in str(info.value)


@pytest.mark.slow
@pytest.mark.parametrize("name", CONVERTERS)
@LONG
@given(data=st.data())
def test_converters_long(name: str, data: st.DataObject) -> None:
    _check_text_reader(name, data.draw(_mutated_text(name)))
    _check_text_reader(name, data.draw(st.text(max_size=2000)))


@pytest.mark.slow
@LONG
@given(data=_mutated_docbin())
def test_docbin_decoder_long(data: bytes) -> None:
    for doc in _decode_all(data):
        assert isinstance(doc, Doc)
