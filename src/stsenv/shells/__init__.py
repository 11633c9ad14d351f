"""The registry of shells: how each quotes, sets and unsets, and where its hook file is."""

from __future__ import annotations

import os

from stsenv.errors import EnvironmentProblem, UsageError
from stsenv.shells.fish import FishShell
from stsenv.shells.posix import PosixShell

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Protocol

    from stsenv.envchange import EnvChange

    class Shell(Protocol):
        """For mypy only: what every class in SHELLS has (docs/DESIGN.md, "Changing the
        house"); at run time the registry holds plain classes and this name is undefined."""

        name: str

        def quote(self, value: str) -> str: ...

        def render(self, change: EnvChange, said: str = "") -> str: ...


SHELLS: dict[str, Shell] = {
    "bash": PosixShell("bash"),
    "zsh": PosixShell("zsh"),
    "fish": FishShell(),
}


def get(name: str) -> Shell:
    shell = SHELLS.get(name)
    if shell is None:
        raise UsageError(f"unsupported shell {name[:40]!r}: stsenv supports {', '.join(SHELLS)}")
    return shell


def hook_file(name: str) -> str:
    """shell/stsenv.<name>: inside the wheel (stsenv/shell/) or, for an editable
    install or a checkout, at the top of the source tree."""
    get(name)
    return _shell_file(f"stsenv.{name}")


def completion_file(name: str) -> str:
    """shell/completion/stsenv.<name>: the TAB-completion script, found like the hook."""
    get(name)
    return _shell_file(f"completion/stsenv.{name}")


def _shell_file(relative: str) -> str:
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    for folder in (package, os.path.dirname(os.path.dirname(package))):
        candidate = os.path.join(folder, "shell", relative)
        if os.path.isfile(candidate):
            return candidate
    raise EnvironmentProblem(
        f"shell/{relative} is missing from this installation: reinstall stsenv"
    )
