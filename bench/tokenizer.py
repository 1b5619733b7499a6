"""How often the rule-based tokenizer reproduces the gold tokens of the UD treebanks, against spaCy.

For every treebank in the data folder, the raw text of each sentence is rebuilt from its tokens
and their ``SpaceAfter=No`` marks (and compared with the ``# text`` comment), tokenized by
corpuskit's ``Tokenizer(lang)`` and by spaCy's ``spacy.blank(lang)`` tokenizer, and aligned to the
gold tokens with ``corpuskit.alignment.Alignment``; a gold token counts as reproduced when it
aligns one-to-one. Two views of the gold:

- ``surface``: multiword tokens as written (``don't``, French ``du``, German ``zum``);
- ``words``: the syntactic words where they spell the surface form exactly (``do`` + ``n't``),
  else the surface token (``du`` stays, since ``de le`` is not in the text). This is what a
  DocBin converted from CoNLL-U holds, so it is what the trainer's Token % measures against.

The tokenizers are also timed on the same texts (tokenization only, a fresh tokenizer per run,
best CPU time of ``--repeat`` runs), side by side.

    python bench/tokenizer.py [--data ../shared/data] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tabulate import tabulate

from corpuskit.alignment import Alignment
from corpuskit.tokenizer import Tokenizer

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

#: (name, language, file globs, gold views to report)
TREEBANKS = [
    ("UD English-EWT train", "en", ["ud_english_ewt/en_ewt-ud-train*.conllu"], ["words", "surface"]),
    ("UD English-EWT dev", "en", ["ud_english_ewt/en_ewt-ud-dev.conllu"], ["words", "surface"]),
    ("UD English-EWT test", "en", ["ud_english_ewt/en_ewt-ud-test.conllu"], ["words", "surface"]),
    ("UD French-GSD dev+test", "fr", ["ud_french_gsd/*.conllu"], ["surface"]),
    ("UD German-GSD dev+test", "de", ["ud_german_gsd/*.conllu"], ["surface"]),
    ("UD Czech-CLTT all", "cs", ["ud_czech_cltt/*.conllu"], ["surface"]),
    ("Turkish web treebank (not UD)", "tr", ["turkish_web_treebank_pypi/*.conllu"], ["surface"]),
]

Sentence = tuple[str, str | None, list[str], list[bool]]


def read_conllu_tokens(path: Path, *, view: str = "surface") -> Iterator[Sentence]:
    """Yield ``(rebuilt_text, text_comment, tokens, spaces)`` per sentence of a CoNLL-U file.

    ``view="surface"`` gives multiword tokens as written; ``view="words"`` gives their syntactic
    words when those spell the surface form exactly. Empty nodes (``5.1``) are skipped.
    """
    tokens: list[str] = []
    spaces: list[bool] = []
    text: str | None = None
    mwt_end = 0
    mwt_form = ""
    mwt_space = True
    mwt_words: list[str] = []
    with open(path, encoding="utf-8-sig") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            if not line:
                if tokens:
                    yield _rebuild(tokens, spaces), text, tokens, spaces
                tokens, spaces, text, mwt_end = [], [], None, 0
                continue
            if line.startswith("#"):
                if line.startswith("# text = "):
                    text = line[len("# text = ") :]
                continue
            cols = line.split("\t")
            if len(cols) < 10 or "." in cols[0]:
                continue
            space = "SpaceAfter=No" not in cols[9].split("|")
            if "-" in cols[0]:
                mwt_end = int(cols[0].split("-")[1])
                mwt_form, mwt_space, mwt_words = cols[1], space, []
                continue
            index = int(cols[0])
            if mwt_end and index <= mwt_end:
                mwt_words.append(cols[1])
                if index == mwt_end:
                    if view == "words" and "".join(mwt_words) == mwt_form:
                        tokens.extend(mwt_words)
                        spaces.extend([False] * (len(mwt_words) - 1) + [mwt_space])
                    else:
                        tokens.append(mwt_form)
                        spaces.append(mwt_space)
                    mwt_end = 0
                continue
            tokens.append(cols[1])
            spaces.append(space)
    if tokens:
        yield _rebuild(tokens, spaces), text, tokens, spaces


def _rebuild(tokens: list[str], spaces: list[bool]) -> str:
    return "".join(t + (" " if s else "") for t, s in zip(tokens, spaces, strict=True)).rstrip(" ")


def _misaligned(predicted: list[list[str]], gold: list[list[str]]) -> int:
    bad = 0
    for pred, ref in zip(predicted, gold, strict=True):
        _, ok = Alignment.from_words(pred, ref).one_to_one()
        bad += len(ref) - int(ok.sum())
    return bad


def _time(fn: object, texts: list[str], repeat: int) -> tuple[float, list[list[str]]]:
    best = float("inf")
    out: list[list[str]] = []
    for _ in range(repeat):
        start = time.process_time()  # CPU time: the machine is shared, wall time is noisy
        out = fn(texts)  # type: ignore[operator]
        best = min(best, time.process_time() - start)
    return best, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3, help="timing runs (best is kept)")
    parser.add_argument("--no-spacy", action="store_true", help="skip the spaCy columns")
    args = parser.parse_args()
    rows = []
    for name, lang, globs, views in TREEBANKS:
        files = sorted(p for g in globs for p in args.data.glob(g))
        if not files:
            print(f"skipping {name}: no files under {args.data}", file=sys.stderr)
            continue
        for view in views:
            sents = [s for path in files for s in read_conllu_tokens(path, view=view)]
            texts = [s[0] for s in sents]
            gold = [s[2] for s in sents]
            comment_mismatch = sum(1 for s in sents if s[1] is not None and s[1].strip() != s[0].strip())
            n_gold = sum(len(g) for g in gold)

            def ours(batch: list[str], _lang: str = lang) -> list[list[str]]:
                tok = Tokenizer(_lang)  # a fresh cache for every timed run
                return [tok.tokenize(t)[0] for t in batch]

            t_ours, pred_ours = _time(ours, texts, args.repeat)
            check = Tokenizer(lang)
            for text in texts:
                words, spaces = check.tokenize(text)
                if _rebuild(words, spaces) != text:
                    raise AssertionError(f"corpuskit's tokenizer changed the text of {text!r}")
            bad_ours = _misaligned(pred_ours, gold)
            row = [name, view, f"{n_gold:,}", f"{bad_ours:,} ({100 * bad_ours / n_gold:.2f}%)"]
            if not args.no_spacy:
                import spacy

                def theirs(batch: list[str], _lang: str = lang) -> list[list[str]]:
                    nlp = spacy.blank(_lang)
                    return [[t.text for t in nlp.make_doc(x)] for x in batch]

                t_spacy, pred_spacy = _time(theirs, texts, args.repeat)
                bad_spacy = _misaligned(pred_spacy, gold)
                row += [
                    f"{bad_spacy:,} ({100 * bad_spacy / n_gold:.2f}%)",
                    f"{len(texts) / t_ours:,.0f}",
                    f"{len(texts) / t_spacy:,.0f}",
                    f"{t_spacy / t_ours:.2f}x",
                ]
            row.append(str(comment_mismatch))
            rows.append(row)
            print(f"done: {name} ({view})", file=sys.stderr)
    headers = ["treebank", "gold view", "gold tokens", "corpuskit misaligned"]
    if not args.no_spacy:
        headers += ["spaCy misaligned", "corpuskit sents/s", "spaCy sents/s", "speed (spaCy time / ours)"]
    headers.append("# text != tokens")
    print(tabulate(rows, headers=headers, tablefmt="github"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
