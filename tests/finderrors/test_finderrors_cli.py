"""`corpuskit find-errors`: output formats, the model path on a tiny corpus, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from finderrors_helpers import FIXTURES, WNUT, WNUT_EDITS

from corpuskit.cli import cli
from corpuskit.finderrors import Suspect
from corpuskit.finderrors.corpus import load_corpora
from corpuskit.finderrors.model import (
    FoldSettings,
    _fold_config,
    _layers_of,
    _train_fold,
    cross_validate,
    score_with_model,
)
from corpuskit.finderrors.queue import find_errors
from corpuskit.finderrors.score import model_suspects

EWT_TINY = FIXTURES / "train" / "ewt-train-40.conllu"
TINY = FoldSettings(folds=2, epochs=1, width=32, depth=1, parser_width=32)


def invoke(*args: object):
    return CliRunner().invoke(cli, ["find-errors", *map(str, args)])


def test_jsonl_and_json_are_suspect_records():
    result = invoke(WNUT, "--method", "ngram", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    suspects = [Suspect.from_dict(r) for r in rows]
    assert suspects and all(s.file == str(WNUT) for s in suspects)
    assert [s.score for s in suspects] == sorted((s.score for s in suspects), reverse=True)
    assert {s.line for s in suspects} >= set(WNUT_EDITS)
    as_json = invoke(WNUT, "--method", "ngram", "--format", "json", "--top", "3")
    assert [Suspect.from_dict(r) for r in json.loads(as_json.stdout)] == suspects[:3]


def test_text_marks_the_span_and_names_file_line(tmp_path: Path):
    out = tmp_path / "queue.txt"
    result = invoke(WNUT, "--method", "ngram", "--top", "2", "--output", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    text = out.read_text(encoding="utf-8")
    assert "the top 2:" in text
    assert f"{WNUT}:4762" in text
    assert "[Scooter Braun]" in text
    assert "product -> corporation" in text


def test_bad_input_is_one_line_exit_2(tmp_path: Path):
    missing = invoke(tmp_path / "nope.conllu")
    assert missing.exit_code == 2
    assert missing.stderr.strip().count("\n") == 0 and "nope.conllu" in missing.stderr
    broken = FIXTURES / "debug" / "broken_ewt_dev.conllu"
    bad = invoke(broken, "--method", "ngram")
    assert bad.exit_code == 2, bad.output
    assert bad.stderr.startswith(f"corpuskit: error: {broken}:")
    assert bad.stderr.strip().count("\n") == 0
    assert "Traceback" not in bad.output


@pytest.mark.parametrize("tool", ["doccano", "labelstudio", "prodigy"])
def test_export_writes_the_tools_tasks_that_read_back(tmp_path: Path, tool: str):
    from corpuskit.finderrors.review import read_reviewed

    target = tmp_path / f"tasks.{tool}"
    result = invoke(WNUT, "--method", "ngram", "--top", "5", "--export", tool, "--export-output", target)
    assert result.exit_code == 0, result.output
    assert f"Wrote 5 task(s) for {tool}" in result.stderr
    decisions, undecided = read_reviewed(target)  # a task each, none reviewed yet
    assert len(decisions) + undecided == 5


def test_html_review_page(tmp_path: Path):
    page = tmp_path / "review.html"
    result = invoke(WNUT, "--method", "ngram", "--top", "7", "--format", "html", "--output", page)
    assert result.exit_code == 0, result.output
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and 'id="queue"' in text
    assert text.count('class="item') >= 7
    assert invoke(WNUT, "--method", "ngram", "--format", "html").exit_code == 2  # a page needs --output


def test_model_path_tiny_cross_validation_and_cache(tmp_path: Path):
    docs = load_corpora([EWT_TINY])
    said: list[str] = []
    probs = cross_validate(docs, TINY, cache_dir=tmp_path, progress=said.append)
    assert len(probs) == len(docs)
    assert any("training" in m for m in said)
    for ld, p in zip(docs, probs, strict=True):
        n = len(ld.doc)
        assert p.tags is not None and p.tags.shape == (n, len(p.labels["tags"]))
        assert p.heads is not None and p.heads.shape == (n, n)
        assert p.tags.sum(axis=1) == pytest.approx(1.0)
        assert p.heads.sum(axis=1) == pytest.approx(1.0)
        assert p.fold in (0, 1)
    suspects = model_suspects(docs, probs)
    assert suspects and all(0 <= s.score <= 1 for s in suspects)
    assert {s.layer for s in suspects} <= {"tags", "heads", "deps"}
    for s in suspects[:20]:
        Suspect.from_dict(json.loads(json.dumps(s.to_dict())))
        assert s.line == docs[[d.index for d in docs].index(s.doc)].doc.lines[s.start]
    # Unchanged data and settings: the fold models are reused, nothing is trained.
    said.clear()
    again = cross_validate(docs, TINY, cache_dir=tmp_path, progress=said.append)
    assert said and all("cached model" in m for m in said)
    assert (again[0].tags == probs[0].tags).all()


def test_model_option_scores_and_refuses_foreign_labels(tmp_path: Path):
    docs = load_corpora([EWT_TINY])
    model = tmp_path / "model"
    _train_fold([d.doc for d in docs], _fold_config(_layers_of(docs), TINY), TINY, model, print)
    queue = find_errors([EWT_TINY], method="all", model=model)
    assert queue.probs is not None and len(queue.probs) == len(docs)
    assert queue.probs[0].tags is not None and queue.probs[0].heads is not None
    assert queue.suspects
    assert {s.method for s in queue.suspects} <= {"model", "ngram", "model+ngram"}
    # A corpus with a tag the model never saw is refused, naming the tag.
    odd = tmp_path / "odd.conllu"
    text = EWT_TINY.read_text(encoding="utf-8").replace("\tNN\t", "\tNOUNISH\t", 1)
    odd.write_text(text, encoding="utf-8")
    refused = invoke(odd, "--model", model, "--method", "model")
    assert refused.exit_code == 2
    assert "does not know the tags label(s) 'NOUNISH'" in refused.stderr
    result = invoke(WNUT, "--model", model, "--method", "model")
    assert result.exit_code == 2
    assert "corpuskit: error: model" in result.stderr
    assert "ents" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    ner = load_corpora([WNUT])[:60]
    with pytest.raises(Exception, match="predicts"):
        score_with_model(model, ner)


def test_cli_model_path_with_cache_dir(tmp_path: Path):
    result = invoke(
        EWT_TINY, "--folds", "2", "--epochs", "1", "--cache-dir", tmp_path, "--format", "jsonl", "--top", "5"
    )
    assert result.exit_code == 0, result.output
    rows = [Suspect.from_dict(json.loads(line)) for line in result.stdout.splitlines()]
    assert len(rows) == 5
    assert {r.method for r in rows} <= {"model", "ngram", "model+ngram"}
    assert list(tmp_path.glob("*/fold-1/config.cfg"))


def test_model_path_entities_tiny(tmp_path: Path):
    docs = load_corpora([WNUT])[:120]
    probs = cross_validate(docs, TINY, cache_dir=tmp_path)
    names = probs[0].labels["ents"]
    assert names[0] == "O" and len(names) % 4 == 1
    for ld, p in zip(docs, probs, strict=True):
        assert p.ents is not None and p.ents.shape == (len(ld.doc), len(names))
        assert p.ents.sum(axis=1) == pytest.approx(1.0)
    suspects = model_suspects(docs, probs)
    assert {s.layer for s in suspects} == {"ents"}
    kinds = {s.evidence["kind"] for s in suspects}
    assert kinds <= {"agrees", "type", "boundary", "spurious", "missed"}
    # A gold mention the untrained-enough model does not find is at least a spurious-mention suspect.
    assert "spurious" in kinds or "boundary" in kinds


def test_docbin_input_points_at_the_source_line(tmp_path: Path):
    converted = CliRunner().invoke(cli, ["convert", str(WNUT), str(tmp_path), "-n", "10"])
    assert converted.exit_code == 0, converted.output
    spacy_file = tmp_path / "wnut17_train_injected.spacy"
    result = invoke(spacy_file, "--method", "ngram", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    rows = [Suspect.from_dict(json.loads(line)) for line in result.stdout.splitlines()]
    missed = [r for r in rows if r.line == 4762]
    assert missed and missed[0].file == str(spacy_file)
    assert missed[0].evidence["source"] == str(WNUT)
    assert missed[0].text == "Scooter Braun" and missed[0].suggested == "person"
    assert missed[0].doc == 23  # groups of 10 sentences: sentence 239 is in doc 23
