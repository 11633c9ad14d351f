"""What the tests of the real program share: running it, and the house rule for its errors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from support.emulator import VENV_BIN

STSENV = str(Path(VENV_BIN) / "stsenv")
AWS_CLI = str(Path(VENV_BIN) / "aws")  # the AWS CLI v1, on the venv's botocore
ARN_TEXT = ("--query", "Arn", "--output", "text")


def stsenv(
    env: dict[str, str],
    *args: str,
    cwd: Path | None = None,
    timeout: float = 120,
    stdin: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """The real program, its stdout a pipe (never a terminal), no controlling terminal; its
    stdin `stdin` (text), else nothing."""
    return subprocess.run(
        [STSENV, *args],
        env=with_pythonpath(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        start_new_session=True,
    )


def one_error_line(done: subprocess.CompletedProcess[str], status: int, start: str) -> str:
    """One `stsenv:` line, the status, nothing on stdout, never a traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    assert (done.returncode, done.stdout) == (status, ""), done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), done.stderr
    return lines[0]


def with_pythonpath(env: dict[str, str]) -> dict[str, str]:
    """`env`, plus this run's PYTHONPATH if any: to run these tests against another copy of
    the code (`git archive HEAD src | tar -x -C /tmp/old; PYTHONPATH=/tmp/old/src pytest`)."""
    path = os.environ.get("PYTHONPATH")
    return {**env, "PYTHONPATH": path} if path else env


def caller_arn(env: dict[str, str], profile: str) -> subprocess.CompletedProcess[str]:
    """`aws sts get-caller-identity --profile PROFILE`: the ARN the AWS CLI acts as, on stdout."""
    return subprocess.run(
        [AWS_CLI, "sts", "get-caller-identity", "--profile", profile, *ARN_TEXT],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
