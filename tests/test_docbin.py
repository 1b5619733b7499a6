"""corpuskit.docbin against spaCy's DocBin: both directions, byte identity, shards, errors."""

from __future__ import annotations

import contextlib
import zlib
from pathlib import Path
from typing import Any

import msgpack
import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import assert_same_annotations, from_spacy, spacy_docs_from_file, to_spacy
from spacy.tokens import Doc as SDoc
from spacy.tokens import DocBin as SDocBin
from spacy.tokens import Span as SSpan
from spacy.training.corpus import walk_corpus
from spacy.vocab import Vocab

import corpuskit
from corpuskit import docbin as docbin_mod
from corpuskit.doc import PROVENANCE_KEY, Doc, Span, sent_starts_from_parse
from corpuskit.docbin import DocBin, WriteStats, normalize_morph, read_docbin, write_docbin
from corpuskit.docbin import format as docbin_format
from corpuskit.docbin import lookup as docbin_lookup
from corpuskit.docbin import stream as docbin_stream
from corpuskit.errors import DocBinError, UsageError
from corpuskit.strings import UPOS

FIXTURES = sorted((Path(__file__).resolve().parent.parent / "fixtures" / "docbin").glob("*.spacy"))


def _spacy_bytes(docs: list[Doc], **kwargs: Any) -> bytes:
    vocab = Vocab()
    return bytes(SDocBin(docs=[to_spacy(d, vocab) for d in docs], store_user_data=True, **kwargs).to_bytes())


def _sample_docs() -> list[Doc]:
    return [
        Doc(
            words=["I", "saw", "Bob", "."],
            spaces=[True, True, False, False],
            tags=["PRP", "VBD", None, "."],
            pos=["PRON", "VERB", "PROPN", "PUNCT"],
            morphs=["Number=Sing|Case=Nom", "", None, "PunctType=Peri"],
            lemmas=["I", "see", "Bob", "."],
            heads=[1, 1, 1, 1],
            deps=["nsubj", "ROOT", "obj", "punct"],
            ents=[Span(2, 3, "PERSON", "Q1", "bob")],
            ents_missing=[True, False, False, False],
            cats={"POS": 1.0, "NEG": 0.0},
            spans={"sc": [Span(0, 2, "X"), Span(2, 4, "Y", "kb")], "other": []},
            source="a.conllu",
            lines=[3, 4, 5, 6],
        ),
        Doc(words=["x", "y"], ents=[], norms=["X", None]),
        Doc(words=[]),
        Doc(words=["Hola", "Ünïcode", "😀"], spaces=[True, False, False], user_data={"k": [1, 2], "n": None}),
    ]


# --- spaCy's files, read by corpuskit ---------------------------------------------------------


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_spacy_file_reads_and_reserialises_to_same_bytes(path: Path) -> None:
    data = path.read_bytes()
    docs = list(read_docbin(path))
    assert docs
    vocab = Vocab()
    assert_same_annotations(spacy_docs_from_file(path), [to_spacy(d, vocab) for d in docs])
    assert DocBin(docs=docs).to_bytes() == data
    assert DocBin().from_bytes(data).to_bytes() == data
    assert [from_spacy(s) for s in spacy_docs_from_file(path)] == docs


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_vectorised_lookup_reads_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = list(read_docbin(path))
    monkeypatch.setattr(docbin_lookup, "_SMALL_COLUMN", 0)  # force the numpy hash-table lookup
    assert list(read_docbin(path)) == small
    assert list(DocBin().from_bytes(DocBin(docs=_sample_docs()).to_bytes())) == list(
        DocBin(docs=_sample_docs())
    )
    with pytest.raises(DocBinError, match="not the hash of any string"):
        list(DocBin().from_bytes(_msg(strings=["x"])))


@pytest.mark.parametrize("path", FIXTURES, ids=[p.name for p in FIXTURES])
def test_batched_encoding_and_decoding_give_the_same(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = list(read_docbin(path))
    monkeypatch.setattr(docbin_format, "BATCH_TOKENS", 50)  # blocks of docs, threaded compression
    assert list(read_docbin(path)) == whole
    assert DocBin(docs=whole).to_bytes() == path.read_bytes()


def test_rich_spacy_docs_reserialise_to_same_bytes() -> None:
    nlp = spacy.blank("en")
    vocab = Vocab()
    a = SDoc(
        vocab,
        words=["Apple", "buys", "U.K.", "startup", "for", "$", "1", "billion"],
        spaces=[True, True, True, True, True, False, True, False],
        tags=["NNP", "VBZ", "NNP", "NN", "IN", "$", "CD", "CD"],
        pos=["PROPN", "VERB", "PROPN", "NOUN", "ADP", "SYM", "NUM", "NUM"],
        morphs=[
            "Number=Sing",
            "Tense=Pres|Person=3",
            "",
            "Number=Sing",
            "",
            "",
            "NumType=Card",
            "NumType=Card",
        ],
        lemmas=["Apple", "buy", "U.K.", "startup", "for", "$", "1", "billion"],
        heads=[1, 1, 3, 1, 1, 7, 7, 4],
        deps=["nsubj", "ROOT", "compound", "dobj", "prep", "quantmod", "compound", "pobj"],
        ents=["B-ORG", "O", "B-GPE", "O", "O", "B-MONEY", "I-MONEY", "I-MONEY"],
    )
    a.ents = [SSpan(a, 0, 1, label="ORG", kb_id="Q312", span_id="apple"), *a.ents[1:]]
    a[3].norm_ = "start-up"
    a.cats = {"BUSINESS": 1.0, "SPORT": 0.0}
    a.spans["sc"] = [SSpan(a, 0, 1, label="COMPANY"), SSpan(a, 5, 8, label="AMOUNT", kb_id="money")]
    a.spans["empty"] = []
    a.user_data[("._.", "score", 0, None)] = 0.5
    a.user_data["meta"] = {"id": 7}
    b = SDoc(vocab, words=["no", "spaces", "known"])  # has_unknown_spaces
    b.set_ents([], missing=[b[0:1]], default="outside")
    c = nlp.make_doc("Plain text, no annotation.")
    data = SDocBin(docs=[a, b, c], store_user_data=True).to_bytes()
    docs = list(DocBin().from_bytes(data))
    assert docs[0].norms == [None, None, None, "start-up", None, None, None, None]
    assert docs[0].ents is not None and docs[0].ents[0] == Span(0, 1, "ORG", "Q312", "apple")
    assert docs[0].spans["sc"][1] == Span(5, 8, "AMOUNT", "money")
    assert docs[0].user_data[("._.", "score", 0, None)] == 0.5
    assert docs[1].has_unknown_spaces and docs[1].ents == [] and docs[1].ents_missing == [True, False, False]
    assert docs[2].tags is None and docs[2].heads is None and docs[2].ents is None
    # c was made by a tokenizer with lexeme norms: spaCy stores them in the NORM column too
    assert docs[2].norms == [t.norm_ for t in c]
    assert DocBin(docs=docs).to_bytes() == data


# --- corpuskit's files, read by spaCy ---------------------------------------------------------


def test_corpuskit_bytes_equal_spacys_for_same_docs() -> None:
    docs = _sample_docs()
    assert DocBin(docs=docs).to_bytes() == _spacy_bytes(docs)


def test_spacy_reads_corpuskit_files(tmp_path: Path) -> None:
    docs = _sample_docs()
    DocBin(docs=docs).to_disk(tmp_path / "x.spacy")
    vocab = Vocab()
    sdocs = spacy_docs_from_file(tmp_path / "x.spacy")
    assert_same_annotations(sdocs, [to_spacy(d, vocab) for d in docs])
    assert sdocs[0].user_data[PROVENANCE_KEY] == {"source": "a.conllu", "runs": (3, 4)}
    assert [s.label_ for s in sdocs[0].spans["sc"]] == ["X", "Y"]
    assert sdocs[0].ents[0].kb_id_ == "Q1" and sdocs[0].ents[0].id_ == "bob"
    assert sdocs[1].has_unknown_spaces


def _with_provenance(data: bytes, prov: Any) -> bytes:
    """``data`` (one doc) with its stored provenance replaced by ``prov``."""
    msg = msgpack.unpackb(zlib.decompress(data), raw=False)
    user_data = msgpack.unpackb(msg["user_data"][0], raw=False)
    user_data[PROVENANCE_KEY] = prov
    msg["user_data"][0] = msgpack.packb(user_data, use_bin_type=True)
    return zlib.compress(msgpack.packb(msg, use_bin_type=True))


def test_provenance_is_stored_as_runs_and_the_old_list_is_read() -> None:
    doc = Doc(words=["a", "b", "c", "d", "e"], source="x.conll", lines=[3, 4, 5, 9, 10])
    data = DocBin(docs=[doc]).to_bytes()
    msg = msgpack.unpackb(zlib.decompress(data), raw=False)
    stored = msgpack.unpackb(msg["user_data"][0], raw=False)[PROVENANCE_KEY]
    assert stored == {"source": "x.conll", "runs": [3, 3, 9, 2]}
    assert next(iter(DocBin().from_bytes(data))).lines == [3, 4, 5, 9, 10]
    old = _with_provenance(data, {"source": "x.conll", "lines": [3, 4, 5, 9, 10]})
    assert next(iter(DocBin().from_bytes(old))).lines == [3, 4, 5, 9, 10]
    for bad in ([3, 3, 9], [3, 3, 9, 3], [3, "x"], [3, -5, 9, 10]):
        with pytest.raises(corpuskit.errors.DocBinError, match="provenance runs of doc 0"):
            list(DocBin().from_bytes(_with_provenance(data, {"source": "x.conll", "runs": bad})))


def test_round_trip_keeps_everything() -> None:
    docs = _sample_docs()
    back = list(DocBin().from_bytes(DocBin(docs=docs).to_bytes()))
    assert back[0].source == "a.conllu" and back[0].lines == [3, 4, 5, 6]
    assert PROVENANCE_KEY not in back[0].user_data
    assert back[0].morphs == ["Case=Nom|Number=Sing", "", None, "PunctType=Peri"]
    assert back[0].spans == {"sc": [Span(0, 2, "X"), Span(2, 4, "Y", "kb")], "other": []}
    assert back[1].norms == ["X", None] and back[1].ents == [] and back[1].ents_missing is None
    assert back[2].words == []
    assert back[3].user_data == {"k": [1, 2], "n": None}
    assert back[3].words == ["Hola", "Ünïcode", "😀"]


def test_custom_attrs_match_spacy() -> None:
    docs = _sample_docs()
    for attrs in (["TAG"], ["LEMMA", "HEAD", "DEP"], ["ENT_IOB", "ENT_TYPE", "MORPH"]):
        assert DocBin(attrs=attrs, docs=docs).to_bytes() == _spacy_bytes(docs, attrs=attrs)
    with pytest.raises(UsageError, match="LOWER"):
        DocBin(attrs=["LOWER"])


def test_docbin_api(tmp_path: Path) -> None:
    docs = _sample_docs()
    a = DocBin(docs=docs[:2])
    b = DocBin()
    for d in docs[2:]:
        b.add(d)
    assert len(a) == 2 and len(b) == 2
    a.merge(b)
    assert len(a) == 4
    assert a.to_bytes() == DocBin(docs=docs).to_bytes()
    assert list(a) == list(a.get_docs()) == list(a.get_docs(Vocab()))
    assert "" in a.strings and "Bob" in a.strings
    with pytest.raises(UsageError):
        a.merge(DocBin(attrs=["TAG"]))
    with pytest.raises(UsageError):
        a.merge(DocBin(store_user_data=False))
    a.to_disk(tmp_path / "sub" / "a.spacy")
    assert not [p for p in (tmp_path / "sub").iterdir() if p.name.startswith(".")]
    assert DocBin().from_disk(tmp_path / "sub" / "a.spacy").to_bytes() == a.to_bytes()
    assert corpuskit.DocBin is DocBin
    no_ud = DocBin(store_user_data=False, docs=docs)
    assert "user_data" not in msgpack.unpackb(zlib.decompress(no_ud.to_bytes()), strict_map_key=False)


def test_normalize_morph() -> None:
    assert normalize_morph("Number=Sing|Case=Nom") == "Case=Nom|Number=Sing"
    assert normalize_morph("PronType=Rel,Int") == "PronType=Int,Rel"
    assert normalize_morph("_") == normalize_morph("") == ""
    assert normalize_morph("A-B=1|A=2") == "A-B=1|A=2"  # sorted as whole "Name=Value" strings, as spaCy
    with pytest.raises(ValueError, match="Name=Value"):
        normalize_morph("Foo")
    with pytest.raises(DocBinError, match="Foo"):
        DocBin(docs=[Doc(words=["a"], morphs=["Foo"])]).to_bytes()


def test_bad_docs_are_reported() -> None:
    with pytest.raises(DocBinError, match="E031"):
        DocBin(docs=[Doc(words=["a", ""])]).to_bytes()
    with pytest.raises(DocBinError, match="'XYZ'"):
        DocBin(docs=[Doc(words=["a"], pos=["XYZ"])]).to_bytes()
    with pytest.raises(DocBinError, match="head 5"):
        DocBin(docs=[Doc(words=["a", "b"], heads=[5, 0], deps=["x", "y"])]).to_bytes()


# --- sharded, atomic writing ------------------------------------------------------------------


def _many(n_docs: int) -> list[Doc]:
    base = _sample_docs()
    return [base[i % len(base)] for i in range(n_docs)]


def test_write_docbin_single_file(tmp_path: Path) -> None:
    docs = _many(8)
    stats = write_docbin(docs, tmp_path / "train.spacy")
    assert isinstance(stats, WriteStats)
    assert stats.paths == [tmp_path / "train.spacy"]
    assert (stats.n_docs, stats.n_tokens) == (8, sum(len(d) for d in docs))
    assert stats.n_sents == sum(len(d.sentence_bounds()) for d in DocBin(docs=docs))
    assert (tmp_path / "train.spacy").read_bytes() == DocBin(docs=docs).to_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.spacy"]


def test_write_docbin_with_a_known_token_count_streams_the_same_bytes(tmp_path: Path) -> None:
    docs = _many(5000)  # more than one batch and more than one piece for the compressor
    n = sum(len(d) for d in docs)
    stats = write_docbin(iter(docs), tmp_path / "train.spacy", n_tokens=n)
    assert (stats.n_docs, stats.n_tokens, stats.paths) == (5000, n, [tmp_path / "train.spacy"])
    assert stats.n_sents == write_docbin(docs, tmp_path / "plain.spacy").n_sents
    assert (tmp_path / "train.spacy").read_bytes() == DocBin(docs=docs).to_bytes()
    # a wrong count: an error, and the file there before is left as it was
    for wrong in (n - 1, n + 1):
        with pytest.raises(docbin_mod.TokenCountMismatch):
            write_docbin(iter(docs), tmp_path / "train.spacy", n_tokens=wrong)
        assert (tmp_path / "train.spacy").read_bytes() == DocBin(docs=docs).to_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.spacy", "train.spacy"]
    # more tokens than a shard: written in shards as usual
    sharded = write_docbin(iter(docs), tmp_path / "big.spacy", n_tokens=n, shard_tokens=n // 3)
    assert len(sharded.paths) > 1 and list(read_docbin(tmp_path / "big.spacy")) == list(DocBin(docs=docs))


def test_write_docbin_shards(tmp_path: Path) -> None:
    docs = _many(40)
    target = tmp_path / "out" / "train.spacy"
    stats = write_docbin(iter(docs), target, shard_tokens=10)
    assert target.is_dir()
    assert [p.name for p in stats.paths] == [f"train-{i:04d}.spacy" for i in range(len(stats.paths))]
    assert len(stats.paths) > 3
    assert all(p.parent == target and p.is_file() for p in stats.paths)
    assert stats.n_tokens == sum(len(d) for d in docs) and stats.n_docs == 40
    back = list(read_docbin(target))
    assert back == list(DocBin(docs=docs))
    # spaCy's corpus reader walks the directory the same way
    files = walk_corpus(target, ".spacy")
    vocab = Vocab()
    sdocs = [d for f in files for d in SDocBin().from_disk(f).get_docs(vocab)]
    assert_same_annotations(sdocs, [to_spacy(d, vocab) for d in docs])
    assert DocBin().from_disk(target).to_bytes() == DocBin(docs=docs).to_bytes()
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_write_docbin_replaces_and_fails_atomically(tmp_path: Path) -> None:
    target = tmp_path / "train.spacy"
    write_docbin(_many(40), target, shard_tokens=10)
    write_docbin(_many(3), target)  # a directory replaced by a file
    assert target.is_file()
    good = target.read_bytes()

    def broken() -> Any:
        yield from _many(30)
        raise RuntimeError("disk on fire")

    for shard_tokens in (10, 1_000_000):
        with pytest.raises(RuntimeError, match="disk on fire"):
            write_docbin(broken(), target, shard_tokens=shard_tokens)
        assert target.read_bytes() == good
        assert sorted(p.name for p in tmp_path.iterdir()) == ["train.spacy"]
    write_docbin(_many(40), target, shard_tokens=10)  # a file replaced by a directory
    assert target.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.spacy"]
    with pytest.raises(UsageError):
        write_docbin([], target, shard_tokens=0)


def test_write_docbin_never_replaces_a_foreign_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(UsageError, match="other files"):
        write_docbin(_many(3), out)
    with pytest.raises(UsageError, match="other files"):
        DocBin(docs=_many(2)).to_disk(out)
    assert (out / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_write_docbin_empty(tmp_path: Path) -> None:
    stats = write_docbin([], tmp_path / "e.spacy")
    assert stats.n_docs == 0 and stats.paths == [tmp_path / "e.spacy"]
    assert list(read_docbin(tmp_path / "e.spacy")) == []
    assert (tmp_path / "e.spacy").read_bytes() == bytes(SDocBin(store_user_data=True).to_bytes())


def test_too_large_for_one_docbin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docbin_stream, "_MAX_BIN", 100)
    with pytest.raises(DocBinError, match="write_docbin"):
        DocBin(docs=_many(4)).to_bytes()


# --- errors -----------------------------------------------------------------------------------


def _msg(**changes: Any) -> bytes:
    msg = msgpack.unpackb(zlib.decompress(DocBin(docs=_sample_docs()).to_bytes()), strict_map_key=False)
    for k, v in changes.items():
        if v is None:
            del msg[k]
        else:
            msg[k] = v
    return zlib.compress(msgpack.packb(msg, use_bin_type=True))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"", "empty"),
        (b'[{"id": 0, "paragraphs": []}]', "spaCy v2 JSON"),
        (b"\x1f\x8b\x08\x00rest", "gzip"),
        (b"1\tThe\tthe\tDET\n", "text"),
        (b"\x00\x01\x02\xff\xfe", "zlib header"),
        (DocBin(docs=_sample_docs()).to_bytes()[:-9], "truncated"),
        (zlib.compress(b"\xc1\xc1\xc1"), "msgpack"),
        (zlib.compress(msgpack.packb([1, 2, 3])), "expected a map"),
        (_msg(version=None), "spaCy v2 DocBin"),
        (_msg(strings=None), "'strings'"),
        (_msg(lengths=b"\x01\x00\x00\x00"), "add up to"),
        (_msg(spaces=b"\x01"), "'spaces'"),
        (_msg(cats=[]), "'cats'"),
        (_msg(strings=["x"]), "not the hash of any string"),
        (_msg(attrs=[67]), "ORTH"),
    ],
)
def test_errors(tmp_path: Path, data: bytes, match: str) -> None:
    path = tmp_path / "bad.spacy"
    path.write_bytes(data)
    with pytest.raises(DocBinError, match=match) as info:
        list(read_docbin(path))
    assert str(path) in str(info.value)
    assert info.value.path == str(path)
    with pytest.raises(DocBinError, match=match):
        list(DocBin().from_disk(path))


def test_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(DocBinError, match="no such file"):
        list(read_docbin(tmp_path / "nope.spacy"))
    with pytest.raises(DocBinError, match=r"no \.spacy files"):
        list(read_docbin(tmp_path))
    (tmp_path / ".hidden.spacy").write_bytes(b"junk")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(DocBinError, match=r"no \.spacy files"):
        DocBin().from_disk(tmp_path)


# --- properties -------------------------------------------------------------------------------

_LABEL = st.text(min_size=1, max_size=8)
_FEAT_NAMES = st.sampled_from(["Case", "Number", "PronType", "Tense"])
_FEATS = st.lists(
    st.tuples(_FEAT_NAMES, st.sampled_from(["Nom", "Sing", "Rel,Int"])),
    max_size=3,
).map(lambda fs: "|".join(f"{k}={v}" for k, v in fs))


_USER_VALUES = (
    st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5) | st.lists(st.integers(0, 9), max_size=3)
)


@st.composite
def _docs(draw: st.DrawFn, *, spacy_safe: bool = False) -> Doc:
    n = draw(st.integers(0, 8))
    words = draw(st.lists(st.text(min_size=1, max_size=6), min_size=n, max_size=n))

    def per_token(values: st.SearchStrategy[Any]) -> Any:
        return draw(st.none() | st.lists(st.none() | values, min_size=n, max_size=n))

    heads = deps = None
    if n and draw(st.booleans()):
        heads = []
        deps = []
        for _ in range(n):
            if draw(st.booleans()):
                heads.append(draw(st.integers(0, n - 1)))
                deps.append(draw(_LABEL))
            else:
                heads.append(None)
                deps.append(None)
    ents = missing = None
    if draw(st.booleans()):
        ents = []
        i = 0
        while i < n:
            if draw(st.booleans()):
                j = draw(st.integers(i + 1, n))
                ents.append(Span(i, j, draw(_LABEL), draw(st.just("") | _LABEL), draw(st.just("") | _LABEL)))
                i = j
            else:
                i += 1
        if draw(st.booleans()):
            inside = {k for s in ents for k in range(s.start, s.end)}
            missing = [k not in inside and draw(st.booleans()) for k in range(n)]
    spans = draw(
        st.dictionaries(
            _LABEL,
            st.lists(
                st.tuples(st.integers(0, n), st.integers(0, n), _LABEL).map(
                    lambda t: Span(min(t[0], t[1]), max(t[0], t[1]), t[2])
                ),
                max_size=3,
            ),
            max_size=2,
        )
    )
    sent_starts = None if spacy_safe and deps is not None else per_token(st.booleans())
    return Doc(
        words=words,
        spaces=draw(st.none() | st.lists(st.booleans(), min_size=n, max_size=n)),
        tags=per_token(_LABEL),
        pos=per_token(st.sampled_from(sorted(UPOS))),
        morphs=per_token(_FEATS),
        lemmas=per_token(_LABEL),
        norms=per_token(_LABEL),
        heads=heads,
        deps=deps,
        sent_starts=sent_starts,
        ents=ents,
        ents_missing=missing,
        cats=draw(st.dictionaries(_LABEL, st.floats(0, 1), max_size=3)),
        spans=spans,
        user_data=draw(st.dictionaries(st.text(max_size=5), _USER_VALUES, max_size=2)),
        source=draw(st.none() | st.text(max_size=10)),
        lines=draw(st.none() | st.lists(st.integers(1, 10**6), min_size=n, max_size=n)),
    )


def _expected(doc: Doc) -> Doc:
    """What a DocBin gives back for ``doc`` (None-only lists are None; spaCy's normal forms)."""

    def opt(values: Any) -> Any:
        return None if values is None or all(v is None for v in values) else list(values)

    n = len(doc.words)
    deps = doc.deps
    if deps is not None and doc.heads is not None:
        # a token with no head keeps no label (DEP 0 is spaCy's "no head")
        deps = [None if h is None else d for h, d in zip(doc.heads, deps, strict=True)]
    ss = None if doc.sent_starts is None or n == 0 else list(doc.sent_starts)
    if doc.sent_starts is None and deps is not None and any(d is not None for d in deps):
        heads = doc.heads or [None] * n
        rel = [0 if h is None else h - i for i, h in enumerate(heads)]
        dep = [0 if d is None else 1 for d in deps]
        ss = [s == 1 for s in sent_starts_from_parse(rel, dep)]
    has_deps = deps is not None and any(d is not None for d in deps)
    if ss is not None and ss[0] and all(v is None for v in ss[1:]) and not has_deps:
        ss = None
    ents, missing = doc.ents, doc.ents_missing
    if ents is not None and (n == 0 or (missing is not None and all(missing) and not ents)):
        ents, missing = None, None
    if missing is not None and not any(missing):
        missing = None
    lines = doc.lines
    source = doc.source
    return Doc(
        words=list(doc.words),
        spaces=list(doc.spaces or []),
        tags=opt(doc.tags),
        pos=opt(doc.pos),
        morphs=opt(
            None if doc.morphs is None else [m if m is None else normalize_morph(m) for m in doc.morphs]
        ),
        lemmas=opt(doc.lemmas),
        norms=opt(doc.norms),
        heads=opt(doc.heads),
        deps=opt(deps),
        sent_starts=ss,
        ents=ents,
        ents_missing=missing,
        cats=dict(doc.cats),
        spans={k: list(v) for k, v in doc.spans.items()},
        has_unknown_spaces=doc.has_unknown_spaces,
        user_data=dict(doc.user_data),
        source=source,
        lines=lines,
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_docs(), max_size=4))
def test_random_docs_round_trip(docs: list[Doc]) -> None:
    data = DocBin(docs=docs).to_bytes()
    back = list(DocBin().from_bytes(data))
    assert back == [_expected(d) for d in docs]
    assert DocBin(docs=back).to_bytes() == data


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_docs(spacy_safe=True), max_size=3))
def test_random_docs_bytes_equal_spacys(docs: list[Doc]) -> None:
    assert DocBin(docs=docs).to_bytes() == _spacy_bytes(docs)


_VALID = DocBin(docs=_sample_docs()).to_bytes()
_RAW = zlib.decompress(_VALID)


def _read_all(data: bytes) -> None:
    list(DocBin().from_bytes(data, path="fuzz.spacy"))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_docbin_error_only(data: bytes) -> None:
    with pytest.raises(DocBinError):
        _read_all(data)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(_VALID) - 1))
def test_truncations_raise_docbin_error_only(cut: int) -> None:
    with pytest.raises(DocBinError, match=r"fuzz\.spacy"):
        _read_all(_VALID[:cut])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_RAW) - 1), st.integers(0, 255)), min_size=1, max_size=4))
def test_corrupted_content_raises_docbin_error_only(flips: list[tuple[int, int]]) -> None:
    raw = bytearray(_RAW)
    for pos, value in flips:
        raw[pos] = value
    with contextlib.suppress(DocBinError):
        _read_all(zlib.compress(bytes(raw)))


def test_stream_reads_one_file_at_a_time(tmp_path: Path) -> None:
    write_docbin(_many(20), tmp_path / "c.spacy", shard_tokens=10)
    it = read_docbin(tmp_path / "c.spacy")
    first = next(it)
    assert first == next(iter(DocBin(docs=_many(1))))
