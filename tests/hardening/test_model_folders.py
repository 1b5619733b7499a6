"""Hostile model folders: every bad file is one line naming it, exit 2, in bounded time and memory."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hardening_helpers import one_line, run_limited

import corpuskit
from corpuskit.cli import cli
from corpuskit.doc import Doc
from corpuskit.docbin import read_docbin
from corpuskit.errors import CorpusError
from corpuskit.train import Pipeline
from corpuskit.train.example import Example

FIX = Path(__file__).resolve().parents[2] / "fixtures"
DEV = FIX / "docbin" / "ewt_dev_n10.spacy"
MEM = 2000  # thinc and the model fit in far less; /dev/zero read whole took all 24 GB


def _edit(name: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(model: Path) -> None:
        text = (model / name).read_text(encoding="utf-8")
        assert old in text, old
        (model / name).write_text(text.replace(old, new, 1), encoding="utf-8")

    return edit


def _write(name: str, text: str) -> Callable[[Path], None]:
    return lambda model: (model / name).write_text(text, encoding="utf-8")


def _relink(name: str, target: str) -> Callable[[Path], None]:
    def relink(model: Path) -> None:
        (model / name).unlink()
        (model / name).symlink_to(target)

    return relink


def _fifo(name: str) -> Callable[[Path], None]:
    def fifo(model: Path) -> None:
        (model / name).unlink()
        os.mkfifo(model / name)

    return fifo


TOK2VEC = '@architectures = "corpuskit.Tok2Vec.v1"'
#: case -> (how to break a good model, what the one line must say)
CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "weights-dev-zero": (_relink("tok2vec.bin", "/dev/zero"), "tok2vec.bin: is a device"),
    "weights-fifo": (_fifo("tagger.bin"), "tagger.bin: is a FIFO"),
    "config-dev-zero": (_relink("config.cfg", "/dev/zero"), "config.cfg"),
    "weights-garbage": (_write("tagger.bin", "\x93junk"), "tagger.bin: the saved weights do not fit"),
    "weights-missing": (lambda m: (m / "tagger.bin").unlink(), "tagger.bin: missing"),
    "config-unparseable": (_write("config.cfg", "[nlp\nx = = =\n"), "not a valid config"),
    "config-missing-key": (_edit("config.cfg", "pipeline = ", "pipelinez = "), "unknown key 'pipelinez'"),
    "config-wrong-type": (_edit("config.cfg", "batch_size = 1000", 'batch_size = "many"'), "batch_size"),
    "config-no-section": (_edit("config.cfg", "[nlp]", "[nlpx]"), "unknown section [nlpx]"),
    "config-at-dict": (_edit("config.cfg", TOK2VEC, '@__dict__ = "x"'), "@__dict__ names no registry"),
    "config-at-resolve": (_edit("config.cfg", TOK2VEC, '@resolve = "x"'), "@resolve names no registry"),
    "meta-invalid-json": (_write("meta.json", '{"lang": '), "meta.json:1:10: not valid JSON"),
    "meta-not-object": (_write("meta.json", "[1, 2]"), "meta.json: a JSON list, expected an object"),
    "meta-wrong-type": (_write("meta.json", '{"lang": 5}'), "'lang' is 5, expected a str"),
    "meta-wrong-pipeline": (_write("meta.json", '{"pipeline": ["ner"]}'), "'pipeline' is ['ner']"),
    "meta-missing": (lambda m: (m / "meta.json").unlink(), "meta.json: missing"),
    "meta-deep": (_write("meta.json", "[" * 100_000 + "]" * 100_000), "meta.json"),
}

SUBPROCESS = {"weights-dev-zero", "weights-fifo", "config-dev-zero", "config-at-resolve"}


@pytest.fixture(scope="module")
def good_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from corpuskit.train import default_config

    cfg = default_config(["tagger"], lang="en")
    cfg["components"]["tok2vec"]["model"]["encode"]["width"] = 16
    cfg["components"]["tok2vec"]["model"]["encode"]["depth"] = 1
    cfg["components"]["tok2vec"]["model"]["embed"]["rows"] = [100, 50, 50, 50]
    nlp = Pipeline.from_config(cfg)
    docs = list(read_docbin(DEV))
    nlp.initialize(lambda: [Example(Doc(words=list(d.words)), d) for d in docs])
    model = tmp_path_factory.mktemp("models") / "good"
    nlp.to_disk(model)
    return model


def test_good_model_loads(good_model: Path) -> None:
    assert corpuskit.load(good_model).pipe_names == ["tagger"]


@pytest.mark.parametrize("case", list(CASES))
def test_bad_model_folder_is_refused_in_one_line(case: str, good_model: Path, tmp_path: Path) -> None:
    model = tmp_path / case
    shutil.copytree(good_model, model)
    breaks, says = CASES[case]
    breaks(model)
    with pytest.raises(CorpusError) as info:
        corpuskit.load(model)
    assert "\n" not in str(info.value)
    if case in SUBPROCESS:  # special files: memory and hangs checked from outside the process
        proc = run_limited("evaluate", model, DEV, mem_mb=MEM, timeout=120)
        assert proc.returncode == 2, proc.stderr
        line = one_line(proc)
    else:
        result = CliRunner().invoke(cli, ["evaluate", str(model), str(DEV)])
        assert result.exit_code == 2, (result.stderr, result.exception)
        assert "Traceback" not in result.stderr
        (line,) = [x for x in result.stderr.splitlines() if x.strip()]
    assert line.startswith("corpuskit: error: ") and says in line, line
