"""Each check id triggered by a broken_* twin of a real file: exact counts and file:line."""

from __future__ import annotations

from pathlib import Path

import pytest
from debug_helpers import DEBUG, EWT, WNUT, check, count, edit, ewt_docs, places, run, wnut_docs, write_spacy

from corpuskit.debug import CHECKS
from corpuskit.doc import Doc, Span

BROKEN_EWT = DEBUG / "broken_ewt_dev.conllu"
BROKEN_WNUT = DEBUG / "broken_wnut17_dev.conll"
NAME = BROKEN_EWT.name


def _problems(report, severities=("error", "warning")):
    return {f.id for f in report.findings if f.severity in severities}


# ------------------------------------------------------------------ clean real files


def test_clean_ewt_slice_has_no_errors_or_warnings_per_file():
    report = check(EWT)
    assert _problems(report) == set()
    assert places(report, "non-projective") == [(EWT.name, 510), (EWT.name, 747)]


def test_clean_ewt_slice_has_no_errors_in_debug_data():
    # 30 sentences are genuinely too few to train on: few-docs is the one error, so it is ignored.
    report = run(EWT, ignore=frozenset({"few-docs"}))
    assert report.errors == 0
    assert report.get("few-docs") is None
    assert run(EWT).get("few-docs").count == 30


def test_clean_wnut_slice_has_no_errors():
    report = check(WNUT)
    assert _problems(report) == set()
    assert count(report, "unknown-spaces") == 40


# ------------------------------------------------------------------ broken text twins


@pytest.mark.parametrize(
    ("check_id", "lines"),
    [
        ("text-form-mismatch", [8]),
        ("dep-cycle", [24]),
        ("multiple-roots", [48]),
        ("head-out-of-range", [76]),
        ("invalid-feature", [6, 168]),
        ("unknown-upos", [110]),
        ("punct-non-projective", [190]),
        ("non-projective", [190, 510, 747]),
    ],
)
def test_broken_ewt_twin(check_id, lines):
    report = check(BROKEN_EWT)
    assert count(report, check_id) == len(lines)
    assert places(report, check_id) == [(NAME, line) for line in lines]


def test_broken_ewt_twin_has_nothing_else():
    report = check(BROKEN_EWT)
    assert _problems(report) == {
        "text-form-mismatch",
        "dep-cycle",
        "multiple-roots",
        "head-out-of-range",
        "invalid-feature",
        "unknown-upos",
        "punct-non-projective",
    }
    cycle = report.get("dep-cycle").examples[0]
    assert cycle.message == "cycle: 8 'replace' -> 10 'jurists' -> 8 'replace'"
    assert (cycle.doc, cycle.token) == (1, 8)
    assert "[replace]" in cycle.text
    roots = report.get("multiple-roots").examples[0]
    assert roots.message == "2 roots: 1 'nominated', 10 'term'"
    oor = report.get("head-out-of-range").examples[0]
    assert "HEAD '99'" in oor.message


@pytest.mark.parametrize(
    ("check_id", "lines"),
    [("invalid-tag-sequence", [99, 250]), ("punct-entity-boundary", [20])],
)
def test_broken_wnut_twin(check_id, lines):
    report = check(BROKEN_WNUT)
    assert count(report, check_id) == len(lines)
    assert places(report, check_id) == [(BROKEN_WNUT.name, line) for line in lines]


def test_a_bad_tag_skips_only_its_sentence():
    clean = run(WNUT)
    broken = run(BROKEN_WNUT)
    assert clean.stats["train"]["docs"] == 40
    assert broken.stats["train"]["docs"] == 38  # the two sentences with a bad tag


# ------------------------------------------------------------------ corpus-unreadable


def test_unreadable_file_is_a_finding_and_the_others_are_checked(tmp_path):
    lines = EWT.read_text(encoding="utf-8").split("\n")
    assert lines[5].startswith("2\tthe")
    lines[5] = lines[5].replace("\t", " ")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a_broken_columns.conllu").write_text("\n".join(lines), encoding="utf-8")
    (corpus / "b_good.conllu").write_text(EWT.read_text(encoding="utf-8"), encoding="utf-8")
    report = run(corpus, converter="conllu")
    # the CoNLL-U validator names the defect (UD level 1); the reader's error there is not repeated
    assert count(report, "corpus-unreadable") == 0
    assert places(report, "column-count") == [("a_broken_columns.conllu", 6)]
    assert "separated by spaces" in report.get("column-count").examples[0].message
    # The bad sentence is skipped; the other 29 of that file and all 30 of the next are read.
    assert report.stats["train"]["docs"] == 59


def test_truncated_spacy_file_is_unreadable(tmp_path):
    good = write_spacy(tmp_path / "good.spacy", ewt_docs()[:5])
    data = good.read_bytes()
    bad = tmp_path / "broken_truncated.spacy"
    bad.write_bytes(data[: len(data) // 2])
    report = check(bad, good)
    assert count(report, "corpus-unreadable") == 1
    assert places(report, "corpus-unreadable")[0][0] == "broken_truncated.spacy"
    assert report.stats["files"]["docs"] == 5


# ------------------------------------------------------------------ parse (injected in real docs)


def _ewt_with(tmp_path: Path, name: str, changes: dict[int, dict]) -> Path:
    docs = ewt_docs()
    for i, change in changes.items():
        docs[i] = edit(docs[i], **change)
    return write_spacy(tmp_path / name, docs)


def test_no_root_when_the_root_joins_a_cycle(tmp_path):
    heads = list(ewt_docs()[0].heads)
    heads[3] = 5  # 'comes' (the root) under 'story', whose head is 'comes'
    path = _ewt_with(tmp_path, "broken_noroot.spacy", {0: {"heads": heads}})
    report = check(path)
    assert places(report, "no-root") == [(EWT.name, 5)]
    assert places(report, "dep-cycle") == [(EWT.name, 8)]
    assert report.get("dep-cycle").examples[0].message == "cycle: 3 'comes' -> 5 'story' -> 3 'comes'"


def test_partial_parse(tmp_path):
    doc = ewt_docs()[1]
    heads, deps = list(doc.heads), list(doc.deps)
    heads[2] = deps[2] = None
    heads[7] = deps[7] = None
    path = _ewt_with(tmp_path, "broken_partial.spacy", {1: {"heads": heads, "deps": deps}})
    report = check(path)
    assert count(report, "partial-parse") == 1
    assert places(report, "partial-parse") == [(EWT.name, 18)]
    assert report.get("partial-parse").examples[0].message == "2 of 19 tokens have no head"
    assert count(report, "no-root") == 0


def test_head_out_of_range_across_sentences(tmp_path):
    docs = ewt_docs()
    a, b = docs[0], docs[1]
    n = len(a)
    merged = Doc(
        words=a.words + b.words,
        spaces=a.spaces + b.spaces,
        heads=a.heads + [h + n for h in b.heads],
        deps=a.deps + b.deps,
        sent_starts=a.sent_starts + b.sent_starts,
        source=a.source,
        lines=a.lines + b.lines,
    )
    heads = list(merged.heads)
    heads[n + 3] = 1  # a token of sentence 2 attached to a token of sentence 1
    path = write_spacy(tmp_path / "broken_range.spacy", [edit(merged, heads=heads)])
    report = check(path)
    assert count(report, "head-out-of-range") == 1
    assert places(report, "head-out-of-range") == [(EWT.name, 19)]
    assert (
        report.get("head-out-of-range").examples[0].message == "head 1 is outside the sentence (tokens 7-25)"
    )


def test_multiple_root_labels_and_low_count_dep_label(tmp_path):
    docs = ewt_docs()
    deps = list(docs[0].deps)
    deps[3] = "root"
    docs[0] = edit(docs[0], deps=deps)
    path = write_spacy(tmp_path / "broken_rootlabel.spacy", docs)
    report = run(path, low_count_dep_label=1)
    finding = report.get("multiple-root-labels")
    assert finding.count == 2
    assert finding.message.startswith("2 labels are used for roots: 'ROOT' (29), 'root' (1)")
    assert places(report, "multiple-root-labels") == [(EWT.name, 8)]
    # With a threshold of 1, exactly the labels seen once are rare.
    labels = report.stats["train"]["labels"]["dep"]
    assert count(report, "low-count-dep-label") == sum(1 for n in labels.values() if n <= 1)


# ------------------------------------------------------------------ tokens


def test_empty_doc_whitespace_token_and_unknown_spaces(tmp_path):
    docs = ewt_docs()[:4]
    words = list(docs[2].words)
    words[5] = "  "
    docs[2] = edit(docs[2], words=words)
    docs.append(Doc(words=[]))
    docs.append(edit(docs[3], spaces=None, has_unknown_spaces=False))
    path = write_spacy(tmp_path / "broken_tokens.spacy", docs)
    report = check(path)
    assert places(report, "whitespace-token") == [(EWT.name, 43)]
    assert places(report, "empty-doc") == [("broken_tokens.spacy", None)]
    assert report.get("empty-doc").examples[0].doc == 4
    assert places(report, "unknown-spaces") == [(EWT.name, 70)]


def test_misaligned_tokens_with_the_reference_tokenizer(tmp_path):
    clean = check(EWT, lang="en")
    doc = ewt_docs()[5]
    k = doc.words.index("sheikh")
    words = [*doc.words[:k], "she", "ikh", *doc.words[k + 1 :]]
    spaces = [*doc.spaces[:k], False, *doc.spaces[k:]]
    lines = [*doc.lines[:k], doc.lines[k], *doc.lines[k:]]
    broken = Doc(words=words, spaces=spaces, source=doc.source, lines=lines)
    path = write_spacy(tmp_path / "broken_split.spacy", [broken])
    report = check(path, lang="en")
    assert count(report, "misaligned-tokens") == 2
    assert places(report, "misaligned-tokens") == [(EWT.name, 110)]
    assert "['sheikh']" in report.get("misaligned-tokens").examples[0].message
    assert "misaligned-tokens" in clean.checks_run
    assert "misaligned-tokens" not in check(EWT).checks_run  # needs --lang


# ------------------------------------------------------------------ entities


def _wnut_spacy(tmp_path: Path, name: str, docs: list[Doc]) -> Path:
    return write_spacy(tmp_path / name, docs)


def test_entity_checks_on_injected_spans(tmp_path):
    docs = wnut_docs()
    # whitespace entity: an entity ending on a whitespace token
    d2 = docs[2]
    words = list(d2.words)
    span0 = d2.ents[0]
    words[span0.end] = " "
    docs[2] = edit(d2, words=words, ents=[Span(span0.start, span0.end + 1, span0.label), *d2.ents[1:]])
    # missing annotation on 3 tokens
    d5 = docs[5]
    docs[5] = edit(
        d5, ents_missing=[i < 3 for i in range(len(d5.words))], ents=[s for s in d5.ents if s.start >= 3]
    )
    path = _wnut_spacy(tmp_path, "broken_ents.spacy", docs)
    report = check(path)
    wn = WNUT.name
    assert count(report, "overlapping-entities") == 0  # a DocBin cannot hold overlapping entities
    assert places(report, "whitespace-entity") == [(wn, d2.lines[span0.start])]
    assert count(report, "missing-ner") == 3
    assert places(report, "missing-ner") == [(wn, d5.lines[0])]


def test_cross_sentence_entity(tmp_path):
    a, b = wnut_docs()[:2]
    n = len(a)
    merged = Doc(
        words=a.words + b.words,
        spaces=None,
        sent_starts=[True] + [False] * (n - 1) + [True] + [False] * (len(b) - 1),
        ents=[Span(n - 1, n + 1, "person")],
        source=a.source,
        lines=a.lines + b.lines,
    )
    path = write_spacy(tmp_path / "broken_cross.spacy", [merged])
    report = check(path)
    assert places(report, "cross-sentence-entity") == [(WNUT.name, a.lines[-1])]


def test_low_count_label_and_no_negative_examples(tmp_path):
    docs = wnut_docs()
    report = run(WNUT, converter="conll")
    labels = report.stats["train"]["labels"]["ent"]
    assert count(report, "low-count-label") == len(labels)  # 40 sentences: every label is rare
    assert count(report, "no-negative-examples") == 0
    only = [edit(d, ents=[Span(0, 1, "person")]) for d in docs[:3]]
    path = write_spacy(tmp_path / "broken_everywhere.spacy", only)
    report = run(path)
    assert count(report, "no-negative-examples") == 1
    assert places(report, "no-negative-examples") == [(WNUT.name, 1)]


# ------------------------------------------------------------------ tags


def test_unknown_upos_from_a_spacy_file(tmp_path):
    doc = ewt_docs()[0]
    pos = list(doc.pos)
    pos[1] = "CONJ"
    path = _ewt_with(tmp_path, "broken_pos.spacy", {0: {"pos": pos}})
    report = check(path)
    assert places(report, "unknown-upos") == [(EWT.name, 6)]
    assert "CCONJ" in report.get("unknown-upos").examples[0].message


def test_tag_stats_is_info():
    report = run(EWT)
    finding = report.get("tag-stats")
    assert finding.severity == "info"
    assert finding.count == report.stats["train"]["tokens"]


# ------------------------------------------------------------------ categories


def _cat_docs(values: list[dict[str, float]]) -> list[Doc]:
    docs = ewt_docs()[: len(values)]
    return [edit(d, cats=v) for d, v in zip(docs, values, strict=True)]


def test_textcat_checks(tmp_path):
    values = [{"POS": 1.0, "NEG": 0.0}] * 10 + [{"POS": 0.5, "NEG": 0.0}] + [{"POS": 1.0, "NEG": 1.0}]
    values = values + [{"POS": 0.0, "NEG": 1.0}] * 10
    docs = _cat_docs(values)
    path = write_spacy(tmp_path / "broken_cats.spacy", docs)
    report = run(path)
    assert places(report, "textcat-bad-values") == [(EWT.name, docs[10].lines[0])]
    # 20 of 22 docs have one positive: exclusive; the 0.5 doc has none, the other has two.
    assert count(report, "textcat-not-exclusive") == 2
    assert places(report, "textcat-not-exclusive") == [
        (EWT.name, docs[10].lines[0]),
        (EWT.name, docs[11].lines[0]),
    ]
    assert report.get("textcat-too-few-labels") is None
    multilabel = run(path, exclusive_cats=False)
    assert multilabel.get("textcat-not-exclusive") is None
    one = write_spacy(tmp_path / "broken_onelabel.spacy", _cat_docs([{"POS": 1.0}, {"POS": 0.0}]))
    assert run(one).get("textcat-too-few-labels").count == 1


# ------------------------------------------------------------------ corpus


def test_duplicates_overlap_label_only_in_dev(tmp_path):
    docs = ewt_docs()
    train = write_spacy(tmp_path / "train.spacy", [*docs[:20], docs[3], docs[3], docs[7]])
    dev_docs = [*docs[20:], docs[0], docs[1]]
    deps = list(dev_docs[0].deps)
    deps[0] = "reparandum"
    dev_docs[0] = edit(dev_docs[0], deps=deps)
    dev = write_spacy(tmp_path / "dev.spacy", dev_docs)
    report = run(train, dev)
    assert count(report, "duplicate-docs") == 3
    assert [e.message for e in report.get("duplicate-docs").examples] == [
        f"same text as doc 3 ({EWT}:{docs[3].lines[0]})".replace(str(EWT), "fixtures/debug/ewt_dev.conllu")
        if False
        else e.message
        for e in report.get("duplicate-docs").examples
    ]
    assert [e.doc for e in report.get("duplicate-docs").examples] == [20, 21, 22]
    assert count(report, "train-dev-overlap") == 2
    assert [e.doc for e in report.get("train-dev-overlap").examples] == [10, 11]
    # The examples name the .spacy file checked and the doc (checks.py rebuilds these examples
    # from file/line/doc, so the source line the docs came from is not carried here).
    overlap = report.get("train-dev-overlap").examples
    assert [(Path(e.file).name, e.line, e.doc) for e in overlap] == [
        ("dev.spacy", None, 10),
        ("dev.spacy", None, 11),
    ]
    only = {e.message.split(" (")[0] for e in report.get("label-only-in-dev").examples}
    assert "dependency label 'reparandum'" in only
    assert all(
        label not in report.stats["train"]["labels"]["dep"]
        for label in report.stats["dev"]["labels"]["dep"]
        if f"dependency label {label!r}" in only
    )


def test_few_docs_thresholds(tmp_path):
    path = write_spacy(tmp_path / "small.spacy", ewt_docs())
    assert run(path).get("few-docs").severity == "error"
    assert run(path, min_docs=10).get("few-docs").severity == "warning"
    assert run(path, min_docs=10, warn_docs=30).get("few-docs") is None


def test_sents_per_doc(tmp_path):
    report = run(EWT)
    finding = report.get("sents-per-doc")
    assert finding.message.startswith("train has 1.00 sentences per doc")
    assert run(EWT, min_sents_per_doc=1.0).get("sents-per-doc") is None


def test_every_check_id_is_documented_and_tested():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "checks.md").read_text(encoding="utf-8")
    here = Path(__file__).read_text(encoding="utf-8") + (
        Path(__file__).parent / "test_injected.py"
    ).read_text(encoding="utf-8")
    here += (Path(__file__).parent / "test_leakage.py").read_text(encoding="utf-8")
    here += (Path(__file__).parents[1] / "test_ud_validator_cases.py").read_text(encoding="utf-8")
    for check_id in CHECKS:
        assert f"## `{check_id}`" in docs, check_id
        assert f'"{check_id}"' in here, check_id


def test_ignore_drops_a_check():
    report = run(BROKEN_EWT, ignore=frozenset({"dep-cycle", "head-out-of-range"}))
    assert report.get("dep-cycle") is None
    assert report.get("head-out-of-range") is None
    assert "dep-cycle" not in report.checks_run
    assert report.ignored == ["dep-cycle", "head-out-of-range"]


# ------------------------------------------------------------------ checks beyond CHECKS.md


def test_long_sentence(tmp_path):
    docs = ewt_docs()
    words = [w for d in docs for w in d.words]
    lines = [x for d in docs for x in d.lines]
    glued = Doc(words=words, spaces=[s for d in docs for s in d.spaces], source=docs[0].source, lines=lines)
    path = write_spacy(tmp_path / "broken_nosents.spacy", [glued, *docs[:3]])
    report = check(path)
    assert count(report, "long-sentence") == 1
    assert places(report, "long-sentence") == [(EWT.name, 5)]
    assert (
        report.get("long-sentence").examples[0].message
        == f"a sentence of {len(words)} tokens (tokens 0-{len(words) - 1})"
    )
    assert check(path, max_sentence_tokens=len(words)).get("long-sentence") is None


def test_label_case_variants(tmp_path):
    docs = wnut_docs()
    d = docs[5]
    docs[5] = edit(d, ents=[Span(s.start, s.end, "Person") for s in d.ents])
    path = write_spacy(tmp_path / "broken_case.spacy", docs)
    report = run(path)
    assert count(report, "label-case-variants") == 1
    assert places(report, "label-case-variants") == [(WNUT.name, d.lines[d.ents[0].start])]
    assert (
        report.get("label-case-variants")
        .examples[0]
        .message.startswith("entity label 'Person' (1) vs 'person'")
    )


# ------------------------------------------------------------------ character-offset spans
# A converter of offset JSONL keeps the spans it could not place (the alignment engine's
# SpanProblems, as dicts) in user_data["corpuskit.span_problems"], and the offset unit that fits
# in user_data["corpuskit.offset_units"]; these tests build such docs with the real engine.


def _offset_doc(doc: Doc, spans: list[tuple[int, int, str]], unit: str | None = None) -> Doc:
    import dataclasses

    from corpuskit.alignment import offsets_to_biluo

    _tags, problems = offsets_to_biluo(doc, spans)
    user_data = {"corpuskit.span_problems": [dataclasses.asdict(p) for p in problems]}
    if unit is not None:
        user_data["corpuskit.offset_units"] = unit
    return edit(doc, user_data=user_data, ents=[])


def test_span_problems_become_findings(tmp_path):
    docs = ewt_docs()[:3]
    # doc 0: "From the AP comes this story :"
    docs[0] = _offset_doc(docs[0], [(1, 8, "X"), (9, 11, "ORG")])  # 'rom the' starts inside 'From'
    # doc 1: "President Bush on Tuesday nominated ...": a fit, an overlap, an empty label
    docs[1] = _offset_doc(docs[1], [(0, 14, "PER"), (10, 25, "X"), (26, 35, "")])
    docs[2] = _offset_doc(docs[2], [(5, 15, "PER")], unit="utf-16")  # 'nominated ' ends on a space
    path = write_spacy(tmp_path / "broken_offsets.spacy", docs)
    report = check(path)
    assert places(report, "misaligned-entity") == [(EWT.name, 5)]
    assert "nearest fit [0:8] 'From the'" in report.get("misaligned-entity").examples[0].message
    assert places(report, "overlapping-entities") == [(EWT.name, docs[1].lines[1])]
    assert places(report, "empty-label") == [(EWT.name, docs[1].lines[4])]
    assert places(report, "whitespace-entity") == [(EWT.name, docs[2].lines[1])]
    assert count(report, "offset-units") == 1
    assert (
        report.get("offset-units").examples[0].message
        == "the offsets fit the text counted in utf-16, not code points"
    )


def test_control_char_label_on_real_docs(tmp_path):
    """A line break in an entity label, a tab in a tag, an escape in a relation: each flagged once;
    the clean EWT docs are not."""
    assert run(EWT).get("control-char-label") is None
    docs = wnut_docs()
    with_ent = next(k for k, d in enumerate(docs) if d.ents)
    span = docs[with_ent].ents[0]
    docs[with_ent] = edit(docs[with_ent], ents=[Span(span.start, span.end, "PER\nSON")])
    ewt = ewt_docs()
    tags = list(ewt[0].tags)
    tags[2] = "NN\tP"
    deps = list(ewt[1].deps)
    deps[0] = "nsubj\x1b[31m"
    path = write_spacy(tmp_path / "bad.spacy", [*docs, edit(ewt[0], tags=tags), edit(ewt[1], deps=deps)])
    finding = check(path).get("control-char-label")
    assert finding is not None and finding.severity == "error" and finding.count == 3
    messages = sorted(e.message for e in finding.examples)
    assert messages == [
        "dependency label 'nsubj\\x1b[31m' holds the control character '\\x1b'",
        "entity label 'PER\\nSON' holds a line break",
        "tag 'NN\\tP' holds a tab",
    ]
