"""fish's clock is the stamp file the program makes (its mtime is the expiry): a role without
a usable stamp is refused in one line and cleared; a stamp that disappears while the role
is shown falls back to one `date` per prompt, whose output is used only when it is digits
(issue: trust, second round, item 6)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.shells import InteractiveShell

StartShell = Callable[..., InteractiveShell]

NO_STAMP = "stsenv: no safe clock stamp for inherited (cache dir unusable); role cleared"
EXPIRED = "stsenv: role s3Full expired; its credentials were cleared"


def steady(environ: dict[str, str]) -> dict[str, str]:
    # (FAKETIME_SHARED: libfaketime's own shared memory, which it may set up again.)
    return {k: v for k, v in environ.items() if k not in {"_", "OLDPWD", "FAKETIME_SHARED"}}


@pytest.mark.parametrize("stamp", ["unset", "empty", "missing", "directory"])
def test_a_role_without_a_usable_stamp_is_refused(
    stamp: str, start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    expiry = int(time.time()) + 3600
    role = {
        "STSENV_EXPIRY": str(expiry),
        "STSENV_ROLE": "inherited",
        "STSENV_VARS": "STSENV_EXPIRY STSENV_ROLE STSENV_STAMP STSENV_VARS AWS_SESSION_TOKEN",
        "AWS_SESSION_TOKEN": "inherited-token",
    }
    if stamp != "unset":
        role["STSENV_STAMP"] = {
            "empty": "",
            "missing": str(tmp_path / "gone"),
            "directory": str(tmp_path),
        }[stamp]
    shell = start_shell("fish", {**aws_env, **role})
    assert shell.first.output.count(NO_STAMP) == 1, shell.first.output
    assert shell.first.line == ""
    env = shell.environ()
    assert not any(name in env for name in role), "the inherited role was not cleared"
    assert shell.variable("STSENV_SEGMENT") is None

    # The same through the wrapper's eval: the baseline comes back.
    before = steady(env)
    stamped = tmp_path / "not-a-file"
    stamped.mkdir(exist_ok=True)
    shown = shell.run(
        "__stsenv_save STSENV_EXPIRY STSENV_STAMP STSENV_ROLE; "
        f"set -gx STSENV_EXPIRY {expiry}; set -gx STSENV_STAMP {stamped}; "
        "set -gx STSENV_ROLE inherited; __stsenv_activate"
    )
    assert shown.output.count(NO_STAMP) == 1, shown.output
    assert shown.line == ""
    assert steady(shell.environ()) == before


def test_a_stamp_that_disappears_falls_back_to_digits_from_date(
    start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    shell = start_shell("fish", aws_env, faketime=True)
    before = steady(shell.environ())
    assert shell.run("stsenv use s3Full --duration 15m").status == "0"
    os.unlink(shell.environ()["STSENV_STAMP"])
    # One `date` per prompt now: the segment still counts down...
    shell.set_clock(5 * 60)
    shown = shell.run("")
    assert shown.line.startswith("[s3Full 9m] ") or shown.line.startswith("[s3Full 10m] ")
    # ...and a `date` that prints anything but digits is no clock at all: the role ends,
    # with no arithmetic on its text.
    fake = tmp_path / "fake-bin"
    fake.mkdir()
    (fake / "date").write_text("#!/bin/sh\necho '1+(2)x'\n")
    (fake / "date").chmod(0o755)
    shown = shell.run(f"set -gx PATH {fake} $PATH")
    assert shown.output.count(EXPIRED) == 1, shown.output
    assert "math" not in shown.output and "test:" not in shown.output, shown.output
    assert shown.line == ""
    shell.run("set -e PATH[1]")
    assert steady(shell.environ()) == before
