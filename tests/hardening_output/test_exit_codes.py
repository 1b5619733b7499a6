"""The top-level guard and the documented exit codes: 0 clean, 1 findings, 2 misuse or bad input,
3 internal error, 130 interrupted; and writers that refuse what their format cannot hold."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from corpuskit.cli import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_MISUSE, cli
from corpuskit.docbin import read_docbin

ROOT = Path(__file__).resolve().parents[2]
EWT = ROOT / "fixtures" / "convert" / "en_ewt-ud-dev.slice.conllu"
BROKEN = ROOT / "fixtures" / "debug" / "broken_ewt_dev.conllu"


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [*map(str, args)])


def one_line(result: Result, code: int) -> str:
    assert result.exit_code == code, (result.exit_code, result.stderr, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.startswith("corpuskit: ")]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_the_codes() -> None:
    assert (EXIT_FINDINGS, EXIT_MISUSE, EXIT_INTERNAL, EXIT_INTERRUPTED) == (1, 2, 3, 130)
    assert invoke("check", EWT).exit_code == 0
    assert invoke("check", BROKEN).exit_code == EXIT_FINDINGS
    assert invoke("check", EWT.parent / "missing.conllu").exit_code == EXIT_MISUSE


def test_an_unexpected_exception_is_one_line_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import corpuskit.cli.convert

    def bug(*args: object, **kwargs: object) -> None:
        raise KeyError("n_tokens")

    monkeypatch.setattr(corpuskit.cli.convert, "convert_corpus", bug)
    line = one_line(invoke("convert", EWT, tmp_path / "out"), EXIT_INTERNAL)
    assert line.startswith("corpuskit: internal error: KeyError: 'n_tokens'")
    assert "this is a bug, please report it" in line and "CORPUSKIT_DEBUG=1" in line


def test_an_internal_error_names_the_file_where_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import corpuskit.cli.convert

    class Located(ValueError):
        path = "corpus/train.conllu"

    def bug(*args: object, **kwargs: object) -> None:
        raise Located("bad\nstate")

    monkeypatch.setattr(corpuskit.cli.convert, "convert_corpus", bug)
    line = one_line(invoke("convert", EWT, tmp_path / "out"), EXIT_INTERNAL)
    assert "Located: bad state (while handling corpus/train.conllu)" in line


def test_ctrl_c_is_130_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import corpuskit.cli.convert

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(corpuskit.cli.convert, "convert_corpus", interrupted)
    result = invoke("convert", EWT, tmp_path / "out")
    assert one_line(result, EXIT_INTERRUPTED) == "corpuskit: interrupted"
    assert "Aborted!" not in result.output


def test_an_os_error_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import corpuskit.cli.convert

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", "/srv/corpus/out")

    monkeypatch.setattr(corpuskit.cli.convert, "convert_corpus", denied)
    line = one_line(invoke("convert", EWT, tmp_path / "out"), EXIT_MISUSE)
    assert line == "corpuskit: error: /srv/corpus/out: Permission denied"


def test_sigint_to_a_real_process(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT) to a running `corpuskit convert`: exit 130, one line, nothing written."""
    big = tmp_path / "big.conllu"
    big.write_bytes(EWT.read_bytes() * 200)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "corpuskit", "convert", str(big), str(out), "-j", "1"],
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(lambda: (out / ".corpuskit-staging").exists(), proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert err.splitlines()[-1] == "corpuskit: interrupted" and "Traceback" not in err
    assert not out.exists()  # the run had created it: nothing is left


def _wait_for(cond: object, proc: subprocess.Popen[str], limit: float = 60.0) -> None:
    end = time.monotonic() + limit
    while not cond():  # type: ignore[operator]
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end
        time.sleep(0.01)


# ------------------------------------------------------------------- convert x.conllu out.spacy


def test_one_input_and_an_output_with_the_suffix_writes_that_file(tmp_path: Path) -> None:
    out = tmp_path / "out.spacy"
    result = invoke("convert", EWT, out)
    assert result.exit_code == 0, result.stderr
    assert out.is_file() and sum(len(d) for d in read_docbin(out)) == 607
    assert f"wrote {out}" in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["out.spacy"]
    assert invoke("convert", EWT, tmp_path / "x.conllu", "-t", "conllu").exit_code == 0
    assert (tmp_path / "x.conllu").read_text(encoding="utf-8").startswith("# newdoc")
    # an existing folder is still a folder to write into
    (tmp_path / "folder.spacy").mkdir()
    assert invoke("convert", EWT, tmp_path / "folder.spacy").exit_code == 0
    assert (tmp_path / "folder.spacy" / "en_ewt-ud-dev.slice.spacy").is_file()


def test_conll2002_split_names_keep_their_whole_name(tmp_path: Path) -> None:
    src = tmp_path / "conll2002"
    src.mkdir()
    for name in ("esp.train", "esp.testa", "esp.testb"):
        shutil.copy(EWT, src / name)
    assert invoke("convert", src, tmp_path / "out", "-c", "conllu").exit_code == 0
    assert sorted(os.listdir(tmp_path / "out")) == ["esp.testa.spacy", "esp.testb.spacy", "esp.train.spacy"]
    # one at a time into one folder: each keeps its own output
    for name in ("esp.testa", "esp.testb"):
        assert invoke("convert", src / name, tmp_path / "one", "-c", "conllu").exit_code == 0
    assert sorted(os.listdir(tmp_path / "one")) == ["esp.testa.spacy", "esp.testb.spacy"]


def test_inputs_that_differ_in_their_suffix_keep_their_whole_name(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(EWT, src / "a.conllu")
    shutil.copy(EWT, src / "a.conllx")
    assert invoke("convert", src, tmp_path / "out").exit_code == 0
    assert sorted(os.listdir(tmp_path / "out")) == ["a.conllu.spacy", "a.conllx.spacy"]


def test_a_collision_is_explained_without_suggesting_concatenate(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(EWT, src / "a.conllu")
    shutil.copy(EWT, src / "a.conllu.conllu")  # a.conllu -> a.conllu.spacy <- a.conllu.conllu
    shutil.copy(EWT, src / "a.conll")  # a.conll and a.conllu clash: both keep their whole name
    line = one_line(invoke("convert", src, tmp_path / "out", "-c", "conllu"), EXIT_MISUSE)
    assert "would both be written to a.conllu.spacy" in line
    assert "concatenate" not in line
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------- writers refuse what they cannot hold


@pytest.mark.parametrize(
    ("label", "what"),
    [
        ("PER\nSON", "PER\\nSON"),
        ("PER\tSON", "PER\\tSON"),
        ("PER\x1b[2J", "PER\\x1b[2J"),
        ("PER\u2028", "PER\\u2028"),
    ],
)
def test_conllu_writer_refuses_a_label_it_cannot_hold(tmp_path: Path, label: str, what: str) -> None:
    data = tmp_path / "ann.jsonl"
    records = [
        {"text": "Paris is big.", "label": [[0, 5, "LOC"]]},
        {"text": "Ada Lovelace wrote.", "label": [[0, 12, label]]},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = tmp_path / "out"
    line = one_line(invoke("convert", data, out, "-t", "conllu"), EXIT_MISUSE)
    assert line.startswith("corpuskit: error: cannot write CoNLL-U: doc 1 token 0: MISC 'NE=B-")
    assert what in line
    assert not out.exists()  # nothing half-written
    check = invoke("check", data)
    assert check.exit_code == EXIT_FINDINGS and "control-char-label" in check.stdout


def test_conllu_writer_refuses_a_kept_comment_with_a_line_break(tmp_path: Path) -> None:
    from corpuskit.corpus import read_file
    from corpuskit.docbin import write_docbin

    docs = list(read_file(EWT, "conllu"))
    entry = docs[1].user_data["conllu.sents"][0]
    entry["comments"] = [*entry["comments"], "# note = two\nlines"]
    write_docbin(docs, tmp_path / "x.spacy")
    line = one_line(invoke("convert", tmp_path / "x.spacy", tmp_path / "out", "-t", "conllu"), EXIT_MISUSE)
    assert line.startswith(
        "corpuskit: error: cannot write CoNLL-U: doc 1, sentence 2: the line '# note = two\\nlines'"
    )
    assert not (tmp_path / "out").exists()


def test_an_unknown_encoding_is_misuse(tmp_path: Path) -> None:
    line = one_line(invoke("convert", EWT, tmp_path / "out", "--encoding", "nope"), EXIT_MISUSE)
    assert line.startswith("corpuskit: error: unknown text encoding 'nope'; expected one Python knows")
    assert not (tmp_path / "out").exists()


def test_init_config_below_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    line = one_line(
        invoke("init-config", "--pipeline", "tagger", tmp_path / "file" / "config.cfg"), EXIT_MISUSE
    )
    assert line == (
        f"corpuskit: error: {tmp_path}/file/config.cfg: is below {tmp_path}/file, which is a file; "
        "expected a folder there"
    )
    assert os.listdir(tmp_path) == ["file"]


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`corpuskit convert big - -t conllu | head -1`: exit 0, no traceback."""
    big = tmp_path / "big.conllu"
    big.write_bytes(EWT.read_bytes() * 50)
    proc = subprocess.Popen(
        [sys.executable, "-m", "corpuskit", "convert", str(big), "-", "-t", "conllu"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stdout.readline().startswith(b"# newdoc")
    proc.stdout.close()
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 0, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
