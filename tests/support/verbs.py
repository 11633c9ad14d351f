"""Helpers for the tests of export, credential-process, exec and refresh."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.emulator import VENV_BIN

STSENV = str(Path(VENV_BIN) / "stsenv")
CREDENTIAL_NAMES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)


def stsenv(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The real program, its stdout a pipe (never a terminal)."""
    return subprocess.run(
        [STSENV, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # no controlling terminal: nothing can wait for typing
    )


def one_error_line(done: subprocess.CompletedProcess[str], status: int, start: str) -> None:
    """The house rule for errors: one `stsenv:` line, the status, nothing on stdout."""
    assert (done.returncode, done.stdout) == (status, ""), done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), done.stderr


def read_env0(path: Path) -> dict[str, str]:
    data = path.read_bytes().decode("utf-8", "surrogateescape")
    pairs = (item.split("=", 1) for item in data.split("\0") if item)
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}
