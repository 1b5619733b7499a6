"""docs/plugins.md's example converter, run as written: registered as a plugin would be, it
converts, groups, is checked and reads on after errors exactly as the page says."""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import catalogue
import pytest
from click.testing import CliRunner

from corpuskit.cli import cli
from corpuskit.corpus import convert_corpus, read_file
from corpuskit.debug import Options, check_files
from corpuskit.docbin import read_docbin
from corpuskit.errors import UsageError
from corpuskit.registry import get_converter, registry

ROOT = Path(__file__).resolve().parent.parent
EWT = ROOT / "fixtures" / "debug" / "ewt_dev.conllu"


@pytest.fixture
def slash() -> Iterator[dict[str, Any]]:
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)\n```", text, flags=re.S)
    module = types.ModuleType("slash_plugin")
    sys.modules[module.__name__] = module  # a dataclass looks its module up
    try:
        exec(compile(code, "docs/plugins.md", "exec"), module.__dict__)
        registry.converters.register("slash", func=module.converter)
        yield module.__dict__
    finally:
        del sys.modules[module.__name__]
        if ("corpuskit", "converters", "slash") in catalogue.REGISTRY:
            catalogue._remove(("corpuskit", "converters", "slash"))


def _slash_file(tmp_path: Path) -> tuple[Path, int]:
    """EWT's sentences as word/UPOS lines; line 3 has an empty UPOS, line 7 a token without one."""
    docs = list(read_file(EWT, "conllu"))
    lines = [" ".join(f"{w}/{p}" for w, p in zip(d.words, d.pos or [], strict=True)) for d in docs]
    tokens = lines[2].split()
    tokens[0] = tokens[0].rpartition("/")[0] + "/"
    lines[2] = " ".join(tokens)
    lines[6] = "slashless " + lines[6]
    path = tmp_path / "corpus.slash"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, len(docs)


def test_the_example_converts_and_groups(tmp_path: Path, slash: dict[str, Any]) -> None:
    path, n = _slash_file(tmp_path)
    good = tmp_path / "good.slash"
    good.write_text("".join(x + "\n" for i, x in enumerate(path.read_text().splitlines()) if i not in (2, 6)))
    convert_corpus(good, tmp_path / "out", converter="slash", n_sents=10)
    docs = list(read_docbin(tmp_path / "out" / "good.spacy"))
    assert [sum(1 for _ in d.sentence_bounds()) for d in docs] == [10] * ((n - 2) // 10) + [(n - 2) % 10]
    assert docs[0].pos is not None and docs[0].pos[0] is not None


def test_the_example_is_checked_and_reads_on(tmp_path: Path, slash: dict[str, Any]) -> None:
    path, n = _slash_file(tmp_path)
    report = check_files([path], options=Options(converter="slash", max_examples=None))
    assert [e.line for e in report.get("unknown-upos").examples] == [3]
    assert [e.line for e in report.get("corpus-unreadable").examples] == [7]
    assert report.stats["files"]["docs"] == n - 2  # every other sentence was read
    result = CliRunner().invoke(cli, ["check", str(path), "-c", "slash"])
    assert result.exit_code == 1
    assert f"{path}:3:" in result.output and "unknown-upos" in result.output
    assert f"{path}:7:" in result.output and "corpus-unreadable" in result.output


def test_the_pages_misspelt_option_message(slash: dict[str, Any]) -> None:
    with pytest.raises(UsageError) as got:
        list(get_converter("slash").read(["a/NOUN"], lowercas=True))
    assert "UsageError: " + str(got.value) in (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert [d.words for d in get_converter("slash").read(["A/NOUN"], lowercase=True)] == [["a"]]
