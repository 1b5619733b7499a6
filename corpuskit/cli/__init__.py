"""The ``corpuskit`` command: a thin click layer over the library. Only this package prints."""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import signal
import sys
from typing import Any, NoReturn

import click

from .. import __version__
from ..errors import CorpusError

__all__ = ["BUG_URL", "EXIT_FINDINGS", "EXIT_INTERNAL", "EXIT_INTERRUPTED", "EXIT_MISUSE", "cli", "main"]

#: Exit codes of every command (README, docs/cli.md): 0 clean, then these.
EXIT_FINDINGS = 1
EXIT_MISUSE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
BUG_URL = "the corpuskit issue tracker"

# command name -> "module:attribute"; modules load only when their command runs.
_COMMANDS = {
    "convert": "corpuskit.cli.convert:convert_cli",
    "debug-data": "corpuskit.cli.debug_data:debug_data_cli",
    "debug": "corpuskit.cli.debug_data:debug_group",
    "check": "corpuskit.cli.check:check_cli",
    "init-config": "corpuskit.cli.train:init_config_cli",
    "train": "corpuskit.cli.train:train_cli",
    "evaluate": "corpuskit.cli.train:evaluate_cli",
    "apply-fixes": "corpuskit.cli.apply_fixes:apply_fixes_cli",
    "find-errors": "corpuskit.cli.find_errors:find_errors_cli",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        cmd = getattr(importlib.import_module(module), attr)
        assert isinstance(cmd, click.Command)
        return cmd

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CorpusError as e:
            click.echo(f"corpuskit: error: {e}", err=True)
            ctx.exit(EXIT_MISUSE)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            _interrupted()
        except OSError as e:
            if e.errno == errno.EPIPE:  # the reader of stdout went away (| head): not an error
                _quiet_stdout()
                ctx.exit(0)
            click.echo(f"corpuskit: error: {_os_error(e)}", err=True)
            ctx.exit(EXIT_MISUSE)
        except Exception as e:
            if os.environ.get("CORPUSKIT_DEBUG"):
                raise
            where = f" (while handling {_file_of(e)})" if _file_of(e) else ""
            click.echo(
                f"corpuskit: internal error: {type(e).__name__}: {_one_line(e)}{where}; this is a bug, "
                f"please report it to {BUG_URL} with the command you ran "
                "(CORPUSKIT_DEBUG=1 shows the traceback)",
                err=True,
            )
            ctx.exit(EXIT_INTERNAL)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="corpuskit")
def cli() -> None:
    """Convert, check and train on annotated NLP corpora (spaCy's .spacy format)."""


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:300] or "(no message)"


def _file_of(e: BaseException) -> str | None:
    """The file an exception was about, where it says (OSError, a located error)."""
    for attr in ("filename", "path"):
        value = getattr(e, attr, None)
        if value:
            return str(value)
    return None


def _os_error(e: OSError) -> str:
    what = e.strerror or _one_line(e)
    return f"{e.filename}: {what}" if e.filename else what


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def _quiet_stdout() -> None:
    """After a broken pipe, stop Python from failing again when it flushes stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


_signals: list[int] = []


def _interrupted() -> NoReturn:
    if _signals:  # SIGTERM: 128 + 15, as a shell reports a process killed by it
        click.echo("corpuskit: terminated", err=True)
        sys.exit(128 + _signals[0])
    click.echo("corpuskit: interrupted", err=True)
    sys.exit(EXIT_INTERRUPTED)


def _on_sigterm(signum: int, frame: Any) -> None:
    """SIGTERM unwinds like Ctrl-C, so that staged outputs are removed and workers stopped."""
    _signals.append(signum)
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    from ..console import setup_streams

    setup_streams()  # any console encoding: what it cannot show is written as \u2714
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        try:
            cli.main(prog_name="corpuskit")
        except KeyboardInterrupt:
            _interrupted()
    except SystemExit as e:
        # the run is over: a late Ctrl-C or SIGTERM must not break the interpreter's exit handlers
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        code = e.code if isinstance(e.code, int) else 1
        interrupted = code in (EXIT_INTERRUPTED, 128 + signal.SIGTERM)
        if interrupted or getattr(sys.modules.get("corpuskit.parts"), "abandoned", False):
            # interrupted, or worker processes were killed: the clean-up has run, and the exit
            # handlers would wait for a pool thread that may wait forever (or report the
            # interrupt a second time): leave with the exit code as it is
            _flush()
            os._exit(code)
        raise
