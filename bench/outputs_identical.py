"""Prove a refactor changed no output: run one matrix of commands on two trees and compare every byte.

The matrix: every corpus file under ``fixtures/`` and ``../shared/data`` converted to ``.spacy``
(defaults, ``-n 10``, and for CoNLL-U ``-T``, ``-m``; large CoNLL-U files also in parallel parts),
each ``.spacy`` written back to its source format, ``check --format json`` on every input and
``debug-data --format json`` on the train/dev pairs. Each case records the exit code, a digest of
stdout, stderr (with the output folder's path replaced) and a digest of every file written.

    python bench/outputs_identical.py compare --before 73738d0        # that commit vs this tree
    python bench/outputs_identical.py compare --before 73738d0 --quick  # fixtures only
    python bench/outputs_identical.py run --out /tmp/m                # one tree's manifest

``compare`` checks ``--before`` out into a temporary git worktree and runs this script there with
that tree first on ``sys.path`` (the installed corpuskit's dependencies are shared), then runs it on
this tree; it prints every case that differs and exits 1 if any does.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"

# input suffix -> the text format the .spacy output is written back as
_BACK = {".conllu": "conllu", ".iob": "iob", ".json": "json", ".jsonl": "jsonl"}
_NER_NAMES = ("esp.", "ned.", ".tsv", ".mangled", ".latin1", "conll", "wnut")
_PAIRS = [
    ("ud_english_ewt/en_ewt-ud-test.conllu", "ud_english_ewt/en_ewt-ud-dev.conllu"),
    ("ud_french_gsd/fr_gsd-ud-test.conllu", "ud_french_gsd/fr_gsd-ud-dev.conllu"),
    ("conll2002_es/esp.testb", "conll2002_es/esp.testa"),
    ("wikiner_iob", "wikiner_iob"),
]
_BIG = 2_000_000  # bytes: CoNLL-U files also converted in parallel parts


def _inputs(quick: bool) -> list[Path]:
    roots = [ROOT / "fixtures"] + ([] if quick else [SHARED])
    found: list[Path] = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.name.startswith(".") or path.suffix in {".md", ".txt", ".py"}:
                continue
            if "LICENSE" in path.name or "schemas" in path.parts or "__pycache__" in path.parts:
                continue
            found.append(path)
    return found


def _back_format(path: Path) -> str | None:
    if path.suffix in _BACK:
        return _BACK[path.suffix]
    if path.suffix in {".conll", ".tsv"} or any(n in path.name for n in _NER_NAMES):
        return "conll"
    return None


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _run_case(args: list[str], out: Path, run_dir: Path) -> dict[str, object]:
    """Run one corpuskit command in this process; record what it printed and wrote."""
    from click.testing import CliRunner

    from corpuskit.cli import cli

    out.mkdir(parents=True, exist_ok=True)
    argv = [a.replace("{OUT}", str(out)) for a in args]
    runner = CliRunner()
    with contextlib.redirect_stderr(io.StringIO()):
        result = runner.invoke(cli, argv, catch_exceptions=True)
    stdout = result.stdout_bytes.replace(str(out).encode(), b"<OUT>").replace(str(run_dir).encode(), b"<RUN>")
    stderr = (result.stderr_bytes or b"").decode("utf-8", "replace").replace(str(out), "<OUT>")
    stderr = stderr.replace(str(run_dir), "<RUN>")
    files = {str(p.relative_to(out)): _digest(p.read_bytes()) for p in sorted(out.rglob("*")) if p.is_file()}
    record: dict[str, object] = {"rc": result.exit_code, "stdout": _digest(stdout), "files": files}
    record["stderr"] = stderr.strip()[-400:]
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        record["exception"] = f"{type(result.exception).__name__}: {result.exception}"[:300]
    return record


def _label(path: Path) -> str:
    for root in (ROOT, SHARED.parent):
        with contextlib.suppress(ValueError):
            return str(path.relative_to(root))
    return str(path)


def run_matrix(out_dir: Path, quick: bool) -> dict[str, dict[str, object]]:
    manifest: dict[str, dict[str, object]] = {}
    n = 0

    def case(name: str, args: list[str]) -> Path:
        nonlocal n
        n += 1
        target = out_dir / f"c{n:05d}"
        manifest[name] = _run_case(args, target, out_dir)
        return target

    for path in _inputs(quick):
        label, src = _label(path), str(path)
        variants: list[list[str]] = [[], ["-n", "10"]]
        if path.suffix == ".conllu":
            variants += [["-T"], ["-m"]]
            if path.stat().st_size > _BIG:
                variants.append(["-j", "2", "--shard-size", "20000"])
        for opts in variants:
            target = case(f"convert {label} {' '.join(opts)}", ["convert", src, "{OUT}", *opts])
            back = _back_format(path)
            spacy_files = sorted(target.glob("*.spacy"))
            if back and not opts and len(spacy_files) == 1:
                case(f"convert-back {label} -t {back}", ["convert", str(spacy_files[0]), "{OUT}", "-t", back])
        if path.suffix != ".spacy":
            case(f"check {label}", ["check", src, "--format", "json"])
    for train, dev in _PAIRS:
        tp, dp = SHARED / train, SHARED / dev
        if quick or not tp.exists():
            continue
        case(f"debug-data {train} {dev}", ["debug-data", str(tp), str(dp), "--format", "json"])
    return manifest


def _compare(before: dict[str, dict[str, object]], after: dict[str, dict[str, object]]) -> int:
    differ = 0
    for name in sorted(set(before) | set(after)):
        b, a = before.get(name), after.get(name)
        if b != a:
            differ += 1
            print(f"DIFFERS {name}\n  before: {json.dumps(b)[:600]}\n  after:  {json.dumps(a)[:600]}")
    total = len(set(before) | set(after))
    print(f"{total - differ} of {total} cases identical (exit code, stdout, stderr, every file's bytes)")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run")
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("--quick", action="store_true")
    cmp = sub.add_parser("compare")
    cmp.add_argument("--before", required=True, help="a git revision of this repository")
    cmp.add_argument("--quick", action="store_true", help="fixtures only")
    args = parser.parse_args()
    if args.cmd == "run":
        args.out.mkdir(parents=True, exist_ok=True)
        manifest = run_matrix(args.out / "cases", args.quick)
        (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True))
        return 0
    with tempfile.TemporaryDirectory(prefix="outputs-identical-") as tmp:
        tree = Path(tmp) / "before"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), args.before], check=True
        )
        try:
            manifests = {}
            for side, code in (("before", tree), ("after", ROOT)):
                env = dict(os.environ, PYTHONPATH=str(code))
                cmd = [sys.executable, str(Path(__file__).resolve()), "run", "--out", str(Path(tmp) / side)]
                subprocess.run(cmd + (["--quick"] if args.quick else []), env=env, check=True, cwd=tmp)
                manifests[side] = json.loads((Path(tmp) / side / "manifest.json").read_text())
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
        return _compare(manifests["before"], manifests["after"])


if __name__ == "__main__":
    sys.exit(main())
