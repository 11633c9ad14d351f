"""bash and zsh: POSIX single quoting, `export` and `unset`."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.envchange import EnvChange


def quote(value: str) -> str:
    """Single-quote `value`: inside '...' nothing is special but the quote itself."""
    return "'" + value.replace("'", "'\\''") + "'"


class PosixShell:
    def __init__(self, name: str) -> None:
        self.name = name

    def quote(self, value: str) -> str:
        return quote(value)

    def render(self, change: EnvChange, said: str = "") -> str:
        """The code the wrapper evals; `said`, a line for stderr, is printed by the shell once
        the role is active (a shell that refuses the names never shows it)."""
        if change.empty:
            return ""
        lines = [f"__stsenv_save {' '.join(change.names)}"]
        # `\builtin`: a user's alias or function named export/unset never sees the values.
        lines += [f"\\builtin export {name}={quote(value)}" for name, value in change.sets.items()]
        if change.unsets:
            lines.append(f"\\builtin unset {' '.join(change.unsets)}")
        lines.append("__stsenv_activate")
        if said:
            lines[-1] += f" && \\builtin printf '%s\\n' {quote(said)} >&2"
        return "\n".join(lines) + "\n"
