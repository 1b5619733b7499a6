"""Compatibility: `corpuskit convert` against `spacy convert` on every real corpus file in shared/data.

Run: python bench/compat.py [--data /work/shared/data] [--options "-n 10" "-n 1" "-n 10 -T -m"]

For every UD treebank file (CoNLL-U) and the IOB, CoNLL NER and spaCy v2 JSON samples, both tools
convert the file with the same options (in-process: spaCy's ``spacy.cli.convert.convert`` and
corpuskit's ``convert_corpus``); spaCy then reads both outputs and they are compared annotation
by annotation (words, spaces, tag, pos, morph, lemma, head, dep, entity IOB and type, sentence
starts). The table says, per file and option set: tokens, and "equal", the first difference, or
"spaCy fails: ..." / "corpuskit fails: ...". Differences that are spaCy bugs corpuskit fixes on
purpose (FORMATS.md) are marked "(expected: ...)".
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shlex
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
sys.path.insert(0, str(REPO / "tests"))

# (glob under data, spaCy converter, corpuskit converter, note on known spaCy quirks)
FILES: list[tuple[str, str, str, str]] = [
    ("ud_*/*.conllu", "conllu", "conllu", ""),
    ("turkish_web_treebank_pypi/*.conllu", "conllu", "conllu", "not valid UD"),
    ("wikiner_iob/*.iob", "iob", "iob", "spaCy counts blank lines toward -n"),
    ("wikiner_iob/wikigold.conll.txt", "ner", "conll", "-DOCSTART- O: spaCy #10058"),
    ("spacy_example_data/ner_example_data/*.iob", "auto", "auto", ""),
    ("wnut17/*.conll", "ner", "conll", "blank lines holding a tab: spaCy reads one sentence"),
    ("conll2002_*/*.t*", "ner", "conll", "-DOCSTART- -X- O: spaCy #10058"),
    ("spacy_example_data/*.json", "json", "json", ""),
    ("spacy_v2_json_generated/*.json", "json", "json", ""),
]


def _parse_options(text: str) -> dict[str, Any]:
    args = shlex.split(text)
    opts: dict[str, Any] = {"n_sents": 1, "merge_subtokens": False, "morphology": False, "seg_sents": False}
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-n", "--n-sents"):
            opts["n_sents"] = int(args[i + 1])
            i += 1
        elif a in ("-T", "--merge-subtokens"):
            opts["merge_subtokens"] = True
        elif a in ("-m", "--morphology"):
            opts["morphology"] = True
        elif a in ("-s", "--seg-sents"):
            opts["seg_sents"] = True
        else:
            raise SystemExit(f"unsupported option {a!r} (use -n N, -T, -m, -s)")
        i += 1
    return opts


def _spacy_converter(path: Path, name: str) -> str:
    if name != "auto":
        return name
    from spacy.cli.convert import autodetect_ner_format

    return autodetect_ner_format(path.read_text(encoding="utf-8")) or "ner"


def run_spacy(path: Path, out: Path, converter: str, opts: dict[str, Any]) -> None:
    from spacy.cli.convert import convert

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        convert(
            path,
            out,
            file_type="spacy",
            converter=_spacy_converter(path, converter),
            silent=True,
            **opts,
        )


def run_corpuskit(path: Path, out: Path, converter: str, opts: dict[str, Any]) -> None:
    from corpuskit.corpus import convert_corpus

    convert_corpus(path, out, converter=converter, **opts)


def compare(a_dir: Path, b_dir: Path) -> tuple[int, str]:
    from oracle import ANNOTATIONS, assert_same_annotations, spacy_docs_from_file
    from spacy.vocab import Vocab

    vocab = Vocab()
    # spaCy's IOB reader emits empty docs for blank lines and the final line end: drop them
    a = [d for d in spacy_docs_from_file(a_dir, vocab=vocab) if len(d)]
    b = spacy_docs_from_file(b_dir, vocab=vocab)
    tokens = sum(len(d) for d in a)
    try:
        assert_same_annotations(a, b, cats=True)
    except AssertionError as e:
        first = " ".join(str(e).split())
        if "tag '-' != ''" not in first:
            return tokens, "DIFF " + first[:160]
    else:
        return tokens, f"equal ({len(a)} docs)"
    # two-column NER files: spaCy invents the tag "-", corpuskit leaves it missing
    others = [name for name in ANNOTATIONS if name != "tag"]
    try:
        assert_same_annotations(a, b, annotations=others, cats=True)
    except AssertionError as e:
        return tokens, "DIFF " + " ".join(str(e).split())[:160]
    return tokens, f"equal ({len(a)} docs) but tag: spaCy '-', corpuskit missing (expected: FORMATS.md)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--options", nargs="+", default=["-n 10", "-n 1", "-n 10 -T -m"])
    ap.add_argument("--only", nargs="+", default=[""], help="only files whose path contains one of these")
    args = ap.parse_args()
    rows: list[tuple[Any, ...]] = []

    def report(*row: Any) -> None:
        rows.append(row)
        print(" | ".join(map(str, row)), flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="bench-compat-"))
    try:
        for pattern, sp_conv, ck_conv, note in FILES:
            for path in sorted(args.data.glob(pattern)):
                if (
                    not path.is_file()
                    or path.name.endswith(".md")
                    or not any(s in str(path) for s in args.only)
                ):
                    continue
                for optstr in args.options:
                    opts = _parse_options(optstr)
                    if sp_conv == "json" and optstr != args.options[0]:
                        continue  # -n, -T and -m do not apply to JSON
                    a, b = tmp / "spacy", tmp / "corpuskit"
                    for d in (a, b):
                        shutil.rmtree(d, ignore_errors=True)
                        d.mkdir()
                    rel = str(path.relative_to(args.data))
                    t0 = time.perf_counter()
                    try:
                        run_spacy(path, a, sp_conv, opts)
                    except Exception as e:
                        msg = " ".join(f"{type(e).__name__}: {e}".split())[:120]
                        try:
                            run_corpuskit(path, b, ck_conv, opts)
                            ours = "corpuskit converts it"
                        except Exception as e2:
                            ours = " ".join(f"corpuskit: {e2}".split())[:120]
                        report(rel, optstr, "-", f"spaCy fails: {msg}; {ours}")
                        continue
                    t1 = time.perf_counter()
                    try:
                        run_corpuskit(path, b, ck_conv, opts)
                    except Exception as e:
                        report(rel, optstr, "-", " ".join(f"corpuskit fails: {e}".split())[:200])
                        continue
                    t2 = time.perf_counter()
                    tokens, verdict = compare(a, b)
                    if note and verdict.startswith("DIFF"):
                        verdict += f" (expected: {note})"
                    verdict += f" [spaCy {t1 - t0:.1f}s, corpuskit {t2 - t1:.1f}s]"
                    report(rel, optstr, tokens, verdict)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    from tabulate import tabulate

    print()
    print(tabulate(rows, headers=["file", "options", "tokens", "result"], tablefmt="github"))
    equal = sum(1 for r in rows if r[3].startswith("equal"))
    print(f"\n{equal} of {len(rows)} conversions equal")


if __name__ == "__main__":
    main()
