"""What a shell inherits is trusted only as far as the hook can check it (issue: trust,
second round, item 2).

A list of names from the environment (STSENV_VARS) only ever unsets names the hook
manages (`__stsenv_managed`, equal to envchange.MANAGED_VARS); an inherited STSENV_USE_ARGS
(or the old STSENV_TARGET) never chooses what `stsenv refresh` or STSENV_AUTO_REFRESH
assume: only a role started by this shell's own `use` is renewed.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.shells import SHELLS, InteractiveShell

from stsenv.settings import USE_ARGS_VAR

StartShell = Callable[..., InteractiveShell]

USE_ARGS = USE_ARGS_VAR  # the name the program prints the `use` arguments under
# Another source than the one the user chose: a different role, which the world accepts.
FOREIGN_ARGS = json.dumps(["s3ExternalRole", "--external-id", "prjZ-external"])
NOTICE = (
    "stsenv: s3Full expires in 3m — `stsenv refresh` to renew, "
    "`stsenv exec --server` for a job that must outlive it"
)
URGENT_OFFSET = 15 * 60 - (3 * 60 + 30)  # a 15-minute role then has 3m30s left
LIST = "PATH HOME LANG TERM SHELL XDG_CONFIG_HOME AWS_REGION"


def steady(environ: dict[str, str]) -> dict[str, str]:
    # (FAKETIME_SHARED: libfaketime's own shared memory, which it may set up again.)
    return {k: v for k, v in environ.items() if k not in {"_", "OLDPWD", "FAKETIME_SHARED"}}


def stamp(tmp_path: Path, expiry: int) -> str:
    """A clock stamp as the program makes it (fish's clock): mtime = the expiry."""
    path = tmp_path / f"stamp-{expiry}"
    path.touch()
    os.utime(path, (expiry, expiry))
    return str(path)


@pytest.mark.parametrize("expiry", ["past", "future"])
@pytest.mark.parametrize("kind", SHELLS)
def test_an_inherited_name_list_unsets_only_managed_names(
    kind: str, expiry: str, start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    end = 1 if expiry == "past" else int(time.time()) + 3630  # "60m" for half a minute
    inherited = {
        "STSENV_VARS": LIST,
        "STSENV_EXPIRY": str(end),
        "STSENV_ROLE": "inherited",
        "STSENV_STAMP": stamp(tmp_path, end),
        "AWS_REGION": "eu-west-3",
    }
    shell = start_shell(kind, {**aws_env, **inherited})
    env = shell.environ()
    for name in ("PATH", "HOME", "LANG", "TERM", "SHELL", "XDG_CONFIG_HOME"):
        assert env.get(name) == shell.env[name], name  # not managed: never unset
    if expiry == "past":
        assert "stsenv: role inherited expired" in shell.first.output
        assert "AWS_REGION" not in env  # managed and listed: the inherited role's
    else:
        assert shell.first.line == "[inherited 60m] ", shell.first.line
        assert env["AWS_REGION"] == "eu-west-3"
        shown = shell.run("stsenv clear")
        assert shown.status == "0", shown.output
        env = shell.environ()
        for name in ("PATH", "HOME", "LANG", "TERM", "SHELL", "XDG_CONFIG_HOME"):
            assert env.get(name) == shell.env[name], name
        assert "AWS_REGION" not in env and "STSENV_ROLE" in env  # listed / not listed
    # The shell still works, and so does stsenv: a use and a clear keep PATH and HOME.
    before = steady(shell.environ())
    assert shell.run("stsenv use s3Full").status == "0"
    assert shell.run("stsenv clear").status == "0"
    assert steady(shell.environ()) == before


def inherited_role(aws_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The environment a parent shell exports while `s3Full` (15 minutes) is active there,
    with the `use` arguments replaced by another source's (under both names)."""
    out = tmp_path / "parent-env"
    script = (
        'eval "$(stsenv hook bash)"\nstsenv use s3Full --duration 15m || exit $?\n'
        f"/usr/bin/env -0 > {out}\n"
    )
    done = subprocess.run(
        ["bash", "-c", script], env=aws_env, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    parent = dict(item.split("=", 1) for item in out.read_text().split("\0") if item)
    role = {k: v for k, v in parent.items() if k.startswith(("AWS_", "STSENV_"))}
    assert "s3Full" in json.loads(role[USE_ARGS])
    role[USE_ARGS] = role["STSENV_TARGET"] = FOREIGN_ARGS
    child = {k: v for k, v in aws_env.items() if k not in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")}
    return {**child, **role}


@pytest.mark.parametrize("kind", SHELLS)
def test_an_inherited_role_is_never_renewed_with_inherited_arguments(
    kind: str, start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**inherited_role(aws_env, tmp_path), "STSENV_AUTO_REFRESH": "1"}
    shell = start_shell(kind, env, faketime=True)
    assert shell.first.line.startswith("[s3Full 1"), shell.first.line  # shown here too
    before = steady(shell.environ())

    shown = shell.run("stsenv refresh")
    assert shown.status not in ("0", ""), shown.output
    assert "no role started in this shell to refresh" in shown.output, shown.output
    assert steady(shell.environ()) == before
    assert "s3ExternalRole" not in shown.output + shown.line

    # At the last threshold: the notice, and nothing started.
    shell.set_clock(URGENT_OFFSET)
    with shell.count_processes() as created:
        shown = shell.run("")
    assert shown.output.count(NOTICE) == 1, shown.output
    assert "renewing" not in shown.output
    assert created == []
    assert steady(shell.environ()) == before

    # A role this shell starts itself is renewed with its own arguments.
    assert shell.run("stsenv use s3Full --duration 30m").status == "0"
    mine = shell.environ()
    assert "s3Full" in json.loads(mine[USE_ARGS])
    shown = shell.run("stsenv refresh")
    assert shown.status == "0", shown.output
    renewed = shell.environ()
    assert renewed["AWS_ACCESS_KEY_ID"] != mine["AWS_ACCESS_KEY_ID"]
    assert renewed["STSENV_ROLE"] == "s3Full"
