"""The segment as time runs out, in real bash, zsh and fish on a colour terminal: normal,
then the warning colour, then the urgent colour with one notice; NO_COLOR, the settings,
and a hostile format. The clock is moved with libfaketime; processes are counted with
strace (the prompt starts none, whatever it draws)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from support.shells import SHELLS, InteractiveShell

StartShell = Callable[..., InteractiveShell]

COLOUR_TERM = {"TERM": "xterm-256color"}
NOTICE = (
    "stsenv: {} expires in {}m — `stsenv refresh` to renew, "
    "`stsenv exec --server` for a job that must outlive it"
)
_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def segment_style(line: str, text: str) -> str:
    """normal / warning / urgent, from the SGR codes drawn right before `text` on the
    prompt line; and the colour must be switched off right after it."""
    if text.endswith("*"):  # "[s3Full *": whatever minutes are shown
        found = re.search(re.escape(text[:-1]) + r"\d+m\] ", line)
        text = found.group(0) if found else text
    at = line.find(text)
    assert at >= 0, f"{text!r} not in prompt line {line!r}"
    codes: list[str] = []
    before = line[:at]
    while (match := re.search(r"\x1b\[([0-9;]*)m$", before)) is not None:
        codes = match.group(1).split(";") + codes
        before = before[: match.start()]
    after = line[at + len(text) :]
    if "31" in codes:
        assert "1" in codes, "urgent is bold red"
        style = "urgent"
    elif "33" in codes:
        style = "warning"
    else:
        return "normal"
    assert re.match(r"(\x1b\(B)?\x1b\[(0|39)?m", after), f"colour left on after {text!r}"
    return style


def seconds_left(minutes: int) -> int:
    """A clock offset that leaves a 15-minute role about `minutes` and a half."""
    return 15 * 60 - (minutes * 60 + 30)


def set_var(kind: str, name: str, value: str) -> str:
    if kind == "fish":
        return f"set -gx {name} '{value}'"
    return f"export {name}='{value}'"


@pytest.mark.parametrize("kind", SHELLS)
def test_segment_turns_warning_then_urgent_with_one_notice_and_no_process(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, {**aws_env, **COLOUR_TERM}, faketime=True)
    shown = shell.run("stsenv use s3Full --duration 15m")
    assert shown.status == "0", shown.output
    assert segment_style(shown.line, "[s3Full *") == "normal"

    with shell.count_processes() as created:
        shell.set_clock(seconds_left(9))
        shown = shell.run("")
        assert segment_style(shown.line, "[s3Full 9m] ") == "warning"
        assert "expires in" not in shown.output

        shell.set_clock(seconds_left(4))
        shown = shell.run("")
        assert segment_style(shown.line, "[s3Full 4m] ") == "urgent"
        assert shown.output.count(NOTICE.format("s3Full", 4)) == 1

        shown = shell.run("")  # the notice is said once
        assert segment_style(shown.line, "[s3Full 4m] ") == "urgent"
        shell.set_clock(seconds_left(3))
        shown = shell.run("")
        assert segment_style(shown.line, "[s3Full 3m] ") == "urgent"
        assert "expires in" not in shown.output
    assert created == []

    # Line editors must not count the colour codes: bash \[ \], zsh %F/%B (fish measures
    # its prompt itself).
    if kind == "bash":
        assert "\\[\\e[1;31m\\]" in (shell.variable("PS1") or "")
    elif kind == "zsh":
        assert "%B%F{red}" in (shell.variable("PS1") or "")

    shell.run(set_var(kind, "NO_COLOR", "1"))
    shell.set_clock(seconds_left(2))
    shown = shell.run("")
    assert segment_style(shown.line, "[s3Full 2m] ") == "normal"
    assert not re.search(r"\x1b\[(1;)?3[13]m", shown.line)


@pytest.mark.parametrize("kind", SHELLS)
def test_thresholds_are_settings_and_bad_ones_fall_back(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    settings = {"STSENV_WARN_MINUTES": "20", "STSENV_URGENT_MINUTES": "12"}
    shell = start_shell(kind, {**aws_env, **COLOUR_TERM, **settings}, faketime=True)
    shown = shell.run("stsenv use s3Full --duration 15m")
    assert segment_style(shown.line, "[s3Full *") == "warning"
    shell.set_clock(seconds_left(11))
    shown = shell.run("")
    assert segment_style(shown.line, "[s3Full 11m] ") == "urgent"
    assert shown.output.count(NOTICE.format("s3Full", 11)) == 1

    # Values that are not plain minutes mean the defaults (10 and 5), and run nothing.
    shell.run(set_var(kind, "STSENV_WARN_MINUTES", "a[$(touch pwned)]"))
    shell.run(set_var(kind, "STSENV_URGENT_MINUTES", "-1"))
    shell.set_clock(seconds_left(9))
    assert segment_style(shell.run("").line, "[s3Full 9m] ") == "warning"
    assert not (shell.home / "pwned").exists()


HOSTILE_FORMAT = "<{role}|{minutes}> $(touch pwned) `touch pwned` \\w %F{red} !! & {minutes}! "
PROMPT_OPTIONS = {
    "bash": ["", "shopt -u promptvars", "set -o posix"],
    "zsh": ["", "setopt prompt_subst prompt_bang"],
    "fish": [""],
}


@pytest.mark.parametrize(
    ("kind", "options"), [(k, o) for k, opts in PROMPT_OPTIONS.items() for o in opts]
)
def test_format_is_text_and_colours_wrap_it(
    kind: str, options: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    env = {**aws_env, **COLOUR_TERM, "STSENV_WARN_MINUTES": "90"}
    shell = start_shell(kind, env, before_hook=options)
    shell.run(set_var(kind, "STSENV_PROMPT_FORMAT", HOSTILE_FORMAT))
    shown = shell.run("stsenv use s3Full")
    minutes = re.search(r"<s3Full\|(\d+)>", shown.line)
    assert minutes, shown.line
    expected = HOSTILE_FORMAT.replace("{role}", "s3Full").replace("{minutes}", minutes.group(1))
    assert segment_style(shown.line, expected) == "warning"
    assert not (shell.home / "pwned").exists()
    # The segment variable stays the bare `<role> <minutes>m`, for custom prompts.
    assert shell.variable("STSENV_SEGMENT") == f"s3Full {minutes.group(1)}m"
    assert shell.variable("STSENV_SEGMENT_LEVEL") == "warning"
