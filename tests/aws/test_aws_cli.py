"""The real `stsenv use` command against the local world: what the hook's wrapper sees
(shell code on stdout and exit 0, or one `stsenv:` line on stderr, a distinct exit status,
nothing on stdout and no traceback)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.emulator import VENV_BIN
from support.local_aws import ACCOUNT, ROLE

STSENV = str(Path(VENV_BIN) / "stsenv")


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [STSENV, "use", *args],
        env={**env, "STSENV_SHELL": "bash"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_use_prints_shell_code(aws_env: dict[str, str]) -> None:
    done = run(aws_env, "s3Full")
    assert done.returncode == 0, done.stderr
    assert "export AWS_SESSION_TOKEN=" in done.stdout
    assert f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "status", "start"),
    [
        (["x$(touch pwned)"], 2, "stsenv: unknown target 'x$(touch pwned)'"),
        (["s3Full", "--duration", "5x"], 2, "stsenv: duration '5x' is not understood"),
        (["s3Full", "--session-name", "a b"], 2, "stsenv: session name 'a b' is not valid"),
        (["s3Full", "--profile", "nope"], 2, "stsenv: AWS profile 'nope' is not in"),
        (["s3ReadService"], 3, f"stsenv: arn:aws:iam::{ACCOUNT}:user/taro may not assume"),
        (["s3ExternalRole", "--external-id", "bad"], 3, "stsenv: arn:aws:iam::"),
    ],
)
def test_errors_are_one_line(
    aws_env: dict[str, str], tmp_path: Path, args: list[str], status: int, start: str
) -> None:
    done = subprocess.run(
        [STSENV, "use", *args],
        env={**aws_env, "STSENV_SHELL": "bash"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert (done.returncode, done.stdout) == (status, "")
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), done.stderr
    assert not (tmp_path / "pwned").exists()


def test_unreachable_endpoint_exit_status(aws_env: dict[str, str]) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    done = run({**aws_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}, "s3Full")
    assert (done.returncode, done.stdout) == (4, "")
    assert done.stderr.startswith(f"stsenv: http://127.0.0.1:{port}/ could not be reached")
    assert "Traceback" not in done.stderr


def test_quiet_use_prints_only_the_code(aws_env: dict[str, str]) -> None:
    loud = run(aws_env, "s3Full")
    # The line is the shell's to print, once it has made the change (issue 16 item 10).
    assert loud.returncode == 0 and loud.stderr == ""
    assert "__stsenv_activate && \\builtin printf '%s\\n' 'stsenv: s3Full is active for " in (
        loud.stdout
    )
    for env, args in (
        (aws_env, ["s3Full", "--quiet"]),
        ({**aws_env, "STSENV_QUIET": "1"}, ["s3Full"]),
    ):
        quiet = run(env, *args)
        assert quiet.returncode == 0 and quiet.stderr == ""
        assert "export AWS_SESSION_TOKEN=" in quiet.stdout and "is active" not in quiet.stdout
    failing = run({**aws_env, "STSENV_QUIET": "1"}, "s3Full", "--duration", "5x", "--quiet")
    assert failing.returncode == 2 and failing.stderr.startswith("stsenv: duration")
