"""The training log: ``training.jsonl`` (one record per evaluation) and ``training.html`` (curves).

:class:`TrainingLog` is fed each evaluation by the training loop and rewrites both files
atomically (temp file + rename), so a reader never sees half a file. While training runs the
page reloads itself every 20 seconds; :meth:`TrainingLog.close` writes it without the reload.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..io import atomic_open
from ._page import esc, lines_svg, page

__all__ = ["TrainingLog", "render_training", "training_record"]

LOG_NAME = "training.jsonl"
PAGE_NAME = "training.html"


def _plain(value: Any) -> Any:
    """``value`` as plain JSON (numpy scalars to floats, non-finite floats to None)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f if math.isfinite(f) else None


def training_record(info: Any) -> dict[str, Any]:
    """One evaluation (a :class:`~corpuskit.train.loop.EvalInfo`) as the log's JSON object."""
    seconds = float(info.seconds)
    return {
        "step": int(info.step),
        "epoch": int(info.epoch),
        "losses": _plain(info.losses),
        "scores": _plain(info.scores),
        "score": _plain(info.score),
        "words": int(info.words),
        "seconds": round(seconds, 3),
        "words_per_second": round(info.words / seconds, 1) if seconds > 0 else None,
        "is_best": bool(info.is_best),
    }


class TrainingLog:
    """Writes ``training.jsonl`` and ``training.html`` in ``output_dir`` at each evaluation."""

    def __init__(self, output_dir: str | Path) -> None:
        self.dir = Path(output_dir)
        self.records: list[dict[str, Any]] = []

    def add(self, info: Any) -> None:
        self.records.append(training_record(info))
        self._write(running=True)

    def close(self) -> None:
        if self.records:
            self._write(running=False)

    def _write(self, *, running: bool) -> None:
        with atomic_open(self.dir / LOG_NAME, "w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in self.records)
        with atomic_open(self.dir / PAGE_NAME, "w", encoding="utf-8") as fh:
            fh.write(render_training(self.records, running=running))


def _numeric(d: Any) -> dict[str, float]:
    if not isinstance(d, dict):
        return {}
    return {k: float(v) for k, v in d.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def render_training(records: list[dict[str, Any]], *, running: bool = False) -> str:
    """The learning curves of ``records`` (the log's objects): losses, scores, words/s."""
    losses: dict[str, list[tuple[float, float]]] = {}
    scores: dict[str, list[tuple[float, float]]] = {"score": []}
    speed: dict[str, list[tuple[float, float]]] = {"words/s": []}
    for r in records:
        step = float(r["step"])
        for k, v in _numeric(r.get("losses")).items():
            losses.setdefault(k, []).append((step, v))
        if isinstance(r.get("score"), (int, float)):
            scores["score"].append((step, float(r["score"])))
        for k, v in _numeric(r.get("scores")).items():
            if 0.0 <= v <= 1.0 and not k.startswith("token_"):  # tokenisation is fixed
                scores.setdefault(k, []).append((step, v))
        if isinstance(r.get("words_per_second"), (int, float)):
            speed["words/s"].append((step, float(r["words_per_second"])))
    best = max(records, key=lambda r: r.get("score") or 0.0) if records else None
    charts = [
        ("Scores on the development set", lines_svg(scores, percent=True)),
        ("Training loss (summed since the previous evaluation)", lines_svg(losses)),
        ("Words per second (words trained / seconds since the start)", lines_svg(speed)),
    ]
    rows = "".join(
        f"<tr><td>{r['step']:,}</td><td>{r['epoch']}</td><td>{_fmt(r.get('score'))}</td>"
        + "".join(f"<td>{_fmt(v)}</td>" for v in _numeric(r.get("losses")).values())
        + f"<td>{_fmt(r.get('words_per_second'))}</td><td>{'★' if r.get('is_best') else ''}</td></tr>"
        for r in records
    )
    loss_heads = "".join(f"<th>loss {esc(k)}</th>" for k in _numeric(records[-1].get("losses")) if records)
    state = "training… (this page reloads every 20 s)" if running else "finished"
    summary = (
        f'<p id="state">{len(records)} evaluation(s), {state}. '
        + (f"Best score {_fmt(best.get('score'))} at step {best['step']:,}." if best else "")
        + "</p>"
    )
    body = (
        "<header><h1>corpuskit train</h1></header><main>"
        + summary
        + '<div class="charts" id="charts">'
        + "".join(f'<div class="chart"><h3>{esc(t)}</h3>{svg}</div>' for t, svg in charts if svg)
        + "</div><h2>Evaluations</h2>"
        + f'<table id="evals"><tr><th>step</th><th>epoch</th><th>score</th>{loss_heads}'
        + f"<th>words/s</th><th>best</th></tr>{rows}</table></main>"
    )
    head = '<meta http-equiv="refresh" content="20">' if running else ""
    return page("corpuskit train", body, head=head)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4f}" if abs(v) < 10 else f"{v:,.0f}"
    return "" if v is None else esc(v)
