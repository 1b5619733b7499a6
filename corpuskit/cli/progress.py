"""The CLI's one progress bar: click's, on stderr, over the characters or bytes read.

Shown only when stderr is a terminal and the input is large (4 MiB or more); elsewhere it costs
nothing, and the commands pass no progress callback to the library at all.
"""

from __future__ import annotations

import sys
from typing import Any

import click

__all__ = ["MIN_TOTAL", "ProgressBar"]

#: Inputs smaller than this (in units read) get no bar.
MIN_TOTAL = 4 << 20


class ProgressBar:
    """``ProgressBar("converting", total)``, or ``ProgressBar("checking")`` when the total is
    told with each call: ``bar(done, total)``. ``done`` counts from the start; a bar never
    runs past its total (a second pass over a file, such as a pre-scan, is not counted twice).
    """

    def __init__(self, label: str, total: int = 0, *, min_total: int = MIN_TOTAL) -> None:
        self.label = label
        self.total = total
        self.min_total = min_total
        self.tty = sys.stderr.isatty()
        self.bar: Any = None
        self.shown = 0
        if total:
            self._start(total)

    def wanted(self, total: int | None = None) -> bool:
        """Whether a bar is shown for ``total`` units (the total given at start by default)."""
        return self.tty and (self.total if total is None else total) >= self.min_total

    def _start(self, total: int) -> None:
        if self.bar is None and self.wanted(total):
            self.total = total
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()

    def __call__(self, done: int, total: int | None = None) -> None:
        if self.bar is None:
            if total is None:
                return
            self._start(total)
            if self.bar is None:
                return
        step = min(done, self.total) - self.shown
        if step > 0:
            self.bar.update(step)
            self.shown += step

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
