"""`stsenv exec TARGET -- CMD`: the command, and only it, gets the role (the same change as
`use`, applied to a copy of the environment); its status and signals are its own."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support.local_aws import ACCOUNT, REGION, ROLE
from support.shells import SHELLS, InteractiveShell
from support.verbs import CREDENTIAL_NAMES, STSENV, one_error_line, read_env0, stsenv

from stsenv import spec

StartShell = Callable[..., InteractiveShell]
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"


def test_command_gets_the_role_and_its_status_passes_through(
    aws_env: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "env0"
    done = stsenv(aws_env, "exec", "s3Full", "--", "sh", "-c", 'env -0 > "$0"; exit 7', str(target))
    assert done.returncode == 7 and done.stderr == "", done.stderr
    seen = read_env0(target)
    assert all(seen[name] for name in CREDENTIAL_NAMES)
    assert seen["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    assert seen["AWS_REGION"] == seen["AWS_DEFAULT_REGION"] == REGION
    assert seen["STSENV_ARN"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/")
    assert seen["STSENV_EXEC"] == ROLE_ARN and seen["STSENV_ROLE"] == "s3Full"
    assert "AWS_PROFILE" not in seen  # as `use` does: the role, not the source profile


def test_the_aws_cli_runs_as_the_role(aws_env: dict[str, str]) -> None:
    made = stsenv(aws_env, "exec", "s3Full", "--", "aws", "s3", "mb", "s3://made-by-exec")
    assert made.returncode == 0 and "make_bucket: made-by-exec" in made.stdout, made.stderr
    denied = subprocess.run(
        ["aws", "s3", "mb", "s3://not-by-taro"],
        env=aws_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr


def test_signals_reach_the_command(aws_env: dict[str, str]) -> None:
    """exec replaces stsenv: a signal sent to the pid stsenv started with reaches CMD."""
    program = (
        "import signal, sys\n"
        "signal.signal(signal.SIGTERM, lambda *_: sys.exit(42))\n"
        "print('ready', flush=True)\n"
        "signal.pause()\n"
    )
    child = subprocess.Popen(
        [STSENV, "exec", "s3Full", "--", sys.executable, "-c", program],
        env=aws_env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 42
    killed = stsenv(aws_env, "exec", "s3Full", "--", "sh", "-c", "kill -KILL $$")
    assert killed.returncode == -signal.SIGKILL  # death by signal, as the command's own


def test_nesting_a_different_role_needs_nest(aws_env: dict[str, str]) -> None:
    other = f"arn:aws:iam::{ACCOUNT}:role/s3ReadService"
    inside = {**aws_env, "STSENV_EXEC": other}
    one_error_line(
        stsenv(inside, "exec", "s3Full", "--", "true"),
        2,
        f"stsenv: already inside `stsenv exec` of {other}: pass --nest",
    )
    assert stsenv(inside, "exec", "--nest", "s3Full", "--", "true").returncode == 0
    same = {**aws_env, "STSENV_EXEC": ROLE_ARN}
    assert stsenv(same, "exec", "s3Full", "--", "true").returncode == 0


@pytest.mark.parametrize(
    ("args", "status", "start"),
    [
        (["s3Full"], 2, "stsenv: give the command to run after --"),
        (["s3Full", "--", "no-such-command-here"], 127, "stsenv: command not found"),
        (["s3Full", "--", "/etc/hostname"], 126, "stsenv: cannot run /etc/hostname"),
        (["s3Full", "ls", "-la"], 2, "stsenv: No such option: -l"),
        (["nope nope", "--", "true"], 2, "stsenv: unknown target"),
        (["s3ReadService", "--", "true"], 3, "stsenv: arn:aws:iam::123456789012:user/taro"),
    ],
)
def test_errors_are_one_line(
    aws_env: dict[str, str], args: list[str], status: int, start: str
) -> None:
    one_error_line(stsenv(aws_env, "exec", *args), status, start)


def test_both_parsers_take_the_command_after_the_double_dash(aws_env: dict[str, str]) -> None:
    args = ["s3Full", "--duration", "30m", "--", "sh", "-c", "exit 3", "--help"]
    values = spec.parse_fast(spec.BY_NAME["exec"], args)
    assert values is not None and values["command"] == ["sh", "-c", "exit 3", "--help"]
    via_typer = (
        "import os, sys\nfrom stsenv import cli\nfrom stsenv.settings import Settings\n"
        f"sys.exit(cli._run_typer(['exec', *{args!r}], Settings.from_env(os.environ)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", via_typer], env=aws_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3, done.stderr


@pytest.mark.parametrize("kind", SHELLS)
def test_the_calling_shell_is_untouched(
    kind: str, start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    """Also with a role active there: exec starts from the user's own source, not the role."""
    shell = start_shell(kind, aws_env)
    for setup in ("", "stsenv use s3Full"):
        if setup:
            assert shell.run(setup).status == "0"
        before = shell.environ()
        target = tmp_path / f"{kind}-{bool(setup)}"
        ran = shell.run(f"stsenv exec s3Full -- /usr/bin/env -0 > {target}")
        assert ran.status == "0", ran.output
        assert read_env0(target)["STSENV_EXEC"] == ROLE_ARN
        after = shell.environ()
        assert {k: v for k, v in after.items() if k != "_"} == {
            k: v for k, v in before.items() if k != "_"
        }
