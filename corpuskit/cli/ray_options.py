"""``--ray [ADDRESS]`` and ``--workers N``: the options of the commands that can run on Ray.

``--ray`` alone connects as ``ray.init()`` finds a cluster (``RAY_ADDRESS``, or the latest
``ray start --head`` here; with none running, a local instance is started); ``--ray ADDRESS``
or ``--ray=ADDRESS`` names one (an address has a colon: ``10.0.0.5:6379``,
``ray://head:10001``). A word after ``--ray`` without a colon is the command's next argument,
not an address, so ``corpuskit convert --ray in/ out/`` works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ..errors import UsageError

__all__ = ["RayCommand", "check_ray_options", "normalize_ray_args", "ray_options"]

F = TypeVar("F", bound=Callable[..., Any])


def normalize_ray_args(args: list[str]) -> list[str]:
    """``--ray`` not followed by an address becomes ``--ray=auto``."""
    out: list[str] = []
    for k, arg in enumerate(args):
        if arg == "--ray":
            nxt = args[k + 1] if k + 1 < len(args) else None
            if nxt is None or nxt.startswith("-") or (":" not in nxt and nxt != "auto"):
                out.append("--ray=auto")
                continue
        out.append(arg)
    return out


class RayCommand(click.Command):
    """A click command whose ``--ray`` takes an optional address."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, normalize_ray_args(list(args)))


def ray_options(f: F) -> F:
    """Add ``--ray [ADDRESS]`` and ``--workers N`` to a command (use ``cls=RayCommand``)."""
    f = click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=None,
        help="With --ray: Ray workers (training replicas, or tasks at once).",
    )(f)
    f = click.option(
        "--ray",
        "ray_address",
        default=None,
        metavar="[ADDRESS]",
        help="Run on a Ray cluster: the one ray.init() finds (or a new local one), or ADDRESS.",
    )(f)
    return f


def check_ray_options(ray_address: str | None, workers: int | None) -> str | None:
    """The address to pass on (``"auto"``: find or start one), or None without ``--ray``."""
    if ray_address is None:
        if workers is not None:
            raise UsageError("--workers needs --ray (the workers are Ray actors or tasks)")
        return None
    from ..distributed import require_ray

    require_ray()
    return ray_address
