"""The hook's private `__stsenv_*` state never comes from the environment (issue: trust,
second round, item 1; shell/README.md "Private state").

Each shell starts with a hostile value for every private name the three files use (and
for EPOCHSECONDS) in its environment: code for shell arithmetic, a forged baseline that
would "restore" PROMPT_COMMAND or PATH, digits that would freeze the clock or fake a role.
Nothing may run (a marker file), nothing outside AWS_* / STSENV_* may change across use,
clear and expiry (read back by a program, `env -0`), no `__stsenv_*` may reach a child,
and the role must still expire when the clock (libfaketime) passes its end.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from support.shells import REPO, SHELLS, InteractiveShell

from stsenv.envchange import MANAGED_VARS

StartShell = Callable[..., InteractiveShell]

EXPIRED = "stsenv: role s3Full expired; its credentials were cleared"


def private_names() -> list[str]:
    """Every __stsenv_* name in the three hook files; a prefix such as `__stsenv_old_`
    (completed with a managed name at run time) with every managed name."""
    found: set[str] = set()
    for kind in SHELLS:
        found |= set(re.findall(r"__stsenv_\w+", (REPO / "shell" / f"stsenv.{kind}").read_text()))
    prefixes = {name for name in found if name.endswith("_")}
    names = found - prefixes
    for prefix in prefixes:
        names |= {prefix + managed for managed in (*MANAGED_VARS, "STSENV_TARGET")}
    return sorted(names)


PRIVATE = private_names()


def hostile_environment(kind: str, scenario: str, marker: Path) -> dict[str, str]:
    touch = f"touch {marker}"
    if scenario == "code":
        # What arithmetic, or an eval, would run.
        value = {
            "bash": f"a[$({touch})]",
            "zsh": f"path[$({touch})1]",
            "fish": f"({touch})",
        }[kind]
        env = dict.fromkeys(PRIVATE, value)
        env["EPOCHSECONDS"] = f"path[$({touch})1]"
        return env
    # A forged state: an active role expired long ago, a baseline that holds a command
    # for PROMPT_COMMAND and a PATH of nothing, long-term keys kept as "baseline", a
    # frozen clock.
    env = dict.fromkeys(PRIVATE, "1")
    env.update(
        {
            "__stsenv_saved": "PROMPT_COMMAND PATH HOME AWS_SECRET_ACCESS_KEY",
            "__stsenv_old_PROMPT_COMMAND": touch,
            "__stsenv_old_PATH": "/nonexistent",
            "__stsenv_old_HOME": "/nonexistent",
            "__stsenv_old_AWS_SECRET_ACCESS_KEY": "LONG-TERM-SECRET",
            "__stsenv_old_AWS_ACCESS_KEY_ID": "AKIALONGTERMKEY",
            "__stsenv_ps1_inserted": "",
            "__stsenv_drawn": "",
            "EPOCHSECONDS": "1000",
        }
    )
    return env


VOLATILE = {"_", "OLDPWD", "EPOCHSECONDS", "FAKETIME_SHARED"}


def outside(environ: dict[str, str]) -> dict[str, str]:
    """What use/clear/expiry must leave alone: everything but AWS_*, STSENV_*, the shell's
    own per-command names, bash's EPOCHSECONDS (bash exports its own clock, not the
    environment's value, when the environment had the name), and libfaketime's own
    FAKETIME_SHARED (the shared memory it may set up again in a process of the shell's)."""
    volatile = VOLATILE
    return {
        k: v
        for k, v in environ.items()
        if not k.startswith(("AWS_", "STSENV_")) and k not in volatile
    }


def settled(environ: dict[str, str]) -> dict[str, str]:
    """The whole environment but what changes by itself (see above)."""
    return {k: v for k, v in environ.items() if k not in VOLATILE}


def no_private(environ: dict[str, str]) -> None:
    leaked = sorted(k for k in environ if k.startswith("__stsenv"))
    assert leaked == [], f"exported to a child: {leaked[:5]}"


@pytest.mark.parametrize("scenario", ["code", "forged"])
@pytest.mark.parametrize("kind", SHELLS)
def test_private_state_from_the_environment_is_reset(
    kind: str, scenario: str, start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    hostile = hostile_environment(kind, scenario, marker)
    assert len(hostile) > 80  # every private name of the three files, and EPOCHSECONDS
    shell = start_shell(kind, {**aws_env, **hostile}, faketime=True)
    assert "stsenv:" not in shell.first.output, shell.first.output  # no role, no error
    assert not marker.exists(), "the environment ran code at load"
    before = shell.environ()
    no_private(before)
    assert before["PATH"] == shell.env["PATH"] and before["HOME"] == shell.env["HOME"]
    assert shell.run("").line == ""  # no segment of a forged role
    assert not marker.exists(), "the environment ran code at a prompt"

    for step in ("use", "switch", "clear", "use", "expiry"):
        if step == "use":
            shown = shell.run("stsenv use s3Full --duration 15m")
            assert shown.status == "0", shown.output
            assert shown.line.startswith("[s3Full 1"), shown.line
        elif step == "switch":
            assert shell.run("stsenv use s3Full --duration 20m").status == "0"
        elif step == "clear":
            shown = shell.run("stsenv clear")
            assert shown.status == "0" and shown.line == "", shown.output
        else:
            shell.set_clock(20 * 60 + 1)  # a frozen or forged clock would never get here
            shown = shell.run("")
            assert shown.output.count(EXPIRED) == 1, shown.output
            assert shown.line == ""
        assert not marker.exists(), f"code ran at {step}"
        now = shell.environ()
        no_private(now)
        assert outside(now) == outside(before), step
        if step in ("clear", "expiry"):
            assert settled(now) == settled(before), step
        else:
            assert now["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert not marker.exists()
    assert shell.run("").line == "" and not marker.exists()


@pytest.mark.parametrize("kind", SHELLS)
def test_loading_the_hook_again_keeps_the_role_and_the_baseline(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, {**aws_env, "AWS_REGION": "eu-west-3"}, faketime=True)
    before = {k: v for k, v in shell.environ().items() if k != "_"}
    assert shell.run("stsenv use s3Full --duration 15m").status == "0"
    hook = "stsenv hook fish | source" if kind == "fish" else f'eval "$(stsenv hook {kind})"'
    shown = shell.run(hook)
    assert shown.line.startswith("[s3Full 1"), shown.line  # still shown, still counted
    assert "stsenv:" not in shown.output
    no_private(shell.environ())
    assert shell.run("stsenv clear").status == "0"
    assert {k: v for k, v in shell.environ().items() if k != "_"} == before  # the baseline

    # And the expiry of a role started before the second load still clears it.
    assert shell.run("stsenv use s3Full --duration 15m").status == "0"
    shell.run(hook)
    shell.set_clock(15 * 60 + 1)
    assert shell.run("").output.count(EXPIRED) == 1
    assert {k: v for k, v in shell.environ().items() if k != "_"} == before
