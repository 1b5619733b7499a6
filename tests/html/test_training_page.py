"""``corpuskit train`` writes training.jsonl and training.html at each evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from html_helpers import assert_clean, visible_boxes

from corpuskit.cli import cli
from corpuskit.html.training import TrainingLog

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
    "9",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("train")
    config = tmp / "config.cfg"
    assert CliRunner().invoke(cli, ["init-config", "--pipeline", "tagger,parser", str(config)]).exit_code == 0
    out = tmp / "out"
    args = ["train", TRAIN, DEV, str(config), "--output", str(out), "-c", "conllu", "--no-validate", *SMALL]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return out


def test_the_log_has_one_record_per_evaluation(trained: Path) -> None:
    records = [json.loads(line) for line in (trained / "training.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [3, 6, 9]
    for r in records:
        assert set(r) >= {"step", "epoch", "losses", "scores", "score", "words_per_second"}
        assert set(r["losses"]) == {"tagger", "parser"} and r["words_per_second"] > 0
        assert 0 <= r["scores"]["tag_acc"] <= 1 and 0 <= r["scores"]["dep_uas"] <= 1
    assert records[0]["words"] < records[-1]["words"]
    meta = json.loads((trained / "model-last" / "meta.json").read_text())
    assert records[-1]["scores"]["tag_acc"] == pytest.approx(meta["performance"]["tag_acc"])
    assert sorted(p.name for p in trained.iterdir()) == [
        "model-best",
        "model-last",
        "training.html",
        "training.jsonl",
    ]  # no temporary files left


def test_the_curves_render(open_page: Any, trained: Path) -> None:
    page_path = trained / "training.html"
    html = page_path.read_text()
    assert 'http-equiv="refresh"' not in html  # finished: no more reloading
    loaded = open_page(page_path)
    assert_clean(loaded, page_path)
    page = loaded.page
    charts = visible_boxes(page, "#charts svg")
    assert len(charts) == 3 and all(w > 200 and h > 100 for w, h in charts)
    # scores (score, tag_acc, dep_uas, ...), the two losses, the speed
    assert page.locator("#charts svg polyline.curve").count() >= 2 + 2 + 1
    points = page.eval_on_selector(
        "#charts svg polyline.curve", "e => e.getAttribute('points').split(' ').length"
    )
    assert points == 3
    assert page.locator("#evals tr").count() == 4
    assert "finished" in page.inner_text("#state")


def test_the_page_reloads_while_training_runs(tmp_path: Path) -> None:
    log = TrainingLog(tmp_path)
    info = SimpleNamespace(
        step=5, epoch=0, losses={"ner": 12.5}, scores={"ents_f": 0.4, "ents_per_type": {"PER": {"f": 0.5}}},
        score=0.4, words=1000, seconds=2.0, is_best=True,
    )  # fmt: skip
    log.add(info)
    assert 'http-equiv="refresh"' in (tmp_path / "training.html").read_text()
    record = json.loads((tmp_path / "training.jsonl").read_text())
    assert record["words_per_second"] == 500.0 and record["scores"]["ents_per_type"] == {"PER": {"f": 0.5}}
    log.close()
    assert 'http-equiv="refresh"' not in (tmp_path / "training.html").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["training.html", "training.jsonl"]
