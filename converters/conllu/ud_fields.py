"""CoNLL-U validation, UD level 2: the fields of each line and the sentence metadata.

The mixin :class:`Level2` of :class:`converters.conllu.ud_validate._Validator`: it runs on a
sentence whose lines and IDs passed level 1 (``table``: the lines split into 10 columns,
``lines``: their line numbers) and appends ``(check id, line, column, message)`` to ``out``.
Values seen valid once are cached, so a treebank's common lines take one set lookup per column.
"""

from __future__ import annotations

import re
from itertools import pairwise

from corpuskit.strings import UD_UPOS

__all__ = ["Level2"]

_Found = tuple[str, int, int | None, str]
_words = str.split
_NAMES = ("ID", "FORM", "LEMMA", "UPOS", "XPOS", "FEATS", "HEAD", "DEPREL", "DEPS", "MISC")
#: The 37 universal relations of UD v2 (a subtype after ``:`` is free at level 2).
_UDEPREL = frozenset(
    _words(
        "acl advcl advmod amod appos aux case cc ccomp clf compound conj cop csubj dep det discourse "
        "dislocated expl fixed flat goeswith iobj list mark nmod nsubj nummod obj obl orphan parataxis "
        "punct reparandum root vocative xcomp"
    )
)
_IDS = [str(i) for i in range(1, 4097)]
_HEADS = {str(i): i for i in range(0, 4097)}
_MWT_BLANK = ["_"] * 7
_FEAT = re.compile(r"([A-Z][A-Za-z0-9]*(?:\[[a-z0-9]+\])?)=([A-Z0-9][A-Za-z0-9]*(?:,[A-Z0-9][A-Za-z0-9]*)*)")
_DEPREL = re.compile(r"[a-z]+(:[a-z]+)?")
_EHEAD = re.compile(r"(0|[1-9][0-9]*)(\.[1-9][0-9]*)?")
_EDEPREL = re.compile(r"[a-z]+(:[a-z]+)?(:[^\W\d_A-Z]+(_[^\W\d_A-Z]+)*)?(:[a-z]+)?")
_SENT_ID = re.compile(r"#\s*sent_id\s*=\s*(\S+)")
_TEXT = re.compile(r"#\s*text\s*=\s*(.*)")
_NEWDOC = re.compile(r"#\s*newdoc(?:\s+(\S+))?")
_NEWPAR = re.compile(r"#\s*newpar(?:\s+(\S+))?")
_PARALLEL = re.compile(
    r"#\s*parallel_id\s*=\s*(([a-z]+)/([-0-9a-z]+)(?:/(alt[1-9][0-9]*|part[1-9][0-9]*|alt[1-9][0-9]*part[1-9][0-9]*))?)"
)
_MISC_KNOWN = re.compile(r"(SpaceAfter|Lang|Translit|LTranslit|Gloss|LId|LDeriv|Ref)")
_MISC_TYPO = re.compile(r"\s*(spaceafter|lang|translit|ltranslit|gloss|lid|lderiv|ref)\s*", re.IGNORECASE)
_CACHE_MAX = 200_000


class Level2:
    """UD level 2 over one sentence's table (a mixin: the validator holds the state)."""

    out: list[_Found]
    comments: list[tuple[int, str]]
    sent_ids: set[str]
    parallel_ids: set[str]
    parallel_last: dict[str, tuple[int | None, int | None]]
    spaceafter_no: bool
    edeps_seen: int | None
    no_edeps_seen: int | None
    good_feats: set[str]
    good_deprels: set[str]
    good_misc: set[str]
    good_erels: set[str]

    def _level2(self, table: list[list[str]], lines: list[int]) -> None:
        n_words = 0
        ids: set[str] = set()
        for cols in table:
            id_ = cols[0]
            if "-" not in id_:
                ids.add(id_)
                if "." not in id_:
                    n_words += 1
        has_edeps = False
        deps_ok = True
        # the enhanced graph is connected if the basic tree is (a doc check) unless a word's DEPS
        # leave out its basic head or an empty node hangs from empty nodes only
        need_graph = False
        mwt_words: set[str] = set()
        heads = _HEADS
        good_deprels = self.good_deprels
        good_feats = self.good_feats
        good_misc = self.good_misc
        for cols, i in zip(table, lines, strict=True):
            id_ = cols[0]
            # the fast path: an ordinary word line whose values were all seen valid before
            head = cols[6]
            h = heads.get(head)
            deprel = cols[7]
            deps = cols[8]
            if (
                h is not None
                and h <= n_words
                and head != id_
                and deprel in good_deprels
                and cols[3] in UD_UPOS
                and cols[5] in good_feats
                and cols[9] in good_misc
                and id_ not in mwt_words
                and (deps == "_" or deps == f"{head}:{deprel}")
                and id_.isdigit()
            ):
                if deps != "_":
                    has_edeps = True
                continue
            if "-" in id_:
                self._mwt_line(cols, i, mwt_words)
                continue
            empty = "." in id_
            if empty:
                has_edeps = True
                heads_of = [hd.partition(":")[0] for hd in deps.split("|")]
                need_graph = need_graph or all("." in x for x in heads_of)
                self._empty_node(cols, i)
            else:
                self._head(cols, i, n_words)
                deprel = cols[7]
                if deprel not in self.good_deprels:
                    self._deprel(cols, i)
            self._upos(cols, i, empty)
            if cols[5] not in self.good_feats:
                self._feats(cols[5], i, _col(cols, 5))
            if deps != "_":
                has_edeps = True
                if not empty and deps != f"{head}:{deprel}":
                    need_graph = need_graph or head not in [hd.partition(":")[0] for hd in deps.split("|")]
                deps_ok = self._deps(cols, i, ids) and deps_ok
            if cols[9] != "_" or id_ in mwt_words:
                self._misc(cols, i, mwt=id_ in mwt_words)
        self._edeps_all_or_none(has_edeps, lines[0])
        if has_edeps and deps_ok and need_graph:
            self._egraph(table, lines)
        self._metadata(table, lines)

    def _mwt_line(self, cols: list[str], i: int, mwt_words: set[str]) -> None:
        """A multiword-token line: '_' from LEMMA to DEPS (FEATS may be Typo=Yes), its MISC."""
        if cols[2:9] != _MWT_BLANK:
            for c in range(2, 9):
                if cols[c] != "_" and not (c == 5 and cols[c] == "Typo=Yes"):
                    self.out.append(
                        (
                            "mwt-nonempty-field",
                            i,
                            _col(cols, c),
                            f"{_NAMES[c]} {cols[c]!r} on a multiword-token line; expected '_'",
                        )
                    )
        a, b = cols[0].split("-")
        mwt_words.update(str(w) for w in range(int(a), int(b) + 1))
        self._misc(cols, i, mwt=True)

    def _empty_node(self, cols: list[str], i: int) -> None:
        """An empty node: HEAD and DEPREL '_'."""
        for c in (6, 7):
            if cols[c] != "_":
                self.out.append(
                    (
                        "empty-node-nonempty-field",
                        i,
                        _col(cols, c),
                        f"{_NAMES[c]} {cols[c]!r} on an empty node; expected '_'",
                    )
                )

    def _upos(self, cols: list[str], i: int, empty: bool) -> None:
        upos = cols[3]
        if upos not in UD_UPOS and not (empty and upos == "_"):
            if upos == "_":
                self.out.append(("underspecified-column", i, _col(cols, 3), "UPOS is '_'; UD requires a tag"))
            else:
                self.out.append(
                    ("unknown-upos", i, _col(cols, 3), f"UPOS {upos!r} is not one of the 17 UD tags")
                )

    def _head(self, cols: list[str], i: int, n_words: int) -> None:
        head = cols[6]
        h = _HEADS.get(head)
        if h is not None and h <= n_words:
            if head == cols[0]:
                self.out.append(("head-self-loop", i, _col(cols, 6), f"HEAD {head!r} is the word's own ID"))
            return
        col = _col(cols, 6)
        if head == "_":
            self.out.append(
                ("underspecified-column", i, col, "HEAD is '_'; UD requires a head (0 for the root)")
            )
        elif h is None and not (head.isascii() and head.isdigit() and head[0] != "0"):
            self.out.append(("invalid-head", i, col, f"HEAD {head!r} is not a word ID (0 for the root)"))
        else:
            self.out.append(
                (
                    "head-out-of-range",
                    i,
                    col,
                    f"HEAD {head!r} is no word of the sentence; expected 0 to {n_words}",
                )
            )

    def _deprel(self, cols: list[str], i: int) -> None:
        deprel = cols[7]
        col = _col(cols, 7)
        if deprel == "_":
            self.out.append(("underspecified-column", i, col, "DEPREL is '_'; UD requires a relation"))
        elif not _DEPREL.fullmatch(deprel):
            self.out.append(
                (
                    "invalid-deprel",
                    i,
                    col,
                    f"DEPREL {deprel!r}: expected lowercase letters, one ':' subtype at most",
                )
            )
        elif deprel.split(":", 1)[0] not in _UDEPREL:
            self.out.append(
                (
                    "unknown-deprel",
                    i,
                    col,
                    f"DEPREL {deprel!r} is not one of the 37 universal relations (+ subtype)",
                )
            )
        elif len(self.good_deprels) < _CACHE_MAX:
            self.good_deprels.add(deprel)

    def _feats(self, feats: str, i: int, col: int) -> None:
        out = self.out
        pairs = feats.split("|")
        n_out = len(out)
        names: list[str] = []
        for f in pairs:
            m = _FEAT.fullmatch(f)
            if m is None:
                out.append(
                    (
                        "invalid-feature",
                        i,
                        col,
                        f"feature {f!r} is not Name=Value ([A-Z][A-Za-z0-9]*=[A-Z0-9][A-Za-z0-9]*)",
                    )
                )
                names.append(f)
                continue
            names.append(m.group(1))
            values = m.group(2).split(",")
            if len(set(values)) != len(values):
                out.append(("invalid-feature", i, col, f"{m.group(1)} repeats a value in {f!r}"))
            if [v.lower() for v in values] != sorted(v.lower() for v in values):
                out.append(("invalid-feature", i, col, f"the values of {f!r} are not sorted"))
        if len(set(names)) != len(names):
            out.append(("invalid-feature", i, col, f"a feature is repeated in {feats!r}"))
        low = [f.lower() for f in pairs]
        if low != sorted(low):
            if pairs == sorted(pairs) and len(out) == n_out:
                out.append(
                    (
                        "feature-order",
                        i,
                        col,
                        f"features sorted by code point, not case-insensitively as UD sorts them: {feats!r}",
                    )
                )
            else:
                out.append(("invalid-feature", i, col, f"features not sorted by name: {feats!r}"))
        if len(out) == n_out and len(self.good_feats) < _CACHE_MAX:
            self.good_feats.add(feats)

    def _deps(self, cols: list[str], i: int, ids: set[str]) -> bool:
        out = self.out
        col = 8  # computed only when reporting: _col(cols, col)
        raw = cols[8]
        # the fast path: existing heads in order, relations seen valid before
        good = self.good_erels
        pairs = [hd.partition(":") for hd in raw.split("|")]
        if all(sep and rel in good and (h == "0" or h in ids) for h, sep, rel in pairs) and cols[0] not in {
            h for h, _, _ in pairs
        }:
            if len(pairs) == 1:
                return True
            keys = [_node_key(h) for h, _, _ in pairs]
            if all(
                a < b or (a == b and p < q)
                for (a, p), (b, q) in pairwise(zip(keys, [r for _, _, r in pairs], strict=True))
            ):
                return True
        edeps = [hd.split(":", 1) for hd in raw.split("|")]
        if any(len(hd) != 2 for hd in edeps):
            out.append(
                ("invalid-deps", i, _col(cols, col), f"DEPS {raw!r} is not head:relation pairs joined by '|'")
            )
            return False
        for head, _ in edeps:
            if not _EHEAD.fullmatch(head):
                out.append(("invalid-deps", i, _col(cols, col), f"DEPS head {head!r} is not a node ID"))
                return False
            if head != "0" and head not in ids:
                out.append(
                    ("invalid-deps", i, _col(cols, col), f"DEPS head {head!r} is no node of the sentence")
                )
                return False
        heads = [_node_key(h) for h, _ in edeps]
        if heads != sorted(heads):
            out.append(("invalid-deps", i, _col(cols, col), f"DEPS {raw!r} not sorted by head"))
        elif len(set(map(tuple, edeps))) != len(edeps):
            out.append(("invalid-deps", i, _col(cols, col), f"DEPS {raw!r} repeats a relation"))
        elif any(a[0] == b[0] and a[1] > b[1] for a, b in pairwise(edeps)):
            out.append(
                ("invalid-deps", i, _col(cols, col), f"DEPS {raw!r}: relations to one head not sorted")
            )
        if cols[0] in {h for h, _ in edeps}:
            out.append(("invalid-deps", i, _col(cols, col), f"DEPS of node {cols[0]} point at itself"))
        for _, rel in edeps:
            if not _EDEPREL.fullmatch(rel):
                out.append(
                    (
                        "invalid-deps",
                        i,
                        _col(cols, col),
                        f"enhanced relation {rel!r} is not lowercase rel[:subtype]",
                    )
                )
            elif rel.split(":", 1)[0] not in _UDEPREL and rel != "ref":
                out.append(
                    (
                        "unknown-deprel",
                        i,
                        _col(cols, col),
                        f"enhanced relation {rel!r} is not a universal relation",
                    )
                )
            elif len(good) < _CACHE_MAX:
                good.add(rel)
        return True

    def _edeps_all_or_none(self, has: bool, first: int) -> None:
        if has:
            if self.edeps_seen is None:
                self.edeps_seen = first
                if self.no_edeps_seen is not None:
                    self.out.append(
                        (
                            "invalid-deps",
                            first,
                            None,
                            f"enhanced graph here but none at line {self.no_edeps_seen}: all or none",
                        )
                    )
        elif self.no_edeps_seen is None:
            self.no_edeps_seen = first
            if self.edeps_seen is not None:
                self.out.append(
                    (
                        "invalid-deps",
                        first,
                        None,
                        f"no enhanced graph here but one at line {self.edeps_seen}: all or none",
                    )
                )

    def _egraph(self, table: list[list[str]], lines: list[int]) -> None:
        children: dict[str, set[str]] = {"0": set()}
        where: dict[str, int] = {}
        for cols, i in zip(table, lines, strict=True):
            id_ = cols[0]
            if "-" in id_ or (cols[8] == "_" and "." not in id_):
                if "-" not in id_:
                    where[id_] = i
                continue
            where[id_] = i
            if cols[8] == "_":
                continue
            for hd in cols[8].split("|"):
                head = hd.split(":", 1)[0]
                children.setdefault(head, set()).add(id_)
        seen: set[str] = set()
        todo = ["0"]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        lost = sorted(set(where) - seen, key=_node_key)
        if lost:
            self.out.append(
                (
                    "invalid-deps",
                    where[lost[0]],
                    None,
                    f"enhanced graph not connected: {', '.join(lost)} unreachable from the root",
                )
            )

    def _misc(self, cols: list[str], i: int, *, mwt: bool) -> None:
        misc = cols[9]
        if misc == "_" and not mwt:
            return
        col = 9  # computed only when reporting: _col(cols, col)
        out = self.out
        parts = misc.split("|")
        if mwt and "-" not in cols[0] and "SpaceAfter=No" in parts:
            out.append(
                (
                    "invalid-misc",
                    i,
                    _col(cols, col),
                    "SpaceAfter=No on a word of a multiword token; it goes on the token's line",
                )
            )
        if misc in self.good_misc:
            return
        n_out = len(out)
        counts: dict[str, int] = {}
        for item in parts:
            key, eq, value = item.partition("=")
            if not key:
                out.append(("misc-format", i, _col(cols, col), f"empty attribute name in MISC {misc!r}"))
            elif (
                key[0].isspace() or key[-1].isspace() or (eq and value[:1].isspace()) or value[-1:].isspace()
            ):
                out.append(
                    ("misc-format", i, _col(cols, col), f"MISC attribute {item!r} padded with whitespace")
                )
            if _MISC_KNOWN.fullmatch(key):
                counts[key] = counts.get(key, 0) + 1
            elif _MISC_TYPO.fullmatch(key):
                out.append(
                    (
                        "misc-format",
                        i,
                        _col(cols, col),
                        f"MISC attribute {key!r}: a typo of a UD attribute name?",
                    )
                )
            if key == "SpaceAfter" and item != "SpaceAfter=No":
                out.append(
                    (
                        "invalid-misc",
                        i,
                        _col(cols, col),
                        f"{item!r}: SpaceAfter takes 'No' only (SpacesAfter for others)",
                    )
                )
            if item == "NoSpaceAfter=Yes":
                out.append(
                    ("invalid-misc", i, _col(cols, col), "'NoSpaceAfter=Yes' should be 'SpaceAfter=No'")
                )
        for key, n in counts.items():
            if n > 1:
                out.append(("invalid-misc", i, _col(cols, col), f"MISC attribute {key} occurs {n} times"))
        if "." in cols[0] and "SpaceAfter=No" in parts:
            out.append(("invalid-misc", i, _col(cols, col), "SpaceAfter=No on an empty node"))
        if len(out) == n_out and len(self.good_misc) < _CACHE_MAX:
            self.good_misc.add(misc)

    # ----------------------------------------------------------------------- metadata

    def _metadata(self, table: list[list[str]], lines: list[int]) -> None:
        out = self.out
        first = lines[0]
        sent_ids: list[str] = []
        texts: list[str] = []
        parallel: list[re.Match[str]] = []
        newdoc = newpar = 0
        for i, c in self.comments:
            if "sent_id" in c and (c.startswith(("# sent_id", "#sent_id")) or _SENT_ID.fullmatch(c)):
                m = _SENT_ID.fullmatch(c)
                if m is None:
                    out.append(
                        ("sent-id", i, 1, f"{_short(c)!r}: expected '# sent_id = ID' (no spaces in ID)")
                    )
                else:
                    sent_ids.append(m.group(1))
            elif "text" in c and (m := _TEXT.fullmatch(c)):
                texts.append(m.group(1))
            elif "parallel_id" in c and (
                c.startswith(("# parallel_id", "#parallel_id")) or _PARALLEL.fullmatch(c)
            ):
                m = _PARALLEL.fullmatch(c)
                if m is None:
                    out.append(
                        ("parallel-id", i, 1, f"{_short(c)!r}: expected '# parallel_id = corpus/sentence'")
                    )
                else:
                    parallel.append(m)
            elif "new" in c:
                newdoc += bool(_NEWDOC.fullmatch(c))
                newpar += bool(_NEWPAR.fullmatch(c))
        if not sent_ids:
            out.append(("sent-id", first, None, "no '# sent_id = ...' comment; UD requires one per sentence"))
        elif len(sent_ids) > 1:
            out.append(("sent-id", first, None, f"{len(sent_ids)} sent_id comments; expected one"))
        else:
            sid = sent_ids[0]
            if sid in self.sent_ids:
                out.append(("sent-id", first, None, f"sent_id {sid!r} is not unique in the file"))
            elif sid.count("/") > 1:
                out.append(
                    ("sent-id", first, None, f"sent_id {sid!r}: '/' is reserved for parallel treebanks")
                )
            self.sent_ids.add(sid)
        self._parallel(parallel, first)
        if newdoc > 1 or newpar > 1:
            out.append(("text-metadata", first, None, "more than one newdoc or newpar comment"))
        if (newdoc or newpar) and self.spaceafter_no:
            out.append(
                ("text-metadata", first, None, "a new document or paragraph after a word with SpaceAfter=No")
            )
        if not texts:
            out.append(
                ("text-metadata", first, None, "no '# text = ...' comment; UD requires one per sentence")
            )
        elif len(texts) > 1:
            out.append(("text-metadata", first, None, f"{len(texts)} text comments; expected one"))
        elif not texts[0]:
            out.append(("text-metadata", first, None, "the '# text' is empty"))
        elif texts[0][-1].isspace():
            out.append(("text-metadata", first, None, "the '# text' ends with whitespace"))
        last = next((cols for cols in reversed(table) if "." not in cols[0]), None)
        self.spaceafter_no = last is not None and "SpaceAfter=No" in last[9].split("|")

    def _parallel(self, found: list[re.Match[str]], first: int) -> None:
        out = self.out
        if len(found) > 1:
            out.append(("parallel-id", first, None, "more than one parallel_id comment"))
            return
        if not found:
            return
        m = found[0]
        pid = m.group(1)
        if pid in self.parallel_ids:
            out.append(("parallel-id", first, None, f"parallel_id {pid!r} is not unique"))
            return
        self.parallel_ids.add(pid)
        sid = f"{m.group(2)}/{m.group(3)}"
        alt = part = None
        suffix = re.fullmatch(r"(?:alt([0-9]+))?(?:part([0-9]+))?", m.group(4) or "")
        if suffix:
            alt = int(suffix.group(1)) if suffix.group(1) else None
            part = int(suffix.group(2)) if suffix.group(2) else None
        for k, (now, what) in enumerate(((alt, "alt"), (part, "part"))):
            if sid in self.parallel_last:
                before = self.parallel_last[sid][k]
                if (before is None) != (now is None):
                    out.append(
                        (
                            "parallel-id",
                            first,
                            None,
                            f"some copies of {sid!r} have the {what} suffix, some not",
                        )
                    )
                elif now is not None and before is not None and now != before + 1:
                    out.append(
                        (
                            "parallel-id",
                            first,
                            None,
                            f"{what} suffix of {sid!r} is {now}, expected {before + 1}",
                        )
                    )
            elif now is not None and now != 1:
                out.append(("parallel-id", first, None, f"{what} suffix of {sid!r} is {now}, expected 1"))
        self.parallel_last[sid] = (alt, part)


def _col(cols: list[str], index: int) -> int:
    return sum(len(p) + 1 for p in cols[:index]) + 1


def _node_key(node: str) -> tuple[int, int]:
    a, _, b = node.partition(".")
    return (int(a), int(b) if b else 0)


def _short(line: str) -> str:
    return line if len(line) <= 60 else line[:57] + "..."
