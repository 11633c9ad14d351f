"""Item 7 of issue 5, what tests/shells/test_shell_hook.py does not cover yet: prompt hooks a
user set up by hand (zsh precmd_functions assigned directly, a precmd function, bash
PROMPT_COMMAND ending in a comment, `;` or a newline), and shell options that change how
code is parsed or expanded (zsh ksh_arrays / sh_word_split / glob_subst..., bash failglob /
noclobber / an odd IFS). The hook must stay silent, keep `$?` and the user's hooks, show the
segment, and give back the environment and the prompt exactly."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from support.shells import InteractiveShell

StartShell = Callable[..., InteractiveShell]

RECORD = "user_hook() { seen=$?; hook_runs=$((${hook_runs:-0} + 1)); }"
SETUPS = {
    "bash-comment": ("bash", f"{RECORD}\nPROMPT_COMMAND='user_hook # the user said so'"),
    "bash-semicolon-strict": (
        "bash",
        f"set -euo pipefail\n{RECORD}\nPROMPT_COMMAND='user_hook;'",
    ),
    "bash-newline": ("bash", f"{RECORD}\nPROMPT_COMMAND=$'user_hook\\n'"),
    "bash-options": (
        "bash",
        f"{RECORD}\nPROMPT_COMMAND=user_hook\nshopt -s failglob nullglob extglob\n"
        "set -o noclobber -o nounset\nIFS=$',\\n'",
    ),
    "zsh-precmd-functions": ("zsh", f"{RECORD}\nprecmd_functions=(user_hook)"),
    "zsh-precmd-function": ("zsh", RECORD.replace("user_hook", "precmd")),
    "zsh-options": (
        "zsh",
        f"{RECORD}\nprecmd_functions+=(user_hook)\n"
        "setopt ksh_arrays sh_word_split glob_subst rc_quotes extended_glob no_unset err_exit "
        "no_multios local_options",
    ),
}


@pytest.mark.parametrize("setup", list(SETUPS))
def test_users_own_prompt_hooks_and_options(
    setup: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    kind, rc = SETUPS[setup]
    shell = start_shell(kind, aws_env, before_hook=rc)
    noise = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]|[\s#%\u23ce]", "", shell.first.output)
    assert noise == "", shell.first.output
    before = {k: v for k, v in shell.environ().items() if k != "_"}
    ps1 = shell.variable("PS1")

    shown = shell.run("stsenv use s3Full")
    assert shown.status == "0", shown.output
    assert re.fullmatch(r"\[s3Full (59|60)m\] ", shown.line), shown.line
    runs = int(shell.variable("hook_runs") or 0)
    failed = shell.run("(exit 3) && :")  # (in a list: ERR_EXIT users' shells live on)
    assert failed.status == "3"  # the prompt sees the user's $?
    assert failed.line.startswith("[s3Full ")
    assert shell.variable("seen") == "3"  # so does the user's hook, which still runs
    assert int(shell.variable("hook_runs") or 0) > runs

    shown = shell.run("stsenv clear")
    assert shown.status == "0" and shown.line == ""
    assert "stsenv: " not in shown.output
    assert {k: v for k, v in shell.environ().items() if k != "_"} == before
    assert shell.variable("PS1") == ps1


def test_users_fish_prompt_drawn_and_back(start_shell: StartShell, aws_env: dict[str, str]) -> None:
    marker_prompt = (
        "function fish_prompt\n"
        "    set -l last $status\n"
        "    printf 'USER(%s) ' $last\n"
        "    printf '%s:%s:%s@@ ' {marker} $__test_prompts $last\n"
        "end"
    )
    shell = start_shell("fish", aws_env)
    shell.run(marker_prompt.format(marker=shell.marker).replace("\n", "; "))
    body = shell.workdir / "fish_prompt"
    shell.run(f"functions fish_prompt > {body}")
    original = body.read_text()

    shell.run("stsenv use s3Full")
    failed = shell.run("false")
    assert failed.status == "1"
    assert re.fullmatch(r"\[s3Full (59|60)m\] USER\(1\) ", failed.line), failed.line
    shell.run("stsenv clear")
    after = shell.run("false")
    assert after.line == "USER(1) "
    shell.run(f"functions fish_prompt > {body}")
    assert [line for line in body.read_text().splitlines() if not line.startswith("#")] == [
        line for line in original.splitlines() if not line.startswith("#")
    ]
