"""Leakage between splits: dev sentences and docs that (nearly) repeat train, and dev entity
mentions already seen in train with the same label.

The corpus-wide checks here need more than one hash per doc, so they read the two splits once
more, as a stream, after the main pass: train first, into an index of 64-bit hashes and MinHash
signatures (never the texts), then dev, matched against it batch by batch. Memory grows with the
number of train sentences (about 800 bytes each), not with their length.

Text is normalised before it is compared: NFKC, casefolded, punctuation removed from every word,
punctuation-only words dropped, words joined by one space. Two units are *the same* when their
normalised texts are equal and *near duplicates* when the Jaccard similarity of their character
5-gram sets (estimated by a 128-hash MinHash, candidates found by 32 bands of 4 hashes) is at least
:data:`NEAR_THRESHOLD`. Units of fewer than :data:`MIN_TOKENS` normalised words are skipped:
formulaic lines ("Thank you for your time.", "Let me know.") repeat in any corpus of a genre
without being a leak (UD English EWT's dev has 116 such sentences that are also in train).
"""

from __future__ import annotations

import unicodedata
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..doc import Doc
from ..errors import CorpusError
from .batch import Item, snippet
from .findings import Example, Finding, Hit
from .options import Options
from .registry import register
from .stats import CorpusStats, SplitStats, text_fingerprint

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "BANDS",
    "ENTITY_WARN_SHARE",
    "MIN_TOKENS",
    "NEAR_THRESHOLD",
    "N_HASHES",
    "SHINGLE",
    "minhash",
    "normalise",
]

#: Units (sentences, docs) with fewer normalised words than this are not compared.
MIN_TOKENS = 6
#: Estimated Jaccard similarity of character shingles from which two units are near duplicates.
NEAR_THRESHOLD = 0.8
#: Character n-gram length of the shingles.
SHINGLE = 5
#: MinHash signature length, and the LSH bands it is cut into (rows per band: N_HASHES // BANDS).
N_HASHES = 128
BANDS = 32
#: ``dev-entities-in-train`` is a warning above this share (an info below it).
ENTITY_WARN_SHARE = 0.5
#: Train units kept per LSH bucket (a bucket of many identical texts needs only a few).
_BUCKET_CAP = 8
_UNITS_PER_CHUNK = 2000
_SHINGLES_PER_CHUNK = 1 << 12
_NORM_CACHE: dict[str, str] = {}


def normalise(word: str) -> str:
    """``word`` NFKC-normalised, casefolded, without its punctuation ("" for punctuation only)."""
    got = _NORM_CACHE.get(word)
    if got is None:
        w = unicodedata.normalize("NFKC", word).casefold()
        got = "".join(c for c in w if not unicodedata.category(c).startswith("P"))
        got = " ".join(got.split())
        if len(_NORM_CACHE) < 200_000:
            _NORM_CACHE[word] = got
    return got


def _norm_words(words: list[str]) -> list[str]:
    return [t for t in map(normalise, words) if t]


def _params() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    import numpy as np

    rng = np.random.default_rng(20261206)
    a = rng.integers(1, 2**63, size=N_HASHES, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, 2**63, size=N_HASHES, dtype=np.uint64)
    return a, b


_A_B: list[Any] = []


def _shingle_hashes(texts: list[str]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """32-bit hashes (in uint64) of every character :data:`SHINGLE`-gram of each text, flat, and
    where each text's run starts. A text shorter than a shingle is one shingle (padded)."""
    import numpy as np

    pad = "\x00" * (SHINGLE - 1)
    codes = np.frombuffer((pad.join(texts) + pad).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    firsts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lens[:-1] + SHINGLE - 1, out=firsts[1:])
    counts = np.maximum(lens - SHINGLE + 1, 1)
    starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    pos = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(firsts - starts, counts)
    h = np.zeros(len(pos), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(SHINGLE):
            h = h * np.uint64(0x100000001B3) + codes[pos + j]
        h = (h * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
    return h, starts


def minhash(texts: list[str]) -> npt.NDArray[np.uint32]:
    """The MinHash signatures (``len(texts)`` x :data:`N_HASHES`) of the texts' character
    :data:`SHINGLE`-gram sets (multiply-shift hashing of the shingles' 32-bit hashes).

    Work is cut into chunks of about :data:`_SHINGLES_PER_CHUNK` shingles, so memory stays
    bounded (a few MB) however many texts there are."""
    import numpy as np

    if not _A_B:
        _A_B.extend(_params())
    a, b = _A_B
    out = np.empty((len(texts), N_HASHES), dtype=np.uint32)
    k = 0
    while k < len(texts):
        first = k
        size = 0
        while k < len(texts) and (k == first or size < _SHINGLES_PER_CHUNK):
            size += len(texts[k])
            k += 1
        h, starts = _shingle_hashes(texts[first:k])
        with np.errstate(over="ignore"):
            mixed = ((a[:, None] * h[None, :] + b[:, None]) >> np.uint64(32)).astype(np.uint32)
        out[first:k] = np.minimum.reduceat(mixed, starts, axis=1).T
    return out


def _band_keys(sigs: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint64]:
    """One 64-bit key per band of each signature (``n`` x :data:`BANDS`)."""
    import numpy as np

    rows = N_HASHES // BANDS
    s = sigs.astype(np.uint64).reshape(len(sigs), BANDS, rows)
    key = np.zeros((len(sigs), BANDS), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            key = key * np.uint64(0x100000001B3) + s[:, :, r] + np.uint64(r + 1)
    return key


# ----------------------------------------------------------------------------- reading


def _docs(split: SplitStats, opts: Options) -> Iterator[tuple[str, int, Doc]]:
    """``(file, doc index, doc)`` of the split's input files, read again. The files a ``.spacy``
    input names as its docs' source are provenance, not inputs, and are not read. A file that
    fails to parse stops at the error (the main pass reported it as ``corpus-unreadable``)."""
    from ..corpus import SPACY_FORMAT, iter_corpus_files, read_file

    provenance: set[str] = set()
    for name in list(split.files):
        path = Path(name)
        if name in provenance or not path.is_file():
            continue
        try:
            for file, conv, _why in iter_corpus_files(path, converter=opts.converter, encoding=opts.encoding):
                for index, doc in enumerate(read_file(file, conv, encoding=opts.encoding)):
                    if conv == SPACY_FORMAT and doc.source:
                        provenance.add(doc.source)
                    yield name, index, doc
        except (CorpusError, ValueError):
            continue


@dataclass(slots=True)
class _Unit:
    """A sentence (or a doc of several sentences) to compare: where it is and its text."""

    file: str
    doc: int
    line: int | None
    start: int
    end: int
    text: str


def _units(file: str, index: int, doc: Doc) -> tuple[list[_Unit], list[_Unit]]:
    """The doc's sentences and (when it has several) the doc itself, long enough to compare."""
    src = doc.source or file
    lines = doc.lines
    sents: list[_Unit] = []
    parts: list[str] = []
    for s, e in doc.sentence_bounds():
        toks = _norm_words(doc.words[s:e])
        parts.extend(toks)
        if len(toks) >= MIN_TOKENS:
            sents.append(_Unit(src, index, lines[s] if lines else None, s, e, " ".join(toks)))
    whole: list[_Unit] = []
    if len(sents) > 1 and len(parts) >= MIN_TOKENS:
        whole.append(_Unit(src, index, lines[0] if lines else None, 0, len(doc.words), " ".join(parts)))
    return sents, whole


# ----------------------------------------------------------------------------- train index


@dataclass(slots=True)
class _Index:
    """Hashes and MinHash signatures of one kind of train unit, and where each unit is."""

    sigs: list[Any] = field(default_factory=list)
    locs: list[tuple[int, int, int]] = field(default_factory=list)  # file id, doc, line (-1)
    exact_first: dict[int, int] = field(default_factory=dict)
    _sig: Any = None
    _bands: Any = None  # (order, sorted keys) of each band, built on the first match

    def add(self, units: list[_Unit], files: dict[str, int]) -> None:
        if not units:
            return
        base = len(self.locs)
        for k, u in enumerate(units):
            self.exact_first.setdefault(hash(u.text), base + k)
            fid = files.setdefault(u.file, len(files))
            self.locs.append((fid, u.doc, -1 if u.line is None else u.line))
        self.sigs.append(minhash([u.text for u in units]))
        self._sig = self._bands = None

    def _tables(self) -> tuple[Any, list[tuple[Any, Any]]]:
        import numpy as np

        if self._sig is None:
            self._sig = np.concatenate(self.sigs) if self.sigs else np.zeros((0, N_HASHES), np.uint32)
            self.sigs = [self._sig]
        if self._bands is None:
            keys = _band_keys(self._sig)
            bands = []
            for band in range(BANDS):
                order = np.argsort(keys[:, band], kind="stable")
                bands.append((order, keys[order, band]))
            self._bands = bands
        return self._sig, self._bands

    def match(self, units: list[_Unit]) -> list[tuple[int, int, float]]:
        """``(unit index, train unit, similarity)`` of the best train match of each unit that has
        one (similarity 1.0 for the same normalised text)."""
        import numpy as np

        out: list[tuple[int, int, float]] = []
        if not units or not self.locs:
            return out
        train, bands = self._tables()
        sigs = minhash([u.text for u in units])
        keys = _band_keys(sigs)
        cands: dict[int, set[int]] = {}
        for band, (order, sorted_keys) in enumerate(bands):
            lo = np.searchsorted(sorted_keys, keys[:, band], side="left")
            hi = np.minimum(np.searchsorted(sorted_keys, keys[:, band], side="right"), lo + _BUCKET_CAP)
            for k in np.flatnonzero(hi > lo).tolist():
                cands.setdefault(k, set()).update(order[lo[k] : hi[k]].tolist())
        for k, u in enumerate(units):
            same = self.exact_first.get(hash(u.text))
            if same is not None:
                out.append((k, same, 1.0))
                continue
            if k not in cands:
                continue
            idx = np.fromiter(cands[k], dtype=np.int64, count=len(cands[k]))
            sim = (train[idx] == sigs[k]).mean(axis=1)
            best = int(np.argmax(sim))
            if sim[best] >= NEAR_THRESHOLD:
                out.append((k, int(idx[best]), float(sim[best])))
        return out


@dataclass(slots=True)
class _Train:
    files: dict[str, int] = field(default_factory=dict)
    sents: _Index = field(default_factory=_Index)
    docs: _Index = field(default_factory=_Index)
    ents: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # (text, label) -> first
    ent_texts: set[int] = field(default_factory=set)

    def where(self, loc: tuple[int, int, int]) -> str:
        names = list(self.files)
        fid, doc, line = loc
        return f"{names[fid]}:{line} (doc {doc})" if line >= 0 else f"{names[fid]} (doc {doc})"


def _mentions(doc: Doc) -> Iterator[tuple[int, int, str, str]]:
    for span in doc.ents or ():
        text = " ".join(_norm_words(doc.words[span.start : span.end]))
        if text and span.label:
            yield span.start, span.end, text, span.label


def _build_train(split: SplitStats, opts: Options) -> _Train:
    tr = _Train()
    sents: list[_Unit] = []
    docs: list[_Unit] = []
    for file, index, doc in _docs(split, opts):
        s, d = _units(file, index, doc)
        sents.extend(s)
        docs.extend(d)
        if len(sents) >= _UNITS_PER_CHUNK:
            tr.sents.add(sents, tr.files)
            sents = []
        if len(docs) >= _UNITS_PER_CHUNK:
            tr.docs.add(docs, tr.files)
            docs = []
        lines = doc.lines
        for start, _end, text, label in _mentions(doc):
            key = hash((text, label))
            if key not in tr.ents:
                fid = tr.files.setdefault(doc.source or file, len(tr.files))
                tr.ents[key] = (fid, index, lines[start] if lines else -1)
            tr.ent_texts.add(hash(text))
    tr.sents.add(sents, tr.files)
    tr.docs.add(docs, tr.files)
    return tr


# ----------------------------------------------------------------------------- the dev pass


@dataclass(slots=True)
class _Found:
    """What the dev pass found: duplicate hits per check, and the entity counts."""

    sents: list[Hit] = field(default_factory=list)
    docs: list[Hit] = field(default_factory=list)
    n_ents: int = 0
    n_seen: int = 0
    n_other_label: int = 0
    ent_examples: list[Example] = field(default_factory=list)


_RESULTS: weakref.WeakKeyDictionary[SplitStats, _Found] = weakref.WeakKeyDictionary()


def _results(stats: CorpusStats, opts: Options) -> _Found:
    """The dev pass, run once per :class:`CorpusStats` (both checks share it)."""
    dev = stats.dev
    assert dev is not None
    found = _RESULTS.get(dev)
    if found is None:
        found = _RESULTS[dev] = _scan_dev(stats, dev, opts)
    return found


def _scan_dev(stats: CorpusStats, dev: SplitStats, opts: Options) -> _Found:
    tr = _build_train(stats.train, opts)
    found = _Found()
    identical: set[int] = set()
    if "train-dev-overlap" not in opts.ignore:  # identical docs are that check's findings
        identical = set(stats.train.fingerprints()[0].tolist())
    pending: list[tuple[Doc, list[_Unit], list[_Unit]]] = []
    n_units = 0
    for file, index, doc in _docs(dev, opts):
        _dev_ents(tr, found, file, index, doc, opts)
        if not doc.words or (identical and text_fingerprint(Item(doc, index, file, "dev").text) in identical):
            continue
        s, d = _units(file, index, doc)
        pending.append((doc, s, d))
        n_units += len(s) + len(d)
        if n_units >= _UNITS_PER_CHUNK:
            _dev_units(tr, found, pending, opts)
            pending, n_units = [], 0
    _dev_units(tr, found, pending, opts)
    return found


def _dev_units(
    tr: _Train, found: _Found, pending: list[tuple[Doc, list[_Unit], list[_Unit]]], opts: Options
) -> None:
    for kind, index, hits in (("sentence", tr.sents, found.sents), ("doc", tr.docs, found.docs)):
        units = [(doc, u) for doc, s, d in pending for u in (s if kind == "sentence" else d)]
        for k, j, sim in index.match([u for _, u in units]):
            doc, u = units[k]
            where = tr.where(index.locs[j])
            if sim >= 1.0:
                msg = f"the same {kind} (normalised) as train {where}"
            else:
                msg = f"{sim:.0%} similar to the train {kind} at {where}"
            keep = opts.max_examples is None or len(hits) < opts.max_examples
            text = snippet(doc.words, u.start, u.end) if keep else ""
            hits.append(Hit(Example(u.file, u.line, u.doc, None, text, msg), "dev"))


def _dev_ents(tr: _Train, found: _Found, file: str, index: int, doc: Doc, opts: Options) -> None:
    lines = doc.lines
    for start, end, text, label in _mentions(doc):
        found.n_ents += 1
        first = tr.ents.get(hash((text, label)))
        if first is None:
            found.n_other_label += hash(text) in tr.ent_texts
            continue
        found.n_seen += 1
        if opts.max_examples is None or len(found.ent_examples) < opts.max_examples:
            found.ent_examples.append(
                Example(
                    doc.source or file,
                    lines[start] if lines else None,
                    index,
                    start,
                    snippet(doc.words, start, end),
                    f"{label} also in train at {tr.where(first)}",
                )
            )


# ----------------------------------------------------------------------------- the checks


@register(
    "near-duplicate-sentences",
    severity="warning",
    section="corpus",
    summary=f"dev sentences (of {MIN_TOKENS}+ words) that repeat a train sentence after normalisation, "
    f"or nearly (character 5-gram Jaccard >= {NEAR_THRESHOLD:g}): leakage",
    scope="corpus",
    unit="dev sentence",
    what="the same as a train sentence, or nearly",
)
def near_duplicate_sentences(stats: CorpusStats, opts: Options) -> Iterator[Hit]:
    if stats.dev is not None:
        yield from _results(stats, opts).sents


@register(
    "near-duplicate-docs",
    severity="warning",
    section="corpus",
    summary="dev docs of several sentences that (nearly) repeat a train doc: leakage",
    scope="corpus",
    unit="dev doc",
    what="the same as a train doc, or nearly",
)
def near_duplicate_docs(stats: CorpusStats, opts: Options) -> Iterator[Hit]:
    if stats.dev is not None:
        yield from _results(stats, opts).docs


@register(
    "dev-entities-in-train",
    severity="warning",
    section="entities",
    summary=f"the share of dev entity mentions seen in train with the same label "
    f"(a warning above {ENTITY_WARN_SHARE:.0%})",
    scope="corpus",
)
def dev_entities_in_train(stats: CorpusStats, opts: Options) -> Iterator[Finding]:
    if stats.dev is None or not stats.dev.n_ents or not stats.train.n_ents:
        return
    found = _results(stats, opts)
    if not found.n_ents:
        return
    share = found.n_seen / found.n_ents
    severity: Any = "warning" if share > ENTITY_WARN_SHARE else "info"
    message = (
        f"{share:.1%} of the dev entity mentions ({found.n_seen} of {found.n_ents}) are in train "
        f"with the same label"
    )
    if found.n_other_label:
        message += f"; {found.n_other_label} more only with another label"
    if severity == "warning":
        message += f" (above {ENTITY_WARN_SHARE:.0%}: the dev score measures memory more than generalisation)"
    yield Finding("dev-entities-in-train", severity, message, found.n_seen, found.ent_examples, "entities")
