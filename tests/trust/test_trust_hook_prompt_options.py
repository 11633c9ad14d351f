"""The prompt segment stays text under every prompt option, also when the options change
while a role is shown (issue: trust, second round, item 3).

bash expands PS1 when `promptvars` is on *or* in POSIX mode (whatever promptvars says);
zsh has PROMPT_SUBST, PROMPT_BANG and PROMPT_PERCENT. Every combination is switched on
before a `use` and again, one after the other, while the role is shown: the prompt must
show the hostile role name (or a hostile STSENV_PROMPT_FORMAT) as it is, and nothing in
it may run. A plain role name, which bash puts into PS1 as it is and then stops watching the
options for (shell/stsenv.bash __stsenv_draw), must show as it is under every one of them too.
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from support.shells import InteractiveShell
from support.trust import fish_quote

StartShell = Callable[..., InteractiveShell]

# Code for every kind of expansion, prompt escapes of both shells, history references.
HOSTILE_ROLE = "x$(touch pwned)`touch pwned`\\w%F{red}%~!!$HOME"
HOSTILE_FORMAT = "$(touch pwned)`touch pwned`\\u%n!!${HOME}<{role}|{minutes}> "


def option_sets(kind: str) -> list[str]:
    """A command per combination of the options that decide how the prompt is expanded."""
    if kind == "bash":
        return [
            f"shopt {'-s' if vars_ else '-u'} promptvars; set {'-o' if posix else '+o'} posix"
            for vars_, posix in itertools.product((True, False), repeat=2)
        ]
    if kind == "zsh":
        names = ("prompt_subst", "prompt_bang", "prompt_percent")
        return [
            "setopt " + " ".join(("" if on else "no_") + n for n, on in zip(names, o, strict=True))
            for o in itertools.product((True, False), repeat=3)
        ]
    return ["true"]  # fish prints the segment: no option expands it


def expected_line(hostile: str) -> re.Pattern[str]:
    if hostile == "role":
        return re.compile(re.escape(f"[{HOSTILE_ROLE} ") + r"\d+m\] ")
    if hostile == "plain":
        return re.compile(r"\[s3Full \d+m\] ")
    pieces = HOSTILE_FORMAT.split("{minutes}")
    return re.compile(r"\d+".join(re.escape(p.replace("{role}", "s3Full")) for p in pieces))


def with_alias(aws_env: dict[str, str], tmp_path: Path, alias: str) -> dict[str, str]:
    config = tmp_path / "stsenv-config.toml"
    key = alias.replace("\\", "\\\\").replace('"', '\\"')
    config.write_text(
        Path(aws_env["STSENV_CONFIG"]).read_text()
        + f'\n[roles."{key}"]\nrole_name = "s3FullforAssumeRole"\n'
        'source_profile = "taro-prjZ"\nregion = "ap-northeast-1"\n'
    )
    return {**aws_env, "STSENV_CONFIG": str(config)}


@pytest.mark.parametrize("hostile", ["role", "format", "plain"])
@pytest.mark.parametrize("kind", ["bash", "zsh", "fish"])
def test_segment_is_text_under_every_prompt_option_before_and_after_use(
    kind: str, hostile: str, start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    if hostile == "role":
        env, target = with_alias(aws_env, tmp_path, HOSTILE_ROLE), HOSTILE_ROLE
    elif hostile == "plain":
        env, target = aws_env, "s3Full"
    else:
        env, target = {**aws_env, "STSENV_PROMPT_FORMAT": HOSTILE_FORMAT}, "s3Full"
    shell = start_shell(kind, env)
    canary = shell.home / "pwned"
    original_ps1 = shell.variable("PS1") if kind != "fish" else None
    typed = fish_quote(target) if kind == "fish" else shlex.quote(target)
    shown_as = expected_line(hostile)
    sets = option_sets(kind)
    for before in sets:
        assert shell.run("stsenv clear").status in ("0", "$?", "%?")
        shell.run(before)
        shown = shell.run(f"stsenv use {typed}")
        assert shown.status in ("0", "$?", "%?"), shown.output
        assert shown_as.fullmatch(shown.line), (before, shown.line)
        assert not canary.exists(), f"ran with {before!r}"
        for after in sets:  # switched while the segment is shown
            shown = shell.run(after)
            assert shown_as.fullmatch(shown.line), (before, after, shown.line)
            assert not canary.exists(), f"ran after {before!r} then {after!r}"
    shell.run("stsenv clear")
    shell.run(sets[0])
    if original_ps1 is not None:
        assert shell.variable("PS1") == original_ps1
    assert not canary.exists()
