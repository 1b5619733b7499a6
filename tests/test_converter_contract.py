"""The converter contract: typed options that reject unknown keys, a declared unit and resync,
the LineSource protocol. A third-party converter takes part through these alone."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Iterator
from pathlib import Path

import catalogue
import pytest

from corpuskit.corpus import LineSource, convert_corpus
from corpuskit.debug import check_files
from corpuskit.docbin import read_docbin
from corpuskit.errors import UsageError
from corpuskit.io import read_lines
from corpuskit.registry import Converter, ConverterOptions, get_converter, list_converters, registry
from corpuskit.registry import LineSource as LineSourceProtocol

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
WNUT = FIXTURES / "ner" / "wnut17-dev.slice.conll"
WIKINER = FIXTURES / "ner" / "wikiner-en-wp2.slice.iob"


def test_typed_options_are_parse_keywords_with_its_defaults() -> None:
    typed = 0
    for name, conv in list_converters().items():
        assert conv.options_type is not None
        params = inspect.signature(conv.parse).parameters
        keywords = {p for p, v in params.items() if v.kind is v.KEYWORD_ONLY and p != "source"}
        assert conv.options == keywords, name
        for f in dataclasses.fields(conv.options_type):
            if f.default is not dataclasses.MISSING and repr(f.default) != "<unset>":
                typed += 1
                assert f.default == params[f.name].default, (name, f.name)
    assert typed >= 8  # conll (2), iob, json and the four JSONL flavours declare types


def test_a_misspelt_option_is_rejected_not_dropped() -> None:
    conv = get_converter("conll")
    with pytest.raises(
        UsageError, match=r"unknown option\(s\) 'schem' for the 'conll' converter; expected: "
    ):
        list(conv.read(read_lines(WNUT), source=str(WNUT), schem="IOB2"))
    with pytest.raises(UsageError, match="'schem'"):
        conv.parse_options({"schem": "IOB2"})
    with pytest.raises(UsageError, match="'grup'"):  # a converter that declared only names
        get_converter("conllu").parse_options({"grup": 2})


def test_typed_and_keyword_options_read_alike() -> None:
    conv = get_converter("conll")
    opts = conv.parse_options({"scheme": "IOB2"})
    assert type(opts).__name__ == "ConllOptions" and opts.as_kwargs() == {
        "scheme": "IOB2",
        "ner_layer": "outer",
    }
    by_type = list(conv.read(LineSource(WNUT), source=str(WNUT), options=opts))
    by_keyword = list(conv.read(LineSource(WNUT), source=str(WNUT), scheme="IOB2"))
    assert by_type == by_keyword and len(by_type) > 10
    # an option only another converter takes (corpuskit passes one set to a whole folder)
    assert list(conv.read(LineSource(WNUT), source=str(WNUT), merge_subtokens=True)) == list(
        conv.read(LineSource(WNUT), source=str(WNUT))
    )
    with pytest.raises(UsageError, match="not IobOptions"):
        conv.read(LineSource(WNUT), options=get_converter("iob").parse_options({}))
    with pytest.raises(UsageError, match="not both"):
        conv.read(LineSource(WNUT), options=opts, scheme="IOB2")


def test_declarations() -> None:
    convs = list_converters()
    units = {n: c.unit for n, c in convs.items()}
    assert {n for n, u in units.items() if u == "document"} == {
        "json",
        "jsonl",
        "doccano",
        "labelstudio",
        "prodigy",
    }
    resync = {n: c.resync for n, c in convs.items()}
    assert resync == {
        "conllu": "block",
        "conll": "block",
        "iob": "line",
        "json": None,
        "jsonl": "line",
        "doccano": "line",
        "prodigy": "line",
        "labelstudio": None,
    }
    with pytest.raises(UsageError, match="unit 'paragraph'"):
        Converter(name="x", parse=get_converter("iob").parse, unit="paragraph")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="are not the fields"):
        Converter(
            name="x",
            parse=get_converter("iob").parse,
            options=frozenset({"a"}),
            options_type=ConverterOptions,
        )


def test_corpuskit_line_source_is_a_line_source() -> None:
    assert isinstance(LineSource(WNUT), LineSourceProtocol)
    assert not isinstance(["a line"], LineSourceProtocol)


@pytest.fixture
def plugin() -> Iterator[str]:
    """A third-party converter: spaCy IOB read by corpuskit's reader, declared afresh."""
    name = "plugin-iob"
    yield name
    _unregister(name)


def _unregister(name: str) -> None:
    if ("corpuskit", "converters", name) in catalogue.REGISTRY:
        catalogue._remove(("corpuskit", "converters", name))


def _register(name: str, **declared: object) -> None:
    iob = get_converter("iob")
    registry.converters.register(
        name, func=Converter(name=name, parse=iob.parse, options=iob.options, **declared)
    )


def test_a_plugin_unit_decides_grouping(tmp_path: Path, plugin: str) -> None:
    n = len(list(get_converter("iob").read(LineSource(WIKINER))))
    assert n == 17
    for unit, expected in (("sentence", [8, 8, 1]), ("document", [1] * n)):
        _register(plugin, unit=unit)
        out = tmp_path / unit
        convert_corpus(WIKINER, out, converter=plugin, n_sents=8)
        (spacy,) = out.glob("*.spacy")
        docs = list(read_docbin(spacy))
        assert [sum(1 for _ in d.sentence_bounds()) for d in docs] == expected, unit
        _unregister(plugin)


def test_a_plugin_resync_decides_reading_on(tmp_path: Path, plugin: str) -> None:
    lines = WIKINER.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("|O ", "|Z-X ", 1)
    lines[9] = lines[9].replace("|O ", "|Q-Y ", 1)
    bad = tmp_path / "bad.iob"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for resync, expected in ((None, [4]), ("line", [4, 10])):
        _register(plugin, resync=resync)
        from corpuskit.debug import Options

        report = check_files([bad], options=Options(converter=plugin, max_examples=None))
        (found,) = [f for f in report.findings if f.id == "invalid-tag-sequence"]
        assert [e.line for e in found.examples] == expected, resync
        _unregister(plugin)
