"""The CoNLL-U converter: spaCy's annotation, located errors, and byte-identical round trips."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from oracle import assert_same_annotations, from_spacy, to_spacy
from spacy.tokens import DocBin as SDocBin
from spacy.training.converters.conllu_to_docs import conllu_to_docs
from spacy.vocab import Vocab

from converters.conllu import (
    USER_DATA_KEY,
    converter,
    detect,
    file_has_ner,
    parse_conllu,
    read_conllu,
    write_conllu,
)
from corpuskit import Doc, Span
from corpuskit.errors import FormatError
from corpuskit.io import read_lines

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "conllu"
TREEBANKS = [
    "en_ewt-ud-dev.slice.conllu",
    "fr_gsd-ud-dev.slice.conllu",
    "de_gsd-ud-dev.slice.conllu",
    "cs_cltt-ud-dev.slice.conllu",
]
GOOD = [*TREEBANKS, "ner_misc.conllu", "ner_late.conllu"]
OPTIONS = [
    {},
    {"merge_subtokens": True},
    {"morphology": True},
    {"merge_subtokens": True, "morphology": True},
]


def _spacy_docs(path: Path, options: dict[str, bool]) -> list:
    text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    return list(
        conllu_to_docs(
            text,
            n_sents=1,
            no_print=True,
            merge_subtokens=options.get("merge_subtokens", False),
            append_morphology=options.get("morphology", False),
        )
    )


def _write(docs: list[Doc]) -> str:
    buf = io.StringIO()
    write_conllu(docs, buf)
    return buf.getvalue()


# ---------------------------------------------------------------- same annotation as spaCy


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "+".join(o) or "default")
@pytest.mark.parametrize("name", GOOD)
def test_same_annotations_as_spacy(name: str, options: dict[str, bool]) -> None:
    path = FIXTURES / name
    vocab = Vocab()
    ours = [to_spacy(d, vocab) for d in read_conllu(path, **options)]
    assert_same_annotations(_spacy_docs(path, options), ours)


def test_annotation_details() -> None:
    docs = list(read_conllu(FIXTURES / "fr_gsd-ud-dev.slice.conllu"))
    first = docs[0]
    assert first.words[:3] == ["Aviator", ",", "un"]
    assert first.spaces[:2] == [False, True]  # SpaceAfter=No
    assert first.tags[0] == "PROPN"  # XPOS "_" falls back to UPOS
    assert first.deps[0] == "ROOT" and first.heads[0] == 0
    assert first.heads[1] == 3  # absolute, 0-based
    assert first.morphs[1] == "" and first.morphs[2] == "Definite=Ind|Gender=Masc|Number=Sing|PronType=Art"
    assert first.ents is None  # no NER in the file: missing, not O
    assert first.source == str(FIXTURES / "fr_gsd-ud-dev.slice.conllu")
    assert first.lines == list(range(4, 14))
    assert first.sent_starts == [True] + [False] * 9
    assert any(" " in w for d in docs for w in d.words)  # "2 001" stays one word
    # a multiword token: its words, the last one taking the MWT line's SpaceAfter
    merged = list(read_conllu(FIXTURES / "fr_gsd-ud-dev.slice.conllu", merge_subtokens=True))
    assert sum(len(d) for d in merged) < sum(len(d) for d in docs)


def test_empty_nodes_are_not_tokens() -> None:
    docs = list(read_conllu(FIXTURES / "cs_cltt-ud-dev.slice.conllu"))
    text = (FIXTURES / "cs_cltt-ud-dev.slice.conllu").read_text(encoding="utf-8")
    words = [ln for ln in text.split("\n") if ln[:1].isdigit() and ln.split("\t")[0].isdigit()]
    assert sum(len(d) for d in docs) == len(words)


def test_ner_from_misc() -> None:
    docs = list(read_conllu(FIXTURES / "ner_misc.conllu"))
    assert all(d.ents is not None for d in docs)
    assert docs[0].ents == [Span(2, 3, "ORG")]
    labels = {s.label for d in docs for s in d.ents or ()}
    assert {"ORG", "LOC", "PER", "MISC", "DATE", "TIME", "EVT", "L", "GRP", "NORP"} <= labels
    # ner_map renames labels before the tags become spans; "" means O
    mapped = list(read_conllu(FIXTURES / "ner_misc.conllu", ner_map={"ORG": "COMPANY", "PER": ""}))
    labels = {s.label for d in mapped for s in d.ents or ()}
    assert "COMPANY" in labels and "ORG" not in labels and "PER" not in labels


def test_ner_is_a_whole_file_decision() -> None:
    path = FIXTURES / "ner_late.conllu"
    assert file_has_ner(path)
    assert not file_has_ner(FIXTURES / "en_ewt-ud-dev.slice.conllu")
    lines = list(read_lines(path))
    expected = [d.ents for d in read_conllu(path)]
    assert expected[0] == [] and expected[-1]  # O before the first tag, entities after
    # a list and a one-shot iterator decide the same as the file scan
    assert [d.ents for d in parse_conllu(lines)] == expected
    assert [d.ents for d in parse_conllu(iter(lines))] == expected
    assert all(d.ents is None for d in parse_conllu(lines, ner=False))
    clean = list(read_lines(FIXTURES / "de_gsd-ud-dev.slice.conllu"))
    assert all(d.ents is None for d in parse_conllu(iter(clean)))


def test_lines_with_line_ends_and_file_objects() -> None:
    path = FIXTURES / "de_gsd-ud-dev.slice.conllu"
    expected = list(read_conllu(path))
    with path.open(encoding="utf-8") as fh:
        got = list(parse_conllu(fh, source=str(path)))
    assert [d.words for d in got] == [d.words for d in expected]
    assert [d.lines for d in got] == [d.lines for d in expected]


def test_bom_crlf_blank_lines_and_comment_only_blocks() -> None:
    odd = list(read_conllu(FIXTURES / "bom_crlf_blank.conllu"))
    clean = list(read_conllu(FIXTURES / "de_gsd-ud-dev.slice.conllu"))[: len(odd)]
    assert len(odd) == 6
    for a, b in zip(odd, clean, strict=True):
        assert (a.words, a.spaces, a.tags, a.pos, a.morphs, a.lemmas, a.heads, a.deps) == (
            b.words,
            b.spaces,
            b.tags,
            b.pos,
            b.morphs,
            b.lemmas,
            b.heads,
            b.deps,
        )
    assert odd[0].lines is not None and odd[0].lines[0] == 5  # physical lines, blank ones counted
    # the extra lines come back too (line ends become \n)
    raw = (FIXTURES / "bom_crlf_blank.conllu").read_bytes()[3:].decode("utf-8").replace("\r\n", "\n")
    assert _write(odd) == raw


# ---------------------------------------------------------------- errors name file:line


BROKEN = {
    "broken_space_separated.conllu": (16, "separated by spaces"),
    "broken_column_count.conllu": (10, "expected 10 tab-separated columns"),
    "broken_head_value.conllu": (16, "bad HEAD 'x'"),
    "broken_head_range.conllu": (8, "HEAD '99' is beyond"),
    "broken_word_id.conllu": (9, "bad word ID '6'; expected 5"),
    "broken_feats.conllu": (7, "bad FEATS value 'Number'"),
    "broken_upos.conllu": (11, "UPOS 'PRT' is not a Universal POS tag"),
    "broken_comment_inside.conllu": (8, "inside a sentence"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_bad_input_is_a_located_format_error(name: str) -> None:
    path = FIXTURES / name
    line, words = BROKEN[name]
    with pytest.raises(FormatError) as info:
        list(read_conllu(path))
    err = info.value
    assert err.path == str(path)
    assert err.line == line
    assert words in str(err)
    assert str(err).startswith(f"{path}:{line}")
    assert "\n" not in str(err)
    # the same through the registry's entry point, from a one-shot iterator
    with pytest.raises(FormatError) as again:
        list(converter.read(read_lines(path), source=str(path)))
    assert again.value.line == line


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("1-3\tdu\t_\t_\t_\t_\t_\t_\t_\t_\n1\tde\t_\t_\t_\t_\t0\troot\t_\t_\n\n", "inside a multiword token"),
        ("2-1\tdu\t_\t_\t_\t_\t_\t_\t_\t_\n", "bad multiword token ID '2-1'"),
        ("1\ta\t_\t_\t_\t_\t0\troot\t_\t_\n2.x\tb\t_\t_\t_\t_\t_\t_\t_\t_\n\n", "bad empty node ID '2.x'"),
        ("1\ta\t_\t_\t_\t_\t-1\troot\t_\t_\n\n", "bad HEAD '-1'"),
        ("1\ta\t_\t_\t_\tA=B=C\t0\troot\t_\t_\n\n", "bad FEATS value 'A=B=C'"),
        ("# only a comment\n", "no word lines"),
    ],
)
def test_more_bad_values(text: str, words: str) -> None:
    with pytest.raises(FormatError, match=words) as info:
        list(parse_conllu(text.splitlines(), source="x.conllu"))
    assert info.value.path == "x.conllu" and info.value.line is not None


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("1\ta\ta\tNOUN\t_\t_\t0\t punct\t_\t_", 18, "DEPREL ' punct' is padded"),
        ("1\ta\t a\tNOUN\t_\t_\t0\troot\t_\t_", 5, "LEMMA ' a' is padded"),
        ("1\ta\ta\tNOUN\t_\t_\t0\troot\t_\tSpaceAfter=No ", 25, "MISC 'SpaceAfter=No ' is padded"),
        ("1\t\ta\tNOUN\t_\t_\t0\troot\t_\t_", 3, "FORM is empty"),
    ],
)
def test_padded_columns_and_empty_forms_are_refused(line: str, column: int, words: str) -> None:
    """UD level 1: stored, they would be labels of their own (' punct') or empty words."""
    text = f"# text = a\n1\tb\tb\tX\t_\t_\t0\troot\t_\t_\n\n# text = a\n{line}\n\n"
    with pytest.raises(FormatError, match=words) as info:
        list(parse_conllu(text.splitlines(), source="x.conllu"))
    assert (info.value.path, info.value.line, info.value.column) == ("x.conllu", 5, column)


def test_space_after_is_the_attribute_not_a_substring() -> None:
    """French GSD dev writes ``CorrectSpaceAfter=No`` on ``L`` of "L euro": a space follows.
    (A deliberate difference: spaCy 3.8 tests the substring and glues "Leuro".)"""
    text = (
        "1\tL\tle\tDET\t_\t_\t2\tdet\t_\tCorrectForm=L'|CorrectSpaceAfter=No\n"
        "2\teuro\teuro\tNOUN\t_\t_\t0\troot\t_\tSpaceAfter=No\n"
        "3\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_\n"
    )
    (doc,) = parse_conllu(text.splitlines())
    assert doc.spaces == [True, False, True]


def test_unannotated_heads_and_odd_values_survive() -> None:
    text = (
        "1\tHello\t_\t_\t_\t_\t_\t_\t_\t_\n"
        "2\tworld\tworld\tNOUN\t_\tNumber=Sing|Case=Nom\t2\tROOT\t_\t_\n"
        "3\t!\t!\tPUNCT\t.\t_\t02\tpunct\t_\tSpaceAfter=No\n"
    )
    docs = list(parse_conllu(text.splitlines()))
    d = docs[0]
    assert d.heads == [0, 1, 1] and d.tags == ["_", "NOUN", "."]
    assert d.morphs == ["", "Case=Nom|Number=Sing", ""]
    assert _write(docs) == text


# ---------------------------------------------------------------- round trips


@pytest.mark.parametrize("name", GOOD)
def test_round_trip_is_byte_identical(name: str) -> None:
    path = FIXTURES / name
    assert _write(list(read_conllu(path))) == path.read_text(encoding="utf-8")


def test_round_trip_when_the_odd_feats_table_is_full(monkeypatch: pytest.MonkeyPatch) -> None:
    # the table of raw FEATS that normalising changes is bounded; past its bound every value is
    # tested itself, and the file still comes back byte for byte
    from converters.conllu import base, columns, diagnose

    text = (
        "1\tSie\tsie\tPRON\t_\tPerson=3|Case=Nom\t2\tnsubj\t_\t_\n"
        "2\tgeht\tgehen\tVERB\t_\tPerson=3|Number=Sing\t0\troot\t_\tSpaceAfter=No\n"
        "3\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_\n\n"
    )
    fresh = {"_": ""}
    for module in (base, columns, diagnose):
        monkeypatch.setattr(module, "FEATS_NORM", fresh)
    monkeypatch.setattr(base, "FEATS_ODD", set())
    monkeypatch.setattr(base, "FEATS_ODD_FULL", [False])
    monkeypatch.setattr(base, "_ODD_LIMIT", 0)
    docs = list(parse_conllu(text.splitlines()))
    assert set() == base.FEATS_ODD and base.FEATS_ODD_FULL == [True]
    assert docs[0].morphs[0] == "Case=Nom|Person=3"
    assert _write(docs) == text


@pytest.mark.parametrize("name", TREEBANKS)
def test_round_trip_through_grouped_docs(name: str) -> None:
    from corpuskit.transforms import group_sents

    path = FIXTURES / name
    grouped = list(group_sents(read_conllu(path), 10))
    assert len(grouped) < len(list(read_conllu(path)))
    assert all(len(d.user_data[USER_DATA_KEY]) <= 10 for d in grouped)
    assert _write(grouped) == path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- reading -n groups


def _grouped_both_ways(lines: list[str], group: int, **options: Any) -> tuple[Any, Any]:
    """Docs of ``group`` sentences read a group at a time, and made by grouping the sentence
    Docs; a FormatError's (line, message) in place of the docs where reading fails."""
    from corpuskit.transforms import group_sents

    out = []
    for read in (
        lambda: list(parse_conllu(lines, source="f", group=group, **options)),
        lambda: list(group_sents(parse_conllu(lines, source="f", **options), group)),
    ):
        try:
            out.append(read())
        except FormatError as e:
            out.append((e.line, str(e)))
    return out[0], out[1]


@pytest.mark.parametrize("group", [2, 3, 10])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "+".join(o) or "default")
@pytest.mark.parametrize("name", GOOD)
def test_reading_groups_gives_the_grouped_sentences(name: str, options: dict[str, bool], group: int) -> None:
    from corpuskit import DocBin

    lines = read_lines(FIXTURES / name)
    fast, slow = _grouped_both_ways(list(lines), group, **options)
    assert fast and fast == slow
    assert DocBin(docs=fast).to_bytes() == DocBin(docs=slow).to_bytes()  # user data in the same order
    if not options.get("merge_subtokens"):
        assert _write(fast) == (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_reading_groups_names_the_same_error(name: str) -> None:
    path = FIXTURES / name
    for group in (2, 10):
        with pytest.raises(FormatError) as info:
            list(read_conllu(path, group=group))
        assert (info.value.line, str(info.value)) == (BROKEN[name][0], str(info.value))
        assert BROKEN[name][1] in str(info.value)


def test_reading_groups_names_the_first_error_of_a_group() -> None:
    # sentence 1 has a bad HEAD; sentence 3 a line of 9 columns, which the reading loop meets
    # before sentence 1's group is complete: sentence 1's error is the one named
    good = "1\ta\t_\tNOUN\t_\t_\t0\troot\t_\t_"
    lines = ["1\ta\t_\tNOUN\t_\t_\t7\troot\t_\t_", "", good, "", "1\ta\t_\tNOUN\t_\t_\t0\troot\t_", ""]
    fast, slow = _grouped_both_ways(lines, 10)
    assert fast == slow and fast[0] == 1 and "HEAD '7'" in fast[1]
    fast, slow = _grouped_both_ways(lines[2:], 10)
    assert fast == slow and fast[0] == 3 and "columns" in fast[1]


def test_reading_random_groups_gives_the_grouped_sentences() -> None:
    """Valid sentences without entities (the ones read a group at a time): multiword tokens,
    empty nodes, SpaceAfter=No (last words too), '# text' lines right or wrong, DEPS, odd
    XPOS, FEATS and lemma values, empty UPOS, DEPREL and MISC fields, DEPREL "ROOT"."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from corpuskit import DocBin

    @st.composite
    def sentence(draw: Any) -> list[str]:
        n = draw(st.integers(1, 6))
        order = draw(st.permutations(list(range(n))))
        heads = [0] * n
        for j, node in enumerate(order[1:], start=1):
            heads[node] = order[draw(st.integers(0, j - 1))] + 1
        words = [draw(st.sampled_from(["a", "b", "Ab", "."])) for _ in range(n)]
        miscs = ["_", "SpaceAfter=No", "X=1", "SpaceAfter=No|X=1", ""]
        misc = [draw(st.sampled_from(miscs)) for _ in range(n)]
        out = [f"# sent_id = {draw(st.integers(1, 9))}"]
        if draw(st.booleans()):
            text = "".join(
                w + ("" if "SpaceAfter=No" in m else " ") for w, m in zip(words, misc, strict=True)
            )
            out.append("# text = " + (text.rstrip(" ") if draw(st.booleans()) else text + "x"))
        mwt_end = 0
        for i in range(n):
            if i >= mwt_end and i < n - 1 and draw(st.integers(0, 4)) == 0:
                mwt_end = i + 2
                space = draw(st.sampled_from(["_", "SpaceAfter=No"]))
                out.append(f"{i + 1}-{i + 2}\tab\t_\t_\t_\t_\t_\t_\t_\t{space}")
            upos = draw(st.sampled_from(["NOUN", "VERB", "_", ""]))
            xpos = draw(st.sampled_from(["_", "NN", ""]))
            feats = draw(st.sampled_from(["_", "Number=Sing", "Number=Plur|Case=Nom", "Case=Acc,Nom"]))
            lemma = draw(st.sampled_from(["_", "x", ""]))
            deprels = ["root", "ROOT"] if heads[i] == 0 else ["nsubj", "obj", ""]
            dep = draw(st.sampled_from(deprels))
            deps = draw(st.sampled_from(["_", f"{heads[i]}:{dep}", "1:x|2:y"]))
            out.append(
                f"{i + 1}\t{words[i]}\t{lemma}\t{upos}\t{xpos}\t{feats}\t{heads[i]}\t{dep}\t{deps}\t{misc[i]}"
            )
            if draw(st.integers(0, 5)) == 0:
                out.append(f"{i + 1}.1\te\t_\t_\t_\t_\t_\t_\t{i + 1}:dep\t_")
        return [*out, ""]

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(sentence(), min_size=2, max_size=7), st.integers(2, 4))
    def check(sentences: list[list[str]], group: int) -> None:
        lines = [line for s in sentences for line in s]
        fast, slow = _grouped_both_ways(lines, group)
        assert fast == slow
        assert DocBin(docs=fast).to_bytes() == DocBin(docs=slow).to_bytes()
        assert _write(fast) == "\n".join(lines) + "\n"

    check()


@pytest.mark.parametrize("name", TREEBANKS)
def test_round_trip_through_spacy_docbin(name: str) -> None:
    path = FIXTURES / name
    docs = list(read_conllu(path))
    sbin = SDocBin(store_user_data=True)
    vocab = Vocab()
    for d in docs:
        sbin.add(to_spacy(d, vocab))
    back = [
        from_spacy(sd) for sd in SDocBin(store_user_data=True).from_bytes(sbin.to_bytes()).get_docs(vocab)
    ]
    assert _write(back) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", TREEBANKS)
def test_round_trip_through_corpuskit_docbin(name: str) -> None:
    from corpuskit import DocBin

    path = FIXTURES / name
    data = DocBin(docs=list(read_conllu(path))).to_bytes()
    back = list(DocBin().from_bytes(data))
    assert _write(back) == path.read_text(encoding="utf-8")


def test_round_trip_data_leaves_out_the_text_the_words_spell() -> None:
    # A "# text" that the words spell out is kept as None and rebuilt on writing; one that
    # does not is kept as it was.
    text = (
        "# sent_id = 1\n"
        "# text = Don't go.\n"
        "1-2\tDon't\t_\t_\t_\t_\t_\t_\t_\t_\n"
        "1\tDo\tdo\tAUX\t_\t_\t3\taux\t3:aux\t_\n"
        "2\tn't\tnot\tPART\t_\t_\t3\tadvmod\t3:advmod:neg\t_\n"
        "3\tgo\tgo\tVERB\t_\t_\t0\troot\t0:root\tSpaceAfter=No\n"
        "4\t.\t.\tPUNCT\t_\t_\t3\tpunct\t3:punct\t_\n"
        "\n"
        "# text = Not  quite what the words say\n"
        "1\tHi\thi\tINTJ\t_\t_\t0\troot\t0:root\t_\n"
        "\n"
    )
    docs = list(parse_conllu(text.splitlines()))
    first = docs[0].user_data[USER_DATA_KEY][0]
    assert first["comments"] == ("# sent_id = 1", None)
    assert docs[1].user_data[USER_DATA_KEY][0]["comments"] == ("# text = Not  quite what the words say",)
    assert _write(docs) == text
    from corpuskit import DocBin

    assert _write(list(DocBin().from_bytes(DocBin(docs=docs).to_bytes()))) == text


def test_writing_docs_without_conllu_data() -> None:
    doc = Doc(
        words=["Anna", "lives", "in", "Paris", "."],
        spaces=[True, True, True, False, False],
        tags=["NNP", "VBZ", "IN", "NNP", "."],
        pos=["PROPN", "VERB", "ADP", "PROPN", "PUNCT"],
        lemmas=["Anna", "live", None, "Paris", "."],
        heads=[1, 1, 3, 1, 1],
        deps=["nsubj", "ROOT", "case", "obl", "punct"],
        ents=[Span(0, 1, "PER"), Span(3, 4, "LOC")],
    )
    bare = Doc(words=["Just", "words"])
    text = _write([doc, bare])
    assert text.split("\n")[:3] == [
        "# sent_id = 1",
        "# text = Anna lives in Paris.",
        "1\tAnna\tAnna\tPROPN\tNNP\t_\t2\tnsubj\t_\tNE=B-PER",
    ]
    assert "2\tlives\tlive\tVERB\tVBZ\t_\t0\troot\t_\t_" in text
    assert "3\tin\t_\tADP\tIN\t_\t4\tcase\t_\t_" in text
    assert "4\tParis\tParis\tPROPN\tNNP\t_\t2\tobl\t_\tSpaceAfter=No|NE=B-LOC" in text
    assert "1\tJust\t_\t_\t_\t_\t_\t_\t_\t_" in text
    back = list(parse_conllu(text.splitlines()))
    assert back[0].words == doc.words and back[0].spaces == doc.spaces
    assert back[0].heads == doc.heads and back[0].deps == doc.deps
    assert back[0].ents == doc.ents
    assert back[1].ents == []  # the file has NER, so a doc without entities is all O


def test_writing_a_doc_of_several_sentences_without_conllu_data() -> None:
    doc = Doc(
        words=["Hi", ".", "Bye", "."],
        spaces=[False, True, False, False],
        heads=[0, 0, 2, 2],
        deps=["ROOT", "punct", "ROOT", "punct"],
    )
    text = _write([doc])
    assert "# sent_id = 1\n# text = Hi.\n1\tHi" in text
    assert "# sent_id = 2\n# text = Bye.\n1\tBye\t_\t_\t_\t_\t0\troot" in text
    assert "2\t.\t_\t_\t_\t_\t1\tpunct\t_\tSpaceAfter=No" in text


# ---------------------------------------------------------------- detection and registry


def test_detect() -> None:
    good = list(read_lines(FIXTURES / "en_ewt-ud-dev.slice.conllu"))[:50]
    spaced = list(read_lines(FIXTURES / "broken_space_separated.conllu"))[12:40]
    assert detect(good) > 0.9
    assert 0.3 < detect(spaced) < detect(good)
    assert detect(["word\tO", "other\tB-PER"]) == 0.0
    assert detect([]) == 0.0


def test_registered_converter() -> None:
    from corpuskit.registry import get_converter

    conv = get_converter("conllu")
    assert conv.parse is parse_conllu and conv.write is write_conllu
    assert {"merge_subtokens", "morphology"} <= conv.options
    buf = io.StringIO()
    path = FIXTURES / "de_gsd-ud-dev.slice.conllu"
    conv.dump(conv.read(read_lines(path), source=str(path)), buf)
    assert buf.getvalue() == path.read_text(encoding="utf-8")


def test_writing_a_line_break_in_a_word_is_refused() -> None:
    from corpuskit.errors import UsageError

    with pytest.raises(UsageError, match=r"doc 0 token 1 has the word '\\n'"):
        _write([Doc(words=["a", "\n", "b"])])


def test_stored_data_that_no_longer_fits_is_not_used() -> None:
    path = FIXTURES / "de_gsd-ud-dev.slice.conllu"
    doc = next(read_conllu(path))
    cut = Doc(
        words=doc.words[:3],
        spaces=(doc.spaces or [])[:3],
        heads=[1, 1, 1],
        deps=["nsubj", "ROOT", "det"],
        user_data=doc.user_data,  # says 6 words: not this doc's shape
    )
    text = _write([cut])
    assert text.startswith("# sent_id = 1\n# text = Manasse ist ein\n1\tManasse\t_\t_\t_\t_\t2\tnsubj")


# ---------------------------------------------------------------- random sentences against spaCy


def _random_conllu(draw: Any) -> str:
    """A small random (but valid) CoNLL-U file: trees, multiword tokens, FEATS, NER in MISC."""
    from hypothesis import strategies as st

    out = []
    for s in range(draw(st.integers(1, 3))):
        n = draw(st.integers(1, 7))
        order = draw(st.permutations(list(range(n))))
        heads = [0] * n
        for j, node in enumerate(order[1:], start=1):
            heads[node] = order[draw(st.integers(0, j - 1))] + 1
        mwts: dict[int, int] = {}
        k = 0
        while k < n - 1:
            if draw(st.booleans()):
                end = min(n - 1, k + draw(st.integers(1, 2)))
                mwts[k] = end
                k = end + 1
            else:
                k += 1
        out.append(f"# sent_id = {s + 1}")
        for i in range(n):
            if i in mwts:
                space = draw(st.sampled_from(["_", "SpaceAfter=No"]))
                out.append(f"{i + 1}-{mwts[i] + 1}\tmw{i}\t_\t_\t_\t_\t_\t_\t_\t{space}")
            upos = draw(st.sampled_from(["NOUN", "VERB", "_", "PROPN"]))
            xpos = draw(st.sampled_from(["_", "NN", "VB"]))
            feats = draw(
                st.sampled_from(["_", "Number=Sing", "Case=Nom|Number=Plur", "Number=Sing|Case=Acc,Nom"])
            )
            dep = "root" if heads[i] == 0 else draw(st.sampled_from(["nsubj", "obj", "det"]))
            misc = draw(
                st.sampled_from(
                    [
                        "_",
                        "SpaceAfter=No",
                        "NE=B-PER",
                        "NE=I-PER",
                        "name=B-LOC",
                        "I-LOC",
                        "L-PER",
                        "U-ORG",
                        "O",
                        "SpaceAfter=No|NE=I-PER",
                        "B-per",
                    ]
                )
            )
            lemma = draw(st.sampled_from(["_", "be", "x"]))
            out.append(f"{i + 1}\tw{i}\t{lemma}\t{upos}\t{xpos}\t{feats}\t{heads[i]}\t{dep}\t_\t{misc}")
        out.append("")
    return "\n".join(out) + "\n"


def test_random_sentences_read_as_spacy_reads_them() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data: Any) -> None:
        text = data.draw(st.composite(lambda draw: _random_conllu(draw))())
        for options in OPTIONS:
            theirs = list(
                conllu_to_docs(
                    text,
                    n_sents=1,
                    no_print=True,
                    merge_subtokens=options.get("merge_subtokens", False),
                    append_morphology=options.get("morphology", False),
                )
            )
            vocab = Vocab()
            ours = [to_spacy(d, vocab) for d in parse_conllu(text.splitlines(), **options)]
            assert_same_annotations(theirs, ours)
        assert _write(list(parse_conllu(text.splitlines()))) == text

    check()


def test_random_lines_raise_only_format_errors() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    field = st.text(alphabet="0123456789-._=|#ABILOUNEx²٣ \t", max_size=6)
    line = st.one_of(
        st.lists(field, min_size=10, max_size=10).map("\t".join),
        st.text(alphabet="0123456789-._=|#\t \r", max_size=30),
        st.just(""),
    )

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(line, max_size=12), st.booleans(), st.booleans())
    def check(lines: list[str], merge: bool, morphology: bool) -> None:
        try:
            docs = list(
                parse_conllu(lines, source="fuzz.conllu", merge_subtokens=merge, morphology=morphology)
            )
        except FormatError as e:
            assert e.path == "fuzz.conllu" and e.line is not None and "\n" not in str(e)
            return
        _write(docs)

    check()


def test_the_docs_example() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "formats-conllu.md").read_text(encoding="utf-8")
    block = page.split("```\n", 2)[1]
    assert block.startswith("# sent_id = fr-ud-dev_00005\n")
    docs = list(parse_conllu(block.splitlines()))
    assert docs[0].words == ["Il", "est", "à", "le", "parc", "."]
    assert docs[0].spaces == [True, True, False, True, False, True]
    assert docs[0].heads == [4, 4, 4, 4, 4, 4]
    assert _write(docs) == block
    vocab = Vocab()
    for options in OPTIONS:
        theirs = conllu_to_docs(
            block,
            n_sents=1,
            no_print=True,
            merge_subtokens=options.get("merge_subtokens", False),
            append_morphology=options.get("morphology", False),
        )
        assert_same_annotations(
            theirs, [to_spacy(d, vocab) for d in parse_conllu(block.splitlines(), **options)]
        )


def test_random_sentences_with_odd_values_round_trip() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    value = st.sampled_from(
        [
            "_",
            "",
            "0",
            "1",
            "2",
            "3",
            "9",
            "01",
            "x",
            "A=1",
            "A=1|B=2",
            "B=2|A=1",
            "A",
            "NE=B-X",
            "I-Y",
            "O",
            "SpaceAfter=No",
            "root",
            "ROOT",
            "NOUN",
            "²",
        ]
    )

    @st.composite
    def sentence(draw: Any) -> list[str]:
        n = draw(st.integers(1, 6))
        out = []
        for k in range(1, n + 1):
            kind = draw(st.integers(0, 9))
            if kind == 0 and k < n:
                end = draw(st.integers(k, n + 1))
                out.append("\t".join([f"{k}-{end}", "mw"] + [draw(value) for _ in range(8)]))
            if kind == 1:
                out.append(
                    "\t".join([f"{k - 1}.{draw(st.integers(0, 2))}", "e"] + [draw(value) for _ in range(8)])
                )
            out.append("\t".join([str(k), "w"] + [draw(value) for _ in range(8)]))
        return [*out, ""]

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(sentence(), min_size=1, max_size=5), st.booleans(), st.booleans(), st.integers(2, 4))
    def check(sentences: list[list[str]], merge: bool, morphology: bool, group: int) -> None:
        lines = [line for s in sentences for line in s]
        fast, slow = _grouped_both_ways(lines, group, merge_subtokens=merge, morphology=morphology)
        assert fast == slow
        try:
            docs = list(parse_conllu(lines, source="f", merge_subtokens=merge, morphology=morphology))
        except FormatError as e:
            assert e.path == "f" and e.line is not None
            return
        text = _write(docs)
        if not merge:  # merged tokens cannot give back their words' lines
            assert text == "\n".join(lines) + "\n"

    check()


def test_ner_map_as_spacy_applies_it() -> None:
    text = (
        "1\tAnn\t_\tPROPN\t_\t_\t0\troot\t_\tNE=B-PER\n"
        "2\tLee\t_\tPROPN\t_\t_\t1\tflat\t_\tNE=I-LOC\n"
        "3\tof\t_\tADP\t_\t_\t4\tcase\t_\tNE=B-MISC\n"
        "4\tX\t_\tPROPN\t_\t_\t1\tnmod\t_\tNE=B-ORG\n"
    )
    ner_map = {"LOC": "PER", "MISC": ""}
    theirs = list(conllu_to_docs(text, n_sents=1, no_print=True, ner_map=ner_map))
    ours = list(parse_conllu(text.splitlines(), ner_map=ner_map))
    assert ours[0].ents == [Span(0, 2, "PER"), Span(3, 4, "ORG")]  # mapped before the tags become spans
    assert_same_annotations(theirs, [to_spacy(d, Vocab()) for d in ours])


def test_merged_token_entities_as_spacys_retokenizer_leaves_them() -> None:
    # the merged token takes its root's entity (w0's PER); w3's I-LOC then follows a PER token,
    # and spaCy's retokenizer makes it a B-LOC
    text = (
        "1-3\tmw0\t_\t_\t_\t_\t_\t_\t_\t_\n"
        "1\tw0\t_\tNOUN\t_\t_\t5\tnsubj\t_\tNE=B-PER\n"
        "2\tw1\t_\tNOUN\t_\t_\t5\tnsubj\t_\t_\n"
        "3\tw2\t_\tNOUN\t_\t_\t5\tnsubj\t_\tname=B-LOC\n"
        "4\tw3\t_\tNOUN\t_\t_\t5\tnsubj\t_\tI-LOC\n"
        "5\tw4\t_\tNOUN\t_\t_\t0\troot\t_\t_\n"
    )
    theirs = list(conllu_to_docs(text, n_sents=1, no_print=True, merge_subtokens=True))
    ours = list(parse_conllu(text.splitlines(), merge_subtokens=True))
    assert ours[0].words == ["mw0", "w3", "w4"]
    assert ours[0].ents == [Span(0, 1, "PER"), Span(1, 2, "LOC")]
    assert_same_annotations(theirs, [to_spacy(d, Vocab()) for d in ours])
