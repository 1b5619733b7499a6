"""The leakage checks: near-duplicate sentences and docs across splits, dev entities seen in train."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from debug_helpers import EWT, WNUT, count, run, write_spacy

from corpuskit.corpus import read_file
from corpuskit.debug import leakage
from corpuskit.debug.batch import is_punct
from corpuskit.transforms import group_sents

ROOT = Path(__file__).resolve().parents[2] / "fixtures"
EWT_TRAIN = ROOT / "sample" / "en_ewt-train.sample.conllu"
WNUT_TRAIN = ROOT / "convert" / "wnut17-train.slice.conll"


def _blocks(path: Path) -> list[list[str]]:
    """The sentence blocks of a CoNLL-U file (lines, without the blank line after them)."""
    blocks: list[list[str]] = [[]]
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def _first_word_line(block: list[str]) -> int:
    return next(i for i, line in enumerate(block) if re.match(r"^\d+\t", line))


def _texts(path: Path) -> set[str]:
    return {
        line[len("# text = ") :]
        for line in path.read_text(encoding="utf-8").split("\n")
        if line.startswith("# text = ")
    }


def _set_form(block: list[str], word_id: int, form: str) -> list[str]:
    out = []
    for line in block:
        cols = line.split("\t")
        if len(cols) == 10 and cols[0] == str(word_id):
            cols[1] = form
            line = "\t".join(cols)
        out.append(line)
    return out


def test_no_false_positive_on_ewt_dev_and_a_train_slice_sharing_no_sentence():
    # the premise: no sentence in common but "***" (a separator line of the web text)
    assert _texts(EWT) & _texts(EWT_TRAIN) == {"***"}
    report = run(EWT_TRAIN, EWT)
    assert count(report, "near-duplicate-sentences") == 0
    assert count(report, "near-duplicate-docs") == 0
    assert "near-duplicate-sentences" in report.checks_run


def test_planted_duplicates_are_found_with_both_places(tmp_path):
    dev_blocks = _blocks(EWT)
    train_text = EWT_TRAIN.read_text(encoding="utf-8")
    n_train_lines = train_text.count("\n")
    # dev sentence 1 (14+ words): copied with other case and punctuation -> the same, normalised
    same = [line.upper() if line.startswith("# text") else line for line in dev_blocks[1]]
    same = _set_form(same, 1, "PRESIDENT")
    # dev sentence 2: one word changed -> a near duplicate
    near_src = dev_blocks[2]
    words = [line.split("\t")[1] for line in near_src if re.match(r"^\d+\t", line)]
    assert len(words) >= 12
    near = _set_form(near_src, words.index("a") + 1, "one")
    # dev sentence 0 has 6 words but the short one below has fewer than MIN_TOKENS: never reported
    short = next(b for b in dev_blocks if sum(bool(re.match(r"^\d+\t", x)) for x in b) <= 3)
    planted = [same, near, short]
    train = tmp_path / "train.conllu"
    text = train_text
    starts = []
    for block in planted:
        starts.append(text.count("\n") + 1 + _first_word_line(block))
        text += "\n".join(block) + "\n\n"
    train.write_text(text, encoding="utf-8")
    assert starts[0] > n_train_lines
    report = run(train, EWT)
    finding = report.get("near-duplicate-sentences")
    assert finding is not None and finding.count == 2
    dev_lines = [_line_of(EWT, b) for b in (dev_blocks[1], dev_blocks[2])]
    got = sorted((Path(e.file).name, e.line, e.message) for e in finding.examples)
    assert [(n, line) for n, line, _ in got] == [
        ("ewt_dev.conllu", dev_lines[0]),
        ("ewt_dev.conllu", dev_lines[1]),
    ]
    assert got[0][2] == f"the same sentence (normalised) as train {train}:{starts[0]} (doc 600)"
    assert re.fullmatch(
        rf"\d+% similar to the train sentence at {re.escape(str(train))}:{starts[1]} \(doc 601\)", got[1][2]
    )
    assert int(got[1][2].split("%")[0]) >= 80


def _line_of(path: Path, block: list[str]) -> int:
    lines = path.read_text(encoding="utf-8").split("\n")
    first = block[_first_word_line(block)]
    return lines.index(first, lines.index(block[0])) + 1


def test_near_duplicate_docs_of_several_sentences(tmp_path):
    dev_docs = list(group_sents(read_file(EWT, "conllu"), 5))
    train_docs = list(group_sents(read_file(EWT_TRAIN, "conllu"), 5))
    planted = dev_docs[3]
    words = list(planted.words)
    words[4] = "zebra"  # one word of about 80 changed
    from dataclasses import replace

    train_docs.append(replace(planted, words=words, source=str(tmp_path / "t.conllu")))
    train = write_spacy(tmp_path / "train.spacy", train_docs)
    dev = write_spacy(tmp_path / "dev.spacy", dev_docs)
    report = run(train, dev)
    docs = report.get("near-duplicate-docs")
    assert docs is not None and docs.count == 1
    ex = docs.examples[0]
    assert (Path(ex.file).name, ex.line, ex.doc) == ("ewt_dev.conllu", planted.lines[0], 3)
    assert f"{tmp_path / 't.conllu'}:{planted.lines[0]} (doc {len(train_docs) - 1})" in ex.message
    # its sentences: four the same as train's, the one with "zebra" nearly
    sents = report.get("near-duplicate-sentences").examples
    assert sum("% similar to the train sentence" in e.message for e in sents) == 1
    assert sum(e.message.startswith("the same sentence") for e in sents) == 4 and len(sents) == 5


def _mentions(path: Path) -> list[tuple[str, str]]:
    out = []
    for doc in read_file(path, "conll"):
        for span in doc.ents or ():
            words = [unicodedata.normalize("NFKC", w).casefold() for w in doc.words[span.start : span.end]]
            out.append((" ".join(w for w in words if not is_punct(w)), span.label))
    return out


def test_dev_entities_seen_in_train_share_and_threshold(tmp_path):
    dev = _mentions(WNUT)
    train = _mentions(WNUT_TRAIN)
    expected = sum(1 for m in dev if m in set(train))
    report = run(WNUT_TRAIN, WNUT)
    finding = report.get("dev-entities-in-train")
    assert finding is not None
    assert finding.count == expected
    assert finding.message.startswith(
        f"{expected / len(dev):.1%} of the dev entity mentions ({expected} of {len(dev)})"
    )
    assert finding.severity == ("warning" if expected / len(dev) > leakage.ENTITY_WARN_SHARE else "info")
    # half of dev copied into train: most dev mentions are now seen in train, a warning
    half = WNUT.read_text(encoding="utf-8").split("\n\n")
    leaked = tmp_path / "train.conll"
    leaked.write_text(
        WNUT_TRAIN.read_text(encoding="utf-8") + "\n" + "\n\n".join(half[: len(half) * 3 // 4]) + "\n",
        encoding="utf-8",
    )
    seen = set(_mentions(leaked))
    expected2 = sum(1 for m in dev if m in seen)
    report = run(leaked, WNUT)
    finding = report.get("dev-entities-in-train")
    assert finding.count == expected2 > expected
    assert expected2 / len(dev) > leakage.ENTITY_WARN_SHARE
    assert finding.severity == "warning"
    ex = finding.examples[0]
    assert ex.file == str(WNUT) and ex.line is not None and f"also in train at {leaked}:" in ex.message


def test_leakage_checks_need_dev_and_can_be_ignored():
    report = run(EWT_TRAIN)
    assert report.get("near-duplicate-sentences") is None
    report = run(EWT, EWT, ignore=frozenset({"near-duplicate-sentences", "train-dev-overlap"}))
    assert "near-duplicate-sentences" not in report.checks_run
    # with train-dev-overlap ignored, identical docs are counted here
    assert count(run(EWT, EWT, ignore=frozenset({"train-dev-overlap"})), "near-duplicate-sentences") > 0
    assert count(run(EWT, EWT), "near-duplicate-sentences") == 0


def test_minhash_estimates_jaccard():
    a = "the quick brown fox jumps over the lazy dog near the river bank"
    b = a.replace("lazy", "sleepy")
    sig = leakage.minhash([a, b, a])
    assert (sig[0] == sig[2]).all()
    assert (leakage.minhash(["abc"]) != leakage.minhash(["abd"])).any()  # shorter than a shingle
    shingles = [{t[i : i + leakage.SHINGLE] for i in range(len(t) - leakage.SHINGLE + 1)} for t in (a, b)]
    jaccard = len(shingles[0] & shingles[1]) / len(shingles[0] | shingles[1])
    assert abs((sig[0] == sig[1]).mean() - jaccard) < 0.2
    assert leakage.normalise("U.S.") == "us" and leakage.normalise("...") == ""


def test_an_unreadable_dev_file_is_read_up_to_its_error(tmp_path):
    broken = tmp_path / "dev.conllu"
    text = EWT.read_text(encoding="utf-8")
    blocks = text.split("\n\n")
    broken.write_text("\n\n".join([*blocks[:3], "1\tbad line", *blocks[3:]]), encoding="utf-8")
    train = tmp_path / "train.conllu"
    train.write_text(EWT_TRAIN.read_text(encoding="utf-8") + blocks[1] + "\n\n", encoding="utf-8")
    report = run(train, broken, ignore=frozenset({"train-dev-overlap"}))  # identical: counted here
    assert count(report, "corpus-unreadable") == 1
    assert count(report, "near-duplicate-sentences") == 1  # dev sentence 1, before the error


def test_a_sentence_with_half_its_words_changed_is_not_a_near_duplicate(tmp_path):
    block = _blocks(EWT)[2]
    ids = [int(x.split("\t")[0]) for x in block if re.match(r"^\d+\t", x)]
    changed = block
    for i in ids[::2]:  # every other word
        changed = _set_form(changed, i, f"w{i}x")
    train = tmp_path / "train.conllu"
    train.write_text(EWT_TRAIN.read_text(encoding="utf-8") + "\n".join(changed) + "\n\n", encoding="utf-8")
    assert count(run(train, EWT), "near-duplicate-sentences") == 0
    one = _set_form(block, ids[-2], "x")  # one short word changed: found
    train.write_text(EWT_TRAIN.read_text(encoding="utf-8") + "\n".join(one) + "\n\n", encoding="utf-8")
    assert count(run(train, EWT), "near-duplicate-sentences") == 1
