"""find-errors test data: real slices with known injected errors (see fixtures/finderrors/SOURCE.md).

A module of its own (not conftest) so that other test folders' conftest modules never shadow it."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EWT_SAMPLE = FIXTURES / "sample" / "en_ewt-train.sample.conllu"
WNUT = FIXTURES / "finderrors" / "wnut17_train_injected.conll"

# The edits made to a copy of fixtures/sample/en_ewt-train.sample.conllu (UD English-EWT):
# physical line -> (CoNLL-U column index, original value, injected value, layer, doc, token).
EWT_EDITS = {
    7016: (4, "JJ", "NN", "tags", 269, 22),  # the [Indian] army
    206: (4, "VBP", "VB", "tags", 8, 18),  # I [do] n't
    3128: (7, "amod", "compound", "deps", 131, 32),  # the [United] States
    772: (7, "advmod", "obl", "deps", 30, 8),  # , [however] ,
    14607: (6, "26", "25", "heads", 563, 23),  # in [the] Andaman Islands: head Islands -> Andaman
}

# The edits in fixtures/finderrors/wnut17_train_injected.conll (WNUT-17 train, first 900 sentences):
# physical line of the span's first token -> (layer, current, suggested, doc, start, end).
WNUT_EDITS = {
    12205: ("ents", "product", "corporation", 599, 2, 3),  # type swap: Our Favorite [YouTube] Videos
    4762: ("ents", None, "person", 239, 14, 16),  # missed: your dad [Scooter Braun] ,
    12577: ("ents", None, "person", 616, 9, 11),  # boundary: a [Justin] Bieber concert (was Justin Bieber)
}


def write_ewt_injected(path: Path) -> Path:
    lines = EWT_SAMPLE.read_text(encoding="utf-8").split("\n")
    for line_no, (col, old, new, *_rest) in EWT_EDITS.items():
        cols = lines[line_no - 1].split("\t")
        assert cols[col] == old, (line_no, cols)
        cols[col] = new
        lines[line_no - 1] = "\t".join(cols)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
