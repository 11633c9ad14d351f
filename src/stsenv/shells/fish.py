"""fish: its own quoting (POSIX's '\\'' is wrong here), `set -gx` and `set -e -g`."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.envchange import EnvChange


def quote(value: str) -> str:
    """Inside fish single quotes only backslash and the quote are special."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class FishShell:
    name = "fish"

    def quote(self, value: str) -> str:
        return quote(value)

    def render(self, change: EnvChange, said: str = "") -> str:
        """The code the wrapper evals; `said`, a line for stderr, is printed by the shell once
        the role is active (a shell that refuses the names never shows it)."""
        if change.empty:
            return ""
        lines = [f"__stsenv_save {' '.join(change.names)}"]
        lines += [f"set -gx {name} {quote(value)}" for name, value in change.sets.items()]
        # Global scope only: a universal variable of the user's is never erased.
        lines += [f"set -e -g {name}" for name in change.unsets]
        lines.append("__stsenv_activate")
        if said:
            lines[-1] += f" && builtin printf '%s\\n' {quote(said)} >&2"
        return "\n".join(lines) + "\n"
