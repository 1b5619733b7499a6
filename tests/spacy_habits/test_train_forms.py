"""`corpuskit train` as a spaCy user types it: configs from `spacy init config` (spaCy is the test
oracle), both command forms, --paths overrides, every config problem in one message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from corpuskit.cli import cli
from corpuskit.corpus import read_corpus
from corpuskit.docbin import write_docbin
from corpuskit.errors import ConfigError
from corpuskit.train.config import read_config, validate_config

pytest.importorskip("spacy")

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
EWT_TRAIN = FIXTURES / "train" / "ewt-train-40.conllu"
EWT_DEV = FIXTURES / "train" / "ewt-dev-15.conllu"
NER = FIXTURES / "train" / "wikiner-en-60.iob"
# Small and quick: the config's own settings are proven mapped by test_spacy_config_maps_*.
FAST = [
    "--training.max_epochs",
    "1",
    "--training.max_steps",
    "2",
    "--components.tok2vec.model.encode.width",
    "16",
    "--components.tok2vec.model.encode.depth",
    "1",
]


def spacy_config(tmp: Path, pipeline: str, preset: str = "efficiency") -> Path:
    """A config written by spaCy's own `spacy init config`."""
    out = tmp / f"{pipeline.replace(',', '-')}-{preset}.cfg"
    cmd = [sys.executable, "-m", "spacy", "init", "config", "-p", pipeline, "-o", preset, "-F", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("corpora")
    out = {}
    for name, path, conv in (("train", EWT_TRAIN, "conllu"), ("dev", EWT_DEV, "conllu"), ("ner", NER, "iob")):
        docs = list(read_corpus(path, converter=conv))
        if name == "ner":
            write_docbin(docs[:40], tmp / "ner-train.spacy")
            write_docbin(docs[40:], tmp / "ner-dev.spacy")
        else:
            write_docbin(docs, tmp / f"{name}.spacy")
    out = {k: tmp / f"{k}.spacy" for k in ("train", "dev", "ner-train", "ner-dev")}
    return out


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["train", *map(str, args)])
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("preset", ["efficiency", pytest.param("accuracy", marks=pytest.mark.slow)])
@pytest.mark.parametrize("pipeline", ["tagger", "parser", "ner", "tagger,parser"])
def test_a_spacy_config_trains_in_both_forms(
    tmp_path: Path, corpora: dict[str, Path], pipeline: str, preset: str
) -> None:
    cfg = spacy_config(tmp_path, pipeline, preset)
    train, dev = (
        (corpora["ner-train"], corpora["ner-dev"])
        if pipeline == "ner"
        else (corpora["train"], corpora["dev"])
    )
    # spaCy v3's form
    code, _, err = _run(
        cfg, "--paths.train", train, "--paths.dev", dev, "--output", tmp_path / "a", *FAST, "--no-validate"
    )
    assert code == 0, err
    assert err.count("Ignored: these spaCy settings") == 1 and err.count("[system] gpu_allocator") == 1
    assert (tmp_path / "a" / "model-best" / "config.cfg").is_file()
    # corpuskit's form, the config last, then first (found by its content)
    for args in ((train, dev, cfg), (cfg, train, dev)):
        code, _, err = _run(*args, "--output", tmp_path / "b", *FAST, "--no-validate")
        assert code == 0, err
    if preset == "accuracy":
        assert "include_static_vectors" in err


def test_paths_overrides_take_effect(tmp_path: Path, corpora: dict[str, Path]) -> None:
    cfg = spacy_config(tmp_path, "tagger")
    # --paths.train picks the corpus: the dev corpus (15 docs) as the training corpus
    code, _, err = _run(
        cfg, "--paths.train", corpora["dev"], "--paths.dev", corpora["dev"], *FAST, "--no-validate"
    )
    assert code == 0, err
    assert "on 15 docs, evaluating on 15 docs" in err
    # [paths] written into the config itself work too
    text = cfg.read_text().replace("train = null", f'train = "{corpora["train"]}"')
    text = text.replace("dev = null", f'dev = "{corpora["dev"]}"')
    cfg.write_text(text)
    code, _, err = _run(cfg, *FAST, "--no-validate")
    assert code == 0 and "on 40 docs, evaluating on 15 docs" in err
    # in the TRAIN DEV CONFIG form a disagreeing --paths.train is refused, never ignored
    code, _, err = _run(corpora["train"], corpora["dev"], cfg, "--paths.train", corpora["dev"], *FAST)
    assert code == 2 and "--paths.train" in err and "disagree" in err
    code, _, err = _run(
        corpora["train"], corpora["dev"], cfg, "--paths.train", corpora["train"], *FAST, "--no-validate"
    )
    assert code == 0, err


def test_a_config_with_five_problems_gets_one_message_before_data_is_read(tmp_path: Path) -> None:
    cfg = spacy_config(tmp_path, "tagger,ner")
    text = cfg.read_text()
    text = text.replace('factory = "ner"', 'factory = "textcat"')  # 1: no corpuskit equivalent
    text = text.replace(
        "before_update = null", 'before_update = {"@callbacks": "my.cb.v1"}'
    )  # 2: custom code
    text = text.replace("frozen_components = []", 'frozen_components = ["tagger"]')  # 3
    text = text.replace(
        '@batchers = "spacy.batch_by_words.v1"', '@batchers = "spacy.batch_by_sequence.v1"'
    )  # 4
    text = text.replace(
        '@architectures = "spacy.Tok2Vec.v2"', '@architectures = "spacy-transformers.TransformerModel.v3"'
    )  # 5
    text += '\n[code]\npath = "functions.py"\n'  # 6: custom code
    cfg.write_text(text)
    broken = FIXTURES / "conllu" / "broken_column_count.conllu"  # reading it would fail differently
    code, _, err = _run(broken, broken, cfg, "--output", tmp_path / "o")
    assert code == 2
    for needle in (
        "textcat",
        "before_update",
        "frozen_components",
        "batch_by_sequence",
        "transformers",
        "[code]",
    ):
        assert needle in err, needle
    assert "6 problems" in err and err.count("corpuskit: error") == 1
    assert "broken_column_count" not in err  # the data was not read


def test_corpuskit_config_validation_reports_every_error(tmp_path: Path) -> None:
    code, _, err = _run(
        EWT_TRAIN, EWT_DEV, "--training.max_epochs", "x", "--training.dropout", "2", "--nlp.batch_size", "0"
    )
    assert code == 2 and "3 problems" in err
    for needle in ("max_epochs", "dropout", "batch_size"):
        assert needle in err
    cfg = tmp_path / "c.cfg"
    assert CliRunner().invoke(cli, ["init-config", "-p", "tagger", str(cfg)]).exit_code == 0
    text = (
        cfg.read_text()
        .replace("patience = 1600", "patience = -1\nmax_epoch = 3")
        .replace("[nlp]", "[nlp]\nfoo = 1")
    )
    cfg.write_text(text)
    with pytest.raises(ConfigError) as info:
        validate_config(read_config(cfg)[0])
    assert "3 problems" in str(info.value) and "did you mean 'max_epochs'" in str(info.value)


def test_a_typo_gets_did_you_mean(tmp_path: Path, corpora: dict[str, Path]) -> None:
    code, _, err = _run(corpora["train"], corpora["dev"], "--training.max_epoch", "1")
    assert code == 2 and "did you mean 'max_epochs'" in err
    cfg = spacy_config(tmp_path, "tagger")
    code, _, err = _run(
        cfg, "--paths.train", corpora["train"], "--paths.dev", corpora["dev"], "--training.max_epoch", "1"
    )
    assert code == 2 and "did you mean 'max_epochs'" in err
    code, _, err = _run(cfg, "--paths.trian", corpora["train"])
    assert code == 2 and "did you mean 'train'" in err
    # an override of a setting corpuskit ignores is refused, not ignored
    code, _, err = _run(cfg, "--paths.train", corpora["train"], "--training.logger.progress_bar", "true")
    assert code == 2 and "--training.logger.progress_bar" in err and "would be ignored" in err


def test_misuse_is_exit_2_with_a_hint_never_a_config_read_as_a_corpus(
    tmp_path: Path, corpora: dict[str, Path]
) -> None:
    cfg = spacy_config(tmp_path, "tagger")
    code, _, err = _run(cfg, "--output", tmp_path / "o")  # no corpora anywhere
    assert code == 2 and "--paths.train" in err
    code, _, err = _run(corpora["train"], corpora["dev"], corpora["dev"])  # three, none a config
    assert code == 2 and "none of" in err and "[section]" in err
    code, _, err = _run(cfg, cfg, corpora["train"])
    assert code == 2 and "more than one config" in err
    code, _, err = _run(cfg, corpora["train"])
    assert code == 2 and "one corpus given" in err
    code, _, err = _run(corpora["train"])
    assert code == 2 and "none of" in err and "is a config file" in err
    assert "corpus-unreadable" not in err and "few-docs" not in err


def test_spacy_config_maps_every_setting(tmp_path: Path) -> None:
    cfg = spacy_config(tmp_path, "tagger,parser,ner", "accuracy")
    text = cfg.read_text()
    for old, new in (
        ("dropout = 0.1", "dropout = 0.25"),
        ("patience = 1600", "patience = 77"),
        ("max_steps = 20000", "max_steps = 321"),
        ("eval_frequency = 200", "eval_frequency = 33"),
        ("seed = 0", "seed = 5"),
        ("learn_rate = 0.001", "learn_rate = 0.002"),
        ("label_smoothing = 0.05", "label_smoothing = 0.1"),
    ):
        assert old in text
        text = text.replace(old, new)
    cfg.write_text(text)
    ours, ignored = read_config(cfg, overrides={"training.max_epochs": 4, "paths.train": "t.spacy"})
    validate_config(ours)
    t = ours["training"]
    assert (t["dropout"], t["patience"], t["max_steps"], t["eval_frequency"], t["max_epochs"]) == (
        0.25,
        77,
        321,
        33,
        4,
    )
    assert t["seed"] == 5 and ours["system"]["seed"] == 5 and ours["paths"]["train"] == "t.spacy"
    assert t["optimizer"]["learn_rate"] == 0.002 and t["optimizer"]["@optimizers"] == "Adam.v1"
    assert t["batch_size"]["@schedules"] == "compounding.v1" and t["batch_size"]["stop"] == 1000
    assert t["score_weights"]["tag_acc"] == 0.33 and "ents_per_type" not in t["score_weights"]
    encode = ours["components"]["tok2vec"]["model"]["encode"]
    assert (encode["width"], encode["depth"]) == (256, 8)  # the accuracy preset's
    embed = ours["components"]["tok2vec"]["model"]["embed"]
    assert embed["rows"] == [5000, 1000, 2500, 2500] and embed["width"] == 256
    assert ours["components"]["tagger"]["label_smoothing"] == 0.1
    assert ours["components"]["parser"]["model"]["hidden_width"] == 128
    ner = ours["components"]["ner"]["model"]
    assert (ner["hidden_width"], ner["maxout_pieces"]) == (64, 2)
    assert ours["nlp"]["lang"] == "en"
    notes = "\n".join(ignored)
    assert notes.count("gpu_allocator") == 2  # [system] and [training], each once
    assert len(ignored) == len({n.split("]")[0] for n in ignored})  # one note per section


def test_a_config_is_recognised_by_content_and_no_corpus_is_taken_for_one(tmp_path: Path) -> None:
    from corpuskit.train.config import is_config_file

    assert is_config_file(spacy_config(tmp_path, "tagger"))
    renamed = tmp_path / "train.conllu"  # a config under a corpus name is still a config
    renamed.write_text("# written by hand\n\n" + (tmp_path / "tagger-efficiency.cfg").read_text())
    assert is_config_file(renamed)
    corpora = [
        EWT_TRAIN,
        NER,
        FIXTURES / "ner" / "spacy-training-data.json",
        FIXTURES / "ner" / "wnut17-dev.slice.conll",
        FIXTURES / "ner" / "germeval2014-dev.slice.tsv",
        FIXTURES / "jsonl",
    ]
    assert not any(is_config_file(p) for p in corpora)


def test_hostile_configs_get_one_line_naming_what_is_wrong(tmp_path: Path, corpora: dict[str, Path]) -> None:
    cases = {
        "[nlp]\nlang = \n[training\n": "line 3: cannot parse '[training'",
        "[training]\nmax_epochs = ${foo.bar}\n": "[training] max_epochs: ${foo.bar} names no setting",
        "[corpora]\n[training]\nmax_epochs = 1\n": "[training.batcher] is missing",
    }
    for i, (text, needle) in enumerate(cases.items()):
        cfg = tmp_path / f"h{i}.cfg"
        cfg.write_text(text)
        code, _, err = _run(corpora["train"], corpora["dev"], cfg)
        assert code == 2 and needle in err, err
        assert "Config validation error" not in err and "Raw value" not in err
