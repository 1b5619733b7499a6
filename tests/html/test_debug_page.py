"""``debug-data --format html`` on the real fixture slices and their broken twins, in Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from html_helpers import assert_clean, visible_boxes

from corpuskit.cli import cli

DEBUG = Path(__file__).resolve().parents[2] / "fixtures" / "debug"
EWT = (str(DEBUG / "broken_ewt_dev.conllu"), str(DEBUG / "ewt_dev.conllu"))
WNUT = (str(DEBUG / "broken_wnut17_dev.conll"), str(DEBUG / "wnut17_dev.conll"))


def _report(tmp_path: Path, paths: tuple[str, str], name: str) -> Path:
    out = tmp_path / name
    result = CliRunner().invoke(cli, ["debug-data", *paths, "--format", "html", "--output", str(out)])
    assert result.exit_code == 1, result.output  # the broken twins have errors
    assert result.stdout == ""
    return out


@pytest.fixture(scope="module")
def ewt_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _report(tmp_path_factory.mktemp("ewt"), EWT, "ewt.html")


@pytest.fixture(scope="module")
def wnut_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _report(tmp_path_factory.mktemp("wnut"), WNUT, "wnut.html")


def test_the_page_is_one_self_contained_file(ewt_page: Path) -> None:
    html = ewt_page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing to fetch
    assert "<link" not in html and "@import" not in html and "url(" not in html
    # every finding of the JSON report is on the page, with its count
    runner = CliRunner()
    import json

    data = json.loads(runner.invoke(cli, ["debug-data", *EWT, "--format", "json"]).stdout)
    for f in data["findings"]:
        assert f'data-check="{f["id"]}"' in html
        assert f["message"].replace("'", "&#x27;") in html


def test_charts_and_arcs_render_without_errors_or_requests(open_page: Any, ewt_page: Path) -> None:
    loaded = open_page(ewt_page)
    assert_clean(loaded, ewt_page)
    page = loaded.page
    charts = visible_boxes(page, "#charts svg")
    assert len(charts) == 4  # sentence lengths, POS, tags, dependency labels (EWT has no entities)
    assert all(w > 100 and h > 50 for w, h in charts)
    assert page.locator("#charts .chart[data-kind=dep] text.rare").count() > 0  # rare labels marked
    # dep-cycle: the sentence drawn with the two arcs of the cycle in red
    cycle = page.locator('.finding[data-check="dep-cycle"] svg.arcs')
    assert cycle.count() == 1
    assert all(
        w > 300 and h > 50 for w, h in visible_boxes(page, '.finding[data-check="dep-cycle"] svg.arcs')
    )
    assert cycle.locator("path.arc.cyc").count() == 2
    assert cycle.locator("text.w").all_text_contents()[:3] == ["President", "Bush", "on"]
    # multiple-roots: both roots in red
    roots = page.locator('.finding[data-check="multiple-roots"] svg.arcs text.root.xroot')
    assert roots.count() == 2
    # text-form-mismatch: the characters, the differing ones in red
    rows = page.locator('.finding[data-check="text-form-mismatch"] table.chars tr')
    assert rows.nth(0).locator("th").inner_text() == "tokens"
    assert "".join(rows.nth(0).locator("td.bad").all_text_contents()) == "os"  # "comes" vs "came"
    assert rows.nth(1).locator("td.bad").first.inner_text() == "a"
    # reader errors (the sentence could not be read): the source lines, the bad one marked
    src = page.locator('.finding[data-check="unknown-upos"] pre.src .bad')
    assert "NOUNN" in src.inner_text()
    # after the sentences the reader skipped, the examples still find their own sentence
    late = page.locator('.finding[data-check="punct-non-projective"] svg.arcs')
    assert late.locator("text.w").first.text_content() == "Nervous"
    assert late.locator("rect.hit").count() == 1 and late.locator("path.arc.np").count() >= 2
    link = page.locator('.finding[data-check="dep-cycle"] .where a')
    assert link.inner_text().endswith("broken_ewt_dev.conllu:24")
    assert link.get_attribute("href") == Path(EWT[0]).resolve().as_uri()


def _shown(page: Any) -> list[str]:
    ids: list[str] = page.eval_on_selector_all(
        ".finding", "els => els.filter(e => e.offsetParent !== null).map(e => e.dataset.check)"
    )
    return ids


def test_filters_by_check_severity_and_split(open_page: Any, ewt_page: Path) -> None:
    loaded = open_page(ewt_page)
    page = loaded.page
    everything = _shown(page)
    assert "dep-cycle" in everything and "train-dev-overlap" in everything and "non-projective" in everything
    page.select_option("#f-check", "dep-cycle")
    assert _shown(page) == ["dep-cycle"]
    page.select_option("#f-check", "")
    page.uncheck(".f-sev[value=error]")
    shown = _shown(page)
    assert "dep-cycle" not in shown and "punct-non-projective" in shown
    page.uncheck(".f-sev[value=warning]")
    assert set(_shown(page)) == {"non-projective", "tag-stats"}
    page.check(".f-sev[value=error]")
    page.check(".f-sev[value=warning]")
    page.select_option("#f-split", "dev")
    # only the dev file's examples: the overlap examples point into dev, the cycle is in train
    assert "train-dev-overlap" in _shown(page) and "dep-cycle" not in _shown(page)
    splits = page.eval_on_selector_all(
        ".ex", "els => els.filter(e => e.offsetParent !== null).map(e => e.dataset.split)"
    )
    assert splits and set(splits) == {"dev"}
    assert "finding(s)" in page.inner_text("#f-count")
    assert loaded.errors == []


def test_entities_highlighted_and_entity_lengths(open_page: Any, wnut_page: Path) -> None:
    loaded = open_page(wnut_page)
    assert_clean(loaded, wnut_page)
    page = loaded.page
    kinds = page.eval_on_selector_all(
        "#charts .chart", "els => els.map(e => e.querySelector('h3').textContent)"
    )
    assert any(k.startswith("Entity length") for k in kinds)
    assert any(k.startswith("Entity labels") for k in kinds)
    boundary = page.locator('.finding[data-check="punct-entity-boundary"] mark.ent.hit')
    assert boundary.count() == 1
    assert boundary.get_attribute("data-label") == "location"
    assert boundary.inner_text().startswith("Redondo Beach Blvd .")
    w, h = visible_boxes(page, '.finding[data-check="punct-entity-boundary"] mark.ent.hit')[0]
    assert w > 50 and h > 10
    bad_tag = page.locator('.finding[data-check="invalid-tag-sequence"] pre.src .bad')
    assert [t.strip().split()[-1] for t in bad_tag.all_text_contents()] == ["B-", "Z-person"]


def test_html_on_stdout_and_bad_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["debug-data", str(DEBUG / "ewt_dev.conllu"), "--format", "html"])
    assert result.exit_code == 1  # few-docs: 30 docs is an error
    assert result.stdout.startswith("<!DOCTYPE html>")
    missing = CliRunner().invoke(cli, ["debug-data", str(tmp_path / "nope.conllu"), "--format", "html"])
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    assert missing.stdout == ""


def test_the_harness_sees_errors_and_requests(open_page: Any, tmp_path: Path) -> None:
    """The recorder this file relies on does catch a page that fetches or fails."""
    (tmp_path / "pixel.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>')
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><img src="pixel.svg"><script>undefinedFunction()</script>')
    loaded = open_page(bad)
    assert len(loaded.requests) == 2 and loaded.requests[1].endswith("pixel.svg")
    assert any("undefinedFunction" in e for e in loaded.errors)


def test_misaligned_tokens_shown_on_the_characters(open_page: Any, tmp_path: Path) -> None:
    out = tmp_path / "lang.html"
    args = ["debug-data", str(DEBUG / "ewt_dev.conllu"), "--lang", "en", "--format", "html", "-o", str(out)]
    assert CliRunner().invoke(cli, args).exit_code == 1
    loaded = open_page(out)
    assert_clean(loaded, out)
    rows = loaded.page.locator('.finding[data-check="misaligned-tokens"] table.chars tr')
    assert rows.locator("th").all_text_contents() == ["gold tokens", "tokenizer"]
    # the gold token "who's" (highlighted) is two tokens for the tokenizer: the cut before "'s" in red
    span = "".join(rows.nth(0).locator("td.span").all_text_contents())
    assert span == "who's"
    assert rows.nth(1).locator("td.bad").all_text_contents() == ["'"]


def test_hostile_labels_are_text_not_markup(open_page: Any, tmp_path: Path) -> None:
    hostile = "loc<script>document.title='pwned'</script><img/src=x>"
    text = (DEBUG / "wnut17_dev.conll").read_text(encoding="utf-8").replace("-location", f"-{hostile}")
    corpus = tmp_path / "hostile.conll"
    corpus.write_text(text, encoding="utf-8")
    out = tmp_path / "hostile.html"
    CliRunner().invoke(cli, ["debug-data", str(corpus), "--format", "html", "-o", str(out)])
    loaded = open_page(out)
    assert_clean(loaded, out)
    page = loaded.page
    assert page.title() == "corpuskit debug-data"
    assert page.locator("img").count() == 0
    labels = page.locator("mark.ent").evaluate_all("els => els.map(e => e.dataset.label)")
    assert hostile in labels


def test_no_warnings_keeps_the_errors_only(tmp_path: Path) -> None:
    out = tmp_path / "errors.html"
    args = ["debug-data", *EWT, "--format", "html", "--no-warnings", "-o", str(out)]
    assert CliRunner().invoke(cli, args).exit_code == 1
    html = out.read_text(encoding="utf-8")
    assert 'data-sev="error"' in html and 'data-sev="warning"' not in html and 'data-sev="info"' not in html
