"""Which shell this is (shellingham, the one wrapper of it) and the rc line that loads the
hook there."""

from __future__ import annotations

import os

from stsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def detect() -> str | None:
    """The name of the shell that runs us, or None when shellingham cannot tell."""
    import shellingham  # only `hook` without a name, `completion` and `doctor` pay for it

    try:
        name, _path = shellingham.detect_shell()
    except shellingham.ShellDetectionFailure:
        return None
    return str(name)


def detect_or_fail() -> str:
    name = detect()
    if name is None:
        raise UsageError("could not tell which shell this is: name it, e.g. `stsenv hook zsh`")
    return name


def rc_line(environ: Mapping[str, str]) -> str:
    """What to add to which rc file, for the user's login shell ($SHELL)."""
    shell = os.path.basename(environ.get("SHELL", "")) or "bash"
    if shell == "fish":
        return "`stsenv hook fish | source` to ~/.config/fish/config.fish"
    rc = "~/.zshrc" if shell == "zsh" else "~/.bashrc"
    return f'`eval "$(stsenv hook {"zsh" if shell == "zsh" else "bash"})"` to {rc}'
