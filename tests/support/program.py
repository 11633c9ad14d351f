"""What the tests of the real program (test_trust_program_*.py) share: running it, and the
house rule for its errors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from support.emulator import VENV_BIN

STSENV = str(Path(VENV_BIN) / "stsenv")


def stsenv(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The real program, its stdout a pipe (never a terminal), no controlling terminal."""
    return subprocess.run(
        [STSENV, *args],
        env=with_pythonpath(env),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
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
