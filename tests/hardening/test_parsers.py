"""Hostile text input: deep JSON, lone surrogates, long lines, UTF-16/32, unknown encodings, bad bytes
anywhere in a file: one line naming file:line, exit 2 in convert, a finding in check and debug-data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import corpuskit.textio
from corpuskit.cli import cli
from corpuskit.corpus import read_corpus
from corpuskit.docbin import read_docbin
from corpuskit.errors import FormatError

FIX = Path(__file__).resolve().parents[2] / "fixtures"
EWT = FIX / "docbin" / "en_ewt-ud-dev.head30.conllu"
DEEP = 1000


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args])


def error_line(result: Result) -> str:
    """The one `corpuskit: error:` line of a refused run (exit 2, no traceback)."""
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    lines = [x for x in result.stderr.splitlines() if x.startswith("corpuskit: error: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def finding_lines(result: Result, check_id: str = "corpus-unreadable") -> list[str]:
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return [x for x in result.stdout.splitlines() if f" {check_id} " in x]


def _v2_doc(orth: object = "a", extra: object = None) -> list[object]:
    token: dict[str, object] = {"orth": orth, "id": 0}
    if extra is not None:
        token["x"] = extra
    sentence = {"tokens": [{"orth": "b", "id": 1}, token]}
    return [{"id": 0, "paragraphs": [{"raw": "a", "sentences": [sentence]}]}]


NEST = "[" * DEEP + "]" * DEEP
DEEP_CASES = {
    "v2.json": "[" * DEEP + "]" * DEEP,
    "inside.json": json.dumps(_v2_doc()).replace('"id": 0}]', '"id": 0, "x": ' + NEST + "}]"),
    "meta.jsonl": '{"text": "a b", "spans": [], "meta": ' + "[" * DEEP + "]" * DEEP + "}\n",
}


@pytest.mark.parametrize("name", list(DEEP_CASES))
def test_deep_json_is_refused(name: str, tmp_path: Path) -> None:
    f = tmp_path / name
    f.write_text(DEEP_CASES[name], encoding="utf-8")
    line = error_line(run("convert", f, tmp_path / "out"))
    assert f"{f}:1:" in line and "JSON nested too deeply" in line
    assert not (tmp_path / "out").exists()
    (found,) = finding_lines(run("check", f))
    assert "JSON nested too deeply" in found


def test_deep_labelstudio_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "tasks.json"
    f.write_text('[{"data": {"text": "a"}, "annotations": ' + NEST + "}]", encoding="utf-8")
    line = error_line(run("convert", f, tmp_path / "out", "-c", "labelstudio"))
    assert f"{f}:1:" in line and "JSON nested too deeply" in line


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("text.jsonl", '{"text": "a b", "spans": []}\n{"text": "a \\ud800 b", "spans": []}\n'),
        ("label.jsonl", '{"text": "a b", "label": [[0, 1, "\\udc00"]]}\n'),
        ("pair-then-lone.jsonl", '{"text": "\\ud83d\\ude00 \\udbff", "spans": []}\n'),
    ],
)
def test_lone_surrogate_in_jsonl(name: str, text: str, tmp_path: Path) -> None:
    last = text.rstrip("\n").split("\n")[-1]
    column = last.rindex("\\u") + 1  # the lone escape is the last one
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    line = error_line(run("convert", f, tmp_path / "out"))
    where = f"{f}:{2 if name == 'text.jsonl' else 1}:{column}:"
    assert where in line and "half of a UTF-16 surrogate pair" in line, line


def test_surrogate_pair_is_text(tmp_path: Path) -> None:
    f = tmp_path / "emoji.jsonl"
    f.write_text('{"text": "a \\ud83d\\ude00 b", "spans": []}\n', encoding="utf-8")
    result = run("convert", f, tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    (doc,) = read_docbin(tmp_path / "out" / "emoji.spacy")
    assert "\U0001f600" in doc.words


def test_lone_surrogate_in_v2_json_and_labelstudio(tmp_path: Path) -> None:
    f = tmp_path / "v2.json"
    f.write_text(json.dumps(_v2_doc("\ud800"), indent=1), encoding="utf-8")
    line = error_line(run("convert", f, tmp_path / "out"))
    assert f"{f}:15:18:" in line and "surrogate" in line, line  # the escape itself
    g = tmp_path / "ls.json"
    tasks = '[{"data": {"text": "a \\udc00"}, "annotations": []}]'
    g.write_text(tasks, encoding="utf-8")
    line = error_line(run("convert", g, tmp_path / "out", "-c", "labelstudio"))
    assert f"{g}:1:{tasks.index(chr(92)) + 1}:" in line and "surrogate" in line


def test_empty_orth_names_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "v2.json"
    f.write_text(json.dumps(_v2_doc(""), indent=1), encoding="utf-8")
    line = error_line(run("convert", f, tmp_path / "out"))
    assert f"{f}:15: token 2 of document 1, paragraph 1 has an empty 'orth'" in line, line


def test_bad_user_data_names_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "big.jsonl"
    big = "1" + "0" * 30  # an integer msgpack cannot hold
    f.write_text('{"text": "a b", "spans": []}\n{"text": "c", "spans": [], "meta": {"n": ' + big + "}}\n")
    line = error_line(run("convert", f, tmp_path / "out"))
    assert f"{f}:2: the doc's user_data cannot be stored" in line, line
    assert not (tmp_path / "out").exists()


def test_line_length_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line past the limit is refused when it is read, before it is held whole (the limit is
    256 MiB; lowered here to 1 MiB, the read block, to keep the test small)."""
    monkeypatch.setattr(corpuskit.textio, "MAX_LINE_BYTES", 1 << 20)
    f = tmp_path / "long.conllu"
    f.write_bytes(EWT.read_bytes() + b"# " + b"x" * (3 << 20) + b"\n")
    line = error_line(run("convert", f, tmp_path / "out"))
    n_lines = EWT.read_bytes().count(b"\n")
    assert f"{f}:{n_lines + 1}: a line longer than 1,048,576 bytes" in line, line


def _words(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    return [d.words for d in read_corpus(path, converter="conllu", encoding=encoding)]


@pytest.mark.parametrize("codec", ["utf-16", "utf-32", "utf-16-be-bom", "utf-8-sig"])
def test_utf16_and_utf32_with_bom_are_read(codec: str, tmp_path: Path) -> None:
    text = EWT.read_text(encoding="utf-8")
    f = tmp_path / f"{codec}.conllu"
    if codec == "utf-16-be-bom":
        f.write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    else:
        f.write_text(text, encoding=codec)
    assert _words(f) == _words(EWT)
    result = run("convert", f, tmp_path / "out")
    assert result.exit_code == 0, result.stderr
    docs = list(read_docbin(tmp_path / "out" / f"{codec}.spacy"))
    assert [d.words for d in docs] == _words(EWT)
    assert [d.lines for d in docs] == [d.lines for d in read_corpus(EWT)]
    assert run("check", f).exit_code == 0


def test_named_utf16_encoding_without_bom(tmp_path: Path) -> None:
    f = tmp_path / "nobom.conllu"
    f.write_bytes(EWT.read_text(encoding="utf-8").encode("utf-16-le"))
    result = run("convert", f, tmp_path / "out", "--encoding", "utf-16")
    assert result.exit_code == 0, result.stderr
    assert [d.words for d in read_docbin(tmp_path / "out" / "nobom.spacy")] == _words(EWT)


def test_bad_utf16_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "bad16.conllu"
    text = EWT.read_text(encoding="utf-8").encode("utf-16-le")
    cut = text.index("\n".encode("utf-16-le")) + 2
    f.write_bytes(b"\xff\xfe" + text[:cut] + b"\x00\xdc" + text[cut:])  # a lone low surrogate, line 2
    with pytest.raises(FormatError) as info:
        _words(f)
    assert info.value.line == 2 and info.value.path == str(f)


@pytest.mark.parametrize("cmd", ["convert", "check", "debug-data"])
@pytest.mark.parametrize("encoding", ["nonsense", "base64"])
def test_unknown_encoding_is_one_line(cmd: str, encoding: str, tmp_path: Path) -> None:
    args: list[str | Path] = [cmd, EWT]
    if cmd == "convert":
        args.append(tmp_path / "out")
    line = error_line(run(*args, "--encoding", encoding))
    assert f"unknown text encoding {encoding!r}" in line


@pytest.mark.parametrize("where", ["early", "late"])
def test_a_bad_byte_is_the_same_kind_of_result_wherever_it_is(where: str, tmp_path: Path) -> None:
    """The issue: a finding in the first MB, a misuse error (other files' findings lost) after it."""
    src = EWT.read_bytes()
    bad = src.replace(b"\tthe\t", b"\tth\xffe\t", 1)
    filler = src * ((1 << 21) // len(src) + 1)  # past two 1 MB read blocks
    f = tmp_path / f"{where}.conllu"
    f.write_bytes(bad + filler if where == "early" else filler + bad)
    line_no = (0 if where == "early" else filler.count(b"\n")) + bad[: bad.index(b"\xff")].count(b"\n") + 1
    line = error_line(run("convert", f, tmp_path / "out"))
    assert f"{f}:{line_no}:" in line and "not valid utf-8" in line
    other = tmp_path / "other.conllu"
    other.write_bytes(src.replace(b"\tNNP\t", b"\tNOTATAG\t", 1))
    for cmd in ("check", "debug-data"):
        result = run(cmd, f, other)
        assert result.exit_code == 1, result.stderr
        assert "Traceback" not in result.stderr and "corpuskit: error" not in result.stderr
        assert result.stdout.count(f"{f}:{line_no}:") == 1, result.stdout  # said once
        assert "not valid utf-8" in result.stdout
