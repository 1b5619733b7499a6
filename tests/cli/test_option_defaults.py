"""The CLI's defaults are the library's: debug-data's thresholds come from debug.Options."""

from __future__ import annotations

import dataclasses

from click.testing import CliRunner

from corpuskit.cli.debug_data import debug_data_cli
from corpuskit.debug.options import Options

THRESHOLDS = ("min_docs", "warn_docs", "low_count_label", "low_count_dep_label", "max_sentence_tokens")


def test_debug_data_thresholds_default_to_the_options_object() -> None:
    params = {p.name: p for p in debug_data_cli.params}
    defaults = {f.name: f.default for f in dataclasses.fields(Options)}
    for name in THRESHOLDS:
        assert params[name].default == defaults[name], name


def test_help_shows_the_options_defaults() -> None:
    result = CliRunner().invoke(debug_data_cli, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.output.split())  # help lines wrap where the terminal is narrow
    options = Options()
    for name in THRESHOLDS:
        flag = "--" + name.replace("_", "-") + " "
        shown = text.split(flag, 1)[1].split(" --", 1)[0]
        assert f"default: {getattr(options, name)};" in shown, shown
