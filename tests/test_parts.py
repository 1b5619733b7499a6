"""A large CoNLL-U file converted in parallel parts gives the docs one process gives."""

from __future__ import annotations

import pickle
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

import converters.conllu as conllu
from converters.conllu import read_conllu, scan_conllu
from corpuskit.corpus import LineSource, convert_corpus, read_file
from corpuskit.docbin import read_docbin
from corpuskit.errors import FormatError
from corpuskit.io import read_lines
from corpuskit.parts import plan_parts
from corpuskit.registry import FileScan

FIX = Path(__file__).resolve().parents[1] / "fixtures"
# multiword tokens and empty lines (fr), enhanced DEPS (en), NER in MISC (ner_misc)
PIECES = [
    "conllu/fr_gsd-ud-dev.slice.conllu",
    "conllu/en_ewt-ud-dev.slice.conllu",
    "sample/en_ewt-dev.sample.conllu",
]


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """About 5,000 tokens of real CoNLL-U with comments, multiword tokens and odd blank lines."""
    text = "".join((FIX / p).read_text(encoding="utf-8").rstrip("\n") + "\n\n" for p in PIECES)
    text = "# a comment-only block at the start\n\n\n" + text + "\n# a tail comment\n"
    path = tmp_path / "big.conllu"
    path.write_text(text, encoding="utf-8")
    return path


def _parts(path: Path, scan: FileScan, cuts: list[int]) -> list[tuple[int, int | None, int]]:
    bounds = [(0, 0)] + [(int(scan.offsets[c]), int(scan.lines[c])) for c in cuts]
    return [
        (start, bounds[k + 1][0] if k + 1 < len(bounds) else None, line)
        for k, (start, line) in enumerate(bounds)
    ]


def test_scan_counts_what_the_reader_reads(big: Path) -> None:
    scan = scan_conllu(big)
    assert scan is not None
    docs = list(read_conllu(big))
    assert scan.n_units == len(docs)
    assert scan.n_tokens == sum(len(d.words) for d in docs)
    assert scan.options == {"ner": False}
    # every sentence is followed by an empty line, so a cut (the last one before the tail comment)
    assert scan.units.tolist() == list(range(1, len(docs) + 1))
    # at each cut, the docs before it and their tokens are what the scan says
    for c in (0, 7, len(scan.offsets) // 2, len(scan.offsets) - 2):
        k = int(scan.units[c])
        assert int(scan.tokens[c]) == sum(len(d.words) for d in docs[:k])
        assert docs[k].lines is not None and docs[k].lines[0] > int(scan.lines[c])


def test_parts_read_alone_give_the_whole_files_docs(big: Path) -> None:
    scan = scan_conllu(big)
    assert scan is not None
    whole = list(read_conllu(big))
    cuts = [3, len(scan.offsets) // 3, len(scan.offsets) - 2]
    joined = []
    for part in _parts(big, scan, cuts):
        joined.extend(read_file(big, "conllu", part=part, **scan.options))
    assert joined == whole  # words, annotation, user data (comments, tail) and line numbers


def test_scan_gives_up_on_what_it_cannot_count(tmp_path: Path) -> None:
    good = (FIX / "conllu" / "en_ewt-ud-dev.slice.conllu").read_bytes()
    cases = {
        "crlf": good.replace(b"\n", b"\r\n"),
        "whitespace line": good.replace(b"\n\n", b"\n  \n", 1),
        "odd line": good.replace(b"\n\n", b"\nxyz\n\n", 1),
    }
    for name, data in cases.items():
        path = tmp_path / f"{name}.conllu"
        path.write_bytes(data)
        assert scan_conllu(path) is None, name
    path = tmp_path / "utf16.conllu"
    path.write_bytes(good)
    assert scan_conllu(path, encoding="utf-16") is None


def test_scan_decides_ner_for_the_whole_file() -> None:
    scan = scan_conllu(FIX / "conllu" / "ner_late.conllu")
    assert scan is not None and scan.options["ner"] is True  # the only tag is in the last sentence
    scan = scan_conllu(FIX / "conllu" / "ner_late.conllu", ner=False)
    assert scan is not None and scan.options["ner"] is False


def test_plan_keeps_groups_whole(big: Path) -> None:
    scan = scan_conllu(big)
    assert scan is not None
    assert plan_parts(scan, n_sents=10, shard_tokens=scan.n_tokens, jobs=2) is None  # one shard
    assert plan_parts(scan, n_sents=10, shard_tokens=1000, jobs=1) is None  # one process
    parts = plan_parts(scan, n_sents=10, shard_tokens=1000, jobs=2)
    assert parts is not None and len(parts) >= 4 and len(parts) % 2 == 0
    assert sum(p.units for p in parts) == scan.n_units
    assert all(p.units % 10 == 0 for p in parts[:-1])
    assert parts[0].start == 0 and parts[-1].end is None
    assert all(a.end == b.start for a, b in pairwise(parts))
    # 64 CPUs do not make 64 tiny parts: 4 workers (4,340 tokens, a shard's worth each), 2 parts each
    many = plan_parts(scan, n_sents=1, shard_tokens=1000, jobs=64)
    assert scan.n_tokens == 4340 and many is not None and len(many) == 8


@pytest.mark.parametrize("n_sents", [1, 10])
def test_parallel_convert_writes_the_same_docs(
    big: Path, tmp_path: Path, n_sents: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from corpuskit import parts

    written = []
    real = parts.write_parts

    def spy(*args: Any, **kwargs: Any) -> Any:
        written.append(real(*args, **kwargs))
        return written[-1]

    monkeypatch.setattr(parts, "write_parts", spy)
    one = convert_corpus(big, tmp_path / "one", n_sents=n_sents, shard_size=1000, jobs=1)
    two = convert_corpus(big, tmp_path / "two", n_sents=n_sents, shard_size=1000, jobs=2)
    assert len(written) == 1 and written[0] is not None  # the parts agreed with the scan
    assert (two.n_docs, two.n_sents, two.n_tokens) == (one.n_docs, one.n_sents, one.n_tokens)
    out = tmp_path / "two" / "big.spacy"
    assert out.is_dir() and sorted(p.name for p in out.iterdir()) == [p.name for p in two.paths]
    assert all(p.name.startswith("big-") for p in out.iterdir())  # no part files left
    assert list(read_docbin(out)) == list(read_docbin(tmp_path / "one" / "big.spacy"))


def test_parallel_convert_reports_the_first_error_in_the_file(big: Path, tmp_path: Path) -> None:
    lines = big.read_text(encoding="utf-8").split("\n")
    word_lines = [i for i, line in enumerate(lines) if line[:1].isdigit()]
    early, late = word_lines[40], word_lines[-40]
    for i in (early, late):
        parts = lines[i].split("\t")
        parts[6] = "x"
        lines[i] = "\t".join(parts)
    bad = tmp_path / "bad.conllu"
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FormatError) as err:
        convert_corpus(bad, tmp_path / "out", shard_size=1000, jobs=2)
    assert err.value.line == early + 1 and err.value.path == str(bad)
    assert not (tmp_path / "out").exists()
    # with only the late error, the part that has it names its line in the whole file
    lines[early] = big.read_text(encoding="utf-8").split("\n")[early]
    bad.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FormatError) as err:
        convert_corpus(bad, tmp_path / "out", shard_size=1000, jobs=2)
    assert err.value.line == late + 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("n_sents", [1, 10])
@pytest.mark.parametrize("field", ["units", "tokens"])
def test_a_part_that_disagrees_with_the_scan_falls_back(
    big: Path, tmp_path: Path, field: str, n_sents: int
) -> None:
    real = conllu.converter.scan
    assert real is not None

    def wrong(path: Path, **kw: object) -> FileScan | None:
        scan = real(path, **kw)
        assert scan is not None
        return FileScan(**{**scan.__dict__, field: getattr(scan, field) + 1})

    object.__setattr__(conllu.converter, "scan", wrong)
    try:
        res = convert_corpus(big, tmp_path / "out", n_sents=n_sents, shard_size=1000, jobs=2)
    finally:
        object.__setattr__(conllu.converter, "scan", real)
    one = convert_corpus(big, tmp_path / "one", n_sents=n_sents, shard_size=1000, jobs=1)
    assert [p.name for p in res.paths] == [p.name for p in one.paths]  # one process's shards
    assert list(read_docbin(tmp_path / "out" / "big.spacy")) == list(
        read_docbin(tmp_path / "one" / "big.spacy")
    )


def test_a_part_of_a_file_reads_with_the_files_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(b"\xef\xbb\xbfone\ntwo\r\nthree\nfour")
    assert list(read_lines(path)) == ["one", "two", "three", "four"]
    assert list(read_lines(path, start=7, end=18, first_line=1)) == ["two", "three"]
    assert list(LineSource(path, start=18, first_line=3)) == ["four"]
    path.write_bytes(b"one\ntwo\n\xff\n")
    with pytest.raises(FormatError) as err:
        list(read_lines(path, start=4, first_line=1))
    assert err.value.line == 3


def test_format_errors_keep_their_location_through_pickling() -> None:
    err = FormatError("bad HEAD 'x'", path="a.conllu", line=12, column=5)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is FormatError
    assert (back.path, back.line, back.column, str(back)) == ("a.conllu", 12, 5, str(err))


def test_scanning_in_stretches_gives_the_same_cuts(big: Path) -> None:
    from corpuskit.parts import process_pool

    whole = scan_conllu(big)
    assert whole is not None
    with process_pool(3) as executor:
        split = scan_conllu(big, executor=executor, workers=3)
    assert split is not None
    for field in ("offsets", "lines", "units", "tokens"):
        assert getattr(split, field).tolist() == getattr(whole, field).tolist(), field
    assert (split.n_units, split.n_tokens, split.size, split.options) == (
        whole.n_units,
        whole.n_tokens,
        whole.size,
        whole.options,
    )


def test_a_last_line_without_its_line_end_still_counts(tmp_path: Path) -> None:
    path = tmp_path / "t.conllu"
    path.write_bytes(b"1\tA\ta\tX\t_\t_\t0\troot\t_\t_\n\n1\tB\tb\tX\t_\t_\t0\troot\t_\tO")
    scan = scan_conllu(path)
    assert scan is not None
    assert (scan.n_units, scan.n_tokens, scan.options["ner"]) == (2, 2, True)


def test_no_workers_or_broken_workers_fall_back_to_one_process(
    big: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures.process import BrokenProcessPool

    import corpuskit.parts as parts

    one = convert_corpus(big, tmp_path / "one", shard_size=1000, jobs=1)
    expected = list(read_docbin(tmp_path / "one" / "big.spacy"))
    monkeypatch.setattr(parts, "process_pool", lambda jobs: None)  # e.g. an interactive session
    res = convert_corpus(big, tmp_path / "a", shard_size=1000, jobs=2)
    assert len(res.paths) == len(one.paths) and list(read_docbin(tmp_path / "a" / "big.spacy")) == expected
    monkeypatch.undo()

    def broken(*args: object, **kwargs: object) -> None:
        raise BrokenProcessPool("a worker died")

    monkeypatch.setattr(parts, "write_parts", broken)
    res = convert_corpus(big, tmp_path / "b", shard_size=1000, jobs=2)
    assert len(res.paths) == len(one.paths) and list(read_docbin(tmp_path / "b" / "big.spacy")) == expected
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["big.spacy"]
