"""spaCy v3's spellings: `debug data`, `debug-data CONFIG --paths.*`, `convert -c ner|conllubio`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpuskit.cli import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TRAIN = FIXTURES / "train" / "ewt-train-40.conllu"
DEV = FIXTURES / "train" / "ewt-dev-15.conllu"


def _json(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--format", "json", "-c", "conllu"])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout


def test_debug_data_is_also_spelled_debug_space_data() -> None:
    a = _json(["debug-data", str(TRAIN), str(DEV)])
    b = _json(["debug", "data", str(TRAIN), str(DEV)])
    assert a == b and '"findings"' in a[1]


def test_debug_data_takes_a_config_with_paths(tmp_path: Path) -> None:
    pytest.importorskip("spacy")
    cfg = tmp_path / "config.cfg"
    cmd = [sys.executable, "-m", "spacy", "init", "config", "-p", "tagger", str(cfg)]
    subprocess.run(cmd, check=True, capture_output=True)
    plain = _json(["debug-data", str(TRAIN), str(DEV), "--lang", "en"])  # the config says en
    via_config = _json(["debug", "data", str(cfg), "--paths.train", str(TRAIN), "--paths.dev", str(DEV)])
    assert via_config == plain
    result = CliRunner().invoke(cli, ["debug-data", str(cfg), "--paths.trian", str(TRAIN)])
    assert result.exit_code == 2 and "did you mean 'train'" in result.stderr
    result = CliRunner().invoke(cli, ["debug-data", str(TRAIN), "--paths.train", str(TRAIN)])
    assert result.exit_code == 2 and "overrides go with a CONFIG" in result.stderr


@pytest.mark.parametrize(
    ("spacy_name", "ours", "path"),
    [
        ("ner", "conll", FIXTURES / "ner" / "wnut17-dev.slice.conll"),
        ("conllubio", "conllu", FIXTURES / "conllu" / "ner_misc.conllu"),
    ],
)
def test_spacys_converter_names(tmp_path: Path, spacy_name: str, ours: str, path: Path) -> None:
    outs = []
    for name in (spacy_name, ours):
        out = tmp_path / name
        result = CliRunner().invoke(cli, ["convert", str(path), str(out), "-c", name])
        assert result.exit_code == 0, result.output
        outs.append((out / f"{path.stem}.spacy").read_bytes())
    assert outs[0] == outs[1]
