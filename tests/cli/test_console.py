"""What reaches a terminal: any console encoding (cp1252, ASCII) without a traceback, ASCII marks
where the console lacks them, corpus control characters escaped, odd file names quoted, colour in
a TTY only and never with NO_COLOR."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpuskit.cli import cli
from corpuskit.console import Console, escape, quote_path
from corpuskit.debug import Options, check_files
from corpuskit.debug.report import render, render_check_lines

ROOT = Path(__file__).resolve().parents[2]
EWT = ROOT / "fixtures" / "debug" / "ewt_dev.conllu"
BROKEN = ROOT / "fixtures" / "debug" / "broken_ewt_dev.conllu"
TRAIN = ROOT / "fixtures" / "train" / "ewt-train-40.conllu"
DEV = ROOT / "fixtures" / "train" / "ewt-dev-15.conllu"
TITLE = "\x1b]0;pwned\x07"  # an escape sequence that sets the terminal's window title


def _hostile(tmp: Path, name: str = "odd\nname.conllu") -> Path:
    """EWT with a word holding an escape sequence and a mark no cp1252 console has, and a second
    root on that word (so findings quote it)."""
    lines = EWT.read_text("utf-8").split("\n")
    word = f"st{TITLE}ory✔"
    lines[3] = f"# text = From the AP comes this {word} :"
    lines[9] = lines[9].replace("\tstory\tstory\t", f"\t{word}\tstory\t").replace("\t4\tnsubj", "\t0\troot")
    path = tmp / name
    path.write_text("\n".join(lines), "utf-8")
    return path


def _run(*args: str, encoding: str = "cp1252", cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PYTHONUTF8")}
    env["PYTHONIOENCODING"] = encoding
    return subprocess.run(
        [sys.executable, "-m", "corpuskit", *args], capture_output=True, env=env, cwd=cwd, timeout=300
    )


def _strings(value: object) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _clean(proc: subprocess.CompletedProcess[bytes], codes: tuple[int, ...] = (0,)) -> str:
    out = proc.stdout.decode("cp1252")
    err = proc.stderr.decode("cp1252")
    assert "Traceback" not in err and "UnicodeEncodeError" not in err, err
    assert proc.returncode in codes, err
    return out


def test_escape_and_quote():
    assert escape(f"a{TITLE}b") == "a\\x1b]0;pwned\\x07b"
    assert escape("tab\there\nnl\u202eright\x9b") == "tab\\x09here\\x0anl\\u202eright\\x9b"
    assert escape("plain naïve 中文 ✔") == "plain naïve 中文 ✔"
    assert quote_path("a/b.conllu") == "a/b.conllu"
    assert quote_path("a\nb.conllu") == "'a\\x0ab.conllu'"
    assert quote_path("it's.conllu") == "'it\\'s.conllu'"
    assert quote_path(" lead.conllu") == "' lead.conllu'"


def test_marks_follow_the_console_encoding_and_colour_the_tty(monkeypatch: pytest.MonkeyPatch):
    class Tty(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    cp1252 = Tty(io.BytesIO(), encoding="cp1252")
    utf8 = Tty(io.BytesIO(), encoding="utf-8")
    assert Console.for_stream(cp1252) == Console(ascii=True, colour=True)
    assert Console.for_stream(utf8) == Console(ascii=False, colour=True)
    assert Console.for_stream(io.StringIO()).colour is False  # not a terminal
    assert Console(ascii=True).mark("error") == "[x]" and Console().mark("ok") == "✔"
    assert Console(colour=True).mark("error") == "\x1b[31m✘\x1b[0m"
    monkeypatch.setenv("NO_COLOR", "1")
    assert Console.for_stream(utf8).colour is False


def test_text_report_and_check_lines_escape_corpus_text(tmp_path: Path):
    path = _hostile(tmp_path)
    report = check_files([path], options=Options(max_examples=None, converter="conllu"))
    lines = render_check_lines(report)
    assert lines and all("\n" not in line and "\x1b" not in line and "\x07" not in line for line in lines)
    assert any(line.startswith("'" + str(tmp_path) + "/odd\\x0aname.conllu':10:1: ") for line in lines)
    assert any("st\\x1b]0;pwned\\x07ory✔" in line for line in lines)
    coloured = render(report, "text", console=Console(colour=True))
    assert "\x1b]" not in coloured and "\x07" not in coloured
    assert "\x1b[31m" in coloured  # the colour is ours; the corpus's escapes are not
    # JSON and SARIF keep the real text.
    data = json.loads(render(report, "json"))
    texts = [e["text"] + e["message"] for f in data["findings"] for e in f["examples"]]
    assert any(TITLE in t for t in texts)
    assert any(e["file"] == str(path) for f in data["findings"] for e in f["examples"])
    sarif = json.loads(render(report, "sarif"))
    snippets = [
        r["locations"][0]["physicalLocation"]["region"].get("snippet", {}).get("text", "")
        for r in sarif["runs"][0]["results"]
    ]
    assert any(TITLE in s for s in snippets)


def test_no_colour_when_piped_or_no_color():
    result = CliRunner().invoke(cli, ["check", str(BROKEN)], env={"NO_COLOR": None})
    assert result.exit_code == 1
    assert "\x1b[" not in result.stdout  # CliRunner's stdout is not a terminal


def test_cp1252_console_runs_check_debug_data_and_convert(tmp_path: Path):
    hostile = _hostile(tmp_path, "hostile.conllu")
    out = _clean(_run("check", str(hostile)), (1,))
    assert "st\\x1b]0;pwned\\x07ory\\u2714" in out  # escaped, then what cp1252 lacks as \u
    assert "\x1b" not in out and "\x07" not in out  # nothing raw reaches the console
    out = _clean(_run("debug-data", str(hostile), "-c", "conllu"), (1,))
    assert "[x] error" in out and "[+]" in out and "\\u2718" not in out  # wasabi's ASCII marks
    assert "st\\x1b]0;pwned\\x07ory" in out and "\x1b" not in out and "\x07" not in out
    for fmt in ("json", "sarif"):
        out = _clean(_run("debug-data", str(hostile), "-c", "conllu", "--format", fmt), (1,))
        data = json.loads(out)  # ASCII JSON: \u escapes, the real text once decoded
        assert out.isascii() and any(TITLE + "ory✔" in s for s in _strings(data))
    spacy = tmp_path / "h.spacy"
    _clean(_run("convert", str(hostile), str(spacy), "-c", "conllu"))
    out = _clean(_run("debug-data", str(spacy)), (1,))
    assert "[x]" in out and f"from {hostile}:" in out
    _clean(_run("train", "--help"))
    _clean(_run("evaluate", "--help"))
    ascii_out = _clean(_run("debug-data", str(hostile), "-c", "conllu", encoding="ascii"), (1,))
    assert "[x] error" in ascii_out


@pytest.mark.slow
def test_cp1252_console_trains_and_evaluates_a_tiny_model(tmp_path: Path):
    config = tmp_path / "config.cfg"
    _clean(_run("init-config", "--pipeline", "tagger", str(config)))
    small = ["--training.max_steps", "4", "--training.eval_frequency", "2"]
    small += ["--components.tok2vec.model.encode.width", "32", "--components.tok2vec.model.encode.depth", "1"]
    out = tmp_path / "out"
    args = [str(TRAIN), str(DEV), str(config), "--output", str(out), "-c", "conllu", "--no-validate"]
    _clean(_run("train", *args, *small))
    text = _clean(
        _run("evaluate", str(out / "model-best"), str(_hostile(tmp_path, "h.conllu")), "-c", "conllu")
    )
    assert "TAG" in text


def test_a_missing_odd_file_name_is_quoted_on_one_line():
    for command in ("check", "debug-data"):
        result = CliRunner().invoke(cli, [command, "no\nsuch.conllu"])
        assert result.exit_code == 2
        assert "Error: 'no\\x0asuch.conllu': no such file or directory" in result.stderr
