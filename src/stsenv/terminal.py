"""Everything that talks to the person at the terminal: stdout belongs to the hook, which
evals it, so questions and the picker go to /dev/tty. Without a terminal, one clear line."""

from __future__ import annotations

from stsenv.errors import EnvironmentProblem, NotActive
from stsenv.inert import inert

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import IO

    from stsenv.settings import Settings


def _tty() -> tuple[IO[str], IO[str]]:
    """(reader, writer) on /dev/tty. Two streams: a terminal is not seekable, so
    open(..., "r+") would always fail. OSError when there is no terminal."""
    out = open("/dev/tty", "w", encoding="utf-8")  # noqa: SIM115 - closed by the caller
    try:
        return open("/dev/tty", encoding="utf-8"), out
    except OSError:
        out.close()
        raise


def ask(prompt: str) -> str:
    """Read one line from the terminal (an MFA code)."""
    try:
        tty, out = _tty()
    except OSError:
        raise EnvironmentProblem(
            "an MFA code is needed and there is no terminal to ask on: pass --token-code"
        ) from None
    with tty, out:
        out.write(inert(prompt))  # it names an MFA device of the AWS config
        out.flush()
        return tty.readline().strip()


def ask_secret(prompt: str) -> str:
    """Read one line from the terminal without echo (a secret access key)."""
    import termios

    try:
        tty, out = _tty()
    except OSError:
        raise EnvironmentProblem(
            "the secret is read from a terminal and there is none: pass --stdin and give the "
            "key id and the secret as two lines"
        ) from None
    with tty, out:
        out.write(prompt)
        out.flush()
        fd = tty.fileno()
        saved = termios.tcgetattr(fd)
        quiet = list(saved)
        quiet[3] &= ~termios.ECHO
        termios.tcsetattr(fd, termios.TCSAFLUSH, quiet)
        try:
            line = tty.readline()
        finally:
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
            out.write("\n")
        return line.strip()


def refuse(prompt: str) -> str:
    """The prompt hook's auto-refresh (STSENV_NO_INPUT=1) must not stop at a question."""
    raise EnvironmentProblem(
        "an MFA code is needed to renew this role, so it was not renewed automatically: "
        "run `stsenv refresh`"
    )


def asker(settings: Settings) -> Callable[[str], str]:
    return refuse if settings.no_input else ask


def pick(choices: Sequence[tuple[str, str]], what: str = "role") -> str | None:
    """Let the person choose one of (name, description) on the terminal; None when there
    is no terminal to pick on."""
    try:
        tty, out = _tty()
    except OSError:
        return None
    with tty, out:
        return _choose(choices, iter(tty.readline, None), out, what)


def _choose(
    choices: Sequence[tuple[str, str]], lines: Iterator[str], out: IO[str], what: str
) -> str:
    shown = list(choices)
    while True:
        for number, (name, description) in enumerate(shown, start=1):
            # Names come from config files: escape what a terminal would act on.
            line = inert(f"{name}  ({description})")
            out.write(f"  {number:>2}) {line}\n")
        out.write(f"{what} (number, or text to filter; empty to cancel)> ")
        out.flush()
        answer = next(lines, "")
        if not answer:
            raise KeyboardInterrupt  # end of input: nothing chosen
        text = answer.strip()
        if not text:
            raise NotActive(f"no {what} chosen; nothing was changed")
        if text.isdigit() and 1 <= int(text) <= len(shown):
            return shown[int(text) - 1][0]
        matches = [c for c in choices if text.lower() in c[0].lower()]
        if len(matches) == 1:
            return matches[0][0]
        if not matches:
            out.write(f"no {what} matches {text!r}\n")
        shown = matches or list(choices)
