"""Generate corpuskit/data/symbols.json from spaCy's symbol table (run once per spaCy release).

spaCy's StringStore maps a string that is a symbol name (``spacy.symbols.IDS``) to that symbol's
ID instead of its hash, and the POS column stores the universal POS tags as symbol IDs
(``spacy.parts_of_speech.IDS``). corpuskit ships both tables as data, so it never imports spaCy.

Usage: ``python scripts/gen_symbols.py [OUTPUT]`` (default: corpuskit/data/symbols.json).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

__all__ = ["main", "symbol_table"]


def symbol_table() -> dict[str, object]:
    """The symbol names in ID order and the UPOS names with their IDs, read from spaCy."""
    import spacy
    from spacy.parts_of_speech import IDS as POS_IDS
    from spacy.symbols import IDS, NAMES

    names = list(NAMES)
    for i, name in enumerate(names):
        if IDS[name] != i:
            raise SystemExit(f"spacy.symbols is not dense: {name!r} has ID {IDS[name]}, expected {i}")
    if len(names) != len(IDS):
        raise SystemExit(f"spacy.symbols has {len(IDS)} IDS but {len(names)} NAMES")
    upos = {name: int(value) for name, value in POS_IDS.items() if name}
    for name, value in upos.items():
        if IDS.get(name) != value:
            raise SystemExit(f"UPOS {name!r} is {value} in parts_of_speech but {IDS.get(name)} in symbols")
    return {"spacy_version": spacy.__version__, "names": names, "upos": upos}


def main(argv: list[str]) -> int:
    default = Path(__file__).resolve().parents[1] / "corpuskit" / "data" / "symbols.json"
    out = Path(argv[1]) if len(argv) > 1 else default
    table = symbol_table()
    out.write_text(json.dumps(table, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"wrote {len(table['names'])} symbols (spaCy {table['spacy_version']}) to {out}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
