"""``corpuskit init-config``, ``train`` and ``evaluate`` end to end on a tiny corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from confection import Config

from corpuskit.cli import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "train"
TRAIN = str(FIXTURES / "ewt-train-40.conllu")
DEV = str(FIXTURES / "ewt-dev-15.conllu")
SMALL = [
    "--components.tok2vec.model.encode.width",
    "32",
    "--components.tok2vec.model.encode.depth",
    "2",
    "--training.batch_size",
    "500",
    "--training.eval_frequency",
    "3",
    "--training.max_steps",
    "6",
]


def test_init_config_writes_a_complete_config(tmp_path: Path) -> None:
    out = tmp_path / "config.cfg"
    result = CliRunner().invoke(cli, ["init-config", "--pipeline", "tagger,ner", "--lang", "es", str(out)])
    assert result.exit_code == 0, result.output
    cfg = Config().from_disk(out, interpolate=False)
    assert cfg["nlp"] == {"lang": "es", "pipeline": ["tok2vec", "tagger", "ner"], "batch_size": 1000}
    assert cfg["training"]["score_weights"] == {"tag_acc": 0.5, "ents_f": 0.5, "ents_p": 0.0, "ents_r": 0.0}
    result = CliRunner().invoke(cli, ["init-config", "--pipeline", "tagger,lemmatizer", str(out)])
    assert result.exit_code == 2 and "unknown component 'lemmatizer'" in result.output


def test_train_then_evaluate(tmp_path: Path) -> None:
    config = tmp_path / "config.cfg"
    assert CliRunner().invoke(cli, ["init-config", "--pipeline", "tagger", str(config)]).exit_code == 0
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["train", TRAIN, DEV, str(config), "--output", str(out), "-c", "conllu", "--no-validate", *SMALL]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["E", "#", "Tag", "Loss", "Tag", "%", "Token", "%", "CPU", "WPS", "Score"]
    rows = [line.split() for line in lines[2:]]
    assert [r[1] for r in rows] == ["3", "6"]
    assert float(rows[1][2]) < float(rows[0][2])  # Tag Loss falls
    for name in ("model-best", "model-last"):
        assert sorted(p.name for p in (out / name).iterdir()) == [
            "config.cfg",
            "meta.json",
            "tagger.bin",
            "tok2vec.bin",
        ]
    meta = json.loads((out / "model-best" / "meta.json").read_text())
    assert 0 < meta["performance"]["tag_acc"] <= 1
    saved = Config().from_disk(out / "model-best" / "config.cfg", interpolate=False)
    assert saved["training"]["max_steps"] == 6
    scores_path = tmp_path / "scores.json"
    result = CliRunner().invoke(
        cli, ["evaluate", str(out / "model-best"), DEV, "-c", "conllu", "--output", str(scores_path)]
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(scores_path.read_text())
    assert scores["tag_acc"] == pytest.approx(meta["performance"]["tag_acc"])
    assert 0 < scores["token_acc"] <= 1 and scores["speed"] > 0
    assert "TAG" in result.stdout


def test_train_refuses_data_with_errors(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["train", TRAIN, DEV, "--output", str(tmp_path / "out"), "-c", "conllu", *SMALL]
    )
    assert result.exit_code == 1
    assert (
        "few-docs" in result.stderr
        and "corpuskit debug-data" in result.stderr
        and "--verbose" in result.stderr
    )
    assert not (tmp_path / "out").exists()


def test_train_names_a_wrong_key(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "train",
            TRAIN,
            DEV,
            "--output",
            str(tmp_path),
            "-c",
            "conllu",
            "--no-validate",
            "--training.max_epoch",
            "2",
        ],
    )
    assert result.exit_code == 2
    assert "training.max_epoch" in result.stderr and "Traceback" not in result.output
    result = CliRunner().invoke(
        cli,
        [
            "train",
            TRAIN,
            DEV,
            "--output",
            str(tmp_path),
            "-c",
            "conllu",
            "--no-validate",
            "--training.max_epochs",
            "x",
        ],
    )
    assert result.exit_code == 2 and "[training] max_epochs" in result.stderr


def test_gpu_without_a_gpu_is_a_clear_error(tmp_path: Path) -> None:
    try:
        import cupy  # noqa: F401

        pytest.skip("cupy is installed: the GPU path is tested by the gpu-marked test")
    except ImportError:
        pass
    result = CliRunner().invoke(
        cli,
        [
            "train",
            TRAIN,
            DEV,
            "--output",
            str(tmp_path),
            "-c",
            "conllu",
            "--no-validate",
            "--gpu-id",
            "0",
            *SMALL,
        ],
    )
    assert result.exit_code == 2
    assert "--gpu-id 0: cupy is not installed" in result.stderr


@pytest.mark.gpu
def test_train_on_gpu(tmp_path: Path) -> None:
    pytest.importorskip("cupy")
    from thinc.api import prefer_gpu, require_cpu

    if not prefer_gpu(0):
        pytest.skip("no CUDA GPU")
    try:
        result = CliRunner().invoke(
            cli,
            [
                "train",
                TRAIN,
                DEV,
                "--output",
                str(tmp_path / "out"),
                "-c",
                "conllu",
                "--no-validate",
                "--gpu-id",
                "0",
                *SMALL,
            ],
        )
    finally:
        require_cpu()
    assert result.exit_code == 0, result.output
    assert "GPU WPS" in result.stdout
