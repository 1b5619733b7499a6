"""``corpuskit init-config``, ``train`` and ``evaluate``: thin layers over :mod:`corpuskit.train`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from ..errors import UsageError
from ..io import atomic_open, check_dir_path
from ..registry import converter_name
from .ray_options import RayCommand, check_ray_options, ray_options

__all__ = ["evaluate_cli", "init_config_cli", "train_cli"]

# One BLAS thread unless the user says otherwise (set before numpy loads): the models' matrix
# products are small enough that a second thread mostly waits, and on a shared machine it
# slows training down by half.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# score key -> table header, in the order the table shows them.
_SCORE_COLUMNS = [
    ("dep_uas", "UAS"),
    ("dep_las", "LAS"),
    ("ents_p", "NER P."),
    ("ents_r", "NER R."),
    ("ents_f", "NER F."),
    ("tag_acc", "Tag %"),
    ("pos_acc", "POS %"),
    ("morph_acc", "Morph %"),
]
_LOSS_ORDER = ["Dep Loss", "NER Loss", "Tag Loss"]


@click.command("init-config")
@click.argument("output", metavar="OUTPUT.cfg", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--pipeline", "-p", default="tagger,parser,ner", show_default=True, help="Comma-separated components."
)
@click.option("--lang", "-l", default="xx", show_default=True, help="Language code of the pipeline.")
def init_config_cli(output: Path, pipeline: str, lang: str) -> None:
    """Write a complete training config (every setting, no hidden defaults) to OUTPUT.cfg ('-': stdout)."""
    from ..train.config import default_config

    names = [p.strip() for p in pipeline.split(",") if p.strip()]
    text = default_config(names, lang=lang).to_str()
    if str(output) == "-":
        click.echo(text)
        return
    with atomic_open(output, "w") as f:
        f.write(text + "\n")
    click.echo(
        f"Wrote {output} (pipeline: tok2vec, {', '.join(n for n in names if n != 'tok2vec')})", err=True
    )


_SPACY_VERBOSE = ("-V", "-VV", "--verbose")


def _converter(_ctx: Any, _param: Any, value: str) -> str:
    """``-c``: the corpus format (spaCy's converter names too); spaCy's ``-c code.py`` is refused."""
    if value.endswith(".py"):
        raise UsageError(
            f"-c {value}: here -c names the corpus format; corpuskit runs no custom code (spaCy's --code)"
        )
    return converter_name(value)


def _split_args(args: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Positional arguments and ``--section.key value`` overrides, in any order."""
    positional: list[str] = []
    overrides: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _SPACY_VERBOSE:
            i += 1  # spaCy's -V: corpuskit's training table already shows everything
            continue
        if arg.split("=")[0] in ("--code", "--code-path"):
            raise UsageError(
                f"{arg}: corpuskit runs no custom code (spaCy's --code); see docs/migrating-from-spacy.md"
            )
        if arg.startswith("--"):
            if "." not in arg.split("=")[0]:
                raise UsageError(
                    f"unknown option {arg!r}; config overrides look like --training.max_epochs 3"
                )
            overrides.append(arg)
            if "=" not in arg and i + 1 < len(args) and not args[i + 1].startswith("--"):
                overrides.append(args[i + 1])
                i += 1
        else:
            positional.append(arg)
        i += 1
    return positional, overrides


def _data_checks(check: Any, train_path: str, dev_path: str) -> None:
    """Print the data checks' outcome; exit 1 when they found errors."""
    if check.errors:
        click.echo(
            f"corpuskit: error: the data has {len(check.errors)} error(s); training refused:", err=True
        )
        for line in check.errors[:20]:
            click.echo(f"  {line}", err=True)
        if len(check.errors) > 20:
            click.echo(f"  ... and {len(check.errors) - 20} more", err=True)
        click.echo(
            f"See `corpuskit debug-data {train_path} {dev_path} --verbose`, "
            "or train anyway with --no-validate.",
            err=True,
        )
        sys.exit(1)
    if check.warnings:
        codes = sorted({w.split(":")[0] for w in check.warnings})
        click.echo(
            f"Data checks: {len(check.warnings)} warning(s) ({', '.join(codes)}); "
            f"see `corpuskit debug-data {train_path} {dev_path}`",
            err=True,
        )


def _fmt(value: Any, *, pct: bool = True) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.2f}" if pct else f"{value:.2f}"


def _corpus_paths(
    positional: list[str], overrides: dict[str, Any]
) -> tuple[str | None, str | None, str | None]:
    """TRAIN, DEV and CONFIG from the positional arguments, in either form, the config found by
    its content wherever it stands: ``CONFIG [--paths.train T --paths.dev D]`` (spaCy v3) or
    ``TRAIN DEV [CONFIG]``. TRAIN and DEV are None when they come from the config."""
    from ..train.config import is_config_file

    forms = "TRAIN DEV [CONFIG], or CONFIG --paths.train TRAIN --paths.dev DEV"
    if not positional or len(positional) > 3:
        raise UsageError(f"expected {forms}; got {len(positional)} argument(s): {positional}")
    for p in positional:
        if not Path(p).exists():
            raise UsageError(f"{p!r} does not exist (expected {forms})")
    configs = [p for p in positional if is_config_file(p)]
    corpora = [p for p in positional if p not in configs]
    if len(configs) > 1:
        raise UsageError(f"more than one config given ({', '.join(configs)}); expected {forms}")
    if len(positional) in (1, 3) and not configs:
        raise UsageError(
            f"expected {forms}; none of {', '.join(positional)} is a config file (a config's first "
            "line is a [section] header, as `corpuskit init-config` or `spacy init config` write)"
        )
    if len(corpora) == 1:
        raise UsageError(f"one corpus given ({corpora[0]}); expected {forms}")
    config = configs[0] if configs else None
    if not corpora:
        return None, None, config
    for key, value in (("paths.train", corpora[0]), ("paths.dev", corpora[1])):
        given = overrides.get(key)
        if given is not None and Path(str(given)) != Path(value):
            raise UsageError(
                f"--{key} {given} and the corpus argument {value} disagree; give each corpus once "
                f"(either {forms})"
            )
    return corpora[0], corpora[1], config


def _checked_config(
    config_path: str | None, overrides: dict[str, Any]
) -> tuple[str | None, str | None, list[str]]:
    """Validate the config with the overrides (every problem at once, before any data is read);
    return its [paths] train and dev and the notes on what a spaCy config had that is ignored."""
    from ..train.config import interpolate_config, read_config, validate_config

    cfg, ignored = read_config(config_path, overrides=overrides, interpolate=False)
    resolved = interpolate_config(cfg)
    validate_config(resolved)
    paths = resolved.get("paths") or {}
    train, dev = paths.get("train"), paths.get("dev")
    return (str(train) if train else None), (str(dev) if dev else None), ignored


@click.command(
    "train",
    cls=RayCommand,
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
)
@click.argument(
    "args",
    metavar="[CONFIG | TRAIN DEV [CONFIG]] [--paths.train T --paths.dev D] [--section.key VALUE ...]",
    nargs=-1,
    type=click.UNPROCESSED,
)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory for model-best and model-last (none: train and report, save nothing).",
)
@click.option(
    "--gpu-id", "-g", type=int, default=None, help="GPU to train on (default: [system] gpu; -1 = CPU)."
)
@click.option("--no-validate", is_flag=True, help="Train even if the debug-data checks find errors.")
@click.option(
    "--converter",
    "-c",
    default="auto",
    show_default=True,
    help="Format of TRAIN and DEV (spaCy's converter names ner and conllubio work too).",
    callback=_converter,
)
@ray_options
def train_cli(
    args: tuple[str, ...],
    output: Path | None,
    gpu_id: int | None,
    no_validate: bool,
    converter: str,
    ray_address: str | None,
    workers: int | None,
) -> None:
    """Train a pipeline on TRAIN, evaluating on DEV (.spacy files or dirs, or any corpus format).

    Both forms work: `train TRAIN DEV [CONFIG]` and spaCy's `train CONFIG --paths.train T
    --paths.dev D`; the config (corpuskit's, or one `spacy init config` wrote) is found by its
    content. CONFIG defaults to the config init-config writes for the annotation TRAIN has.
    Overrides such as --training.max_epochs 3 change single settings; an unknown key is refused.
    """
    from ..train.config import parse_overrides
    from ..train.loop import train_pipeline
    from ..train.run import check_corpus, setup_training

    ray_address = check_ray_options(ray_address, workers)
    if output is not None:
        check_dir_path(output)  # OUTPUT below a file is refused now, not after training
    positional, override_args = _split_args(args)
    overrides = parse_overrides(override_args)
    train_path, dev_path, config_path = _train_inputs(positional, overrides)
    if not no_validate:
        _data_checks(check_corpus(train_path, dev_path, converter=converter), train_path, dev_path)
    setup = setup_training(
        train_path, dev_path, config_path, overrides=overrides, gpu_id=gpu_id, converter=converter
    )
    nlp = setup.nlp
    click.echo(
        f"Training {', '.join(nlp.pipe_names)} on {len(setup.train_docs):,} docs, evaluating on "
        f"{len(setup.dev_docs):,} docs ({setup.device}); "
        + (f"saving to {output}" if output is not None else "saving nothing (no --output)"),
        err=True,
    )
    table = _ProgressTable(nlp.components, setup.device)
    best = None
    if ray_address is not None:
        from ..train.dataparallel import train_data_parallel

        click.echo(f"Data-parallel on {workers or 2} Ray workers (--ray {ray_address})", err=True)
        infos = train_data_parallel(
            nlp, setup.train_docs, setup.dev_docs, setup.settings,
            workers=workers or 2, ray=ray_address, output_dir=output,
        )  # fmt: skip
    else:
        infos = train_pipeline(nlp, setup.train_docs, setup.dev_docs, setup.settings, output_dir=output)
    for info in infos:
        table.row(info)
        if info.is_best:
            best = info
    if best is not None and output is not None:
        click.echo(
            f"Saved model-best (score {best.score * 100:.2f}, step {best.step}) and model-last in {output}",
            err=True,
        )


def _train_inputs(positional: list[str], overrides: dict[str, Any]) -> tuple[str, str, str | None]:
    """TRAIN, DEV (from the arguments or the config's [paths]) and CONFIG, all checked; the
    spaCy settings the config had that are ignored are listed on stderr."""
    train_arg, dev_arg, config_path = _corpus_paths(positional, overrides)
    train_cfg, dev_cfg, ignored = _checked_config(config_path, overrides)
    train_path, dev_path = train_arg or train_cfg, dev_arg or dev_cfg
    if train_path is None or dev_path is None:
        missing = "--paths.train" if train_path is None else "--paths.dev"
        raise UsageError(
            f"no {'training' if train_path is None else 'development'} corpus: give {missing} PATH"
        )
    for p in (train_path, dev_path):
        if not Path(p).exists():
            raise UsageError(f"corpus {p!r} does not exist")
    if ignored:
        click.echo("Ignored: these spaCy settings have no corpuskit equivalent:", err=True)
        for note in ignored:
            click.echo(f"  {note}", err=True)
    return train_path, dev_path, config_path


class _ProgressTable:
    """The training table on stdout: a header for the pipeline's losses and scores, a row per evaluation."""

    def __init__(self, components: Any, device: str) -> None:
        comps = {c.loss_column: c.name for c in components if c.loss_column}
        self.losses = [(col, comps[col]) for col in _LOSS_ORDER if col in comps]
        self.losses += [
            (c.loss_column, c.name) for c in components if c.loss_column and c.loss_column not in _LOSS_ORDER
        ]
        keys = {k for c in components for k in c.scores_keys}
        self.scores = [(k, h) for k, h in _SCORE_COLUMNS if k in keys]
        headers = [
            "E",
            "#",
            *(h for h, _ in self.losses),
            *(h for _, h in self.scores),
            "Token %",
            f"{device} WPS",
            "Score",
        ]
        self.widths = [max(len(h), 6) for h in headers]
        self.widths[0], self.widths[1] = 3, 7
        click.echo("  ".join(h.rjust(w) for h, w in zip(headers, self.widths, strict=True)))
        click.echo("  ".join("-" * w for w in self.widths))

    def row(self, info: Any) -> None:
        row = [str(info.epoch), str(info.step)]
        row += [f"{info.losses.get(name, 0.0):.2f}" for _, name in self.losses]
        row += [_fmt(info.scores.get(k)) for k, _ in self.scores]
        row += [_fmt(info.scores.get("token_acc")), f"{info.scores.get('speed', 0):,.0f}", _fmt(info.score)]
        click.echo("  ".join(v.rjust(w) for v, w in zip(row, self.widths, strict=True)))


def _print_scores(scores: dict[str, Any]) -> None:
    names = [
        ("token_acc", "TOK"),
        ("tag_acc", "TAG"),
        ("pos_acc", "POS"),
        ("morph_acc", "MORPH"),
        ("dep_uas", "UAS"),
        ("dep_las", "LAS"),
        ("sents_p", "SENT P"),
        ("sents_r", "SENT R"),
        ("sents_f", "SENT F"),
        ("ents_p", "NER P"),
        ("ents_r", "NER R"),
        ("ents_f", "NER F"),
    ]
    for key, label in names:
        if scores.get(key) is not None:
            click.echo(f"{label:<8}{scores[key] * 100:8.2f}")
    click.echo(f"{'SPEED':<8}{scores.get('speed', 0):8.0f}")
    for key, title in (("ents_per_type", "NER (per type)"), ("dep_las_per_type", "LAS (per type)")):
        table = scores.get(key)
        if table:
            click.echo(f"\n{title}\n{'':<12}{'P':>8}{'R':>8}{'F':>8}")
            for label, prf in table.items():
                click.echo(f"{label:<12}{prf['p'] * 100:8.2f}{prf['r'] * 100:8.2f}{prf['f'] * 100:8.2f}")


@click.command("evaluate")
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the scores as JSON here.",
)
@click.option("--gold-preproc", "-G", is_flag=True, help="Use the gold tokens instead of the tokenizer's.")
@click.option("--gpu-id", "-g", type=int, default=-1, show_default=True, help="GPU to run on (-1 = CPU).")
@click.option(
    "--converter", "-c", default="auto", show_default=True, help="Format of DATA.", callback=_converter
)
def evaluate_cli(
    model: Path, data: Path, output: Path | None, gold_preproc: bool, gpu_id: int, converter: str
) -> None:
    """Score MODEL on DATA: spaCy's metric names, values 0-1 in the JSON, percentages on screen."""
    import srsly

    from ..train.run import evaluate_model

    scores = evaluate_model(model, data, gold_preproc=gold_preproc, gpu_id=gpu_id, converter=converter)
    _print_scores(scores)
    if output is not None:
        with atomic_open(output, "w") as f:
            f.write(srsly.json_dumps(scores, indent=2) + "\n")
        click.echo(f"Wrote {output}", err=True)
