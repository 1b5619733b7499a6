"""`corpuskit convert` through click's CliRunner: exit codes, stdout and stderr apart, no leftovers."""

from __future__ import annotations

import io
import json
import shutil
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corpuskit.cli import cli
from corpuskit.docbin import read_docbin

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "convert"
EWT = FIX / "en_ewt-ud-dev.slice.conllu"


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["convert", *map(str, args)])


def assert_clean_error(result: Result, out: Path, *needles: str) -> str:
    """Exit 2, one `corpuskit: error:` line on stderr, nothing on stdout, nothing left in ``out``."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("corpuskit: error: ")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    assert not out.exists() or list(out.iterdir()) == []
    return errors[0]


def write(path: Path, data: str | bytes) -> Path:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- conversions that work


def test_convert_conllu_to_spacy(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(EWT, out, "-n", "10")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "conllu: " in result.stderr  # auto-detection says what it chose and why
    assert result.stderr.splitlines()[-1] == "3 docs, 26 sentences, 607 tokens written"
    docs = list(read_docbin(out / "en_ewt-ud-dev.slice.spacy"))
    assert len(docs) == 3 and sum(len(d) for d in docs) == 607
    assert (out / "en_ewt-ud-dev.slice.spacy").stat().st_mode & 0o044  # not a private temp file


def test_short_flags_and_named_converter(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(FIX / "fr_gsd-ud-dev.slice.conllu", out, "-c", "conllu", "-n", "5", "-T", "-m")
    assert result.exit_code == 0, result.stderr
    assert "conllu: " not in result.stderr  # nothing detected, nothing to say
    docs = list(read_docbin(out / "fr_gsd-ud-dev.slice.spacy"))
    assert len(docs) == 4
    assert any("__" in (t or "") for d in docs for t in (d.tags or []))  # -m: TAG__FEATS


def test_directory_keeps_relative_paths_and_skips_hidden(tmp_path: Path) -> None:
    src = tmp_path / "corpus"
    (src / "ud" / "en").mkdir(parents=True)
    (src / ".cache").mkdir()
    shutil.copy(EWT, src / "ud" / "en" / "ewt.conllu")
    shutil.copy(FIX / "spacy-ner-sent-per-line.iob", src / "ner.iob")
    shutil.copy(EWT, src / ".cache" / "old.conllu")
    write(src / ".hidden.conllu", "junk")
    write(src / "README.md", "# About this corpus\n\nSome prose.\n")
    out = tmp_path / "out"
    result = invoke(src, out)
    assert result.exit_code == 0, result.stderr
    found = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert found == ["ner.spacy", "ud/en/ewt.spacy"]
    assert "README.md: skipped" in result.stderr


def test_concatenate(tmp_path: Path) -> None:
    src = tmp_path / "corpus"
    src.mkdir()
    shutil.copy(EWT, src / "a.conllu")
    shutil.copy(FIX / "de_gsd-ud-dev.slice.conllu", src / "b.conllu")
    out = tmp_path / "out"
    result = invoke(src, out, "-C", "-n", "10")
    assert result.exit_code == 0, result.stderr
    assert [p.name for p in out.iterdir()] == ["corpus.spacy"]
    assert len(list(read_docbin(out / "corpus.spacy"))) == 3 + 2  # grouping never crosses files


def test_shards(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(EWT, out, "--shard-size", "100", "-n", "1")
    assert result.exit_code == 0, result.stderr
    shards = sorted((out / "en_ewt-ud-dev.slice.spacy").iterdir())
    assert len(shards) > 3
    assert sum(len(d) for d in read_docbin(out / "en_ewt-ud-dev.slice.spacy")) == 607


def test_export_spacy_to_conllu_round_trip(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke(EWT, out, "-n", "10").exit_code == 0
    result = invoke(out / "en_ewt-ud-dev.slice.spacy", "-", "-t", "conllu")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == EWT.read_text(encoding="utf-8")
    again = tmp_path / "again"
    result = invoke(out / "en_ewt-ud-dev.slice.spacy", again, "-t", "conllu")
    assert result.exit_code == 0, result.stderr
    assert (again / "en_ewt-ud-dev.slice.conllu").read_text(encoding="utf-8") == EWT.read_text(
        encoding="utf-8"
    )


def test_binary_to_stdout_is_refused(tmp_path: Path) -> None:
    result = invoke(EWT, "-")
    assert result.exit_code == 2
    assert "stdout" in result.stderr and result.stdout == ""


def test_ner_map(tmp_path: Path) -> None:
    ner_map = write(tmp_path / "map.json", json.dumps({"PER": "PERSON", "LOC": ""}))
    out = tmp_path / "out"
    result = invoke(FIX / "ner-misc.conllu", out, "-nm", ner_map, "-n", "10")
    assert result.exit_code == 0, result.stderr
    (doc,) = read_docbin(out / "ner-misc.spacy")
    assert [s.label for s in doc.ents or []] == ["PERSON", "ORG"]


def test_seg_sents(tmp_path: Path) -> None:
    text = "".join(f"{w}\tO\n" for w in ["Hi", "there", ".", "Bye", "now", "!", "Ok"])
    f = write(tmp_path / "flat.conll", text)
    out = tmp_path / "out"
    result = invoke(f, out, "-s", "-n", "1")
    assert result.exit_code == 0, result.stderr
    assert [d.words for d in read_docbin(out / "flat.spacy")] == [
        ["Hi", "there", "."],
        ["Bye", "now", "!"],
        ["Ok"],
    ]


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda s: "\ufeff" + s, id="bom"),
        pytest.param(lambda s: s.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda s: s.replace("\n\n", "\n\n\n\n"), id="extra-blank-lines"),
        pytest.param(
            lambda s: "# a comment-only block\n\n" + s.replace("\n\n", "\n\n# note\n\n", 1), id="comments"
        ),
    ],
)
def test_harmless_variants(tmp_path: Path, variant: object) -> None:
    text = EWT.read_text(encoding="utf-8")
    assert callable(variant)
    f = write(tmp_path / "v.conllu", variant(text))
    out = tmp_path / "out"
    result = invoke(f, out, "-n", "10")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "3 docs, 26 sentences, 607 tokens written"


# --------------------------------------------------------------------------- bad input: exit 2, one line


@pytest.mark.parametrize("n_sents", ["1", "10"])
def test_wrong_column_count(tmp_path: Path, n_sents: str) -> None:
    lines = EWT.read_text(encoding="utf-8").splitlines()
    i = next(k for k, line in enumerate(lines) if line[:1].isdigit())
    lines[i + 3] = "\t".join(lines[i + 3].split("\t")[:8])
    f = write(tmp_path / "cols.conllu", "\n".join(lines) + "\n")
    result = invoke(f, tmp_path / "out", "-n", n_sents)
    assert_clean_error(result, tmp_path / "out", f"cols.conllu:{i + 4}:", "got 8")


def test_space_separated_conllu(tmp_path: Path) -> None:
    f = write(tmp_path / "spaces.conllu", "1 Hello hello INTJ UH _ 0 root _ _\n\n")
    assert_clean_error(invoke(f, tmp_path / "out"), tmp_path / "out", "spaces.conllu:1:", "spaces")


@pytest.mark.parametrize(
    ("text", "line"),
    [('[{"id": 0, "paragraphs": [{"sentences": [{"tokens": [{"orth": "a"},]}]}]}]\n', 1), ("[\n{\n", 2)],
    ids=["broken", "truncated"],
)
def test_broken_json(tmp_path: Path, text: str, line: int) -> None:
    f = write(tmp_path / "bad.json", text)
    assert_clean_error(invoke(f, tmp_path / "out"), tmp_path / "out", f"bad.json:{line}")


@pytest.mark.parametrize(
    ("name", "text", "converter"),
    [
        ("u.iob", "Hello|U- world|O\n", "iob"),
        ("b.iob", "Hello|B world|O\n", "iob"),
        ("b.conll", "Hello\tO\nworld\tB\n", "conll"),
    ],
)
def test_tag_without_label(tmp_path: Path, name: str, text: str, converter: str) -> None:
    f = write(tmp_path / name, text)
    for args in ((), ("-c", converter)):
        assert_clean_error(invoke(f, tmp_path / "out", *args), tmp_path / "out", f"{name}:")


def test_binary_file(tmp_path: Path) -> None:
    f = write(tmp_path / "data.conllu", b"1\tHello\x00\x01\x02\n")
    assert_clean_error(invoke(f, tmp_path / "out"), tmp_path / "out", "data.conllu:1", "binary")


@pytest.mark.parametrize(
    "data", [b"just text, not a DocBin\n", zlib.compress(b"not msgpack")[:-3], b"\x78\x9cbroken"]
)
def test_not_a_docbin(tmp_path: Path, data: bytes) -> None:
    f = write(tmp_path / "corpus.spacy", data)
    assert_clean_error(invoke(f, tmp_path / "out", "-t", "conllu"), tmp_path / "out", "corpus.spacy")


def test_latin1_names_the_line_and_offers_encoding(tmp_path: Path) -> None:
    f = write(tmp_path / "es.conll", b"Hola\tO\n" + "Espa\xf1a\tB-LOC\n".encode("latin-1"))
    out = tmp_path / "out"
    assert_clean_error(invoke(f, out), out, "es.conll:2:", "--encoding latin-1")
    result = invoke(f, out, "--encoding", "latin-1")
    assert result.exit_code == 0, result.stderr
    (doc,) = read_docbin(out / "es.spacy")
    assert doc.words == ["Hola", "España"]


def test_missing_file(tmp_path: Path) -> None:
    assert_clean_error(invoke(tmp_path / "nope.conllu", tmp_path / "out"), tmp_path / "out", "nope.conllu")


def test_error_in_a_later_file_leaves_nothing(tmp_path: Path) -> None:
    src = tmp_path / "corpus"
    src.mkdir()
    shutil.copy(EWT, src / "a.conllu")
    write(src / "b.conllu", "1 Hello hello INTJ UH _ 0 root _ _\n\n")
    out = tmp_path / "out"
    out.mkdir()
    write(out / "keep.txt", "mine")
    assert invoke(src, out).exit_code == 2
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_unknown_converter_and_file_type(tmp_path: Path) -> None:
    assert_clean_error(invoke(EWT, tmp_path / "o", "-c", "nope"), tmp_path / "o", "nope")
    assert_clean_error(invoke(EWT, tmp_path / "o", "-t", "nope"), tmp_path / "o", "nope")


# --------------------------------------------------------------------------- never a traceback

_settings = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_settings
@given(
    data=st.binary(max_size=300),
    suffix=st.sampled_from([".conllu", ".conll", ".iob", ".json", ".spacy", ".txt"]),
)
def test_random_bytes_never_traceback(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, suffix: str
) -> None:
    d = tmp_path_factory.mktemp("fuzz")
    f = write(d / f"x{suffix}", data)
    result = invoke(f, d / "out")
    assert result.exit_code in (0, 2), (result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert not (d / "out").exists()


_cell = st.sampled_from(
    ["1", "2", "0", "_", "a", "B-PER", "I-LOC", "O", "U-", "root", "x=y", "-DOCSTART-", "#", ""]
)
_line = st.one_of(
    st.lists(_cell, min_size=1, max_size=11).map("\t".join),
    st.lists(_cell, min_size=1, max_size=4).map(" ".join),
    st.lists(
        st.tuples(st.sampled_from(["a", "b"]), st.sampled_from(["O", "B-X", "I-X", "U-"])), max_size=4
    ).map(lambda ts: " ".join(f"{w}|{t}" for w, t in ts)),
    st.just(""),
    st.text(max_size=20),
)


@_settings
@given(
    lines=st.lists(_line, max_size=12), suffix=st.sampled_from([".conllu", ".conll", ".iob", ".json", ".txt"])
)
def test_random_lines_never_traceback(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], suffix: str
) -> None:
    d = tmp_path_factory.mktemp("fuzz")
    f = write(d / f"x{suffix}", "\n".join(lines) + "\n")
    result = invoke(f, d / "out", "-n", "2")
    assert result.exit_code in (0, 2), (result.stderr, result.exception)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("file_type", ["conll", "iob", "json", "conllu"])
def test_text_to_text_round_trip(tmp_path: Path, file_type: str) -> None:
    src = FIX / "spacy-ner-sent-per-line.iob"
    result = invoke(src, tmp_path / "text", "-t", file_type)
    assert result.exit_code == 0, result.stderr
    (written,) = (tmp_path / "text").iterdir()
    assert written.suffix == "." + file_type
    assert invoke(src, tmp_path / "a").exit_code == 0
    assert invoke(written, tmp_path / "b").exit_code == 0
    (a,) = (tmp_path / "a").iterdir()
    (b,) = (tmp_path / "b").iterdir()
    docs_a, docs_b = list(read_docbin(a)), list(read_docbin(b))
    assert [d.words for d in docs_a] == [d.words for d in docs_b]
    assert [d.ents for d in docs_a] == [d.ents for d in docs_b]


def test_output_never_overwrites_an_input(tmp_path: Path) -> None:
    f = tmp_path / "a.conllu"
    shutil.copy(EWT, f)
    result = invoke(tmp_path, tmp_path, "-t", "conllu")
    assert result.exit_code == 2 and "overwrite an input" in result.stderr
    assert f.read_text(encoding="utf-8") == EWT.read_text(encoding="utf-8")


def test_ner_map_applies_to_every_format(tmp_path: Path) -> None:
    ner_map = write(tmp_path / "map.json", json.dumps({"PERSON": "PER", "DATE": ""}))
    result = invoke(FIX / "spacy-ner-sent-per-line.iob", tmp_path / "out", "--ner-map", ner_map)
    assert result.exit_code == 0, result.stderr
    labels = {
        s.label for d in read_docbin(tmp_path / "out" / "spacy-ner-sent-per-line.spacy") for s in d.ents or []
    }
    assert "PER" in labels and "PERSON" not in labels and "DATE" not in labels


def test_bad_ner_map(tmp_path: Path) -> None:
    ner_map = write(tmp_path / "map.json", '{"PER": 1}')
    out = tmp_path / "out"
    assert_clean_error(invoke(EWT, out, "--ner-map", ner_map), out, "map.json", "'PER'")


def test_bad_corpus_file_in_a_directory_is_an_error_not_skipped(tmp_path: Path) -> None:
    src = tmp_path / "corpus"
    src.mkdir()
    shutil.copy(EWT, src / "a.conllu")
    write(src / "b.conll", b"Hola\tO\n" + "Espa\xf1a\tB-LOC\n".encode("latin-1"))
    write(src / "notes.bin", b"\x00\x01 not a corpus")
    out = tmp_path / "out"
    assert_clean_error(invoke(src, out), out, "b.conll:2:", "--encoding latin-1")


def test_mangled_mirror_bytes_name_the_line(tmp_path: Path) -> None:
    """A bad public mirror of CoNLL-2002 has byte 0x81 where accents were."""
    f = write(tmp_path / "deu.testa", b"-DOCSTART- -X- O\n\nDie ART O\nGr\x81nen NN B-ORG\n")
    out = tmp_path / "out"
    assert_clean_error(invoke(f, out), out, "deu.testa:4:3:", "b'\\x81'", "--encoding")


def test_offset_units_reach_the_jsonl_converters(tmp_path: Path) -> None:
    src = FIX.parent / "jsonl" / "emoji_utf16.jsonl"
    result = invoke(src, tmp_path / "auto", "-c", "jsonl")
    assert result.exit_code == 0, result.stderr
    assert "UTF-16" in result.stderr  # the converter's report, printed by the CLI
    assert invoke(src, tmp_path / "set", "-c", "jsonl", "--offset-units", "utf16").exit_code == 0
    assert_clean_error(invoke(src, tmp_path / "no", "--offset-units", "nope"), tmp_path / "no", "'nope'")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from corpuskit.cli import progress

    quiet = progress.ProgressBar("converting", 1 << 30)
    assert quiet.bar is None  # CliRunner's stderr (and a pipe) is not a terminal
    tty = _Tty()
    monkeypatch.setattr(progress.sys, "stderr", tty)
    small = progress.ProgressBar("converting", 1000)
    assert small.bar is None  # short inputs get no bar
    bar = progress.ProgressBar("converting", 1 << 23)
    assert bar.bar is not None
    bar(1 << 22)
    bar(1 << 24)  # a second pass over a file (a pre-scan) never overflows the bar
    bar.close()
    assert bar.shown == 1 << 23
    assert "converting" in tty.getvalue()
