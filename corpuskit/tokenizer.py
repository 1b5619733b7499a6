"""A rule-based tokenizer for raw text: whitespace, then prefix, suffix and infix rules, with
a small table of exceptions per language stored as data (``corpuskit/data/tokenizer_<lang>.json``).

The algorithm is spaCy's: the text is split on whitespace (a single space after a token is that
token's trailing space; any other whitespace becomes a token of its own), and each chunk between
whitespace is cut up by

1. the exception table (``"don't": ["do", "n't"]``), checked first and after every step;
2. ``keep`` patterns (URLs, e-mail addresses, times, numbers): a chunk they match in full is one
   token;
3. prefixes split off the front and suffixes off the end, one at a time, until none matches;
4. infixes that split what remains (``Al-Zaman`` -> ``Al - Zaman``).

Each distinct chunk is cut once and cached, so a corpus costs about one dict lookup per chunk.
See ``docs/tokenizer.md`` for the rules, the data file format and the agreement with the gold
tokens of the UD treebanks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from .doc import Doc
from .errors import UsageError

__all__ = ["DATA_DIR", "Tokenizer", "available_languages", "load_rules", "shared_tokenizer"]

#: Where the per-language rule files live.
DATA_DIR = Path(__file__).resolve().parent / "data"
_FILE_PREFIX = "tokenizer_"
_LANG_RE = re.compile(r"[a-z]{2,3}")
_CACHE_LIMIT = 200_000
_MAX_STEPS = 100


def available_languages() -> list[str]:
    """Language codes with a rule file (``xx`` is the language-neutral default)."""
    return sorted(p.stem[len(_FILE_PREFIX) :] for p in DATA_DIR.glob(f"{_FILE_PREFIX}*.json"))


@cache
def _char_classes() -> dict[str, str]:
    """Placeholders usable in the rule files' regular expressions, as character-class bodies."""
    lower: list[int] = []
    upper: list[int] = []
    alpha: list[int] = []
    for cp in range(0x10000):
        ch = chr(cp)
        if ch.isalpha() or (ch.isalnum() and not ch.isdigit() and not ch.isdecimal()):
            alpha.append(cp)
            if ch.islower():
                lower.append(cp)
            elif ch.isupper() or ch.istitle():
                upper.append(cp)
    return {
        "LOWER": _ranges(lower),
        "UPPER": _ranges(upper),
        # Letters of any script in the Basic Multilingual Plane (digits excluded).
        "ALPHA": _ranges(alpha),
        "QUOTES": "'\"”“`‘´’‚„»«「」『』（）〔〕【】《》〈〉",
        "HYPHENS": "\\-–—‐‑‒―−",
        "CURRENCY": r"$£€¥฿₽₹₩₪₫₴₦₱₲₵₸₺₼₾",
    }


def _ranges(codepoints: list[int]) -> str:
    parts: list[str] = []
    start = prev = codepoints[0]
    for cp in [*codepoints[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(
            re.escape(chr(start)) if start == prev else f"{re.escape(chr(start))}-{re.escape(chr(prev))}"
        )
        start = prev = cp
    return "".join(parts)


def _expand(pattern: str) -> str:
    classes = _char_classes()
    return re.sub(r"\{([A-Z]+)\}", lambda m: classes.get(m.group(1), m.group(0)), pattern)


@cache
def load_rules(lang: str) -> dict[str, Any]:
    """The merged rules of a language: its file over its ``base`` file (``xx`` by default).

    Lists (``prefixes``, ``suffixes``, ``infixes``, ``keep``) are the language's
    ``<list>_first``, then the base's (less those named in ``drop_<list>``), then the language's
    ``<list>``. ``exceptions`` are merged, the language's winning; ``variants`` (``title``,
    ``upper``, ``apostrophe``) add the capitalised, upper-case and typographic-apostrophe
    spellings of the language's own exceptions. ``final_period`` (inherited) splits the period
    off an abbreviation or number that ends the text.
    """
    path = DATA_DIR / f"{_FILE_PREFIX}{lang}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"no tokenizer rules for language {lang!r}; available: {', '.join(available_languages())}"
        ) from None
    own_exceptions = _with_variants(raw.get("exceptions", {}), raw.get("variants", []))
    base_name = raw.get("base", "xx" if lang != "xx" else None)
    if base_name:
        base: dict[str, Any] = load_rules(base_name)
        rules = {key: list(base.get(key, [])) for key in ("prefixes", "suffixes", "infixes", "keep")}
        exceptions = dict(base["exceptions"])
    else:
        rules = {key: [] for key in ("prefixes", "suffixes", "infixes", "keep")}
        exceptions = {}
    for key in rules:
        dropped = set(raw.get(f"drop_{key}", []))
        kept = [p for p in rules[key] if p not in dropped]
        rules[key] = [*raw.get(f"{key}_first", []), *kept, *raw.get(key, [])]
    exceptions.update(own_exceptions)
    final_period = bool(raw.get("final_period", base.get("final_period", False) if base_name else False))
    return {"lang": lang, **rules, "exceptions": exceptions, "final_period": final_period}


def _with_variants(exceptions: dict[str, list[str]], variants: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, pieces in exceptions.items():
        if "".join(pieces) != key:
            raise ValueError(f"tokenizer exception {key!r} -> {pieces!r} does not spell the same text")
        forms = [(key, pieces)]
        if "title" in variants and key[:1].islower():
            forms.append((key[:1].upper() + key[1:], [pieces[0][:1].upper() + pieces[0][1:], *pieces[1:]]))
        if "upper" in variants and key.upper() != key and len(key.upper()) == len(key):
            forms.append((key.upper(), [p.upper() for p in pieces]))
        if "apostrophe" in variants:
            forms += [(k.replace("'", "’"), [p.replace("'", "’") for p in ps]) for k, ps in forms if "'" in k]
        for k, ps in forms:
            out.setdefault(k, ps)
    return out


class Tokenizer:
    """Tokenize raw text with the rules of a language.

    ``Tokenizer("en")("Don't go!")`` gives a :class:`~corpuskit.doc.Doc` with the words
    ``["Do", "n't", "go", "!"]`` and their trailing spaces. Languages without a rule file use
    the language-neutral ``xx`` rules (``rules_lang`` says which file is in use).
    """

    def __init__(self, lang: str = "xx") -> None:
        if not _LANG_RE.fullmatch(lang):
            raise UsageError(f"language code {lang!r} is not two or three lower-case letters")
        self.lang = lang
        self.rules_lang = lang if (DATA_DIR / f"{_FILE_PREFIX}{lang}.json").exists() else "xx"
        rules = load_rules(self.rules_lang)
        #: This tokenizer's exception table (a copy: editing it changes only this tokenizer).
        self.exceptions: dict[str, list[str]] = dict(rules["exceptions"])
        self._prefix = _compile_alternation(rules["prefixes"], "^(?:{})")
        self._suffix = _compile_alternation(rules["suffixes"], "(?:{})$")
        self._infix = _compile_alternation(rules["infixes"], "{}")
        self._keep = _compile_alternation(rules["keep"], "(?:{})")
        self._final_period: bool = rules["final_period"]
        self._cache: dict[str, list[str]] = {}

    def __call__(self, text: str) -> Doc:
        """Tokenize ``text`` into a Doc (words and trailing spaces)."""
        words, spaces = self.tokenize(text)
        return Doc(words=words, spaces=spaces)

    def pipe(self, texts: Iterable[str]) -> Iterator[Doc]:
        """Tokenize a stream of texts."""
        for text in texts:
            yield self(text)

    def tokenize(self, text: str) -> tuple[list[str], list[bool]]:
        """The words of ``text`` and whether a space follows each (no Doc is built)."""
        words: list[str] = []
        spaces: list[bool] = []
        if not text:
            return words, spaces
        cache = self._cache
        if text.isprintable() and "  " not in text and text[0] != " ":
            # The common case: single spaces are the only whitespace.
            chunks = text.split(" ")
            last = len(chunks) - 1
            for i, chunk in enumerate(chunks):
                if not chunk:
                    continue  # the text ends with a space
                pieces = cache.get(chunk)
                if pieces is None:
                    pieces = self._split_cached(chunk)
                words.extend(pieces)
                spaces.extend([False] * (len(pieces) - 1))
                spaces.append(i < last)
            if self._final_period:
                self._split_final_period(words, spaces)
            return words, spaces
        for part in _WHITESPACE.split(text):
            if not part:
                continue
            if part[0].isspace():
                if part[0] == " " and words and not spaces[-1]:
                    spaces[-1] = True
                    part = part[1:]
                if part:
                    words.append(part)
                    spaces.append(False)
                continue
            pieces = cache.get(part)
            if pieces is None:
                pieces = self._split_cached(part)
            words.extend(pieces)
            spaces.extend([False] * len(pieces))
        if self._final_period:
            self._split_final_period(words, spaces)
        return words, spaces

    def _split_final_period(self, words: list[str], spaces: list[bool]) -> None:
        # An abbreviation that ends the text lends its period to the sentence: "etc." -> "etc" "."
        i = len(words) - 1
        while i >= 0 and words[i].isspace():
            i -= 1
        if i < 0:
            return
        word = words[i]
        if (
            len(word) > 1
            and word[-1] == "."
            and word[-2] != "."
            and (word in self.exceptions or _INITIALS.fullmatch(word) or word[:-1].isdigit())
        ):
            words[i : i + 1] = [word[:-1], "."]
            spaces[i : i + 1] = [False, spaces[i]]

    def _split_cached(self, chunk: str) -> list[str]:
        pieces = self.split(chunk)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[chunk] = pieces
        return pieces

    def split(self, chunk: str) -> list[str]:
        """Cut one whitespace-free chunk into tokens (uncached)."""
        exceptions = self.exceptions
        special = exceptions.get(chunk)
        if special is not None:
            return list(special)
        prefixes: list[str] = []
        suffixes: list[str] = []
        core = chunk
        for _ in range(_MAX_STEPS):
            if not core or core in exceptions or self._keeps(core):
                break
            size = len(core)
            cut = self._suffix_start(core)
            if cut is not None and self._is_whole(core[:cut]):
                # Taking the suffix off alone reveals an exception or a kept token: do just that.
                suffixes.append(core[cut:])
                core = core[:cut]
                break
            pre = self._prefix.search(core) if self._prefix else None
            if pre is not None and pre.end() > 0:
                prefixes.append(core[: pre.end()])
                core = core[pre.end() :]
                if self._is_whole(core):
                    break
                cut = self._suffix_start(core)
            if cut is not None and core:
                suffixes.append(core[cut:])
                core = core[:cut]
            if len(core) == size:
                break
        tokens = prefixes
        if core:
            special = exceptions.get(core)
            if special is not None:
                tokens.extend(special)
            elif self._keeps(core) or self._infix is None:
                tokens.append(core)
            else:
                tokens.extend(self._split_infixes(core))
        tokens.extend(reversed(suffixes))
        return tokens

    def _suffix_start(self, core: str) -> int | None:
        if self._suffix is None or not core:
            return None
        match = self._suffix.search(core)
        return match.start() if match is not None and match.start() < len(core) else None

    def _is_whole(self, core: str) -> bool:
        return bool(core) and (core in self.exceptions or self._keeps(core))

    def _keeps(self, core: str) -> bool:
        return self._keep is not None and self._keep.fullmatch(core) is not None

    def _split_infixes(self, core: str) -> list[str]:
        assert self._infix is not None
        out: list[str] = []
        start = 0
        for match in self._infix.finditer(core):
            if match.start() == 0 and match.end() == 0:
                continue
            if match.start() > start:
                out.append(core[start : match.start()])
            if match.end() > match.start():
                out.append(core[match.start() : match.end()])
            start = match.end()
        if start < len(core):
            out.append(core[start:])
        return out

    def explain(self, text: str) -> list[tuple[str, str]]:
        """Each token of ``text`` with the rule that produced it (for debugging the rules)."""
        out: list[tuple[str, str]] = []
        for word in self.tokenize(text)[0]:
            if word.isspace():
                rule = "whitespace"
            elif word in self.exceptions:
                rule = "exception"
            elif self._keeps(word):
                rule = "keep"
            elif self._prefix is not None and self._prefix.fullmatch(word):
                rule = "prefix"
            elif self._suffix is not None and self._suffix.fullmatch(word):
                rule = "suffix"
            elif self._infix is not None and self._infix.fullmatch(word):
                rule = "infix"
            else:
                rule = "token"
            out.append((word, rule))
        return out


@lru_cache(maxsize=8)
def shared_tokenizer(lang: str) -> Tokenizer:
    """One :class:`Tokenizer` per language, built once (its rules are compiled on construction)
    and kept for the eight languages used last; for readers that do not edit its exceptions."""
    return Tokenizer(lang)


_WHITESPACE = re.compile(r"(\s+)")
_INITIALS = re.compile(r"(?:[^\W\d_]\.)+")


def _compile_alternation(patterns: list[str], template: str) -> re.Pattern[str] | None:
    if not patterns:
        return None
    body = "|".join(f"(?:{_expand(p)})" for p in patterns)
    return re.compile(template.format(body))
