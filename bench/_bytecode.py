"""Byte-compile corpuskit before a benchmark times it, as an installed package is.

pip compiles a package's modules when it installs it, so spaCy runs from bytecode caches. An
editable checkout of corpuskit gets its caches on its first run, unless PYTHONDONTWRITEBYTECODE
is set (as on the development machine): then every run compiles every module it imports from
source, 0.2 s of start-up that a user's installation never pays. Python reads existing caches
even with that variable set, so compiling once here puts both tools on the same footing.
"""

from __future__ import annotations

import compileall
import importlib
import os


def compile_corpuskit() -> str:
    """Compile corpuskit's packages in place (``__pycache__``, git-ignored); say what was done."""
    names = ("corpuskit", "converters")
    for name in names:
        for folder in importlib.import_module(name).__path__:  # converters is a namespace package
            compileall.compile_dir(folder, quiet=1)
    flag = " (PYTHONDONTWRITEBYTECODE is set)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    return f"bytecode: {', '.join(names)} compiled, as pip compiles an installed package{flag}"
