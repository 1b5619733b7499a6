"""apply-fixes: reviewed decisions written back into CoNLL-U, CoNLL NER and JSONL corpora."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpuskit.cli import cli
from corpuskit.corpus import read_file
from corpuskit.errors import FormatError
from corpuskit.finderrors import Suspect
from corpuskit.finderrors.review import apply_fixes, export_queue, read_reviewed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
REVIEW = FIXTURES / "review"
EWT = FIXTURES / "debug" / "ewt_dev.conllu"
WNUT = FIXTURES / "debug" / "wnut17_dev.conll"
DOCCANO = FIXTURES / "jsonl" / "wnut17_dev.doccano.jsonl"


@pytest.fixture
def here(tmp_path, monkeypatch):
    """A folder holding copies of the corpus fixtures and the reviewed files, as the cwd."""
    for f in (EWT, WNUT, DOCCANO, *REVIEW.glob("*.jsonl")):
        shutil.copy(f, tmp_path / f.name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _changed_lines(a: Path, b: Path) -> list[tuple[int, str, str]]:
    old = a.read_text(encoding="utf-8").split("\n")
    new = b.read_text(encoding="utf-8").split("\n")
    assert len(old) == len(new)
    return [(i + 1, x, y) for i, (x, y) in enumerate(zip(old, new, strict=True)) if x != y]


def test_conllu_accepted_and_edited_items_change_exactly_their_column(here):
    result = apply_fixes(["ewt_dev.conllu"], "ewt_dev.decisions.jsonl", "out")
    assert [d.suspect.layer for d in result.applied] == ["tags", "deps"]
    assert result.unchanged == 1  # the rejected head
    assert len(result.refused) == 1
    changed = _changed_lines(here / "ewt_dev.conllu", here / "out" / "ewt_dev.conllu")
    assert [(n, x.split("\t"), y.split("\t")) for n, x, y in changed] == [
        (16, *[line.split("\t") for line in _pair(changed[0])]),
        (20, *[line.split("\t") for line in _pair(changed[1])]),
    ]
    president, nominated = changed
    assert president[2].split("\t")[7] == "compound" and president[1].split("\t")[7] == "nmod:desc"
    assert nominated[2].split("\t")[4] == "VBN" and nominated[1].split("\t")[4] == "VBD"
    assert nominated[1].replace("\tVBD\t", "\tVBN\t") == nominated[2]
    diff = "".join(result.files[0].diff)
    assert "-5\tnominated\tnominate\tVERB\tVBD\t" in diff and "+5\tnominated\tnominate\tVERB\tVBN\t" in diff
    # the corrected file reads back with the new annotation
    doc = list(read_file(here / "out" / "ewt_dev.conllu", "conllu"))[1]
    assert (doc.tags[4], doc.deps[0], doc.heads[1]) == ("VBN", "compound", 4)


def _pair(change: tuple[int, str, str]) -> tuple[str, str]:
    return change[1], change[2]


def test_a_stale_item_is_refused_naming_it_and_the_others_apply(here):
    result = apply_fixes(["ewt_dev.conllu"], "ewt_dev.decisions.jsonl", "out")
    (msg,) = result.refused
    assert msg.startswith(
        "ewt_dev.decisions.jsonl:4: refused: pos 'Obama' (doc 1, tokens 1-2, ewt_dev.conllu:17)"
    )
    assert "the tokens there are now 'Bush'" in msg and msg.endswith("not applied")
    doc = list(read_file(here / "out" / "ewt_dev.conllu", "conllu"))[1]
    assert doc.pos[1] == "PROPN"


def test_the_corpus_edited_since_the_export_refuses_that_item(here):
    docs = list(read_file("ewt_dev.conllu", "conllu"))
    d = docs[1]
    s = Suspect("ewt_dev.conllu", d.lines[4], 1, 4, 5, "nominated", "tags", "VBD", "VBN", 0.9, "ngram")
    t = Suspect("ewt_dev.conllu", d.lines[0], 1, 0, 1, "President", "pos", "PROPN", "NOUN", 0.5, "ngram")
    export_queue([s, t], {"ewt_dev.conllu": docs}, "prodigy", "queue.jsonl")
    rows = [json.loads(x) for x in Path("queue.jsonl").read_text(encoding="utf-8").splitlines()]
    for r in rows:
        r["answer"] = "accept"
    Path("reviewed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    # meanwhile someone fixed the tag by hand
    text = Path("ewt_dev.conllu").read_text(encoding="utf-8")
    Path("ewt_dev.conllu").write_text(
        text.replace(
            "\tVERB\tVBD\tMood=Ind|Number=Sing|Person=3|Tense=Past",
            "\tVERB\tVBN\tMood=Ind|Number=Sing|Person=3|Tense=Past",
            1,
        ),
        encoding="utf-8",
    )
    result = apply_fixes(["ewt_dev.conllu"], "reviewed.jsonl", "out")
    assert len(result.refused) == 1 and "reviewed.jsonl:1: refused: tags 'nominated'" in result.refused[0]
    assert "annotation is now [(4, 5, 'VBN')], the task was made from [(4, 5, 'VBD')]" in result.refused[0]
    assert [d.suspect.layer for d in result.applied] == ["pos"]
    assert list(read_file(here / "out" / "ewt_dev.conllu", "conllu"))[1].pos[0] == "NOUN"


def test_unchanged_reviews_give_byte_identical_files(here):
    result = apply_fixes(["ewt_dev.conllu"], "ewt_dev.rejected.jsonl", "out")
    assert result.applied == [] and result.unchanged == 2 and result.refused == []
    assert (here / "out" / "ewt_dev.conllu").read_bytes() == EWT.read_bytes()
    assert result.files[0].diff == []
    # and the tools' exports, untouched
    docs = {"wnut17_dev.conll": list(read_file("wnut17_dev.conll", "conll"))}
    d = docs["wnut17_dev.conll"][1]
    s = Suspect(
        "wnut17_dev.conll",
        d.lines[6],
        1,
        6,
        9,
        "Redondo Beach Blvd",
        "ents",
        "location",
        "corporation",
        0.8,
        "m",
    )
    for tool in ("doccano", "labelstudio", "prodigy"):
        export_queue([s], docs, tool, f"q.{tool}")
        result = apply_fixes(["wnut17_dev.conll"], f"q.{tool}", f"out-{tool}")
        assert result.applied == [] and result.refused == []
        assert (here / f"out-{tool}" / "wnut17_dev.conll").read_bytes() == WNUT.read_bytes(), tool


def test_conll_ner_entity_decisions(here):
    result = apply_fixes(["wnut17_dev.conll"], "wnut17_dev.decisions.jsonl", "out")
    assert result.refused == [] and result.unchanged == 1 and len(result.applied) == 3
    changed = _changed_lines(here / "wnut17_dev.conll", here / "out" / "wnut17_dev.conll")
    assert changed == [
        (20, "Redondo\tB-location", "Redondo\tB-corporation"),
        (21, "Beach\tI-location", "Beach\tI-corporation"),
        (22, "Blvd\tI-location", "Blvd\tI-corporation"),
        (45, "Morty\tI-creative-work", "Morty\tO"),
        (77, "trump\tB-person", "trump\tO"),
    ]
    docs = list(read_file(here / "out" / "wnut17_dev.conll", "conll"))
    assert [(s.start, s.end, s.label) for s in docs[2].ents] == [(9, 11, "creative-work")]


def test_prodigy_review_of_a_conll_corpus(here):
    docs = {"wnut17_dev.conll": list(read_file("wnut17_dev.conll", "conll"))}
    d = docs["wnut17_dev.conll"][3]
    swap = Suspect("wnut17_dev.conll", d.lines[1], 3, 1, 2, "emma", "ents", "person", "corporation", 0.7, "m")
    export_queue([swap], docs, "prodigy", "q.jsonl")
    (row,) = [json.loads(x) for x in Path("q.jsonl").read_text(encoding="utf-8").splitlines()]
    # the reviewer fixes the suggestion: "emma" stays a person, "kaite" becomes a group
    row["answer"] = "accept"
    row["spans"] = [
        dict(sp, label="group") if sp["start"] == row["tokens"][3]["start"] else sp for sp in row["spans"]
    ]
    row["spans"][0]["label"] = "person"
    Path("r.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    result = apply_fixes(["wnut17_dev.conll"], "r.jsonl", "out")
    assert len(result.applied) == 1 and result.applied[0].decision == "edit"
    changed = _changed_lines(here / "wnut17_dev.conll", here / "out" / "wnut17_dev.conll")
    assert changed == [(51, "kaite\tB-person", "kaite\tB-group")]


def test_labelstudio_review_of_a_doccano_corpus(here):
    docs = {"wnut17_dev.doccano.jsonl": list(read_file("wnut17_dev.doccano.jsonl", "doccano"))}
    d = docs["wnut17_dev.doccano.jsonl"][1]
    s = Suspect(
        "wnut17_dev.doccano.jsonl",
        d.lines[0],
        1,
        9,
        12,
        "Rick and Morty",
        "ents",
        "creative-work",
        "product",
        0.6,
        "m",
    )
    export_queue([s], docs, "labelstudio", "q.json")
    tasks = json.loads(Path("q.json").read_text(encoding="utf-8"))
    # the reviewer accepts the prediction: a new annotation with its result
    tasks[0]["annotations"].append({"result": tasks[0]["predictions"][0]["result"], "was_cancelled": False})
    Path("r.json").write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    result = apply_fixes(["wnut17_dev.doccano.jsonl"], "r.json", "out")
    assert [x.where for x in result.applied] == ["r.json:2"]
    changed = _changed_lines(here / "wnut17_dev.doccano.jsonl", here / "out" / "wnut17_dev.doccano.jsonl")
    assert len(changed) == 1 and changed[0][0] == 2
    assert json.loads(changed[0][2]) == dict(json.loads(changed[0][1]), label=[[40, 54, "product"]])


def test_bad_reviewed_input_is_one_line_with_file_and_line(here):
    Path("bad.jsonl").write_text(
        (here / "ewt_dev.rejected.jsonl").read_text(encoding="utf-8") + '{"decision": "accept", "file": \n',
        encoding="utf-8",
    )
    with pytest.raises(FormatError) as e:
        read_reviewed("bad.jsonl")
    assert str(e.value).startswith("bad.jsonl:3:")
    Path("nometa.jsonl").write_text('{"text": "a b", "label": []}\n', encoding="utf-8")
    with pytest.raises(FormatError, match=r"nometa\.jsonl:1: .*corpuskit meta"):
        read_reviewed("nometa.jsonl")


def test_cli_prints_the_diff_and_exit_codes(here):
    runner = CliRunner()
    r = runner.invoke(cli, ["apply-fixes", "wnut17_dev.conll", "wnut17_dev.decisions.jsonl", "-o", "out"])
    assert r.exit_code == 0, r.output
    assert "\n-Redondo\tB-location\n" in r.stdout and "\n+Redondo\tB-corporation\n" in r.stdout
    assert r.stdout.startswith("--- wnut17_dev.conll\n+++ out/wnut17_dev.conll\n")
    assert "apply-fixes: 3 applied, 1 unchanged (rejected), 0 refused" in r.stderr
    r = runner.invoke(cli, ["apply-fixes", "ewt_dev.conllu", "ewt_dev.decisions.jsonl", "-o", "out2"])
    assert r.exit_code == 1 and "refused: pos 'Obama'" in r.stderr
    Path("broken.jsonl").write_text("{nope\n", encoding="utf-8")
    r = runner.invoke(cli, ["apply-fixes", "ewt_dev.conllu", "broken.jsonl", "-o", "out3"])
    assert r.exit_code == 2 and r.stdout == ""
    assert (
        r.stderr.startswith("corpuskit: error: broken.jsonl:1:2: invalid JSON") and r.stderr.count("\n") == 1
    )
    assert not Path("out3").exists()
    r = runner.invoke(cli, ["apply-fixes", "ewt_dev.conllu", "ewt_dev.rejected.jsonl", "-o", "."])
    assert r.exit_code == 2 and "would overwrite the corpus" in r.stderr


def test_items_of_a_format_it_cannot_patch_or_of_another_corpus_are_refused(here):
    iob = FIXTURES / "ner" / "wikiner-en-wp2.slice.json"  # spaCy's v2 JSON: not patched
    shutil.copy(iob, here / iob.name)
    doc = next(iter(read_file(iob.name, "json")))
    span = doc.ents[0]
    item = Suspect(
        iob.name,
        doc.lines[0],
        0,
        span.start,
        span.end,
        " ".join(doc.words[span.start : span.end]),
        "ents",
        span.label,
        "ORG",
        0.5,
        "m",
    )
    other = Suspect("elsewhere.conll", 1, 0, 0, 1, "x", "ents", None, "PER", 0.5, "m")
    rows = [dict(item.to_dict(), decision="accept"), dict(other.to_dict(), decision="accept")]
    rows += [
        json.loads(x) for x in Path("wnut17_dev.decisions.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    Path("mixed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = apply_fixes([iob.name, "wnut17_dev.conll"], "mixed.jsonl", "out")
    assert len(result.applied) == 3
    assert [m.split(": refused")[0] for m in result.refused] == ["mixed.jsonl:2", "mixed.jsonl:1"]
    assert "its file is not part of the corpus given" in result.refused[0]
    assert "apply-fixes writes conllu, conll, iob, jsonl, doccano, prodigy files" in result.refused[1]
    assert (here / "out" / iob.name).read_bytes() == iob.read_bytes()


def test_conllu_entities_are_written_in_misc_in_the_parts_style(here):
    ner = FIXTURES / "conllu" / "ner_misc.conllu"
    shutil.copy(ner, here / ner.name)
    d = list(read_file(ner.name, "conllu"))[1]
    assert [(s.start, s.end, s.label) for s in d.ents] == [(0, 2, "LOC"), (3, 4, "LOC"), (16, 17, "LOC")]
    items = [
        (Suspect(ner.name, d.lines[0], 1, 0, 2, "President Bush", "ents", "LOC", "PER", 0.9, "m"), "accept"),
        (Suspect(ner.name, d.lines[3], 1, 3, 4, "Tuesday", "ents", "LOC", None, 0.8, "m"), "accept"),
        (Suspect(ner.name, d.lines[17], 1, 17, 18, "area", "ents", None, "GPE", 0.7, "m"), "accept"),
    ]
    rows = [dict(s.to_dict(), decision=dec) for s, dec in items]
    Path("r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = apply_fixes([ner.name], "r.jsonl", "out")
    assert len(result.applied) == 3 and result.refused == []
    changed = _changed_lines(here / ner.name, here / "out" / ner.name)
    assert [(n, x.split("\t")[9], y.split("\t")[9]) for n, x, y in changed] == [
        (d.lines[0], "name=B-LOC", "name=B-PER"),
        (d.lines[1], "name=I-LOC", "name=I-PER"),
        (d.lines[3], "name=B-LOC", "_"),
        (d.lines[17], "SpaceAfter=No", "SpaceAfter=No|NE=B-GPE"),
    ]
    assert all(x.split("\t")[:9] == y.split("\t")[:9] for _, x, y in changed)
    back = list(read_file(here / "out" / ner.name, "conllu"))[1]
    assert [(s.start, s.end, s.label) for s in back.ents] == [(0, 2, "PER"), (16, 17, "LOC"), (17, 18, "GPE")]


def test_prodigy_rejections_and_label_studio_skips_change_nothing(here):
    docs = {"wnut17_dev.conll": list(read_file("wnut17_dev.conll", "conll"))}
    d = docs["wnut17_dev.conll"][5]
    s = Suspect("wnut17_dev.conll", d.lines[0], 5, 0, 1, "trump", "ents", "person", None, 0.6, "m")
    export_queue([s, s], docs, "prodigy", "q.jsonl")
    rows = [json.loads(x) for x in Path("q.jsonl").read_text(encoding="utf-8").splitlines()]
    rows[0]["answer"], rows[1]["answer"] = "reject", "ignore"
    Path("r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = apply_fixes(["wnut17_dev.conll"], "r.jsonl", "out")
    assert (len(result.applied), result.unchanged, result.undecided) == (0, 2, 0)
    export_queue([s], docs, "labelstudio", "q.json")
    tasks = json.loads(Path("q.json").read_text(encoding="utf-8"))
    tasks[0]["annotations"][0]["was_cancelled"] = True
    Path("r.json").write_text(json.dumps(tasks), encoding="utf-8")
    result = apply_fixes(["wnut17_dev.conll"], "r.json", "out2")
    assert (len(result.applied), result.unchanged, result.undecided) == (0, 0, 1)
    assert (here / "out2" / "wnut17_dev.conll").read_bytes() == WNUT.read_bytes()


def test_doccano_review_edits_and_accepts(here):
    docs = {"wnut17_dev.conll": list(read_file("wnut17_dev.conll", "conll"))}
    d1, d3 = docs["wnut17_dev.conll"][1], docs["wnut17_dev.conll"][3]
    swap = Suspect(
        "wnut17_dev.conll", d1.lines[16], 1, 16, 17, "Gardena", "ents", "location", "group", 0.6, "m"
    )
    miss = Suspect("wnut17_dev.conll", d3.lines[0], 3, 0, 1, "wow", "ents", None, "person", 0.1, "m")
    export_queue([swap, miss], docs, "doccano", "q.jsonl")
    rows = [json.loads(x) for x in Path("q.jsonl").read_text(encoding="utf-8").splitlines()]
    # the reviewer takes the first suggestion as it is, and leaves the second task alone
    rows[0]["label"] = [
        [a, b, "group" if rows[0]["text"][a:b] == "Gardena" else lab] for a, b, lab in rows[0]["label"]
    ]
    Path("r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = apply_fixes(["wnut17_dev.conll"], "r.jsonl", "out")
    assert [(x.decision, x.suspect.text) for x in result.applied] == [("accept", "Gardena")]
    assert result.unchanged == 1
    changed = _changed_lines(here / "wnut17_dev.conll", here / "out" / "wnut17_dev.conll")
    assert changed == [(d1.lines[16], "Gardena\tB-location", "Gardena\tB-group")]


def test_the_linear_diff_is_difflibs():
    import difflib

    from corpuskit.finderrors.patch import unified_diff

    old = [f"line {i}\n" for i in range(60)]
    for changes in ([0], [59], [5, 6, 9], [10, 17, 18, 40], list(range(0, 60, 5)), []):
        new = [f"LINE {i}\n" if i in changes else x for i, x in enumerate(old)]
        assert unified_diff(old, new, "a", "b") == list(difflib.unified_diff(old, new, "a", "b")), changes


def test_an_impossible_head_or_overlapping_entities_are_refused(here):
    d = list(read_file("ewt_dev.conllu", "conllu"))[1]
    s = Suspect("ewt_dev.conllu", d.lines[1], 1, 1, 2, "Bush", "heads", "4", "3", 0.5, "m")
    rows = [
        dict(s.to_dict(), decision="edit", label="40"),  # beyond the sentence
        dict(s.to_dict(), decision="edit", label="him"),
        dict(s.to_dict(), decision="accept"),
    ]
    Path("r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = apply_fixes(["ewt_dev.conllu"], "r.jsonl", "out")
    assert len(result.refused) == 2 and len(result.applied) == 1
    assert (
        "the head 'head=40' of token 1 is not head=N with N a token of its sentence (0-18)"
        in result.refused[0]
    )
    assert "'head=him'" in result.refused[1]
    back = list(read_file(here / "out" / "ewt_dev.conllu", "conllu"))[1]
    assert back.heads[1] == 3


def test_iob_entities_and_tags_in_the_files_scheme(here):
    iob = FIXTURES / "ner" / "wikiner-en-wp2.slice.iob"  # IOB1: entities open with I-
    shutil.copy(iob, here / iob.name)
    doc = next(iter(read_file(iob.name, "iob")))
    assert [(s.start, s.end, s.label) for s in doc.ents][:1] == [(0, 5, "MISC")]
    items = [
        Suspect(iob.name, 1, 0, 0, 5, "The Oxford Companion to Philosophy", "ents", "MISC", "ORG", 0.9, "m"),
        Suspect(iob.name, 1, 0, 5, 6, "says", "tags", "VBZ", "VBD", 0.5, "m"),
        Suspect(iob.name, 1, 0, 5, 6, "says", "deps", None, "root", 0.5, "m"),
    ]
    rows = [dict(s.to_dict(), decision="accept") for s in items]
    Path("r.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = apply_fixes([iob.name], "r.jsonl", "out")
    assert len(result.applied) == 2 and len(result.refused) == 1
    assert "iob files hold no deps" in result.refused[0]
    ((n, old, new),) = _changed_lines(here / iob.name, here / "out" / iob.name)
    assert n == 1
    assert new.startswith(
        "The|DT|I-ORG Oxford|NNP|I-ORG Companion|NNP|I-ORG to|TO|I-ORG Philosophy|NNP|I-ORG says|VBD|O ,|,|O"
    )
    assert old.replace("I-MISC", "I-ORG", 5).replace("says|VBZ", "says|VBD") == new
