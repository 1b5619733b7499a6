"""A reader error is reported under the check its raiser named (FormatError.check), not under
the one its wording suggests: rewording a message cannot move it to another check."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from corpuskit.debug import check_files
from corpuskit.errors import FormatError
from corpuskit.registry import get_converter

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _json_head_out_of_range(tmp_path: Path) -> Path:
    data = json.loads((FIXTURES / "ner" / "spacy-training-data.json").read_text(encoding="utf-8"))
    data[0]["paragraphs"][0]["sentences"][0]["tokens"][0]["head"] = 10_000
    path = tmp_path / "bad_head.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def _cases(tmp_path: Path) -> list[tuple[Path, str, str]]:
    """(file, converter, the check of its first reader error), hostile real-data files."""
    return [
        (FIXTURES / "ner" / "broken_b_no_label.conll", "conll", "invalid-tag-sequence"),
        (FIXTURES / "ner" / "broken_u_prefix.iob", "iob", "invalid-tag-sequence"),
        (FIXTURES / "ner" / "broken_ner.json", "json", "invalid-tag-sequence"),
        (_json_head_out_of_range(tmp_path), "json", "head-out-of-range"),
        (FIXTURES / "ner" / "broken_columns.conll", "conll", "corpus-unreadable"),
        (FIXTURES / "ner" / "broken_syntax.json", "json", "corpus-unreadable"),
    ]


def _first_error(path: Path, conv: str) -> FormatError:
    from corpuskit.io import read_lines

    with pytest.raises(FormatError) as got:
        list(get_converter(conv).read(read_lines(path), source=str(path)))
    return got.value


def _reader_findings(path: Path) -> dict[str, list[str]]:
    report = check_files([path])
    return {f.id: [e.message for e in f.examples] for f in report.findings if f.severity == "error"}


def test_readers_name_the_check_where_they_raise(tmp_path: Path) -> None:
    for path, conv, check in _cases(tmp_path):
        error = _first_error(path, conv)
        assert (error.check or "corpus-unreadable") == check, (path.name, error.reason)
        assert check in _reader_findings(path), path.name


def test_rewording_a_message_keeps_its_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = _cases(tmp_path)
    before = {p: _reader_findings(p) for p, _, _ in cases}
    init = FormatError.__init__

    def reworded(self: FormatError, message: str, **kw: Any) -> None:
        init(self, f"REWORDED {message[::-1]}", **kw)

    monkeypatch.setattr(FormatError, "__init__", reworded)
    for path, conv, check in cases:
        assert _first_error(path, conv).reason.startswith("REWORDED ")
        after = _reader_findings(path)
        assert sorted(after) == sorted(before[path]), path.name
        assert all(m.startswith("REWORDED ") for m in after[check]), path.name


def test_an_unknown_check_id_is_still_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import converters.json_v2 as json_v2

    fail = json_v2._fail
    monkeypatch.setattr(json_v2, "_fail", lambda m, s, ln, c=None: fail(m, s, ln, "no-such-check"))
    path = _json_head_out_of_range(tmp_path)
    assert "corpus-unreadable" in _reader_findings(path)


def test_the_check_id_survives_pickling() -> None:
    error = FormatError("HEAD 'x' is reworded", path="a.conllu", line=3, column=2, check="head-out-of-range")
    back = pickle.loads(pickle.dumps(error))
    assert (back.check, back.reason, back.path, back.line, back.column, str(back)) == (
        "head-out-of-range",
        error.reason,
        "a.conllu",
        3,
        2,
        str(error),
    )
    assert pickle.loads(pickle.dumps(FormatError("no check"))).check is None
