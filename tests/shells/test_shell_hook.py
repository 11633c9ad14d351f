"""The hook in real interactive bash, zsh and fish, driving the real program against the
local AWS world: use, the prompt, clear, expiry, and the user's own shell set-up."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from support.shells import SHELLS, InteractiveShell, expect_role_prompt, shell_env

StartShell = Callable[..., InteractiveShell]

EXPIRED = "stsenv: role {} expired; its credentials were cleared"
# A role alias that would run code, or draw something else, if the prompt expanded it.
HOSTILE_ROLE = "x$(touch pwned)`touch pwned`\\w%F{red}!"
# Baseline values that break naive quoting; unset and empty must stay distinct.
HOSTILE_BASELINE = {
    "AWS_SECURITY_TOKEN": 'it\'s "quoted" $(touch pwned) `touch pwned` \\ trailing\\',
    "AWS_SESSION_EXPIRATION": "line1\nline2\n\t%F{red}!! \x7f caf\u00e9 \u2603",
    "AWS_DEFAULT_REGION": "",
}


def managed(environ: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k.startswith(("AWS_", "STSENV_"))}


def function(kind: str, name: str, body: str) -> str:
    if kind == "fish":
        return f"function {name}; {body}; end"
    return f"{name}() {{ {body}; }}"


def prompt_text(shell: InteractiveShell) -> str | None:
    """What the user's prompt is made of: PS1 in bash/zsh; in fish, fish_prompt's body and
    what it prints (a function copied back says "Defined interactively": only that differs)."""
    if shell.kind != "fish":
        return shell.variable("PS1")
    shell.reads += 1
    body, drawn = shell.workdir / f"prompt-{shell.reads}", shell.workdir / f"drawn-{shell.reads}"
    shell.run(f"functions fish_prompt > {body}; fish_prompt > {drawn}")
    lines = body.read_text().splitlines(keepends=True)
    drawn_text = re.sub(re.escape(shell.marker) + r":\d+:", "", drawn.read_text())
    return "".join(line for line in lines if not line.startswith("# Defined")) + drawn_text


def with_alias(aws_env: dict[str, str], tmp_path: Path, alias: str) -> dict[str, str]:
    """aws_env whose stsenv config also has `alias` for the tutorial's role."""
    config = tmp_path / "stsenv-config.toml"
    text = Path(aws_env["STSENV_CONFIG"]).read_text()
    key = alias.replace("\\", "\\\\").replace('"', '\\"')
    text += (
        f'\n[roles."{key}"]\nrole_name = "s3FullforAssumeRole"\n'
        'source_profile = "taro-prjZ"\nregion = "ap-northeast-1"\n'
    )
    config.write_text(text)
    return {**aws_env, "STSENV_CONFIG": str(config)}


@pytest.mark.parametrize("kind", SHELLS)
def test_hook_loads_silently_even_twice(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    hook = "stsenv hook fish | source" if kind == "fish" else f'eval "$(stsenv hook {kind})"'
    shell = start_shell(kind, aws_env, after_hook=hook)  # the rc loads the hook twice
    noise = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]|[\s#%\u23ce]", "", shell.first.output)
    assert noise == ""
    assert "stsenv" not in shell.first.line
    shown = shell.run("stsenv use s3Full")
    assert shown.status == "0"
    expect_role_prompt(shown.line)  # the segment once: the prompt hook was added once


@pytest.mark.parametrize("kind", SHELLS)
def test_use_then_clear_gives_back_a_hostile_baseline(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, {**aws_env, **HOSTILE_BASELINE})
    before = shell_env(shell.environ())
    prompt_before = prompt_text(shell)
    for name, value in HOSTILE_BASELINE.items():
        assert before[name] == value

    shown = shell.run("stsenv use s3Full")
    assert shown.status == "0", shown.output
    assert 59 <= expect_role_prompt(shown.line) <= 60
    active = shell.environ()
    assert active["STSENV_ROLE"] == "s3Full"
    assert active["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    for gone in ("AWS_PROFILE", "AWS_SECURITY_TOKEN", "AWS_SESSION_EXPIRATION"):
        assert gone not in active
    assert "STSENV_SEGMENT" not in active and not any(k.startswith("__stsenv") for k in active)
    segment = shell.variable("STSENV_SEGMENT")
    assert segment is not None and re.fullmatch(r"s3Full (59|60)m", segment)

    who = shell.run("aws sts get-caller-identity --query Arn --output text")
    assert "assumed-role/s3FullforAssumeRole/" in who.output

    # A second use switches roles and keeps the original baseline.
    shown = shell.run("stsenv use s3Full --duration 30m")
    assert shown.status == "0", shown.output
    assert 29 <= expect_role_prompt(shown.line) <= 30

    shown = shell.run("stsenv clear")
    assert shown.status == "0"
    assert shown.line == ""
    assert shell_env(shell.environ()) == before
    assert shell.variable("STSENV_SEGMENT") is None
    assert prompt_text(shell) == prompt_before
    assert not (shell.home / "pwned").exists()


@pytest.mark.parametrize("kind", SHELLS)
def test_failed_use_changes_nothing(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, aws_env)
    shell.run("stsenv use s3Full")
    before = shell_env(shell.environ())
    shown = shell.run("stsenv use no-such-alias-or-role")
    assert shown.status != "0"
    assert "stsenv: " in shown.output  # its one line (the echo says "stsenv use")
    assert shell_env(shell.environ()) == before
    assert shown.line.startswith("[s3Full ")


@pytest.mark.parametrize("kind", SHELLS)
def test_expiry_clears_the_role_at_the_next_prompt(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, {**aws_env, **HOSTILE_BASELINE}, faketime=True)
    before = shell_env(shell.environ())
    assert shell.run("stsenv use s3Full --duration 15m").status == "0"

    shell.set_clock(5 * 60)
    assert 9 <= expect_role_prompt(shell.run("").line) <= 10  # the minutes follow the clock

    shell.set_clock(15 * 60 + 1)
    shown = shell.run("")
    assert shown.output.count(EXPIRED.format("s3Full")) == 1
    assert shown.line == ""
    assert shell_env(shell.environ()) == before
    assert EXPIRED.format("s3Full") not in shell.run("").output  # said once


@pytest.mark.parametrize("kind", SHELLS)
def test_prompt_hook_spawns_no_process(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, aws_env, faketime=True)
    assert shell.run("stsenv use s3Full --duration 15m").status == "0"
    with shell.count_processes() as created:
        for _ in range(3):
            shell.run("")  # the same minute
        shell.set_clock(5 * 60)
        shell.run("")  # a new minute: the segment is redrawn
        shell.set_clock(16 * 60)
        expired = shell.run("")  # expiry: the baseline comes back
    assert EXPIRED.format("s3Full") in expired.output
    assert created == []
    # The same measurement sees a process when there is one.
    with shell.count_processes() as created:
        shell.run("/bin/true")
    assert created


@pytest.mark.parametrize("kind", SHELLS)
def test_status_and_existing_hooks_survive(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    record = "seen=$?" if kind != "fish" else "set -g seen $status"
    existing = {
        "bash": function("bash", "user_hook", record) + "\nPROMPT_COMMAND=user_hook",
        "zsh": function("zsh", "user_hook", record)
        + "\nautoload -Uz add-zsh-hook; add-zsh-hook precmd user_hook",
        "fish": "function user_hook --on-event fish_prompt; set -g seen $status; end",
    }[kind]
    shell = start_shell(
        kind, aws_env, before_hook=existing + "\n" + function(kind, "ret3", "return 3")
    )
    shell.run("stsenv use s3Full")
    shown = shell.run("ret3")
    assert shown.status == "3"
    assert shown.line.startswith("[s3Full ")
    assert shell.variable("seen") == "3"


def strict_settings(kind: str) -> str:
    """Users' own strictness and aliases named like the builtins the hook uses."""
    broken = "echo ALIASED"
    # (Not `eval`: the rc line that loads the hook is an eval.)
    names = ["local", "printf", "unset", "export", "command", "return", "builtin", "typeset"]
    aliases = "\n".join(f"alias {name}='{broken}'" for name in names)
    if kind == "bash":
        return f"set -euo pipefail\nshopt -s expand_aliases\n{aliases}"
    return f"setopt nounset err_exit warn_create_global\n{aliases}"


@pytest.mark.parametrize(
    ("kind", "prompt_command"), [("bash", "string"), ("bash", "array"), ("zsh", "")]
)
def test_strict_user_settings(
    kind: str, prompt_command: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    existing = ""
    if kind == "bash":
        existing = (
            "user_hook() { seen=$?; }\n"
            + ("PROMPT_COMMAND='user_hook;'" if prompt_command == "string" else "")
            + ("PROMPT_COMMAND=(user_hook)" if prompt_command == "array" else "")
        )
    shell = start_shell(
        kind, aws_env, before_hook=existing + "\n" + strict_settings(kind), after_hook=""
    )
    assert "ALIASED" not in shell.first.output
    before = shell_env(shell.environ())
    shown = shell.run("stsenv use s3Full")
    assert shown.status == "0", shown.output
    assert "ALIASED" not in shown.output
    expect_role_prompt(shown.line)
    shown = shell.run("false && true")  # $? is 1 at the prompt, and the shell lives on
    assert shown.status == "1"
    if kind == "bash":
        assert shell.variable("seen") == "1"
    shown = shell.run("stsenv clear")
    assert "ALIASED" not in shown.output
    assert shell_env(shell.environ()) == before


@pytest.mark.parametrize("kind", SHELLS)
def test_disable_prompt_keeps_the_segment_variable(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, aws_env)
    original = prompt_text(shell)
    fish = kind == "fish"
    setting = "set -gx STSENV_DISABLE_PROMPT 1" if fish else "export STSENV_DISABLE_PROMPT=1"
    unsetting = "set -e STSENV_DISABLE_PROMPT" if fish else "unset STSENV_DISABLE_PROMPT"
    shell.run(setting)
    shown = shell.run("stsenv use s3Full")
    assert shown.line == ""
    assert prompt_text(shell) == original
    assert (shell.variable("STSENV_SEGMENT") or "").startswith("s3Full ")
    target = shell.workdir / "stsenv_prompt"
    shell.run(f"stsenv_prompt > {target}")
    assert re.fullmatch(r"s3Full (59|60)m", target.read_text())
    expect_role_prompt(shell.run(unsetting).line)  # checked at every prompt
    assert shell.run(setting).line == ""
    assert prompt_text(shell) == original


PROMPT_OPTIONS = {
    "bash": ["", "shopt -u promptvars", "set -o posix"],
    "zsh": ["", "setopt prompt_subst", "setopt prompt_bang", "setopt prompt_subst prompt_bang"],
    "fish": [""],
}


@pytest.mark.parametrize(
    ("kind", "options"), [(k, o) for k, opts in PROMPT_OPTIONS.items() for o in opts]
)
def test_role_name_reaches_the_prompt_inert(
    kind: str, options: str, start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    shell = start_shell(kind, with_alias(aws_env, tmp_path, HOSTILE_ROLE), before_hook=options)
    original = prompt_text(shell)
    shown = shell.run(f"stsenv use '{HOSTILE_ROLE}'")
    assert shown.status in ("0", "$?"), shown.output  # "$?": promptvars is off
    expect_role_prompt(shown.line, HOSTILE_ROLE)
    assert not (shell.home / "pwned").exists()
    shell.run("stsenv clear")
    assert prompt_text(shell) == original
    assert not (shell.home / "pwned").exists()


def test_user_fish_prompt_is_kept_and_rewrapped(
    start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell("fish", aws_env)
    original = prompt_text(shell)
    shell.run("stsenv use s3Full")
    # The user's prompt still draws (with $status), after the segment.
    assert shell.run(function("fish", "ret3", "return 3")).line.startswith("[s3Full ")
    assert shell.run("ret3").status == "3"
    # A prompt redefined while the role is active is wrapped again.
    marker = shell.marker
    shell.run(
        f"function fish_prompt; printf '%s:%s:%s@@ ' {marker} $__test_prompts $status; "
        "printf 'NEW '; end"
    )
    lines = [shell.run("").line for _ in range(2)]
    assert lines[-1].startswith("[s3Full ")
    shell.run("stsenv clear")
    restored = prompt_text(shell) or ""
    assert "NEW" in restored  # the user's latest prompt, unwrapped
    assert "stsenv" not in restored and restored != original
