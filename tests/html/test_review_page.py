"""The find-errors review page: suspects built on real fixture sentences, reviewed with the keyboard
in Chromium, the decisions saved through the page's download and read back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from html_helpers import assert_clean, visible_boxes

from corpuskit.corpus import read_corpus
from corpuskit.doc import Doc
from corpuskit.finderrors.suspect import Suspect
from corpuskit.html.review import load_sentences, render_review

DEBUG = Path(__file__).resolve().parents[2] / "fixtures" / "debug"
WNUT = DEBUG / "wnut17_dev.conll"
EWT = DEBUG / "ewt_dev.conllu"
DECISION_FIELDS = ("decision", "label")


def _sentences() -> dict[tuple[str, int], Doc]:
    out = {}
    for path in (WNUT, EWT):
        for k, doc in enumerate(read_corpus(path)):
            out[(str(path), k)] = doc
    return out


def _suspect(
    docs: dict[tuple[str, int], Doc], path: Path, doc: int, start: int, end: int, **kw: Any
) -> Suspect:
    d = docs[(str(path), doc)]
    assert d.lines is not None
    return Suspect(
        file=str(path),
        line=d.lines[start],
        doc=doc,
        start=start,
        end=end,
        text=" ".join(d.words[start:end]),
        **kw,
    )


@pytest.fixture(scope="module")
def queue() -> tuple[list[Suspect], dict[tuple[str, int], Doc]]:
    docs = _sentences()
    ev = {"others": [{"where": f"{WNUT}:36", "label": "product"}], "p": {"product": 0.71}}
    suspects = [
        _suspect(docs, WNUT, 2, 9, 12, layer="ents", current="creative-work", suggested="product", score=0.91,
                 method="model", evidence=ev),
        _suspect(docs, WNUT, 1, 16, 17, layer="ents", current="location", suggested="person", score=0.62,
                 method="ngram", evidence={}),
        _suspect(docs, EWT, 1, 3, 4, layer="deps", current="obl", suggested="obl:tmod", score=0.55,
                 method="ngram", evidence={"note": "</script><script>document.title='pwned'</script>"}),
        _suspect(docs, EWT, 1, 10, 11, layer="heads", current="8", suggested="4", score=0.4,
                 method="model", evidence={}),
    ]  # fmt: skip
    return suspects, docs


@pytest.fixture
def review_page(tmp_path: Path, queue: tuple[list[Suspect], dict[tuple[str, int], Doc]]) -> Path:
    suspects, docs = queue
    out = tmp_path / "review.html"
    out.write_text(render_review(suspects, docs), encoding="utf-8")
    return out


def _current(page: Any) -> int:
    index: str = page.eval_on_selector(".item.cur-item", "e => e.dataset.index")
    return int(index)


def test_review_page_renders_each_suspect_in_its_sentence(open_page: Any, review_page: Path) -> None:
    loaded = open_page(review_page)
    assert_clean(loaded, review_page)
    page = loaded.page
    assert page.title() == "corpuskit find-errors: review"  # the hostile evidence did not run
    assert page.locator(".item").count() == 4
    first = page.locator("#item-0")
    hit = first.locator("mark.ent.hit")
    assert hit.get_attribute("data-label") == "creative-work" and hit.inner_text().startswith(
        "Rick and Morty"
    )
    assert (
        first.locator(".cur").inner_text() == "creative-work"
        and first.locator(".sug").inner_text() == "product"
    )
    assert "product" in first.locator("details pre").inner_text()
    # heads and dependency labels: the sentence's arcs, the suspect token boxed
    arcs = visible_boxes(page, "#item-2 svg.arcs, #item-3 svg.arcs")
    assert len(arcs) == 2 and all(w > 300 and h > 50 for w, h in arcs)
    assert page.locator("#item-3 svg.arcs rect.hit").count() == 1
    assert "</script>" in page.locator("#item-2 details pre").inner_text()


def test_keyboard_review_and_saved_decisions(open_page: Any, review_page: Path, tmp_path: Path) -> None:
    loaded = open_page(review_page)
    page = loaded.page
    assert _current(page) == 0
    page.keyboard.press("j")
    assert _current(page) == 1
    page.keyboard.press("ArrowDown")
    assert _current(page) == 2
    page.keyboard.press("k")
    page.keyboard.press("ArrowUp")
    assert _current(page) == 0
    page.keyboard.press("a")  # accept #1, move to #2
    assert _current(page) == 1
    page.keyboard.press("r")  # reject #2, move to #3
    assert _current(page) == 2
    page.keyboard.press("e")  # edit #3: type the label, Enter
    field = page.locator("#item-2 input.label")
    assert field.is_visible() and field.input_value() == "obl:tmod"
    field.fill("obl:npmod")
    field.press("Enter")
    assert _current(page) == 3  # #4 is left undecided
    assert page.inner_text("#progress") == "3 of 4 decided"
    assert "accept" in (page.get_attribute("#item-0", "class") or "")
    with page.expect_download() as info:
        page.click("#save")
    download = info.value
    assert download.suggested_filename == "review.jsonl"
    saved = tmp_path / "saved.jsonl"
    download.save_as(saved)
    assert loaded.errors == []
    assert all(not u.startswith(("http:", "https:")) for u in loaded.requests)
    rows = [json.loads(line) for line in saved.read_text(encoding="utf-8").splitlines()]
    assert [(r["decision"], r["label"]) for r in rows] == [
        ("accept", "product"),
        ("reject", "location"),
        ("edit", "obl:npmod"),
    ]
    suspects = render_fields = [
        Suspect.from_dict({k: v for k, v in r.items() if k not in DECISION_FIELDS}) for r in rows
    ]
    assert [s.text for s in render_fields] == ["Rick and Morty", "Gardena", "Tuesday"]
    assert suspects[0].evidence["p"] == {"product": 0.71}
    assert saved.read_text(encoding="utf-8").endswith("\n")


def test_clicking_the_buttons_works_too(open_page: Any, review_page: Path) -> None:
    page = open_page(review_page).page
    page.click("#item-3 button[data-d=reject]")
    assert _current(page) == 3
    assert "reject" in (page.get_attribute("#item-3", "class") or "")
    assert page.inner_text("#item-3 .state") == "reject"


def test_saved_decisions_apply_with_apply_fixes(open_page: Any, review_page: Path, tmp_path: Path) -> None:
    """Once apply-fixes is merged (branch i13b): the saved file gives the expected diff."""
    review = pytest.importorskip("corpuskit.finderrors.review", reason="apply-fixes is not in this tree yet")
    page = open_page(review_page).page
    page.keyboard.press("a")
    page.keyboard.press("r")
    page.keyboard.press("e")
    page.locator("#item-2 input.label").fill("obl:npmod")
    page.locator("#item-2 input.label").press("Enter")
    with page.expect_download() as info:
        page.click("#save")
    saved = tmp_path / "saved.jsonl"
    info.value.save_as(saved)
    result = review.apply_fixes([str(WNUT), str(EWT)], saved, tmp_path / "fixed")
    assert result.refused == []
    diff = "".join(line for f in result.files for line in f.diff)
    removed = [ln for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    assert [ln.split("\t")[-1] for ln in removed if "\t" in ln][:3] == [
        "B-creative-work",
        "I-creative-work",
        "I-creative-work",
    ]
    assert [ln.split("\t")[-1] for ln in added if "\t" in ln][:3] == ["B-product", "I-product", "I-product"]
    assert any("\tTuesday\t" in ln and "\tobl:npmod\t" in ln for ln in added)
    assert not any("Gardena" in ln for ln in added + removed)  # rejected: unchanged


def test_load_sentences_finds_the_docs_the_suspects_name(
    queue: tuple[list[Suspect], dict[tuple[str, int], Doc]],
) -> None:
    suspects, docs = queue
    loaded = load_sentences(suspects)
    assert sorted(loaded) == sorted({(s.file, s.doc) for s in suspects})
    assert render_review(suspects, loaded) == render_review(suspects, docs)
