"""Format detection, corpus file walking and reading (with stand-in converters, and the real ones)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

import pytest

import corpuskit.corpus as corpus
import corpuskit.registry
from corpuskit.corpus import LineSource, detect_format, iter_corpus_files, read_corpus
from corpuskit.doc import Doc
from corpuskit.errors import FormatError, UsageError
from corpuskit.registry import Converter


def _parse_tsv(lines: Iterable[str], *, source: str | None = None, upper: bool = False) -> Iterator[Doc]:
    words: list[str] = []
    nums: list[int] = []
    for no, line in enumerate(lines, start=1):
        if not line.strip():
            if words:
                yield Doc(words=words, source=source, lines=nums)
            words, nums = [], []
            continue
        word = line.split("\t")[0]
        words.append(word.upper() if upper else word)
        nums.append(no)
    if words:
        yield Doc(words=words, source=source, lines=nums)


def _write_tsv(docs: Iterable[Doc], out: IO[str]) -> None:
    for doc in docs:
        out.write("".join(f"{w}\tX\n" for w in doc.words) + "\n")


def _detect_tsv(head: list[str]) -> float:
    rows = [line for line in head if line.strip()]
    return 0.9 if rows and all(line.count("\t") == 1 for line in rows) else 0.0


def _parse_pipe(lines: Iterable[str], *, source: str | None = None) -> Iterator[Doc]:
    for line in lines:
        if line.strip():
            yield Doc(words=[t.split("|")[0] for t in line.split()], source=source)


def _detect_pipe(head: list[str]) -> float:
    rows = [line for line in head if line.strip()]
    return 0.8 if rows and all("|" in line for line in rows) else 0.0


TSV = Converter("tsv", _parse_tsv, _write_tsv, _detect_tsv, extensions=("tsv",), options=frozenset({"upper"}))
PIPE = Converter("pipe", _parse_pipe, None, _detect_pipe, extensions=("pipe",), description="word|TAG lines")


@pytest.fixture
def fake_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    convs = {"tsv": TSV, "pipe": PIPE}

    def get(name: str) -> Converter:
        if name not in convs:
            raise UsageError(f"unknown converter {name!r}")
        return convs[name]

    monkeypatch.setattr(corpus, "list_converters", lambda: dict(convs))
    monkeypatch.setattr(corpuskit.registry, "list_converters", lambda: dict(convs))
    monkeypatch.setattr(corpus, "get_converter", get)


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.usefixtures("fake_registry")
def test_detect_by_content_not_extension(tmp_path: Path) -> None:
    f = _write(tmp_path / "data.txt", "a\tB\nb\tO\n\nc\tO\n")
    name, reason = detect_format(f)
    assert name == "tsv"
    assert reason.startswith("tsv: ")
    g = _write(tmp_path / "data.tsv", "a|B b|O\n")  # wrong extension, content decides
    assert detect_format(g)[0] == "pipe"
    assert "word|TAG lines" in detect_format(g)[1]


@pytest.mark.usefixtures("fake_registry")
def test_detect_spacy_by_magic_bytes(tmp_path: Path) -> None:
    f = _write(tmp_path / "corpus.bin", zlib.compress(b"\x89whatever"))
    assert detect_format(f)[0] == "spacy"


@pytest.mark.usefixtures("fake_registry")
def test_detect_errors(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="cannot detect the format"):
        detect_format(_write(tmp_path / "x.txt", "just some prose\n"))
    with pytest.raises(FormatError, match=r"x\.bin:2: found a NUL byte"):
        detect_format(_write(tmp_path / "x.bin", b"ok\n\x00\x01\x02"))
    with pytest.raises(FormatError, match=r"latin\.txt:2:1: byte b'\\xe9'.*--encoding latin-1"):
        detect_format(_write(tmp_path / "latin.txt", b"a\tO\n" + "\xe9t\xe9\tO\n".encode("latin-1")))
    assert detect_format(tmp_path / "latin.txt", encoding="latin-1")[0] == "tsv"
    with pytest.raises(FormatError, match="empty"):
        detect_format(_write(tmp_path / "empty.txt", "\n\n"))
    assert detect_format(_write(tmp_path / "empty.tsv", ""))[0] == "tsv"  # the extension decides
    with pytest.raises(UsageError, match="no such file"):
        detect_format(tmp_path / "missing.tsv")


def test_line_source_is_reiterable(tmp_path: Path) -> None:
    f = _write(tmp_path / "a.txt", "\ufeffone\r\ntwo\n\nthree")
    src = LineSource(f)
    assert list(src) == ["one", "two", "", "three"]
    assert list(src) == list(src)
    seen: list[int] = []
    assert list(LineSource(f, on_progress=seen.append)) == ["one", "two", "", "three"]
    assert seen and seen[-1] > 0


@pytest.mark.usefixtures("fake_registry")
def test_iter_corpus_files_walks_and_skips(tmp_path: Path) -> None:
    _write(tmp_path / "a.tsv", "a\tO\n")
    _write(tmp_path / "sub" / "b.txt", "b|O\n")
    _write(tmp_path / "README.md", "# A treebank\n")
    _write(tmp_path / ".hidden" / "c.tsv", "c\tO\n")
    _write(tmp_path / ".d.tsv", "d\tO\n")
    skipped: list[tuple[Path, str]] = []
    found = list(iter_corpus_files(tmp_path, on_skip=lambda f, why: skipped.append((f, why))))
    assert [(f.relative_to(tmp_path).as_posix(), n) for f, n, _ in found] == [
        ("a.tsv", "tsv"),
        ("sub/b.txt", "pipe"),
    ]
    assert [f.name for f, _ in skipped] == ["README.md"]
    named = list(iter_corpus_files(tmp_path, converter="tsv"))
    assert [f.name for f, _, _ in named] == ["a.tsv"]
    with pytest.raises(UsageError):
        list(iter_corpus_files(tmp_path / "nope"))


@pytest.mark.usefixtures("fake_registry")
def test_read_corpus_passes_known_options(tmp_path: Path) -> None:
    f = _write(tmp_path / "a.tsv", "a\tO\nb\tO\n\n\nc\tO\n")
    docs = list(read_corpus(f, upper=True))
    assert [d.words for d in docs] == [["A", "B"], ["C"]]
    assert docs[1].lines == [5] and docs[1].source == str(f)
    _write(tmp_path / "b.pipe", "x|O y|O\n")
    assert [d.words for d in read_corpus(tmp_path, upper=True)] == [["A", "B"], ["C"], ["x", "y"]]
    with pytest.raises(UsageError, match="unknown converter option"):
        list(read_corpus(f, shout=True))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("en_ewt-ud-dev.slice.conllu", "conllu"),
        ("fr_gsd-ud-dev.slice.conllu", "conllu"),
        ("ner-misc.conllu", "conllu"),
        ("wnut17-train.slice.conll", "conll"),
        ("conll2003-style.conll", "conll"),
        ("spacy-ner-token-per-line.iob", "conll"),
        ("spacy-ner-token-per-line-with-pos.iob", "conll"),
        ("spacy-ner-token-per-line-conll2003.iob", "conll"),
        ("spacy-ner-sent-per-line.iob", "iob"),
        ("wikiner-en-wp2.slice.iob", "iob"),
        ("spacy-training-data.json", "json"),
    ],
)
def test_detect_real_fixtures(fixtures: Path, name: str, expected: str) -> None:
    assert detect_format(fixtures / "convert" / name)[0] == expected


def test_read_corpus_real(fixtures: Path, tmp_path: Path) -> None:
    docs = list(read_corpus(fixtures / "convert" / "en_ewt-ud-dev.slice.conllu"))
    assert len(docs) == 26
    assert all(d.source and d.lines for d in docs)


def test_loading_every_converter_leaves_heavy_modules_unimported() -> None:
    # every command loads every converter to detect formats: what only one converter's writer
    # needs (srsly, with its YAML parser) is imported when that writer runs, not at start-up
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from corpuskit.registry import list_converters\n"
        "assert len(list_converters()) > 4\n"
        "print('srsly' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
