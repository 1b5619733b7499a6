"""Benchmark: `corpuskit train` against `spacy train` (efficiency CPU config) on the same .spacy files.

Run: python bench/train.py [--data /work/shared/data] [--task ewt,ner] [--epochs 1] [--threads 1]
                          [--batch-words 0] [--train-fraction 1.0]

Tasks:
- ``ewt``: UD English-EWT train/dev (tagger + parser).
- ``ner``: CoNLL-2002 Spanish train/testa (entity recogniser). Research-only data: read from
  ``--data`` into a temporary directory, never copied into the project.

For each task the corpora are converted once to ``.spacy`` (``corpuskit convert -n 10``); spaCy
reads the very same files. Correctness first: both libraries must read the same number of docs and
words from them. Then each tool trains for ``--epochs`` epochs (``max_steps = 0``, evaluation every
200 steps, patience off) as a subprocess, and its ``model-last`` (the model after the last epoch;
spaCy evaluates only every 200 steps, so its ``model-best`` can be an early one) is scored on dev
by its own ``evaluate`` command (same gold_preproc=false: each tool tokenizes the raw text with its own
tokenizer). Printed per task and tool: dev scores, training wall time, training words/s (train words
x epochs / wall time of the train command) and inference words/s (``evaluate``'s speed), and the
corpuskit/spaCy ratios. Both run with the same thread limits (``--threads``).

``--batch-words N`` replaces both tools' batch-size schedule (compounding from 100 to 1000 words)
by a fixed N words per batch, and ``--train-fraction F`` trains on the first F of the training
sentences: on a busy machine, a full epoch of spaCy at its schedule's small first batches takes
hours. Both tools always get the same files and the same settings.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _bytecode import compile_corpuskit

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BIN = Path(sys.executable).parent

TASKS: dict[str, dict[str, Any]] = {
    "ewt": {
        "lang": "en",
        "pipeline": "tagger,parser",
        "converter": "conllu",
        "train": [
            "ud_english_ewt/en_ewt-ud-train.part1of4.conllu",
            "ud_english_ewt/en_ewt-ud-train.part2of4.conllu",
            "ud_english_ewt/en_ewt-ud-train.part3of4.conllu",
            "ud_english_ewt/en_ewt-ud-train.part4of4.conllu",
        ],
        "dev": ["ud_english_ewt/en_ewt-ud-dev.conllu"],
        "scores": ["tag_acc", "dep_uas", "dep_las", "token_acc"],
    },
    "ner": {
        "lang": "es",
        "pipeline": "ner",
        "converter": "conll",
        "train": ["conll2002_es/esp.train"],
        "dev": ["conll2002_es/esp.testa"],
        "scores": ["ents_p", "ents_r", "ents_f", "token_acc"],
    },
}


def _tool(name: str) -> list[str]:
    exe = BIN / name
    return [str(exe)] if exe.exists() else [sys.executable, "-m", name]


def _run(cmd: list[str], env: dict[str, str], log: Path) -> float:
    start = time.perf_counter()
    with log.open("w") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{log.read_text()[-3000:]}")
    return wall


def _join(data: Path, parts: list[str], out: Path, fraction: float = 1.0) -> None:
    blob = b"".join((data / part).read_bytes().rstrip(b"\n") + b"\n\n" for part in parts)
    if fraction < 1.0:
        blocks = blob.split(b"\n\n")
        blob = b"\n\n".join(blocks[: max(1, int(len(blocks) * fraction))]) + b"\n\n"
    out.write_bytes(blob)


def _set_batch_words(cfg: Path, key: tuple[str, ...], words: int) -> None:
    from confection import Config

    config = Config().from_disk(cfg, interpolate=False)
    node = config
    for part in key[:-1]:
        node = node[part]
    node[key[-1]] = words
    config.to_disk(cfg)


def _count_spacy(path: Path) -> tuple[int, int]:
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("xx")
    docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    return len(docs), sum(len(d) for d in docs)


def _count_corpuskit(path: Path) -> tuple[int, int]:
    from corpuskit.docbin import read_docbin

    docs = list(read_docbin(path))
    return len(docs), sum(len(d) for d in docs)


def run_task(
    name: str,
    data: Path,
    tmp: Path,
    epochs: int,
    env: dict[str, str],
    batch_words: int,
    fraction: float,
    parallel: bool,
) -> dict[str, dict[str, Any]]:
    task = TASKS[name]
    work = tmp / name
    work.mkdir()
    corpora = {}
    for split in ("train", "dev"):
        raw = work / f"{split}.txt"
        _join(data, task[split], raw, fraction if split == "train" else 1.0)
        out = work / f"{split}.spacy"
        _run(
            [*_tool("corpuskit"), "convert", str(raw), str(out), "-c", task["converter"], "-n", "10"],
            env,
            work / f"convert-{split}.log",
        )
        raw.unlink()
        if out.is_dir():  # convert wrote a directory of shards: use its one file
            files = sorted(out.glob("*.spacy"))
            if len(files) != 1:
                raise SystemExit(f"expected one .spacy file in {out}, got {files}")
            out = files[0]
        corpora[split] = out
    # Correctness first: both libraries read the same documents from the files.
    for split, path in corpora.items():
        ours, theirs = _count_corpuskit(path), _count_spacy(path)
        if ours != theirs:
            raise SystemExit(f"{name} {split}: corpuskit reads {ours} (docs, words), spaCy {theirs}")
    train_words = _count_corpuskit(corpora["train"])[1]
    print(
        f"[{name}] train {train_words:,} words, dev {_count_corpuskit(corpora['dev'])[1]:,} words "
        f"(same docs in both libraries)",
        flush=True,
    )
    common = [
        "--training.max_epochs",
        str(epochs),
        "--training.max_steps",
        "0",
        "--training.eval_frequency",
        "200",
        "--training.patience",
        "0",
    ]
    results: dict[str, dict[str, Any]] = {}
    sp_cfg = work / "spacy.cfg"
    _run(
        [
            sys.executable,
            "-m",
            "spacy",
            "init",
            "config",
            str(sp_cfg),
            "--lang",
            task["lang"],
            "--pipeline",
            task["pipeline"],
            "--optimize",
            "efficiency",
            "--force",
        ],
        env,
        work / "spacy-init.log",
    )
    ck_cfg = work / "corpuskit.cfg"
    _run(
        [
            *_tool("corpuskit"),
            "init-config",
            str(ck_cfg),
            "--lang",
            task["lang"],
            "--pipeline",
            task["pipeline"],
        ],
        env,
        work / "ck-init.log",
    )
    if batch_words:
        _set_batch_words(sp_cfg, ("training", "batcher", "size"), batch_words)
        _set_batch_words(ck_cfg, ("training", "batch_size"), batch_words)
    train_cmds = {
        "spaCy": [
            sys.executable,
            "-m",
            "spacy",
            "train",
            str(sp_cfg),
            "--output",
            str(work / "spaCy-out"),
            "--paths.train",
            str(corpora["train"]),
            "--paths.dev",
            str(corpora["dev"]),
            *common,
        ],
        "corpuskit": [
            *_tool("corpuskit"),
            "train",
            str(corpora["train"]),
            str(corpora["dev"]),
            str(ck_cfg),
            "--output",
            str(work / "corpuskit-out"),
            *common,
        ],
    }
    eval_cmds = {
        "spaCy": [sys.executable, "-m", "spacy", "evaluate"],
        "corpuskit": [*_tool("corpuskit"), "evaluate"],
    }
    if parallel:
        walls = _run_parallel(train_cmds, env, work)
    else:
        walls = {tool: _run(cmd, env, work / f"{tool}-train.log") for tool, cmd in train_cmds.items()}
    for tool, wall in walls.items():
        scores_path = work / f"{tool}-scores.json"
        _run(
            [
                *eval_cmds[tool],
                str(work / f"{tool}-out" / "model-last"),
                str(corpora["dev"]),
                "--output",
                str(scores_path),
            ],
            env,
            work / f"{tool}-eval.log",
        )
        results[tool] = {
            "wall": wall,
            "train_wps": train_words * epochs / wall,
            **json.loads(scores_path.read_text()),
        }
        print(f"[{name}] {tool}: trained in {wall:.0f} s", flush=True)
    print((work / "corpuskit-train.log").read_text()[-2000:], flush=True)
    return results


def _run_parallel(cmds: dict[str, list[str]], env: dict[str, str], work: Path) -> dict[str, float]:
    """Run the commands at the same time (same machine load for both); wall time of each."""
    procs = {}
    start = time.perf_counter()
    for tool, cmd in cmds.items():
        fh = (work / f"{tool}-train.log").open("w")
        procs[tool] = (subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env), fh)
    walls: dict[str, float] = {}
    while len(walls) < len(procs):
        for tool, (proc, fh) in procs.items():
            if tool not in walls and proc.poll() is not None:
                walls[tool] = time.perf_counter() - start
                fh.close()
                if proc.returncode != 0:
                    log = (work / f"{tool}-train.log").read_text()[-3000:]
                    raise SystemExit(f"{tool} training failed ({proc.returncode}):\n{log}")
        time.sleep(0.5)
    return walls


def _table(name: str, results: dict[str, dict[str, Any]], epochs: int) -> str:
    keys = TASKS[name]["scores"]
    head = ["tool", *keys, "train wall s", "train words/s", "infer words/s"]
    rows = []
    for tool in ("spaCy", "corpuskit"):
        r = results[tool]
        rows.append(
            [
                tool,
                *(f"{100 * r[k]:.1f}" if r.get(k) is not None else "-" for k in keys),
                f"{r['wall']:.0f}",
                f"{r['train_wps']:,.0f}",
                f"{r['speed']:,.0f}",
            ]
        )
    ck, sp = results["corpuskit"], results["spaCy"]
    rows.append(
        [
            "ratio ck/spaCy",
            *("" for _ in keys),
            f"{ck['wall'] / sp['wall']:.2f}",
            f"{ck['train_wps'] / sp['train_wps']:.2f}",
            f"{ck['speed'] / sp['speed']:.2f}",
        ]
    )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    lines = [
        f"## {name} ({TASKS[name]['pipeline']}), {epochs} epoch(s)",
        "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += [
        "| " + " | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) + " |" for row in rows
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--task", default="ewt,ner", help="comma-separated: ewt, ner")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads for both tools")
    parser.add_argument(
        "--batch-words", type=int, default=0, help="fixed batch size in words (0: each default)"
    )
    parser.add_argument("--train-fraction", type=float, default=1.0, help="share of the training sentences")
    parser.add_argument("--parallel", action="store_true", help="train both tools at the same time")
    args = parser.parse_args()
    print(compile_corpuskit())
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
        env[var] = str(args.threads)
    tables = []
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        for name in args.task.split(","):
            results = run_task(
                name.strip(),
                args.data,
                Path(tmp),
                args.epochs,
                env,
                args.batch_words,
                args.train_fraction,
                args.parallel,
            )
            tables.append(_table(name.strip(), results, args.epochs))
            print(tables[-1], flush=True)
    print("\n\n".join(tables))


if __name__ == "__main__":
    main()
