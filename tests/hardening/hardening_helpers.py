"""Helpers of the hardening tests: corpuskit run under a memory limit, and zlib bombs shaped like DocBins."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import zlib
from pathlib import Path

import msgpack

from corpuskit.strings import hash_string

#: a generous wall-clock limit that only catches hangs (no test asserts a time)
HANG = 300


def run_limited(
    *args: str | Path, mem_mb: int = 1536, timeout: float = HANG, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m corpuskit ARGS`` with at most ``mem_mb`` MiB of address space."""
    limit = mem_mb << 20

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "corpuskit", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit_memory,
        env=env,
        cwd=cwd,
        check=False,
    )


def one_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The one line on stderr of a refused run (asserting there is no traceback)."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines, f"no message on stderr (exit {proc.returncode}); stdout: {proc.stdout[-500:]}"
    return lines[-1]


_STEP = 1 << 22
_A = hash_string("a").to_bytes(8, "little")


def _bin_header(n: int) -> bytes:
    return b"\xc6" + n.to_bytes(4, "big")


def _zeros(comp: zlib._Compress, n: int, unit: bytes = b"\0") -> list[bytes]:
    out = []
    block = unit * (_STEP // len(unit))
    while n > 0:
        out.append(comp.compress(block[: min(n, _STEP)]))
        n -= _STEP
    return out


def token_bomb(path: Path, inflated: int) -> Path:
    """A complete, valid DocBin of one doc of ``inflated // 8`` tokens, every one the word "a"."""
    n_tokens = inflated // 8
    comp = zlib.compressobj(6)
    head = b"\x88" + msgpack.packb("version") + msgpack.packb("0.1")
    head += msgpack.packb("attrs") + msgpack.packb([65]) + msgpack.packb("tokens")
    parts = [comp.compress(head + _bin_header(n_tokens * 8)), *_zeros(comp, n_tokens * 8, _A)]
    parts.append(comp.compress(msgpack.packb("spaces") + _bin_header(n_tokens)))
    parts += _zeros(comp, n_tokens)
    tail = {"lengths": n_tokens.to_bytes(4, "little"), "strings": ["a"], "cats": [{}], "flags": [{}]}
    parts.append(comp.compress(b"".join(msgpack.packb(k) + msgpack.packb(v) for k, v in tail.items())))
    parts.append(comp.flush())
    path.write_bytes(b"".join(parts))
    return path


def user_data_bomb(path: Path, inflated: int) -> Path:
    """A valid DocBin of one one-token doc whose user_data holds ``inflated`` zero bytes."""
    comp = zlib.compressobj(6)
    head = {
        "version": "0.1",
        "attrs": [65],
        "tokens": _A,
        "spaces": b"\x01",
        "lengths": (1).to_bytes(4, "little"),
        "strings": ["a"],
        "cats": [{}],
        "flags": [{}],
    }
    packed = b"\x89" + b"".join(msgpack.packb(k) + msgpack.packb(v) for k, v in head.items())
    inner = b"\x81\xa1x" + _bin_header(inflated)  # the map {"x": <inflated zero bytes>}
    packed += msgpack.packb("user_data") + b"\x91" + _bin_header(len(inner) + inflated) + inner
    parts = [comp.compress(packed), *_zeros(comp, inflated), comp.flush()]
    path.write_bytes(b"".join(parts))
    return path


def zero_bomb(path: Path, inflated: int) -> Path:
    """``inflated`` zero bytes, zlib-compressed: not even a msgpack map."""
    comp = zlib.compressobj(6)
    path.write_bytes(b"".join([*_zeros(comp, inflated), comp.flush()]))
    return path
