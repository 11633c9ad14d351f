"""Bad input: one `stsenv:` line on stderr, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

STSENV = [sys.executable, "-m", "stsenv"]


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("STSENV_", "AWS_"))}
    full_env.update(env)
    return subprocess.run(
        [*STSENV, *args], capture_output=True, text=True, env=full_env, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["export"], 2, "Missing argument 'TARGET'"),
        (["bogus"], 2, "No such command 'bogus'"),
        (["use", "x", "--nope"], 2, "No such option: --nope"),
        (["status", "--jsn"], 2, "--jsn"),
        (["hook", "tcsh"], 2, "unsupported shell 'tcsh'"),
        (["status"], 1, "no role is active"),
        (["use", "s3Full"], 5, "hook, which is not loaded"),
        (["clear"], 5, "hook, which is not loaded"),
    ],
)
def test_one_line_and_exit_status(args: list[str], code: int, fragment: str) -> None:
    result = run(*args)
    assert result.returncode == code
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("stsenv: ")
    assert fragment in lines[0]


@pytest.mark.parametrize(
    ("duration", "fragment"),
    [
        ("5m", "out of range"),
        ("13h", "out of range"),
        ("soon", "not understood"),
        ("1d", "not understood"),
    ],
)
def test_bad_duration_is_refused_before_any_aws_call(duration: str, fragment: str) -> None:
    # An endpoint nobody listens on: reaching it would be a different error.
    result = run(
        "use",
        "s3Full",
        "--duration",
        duration,
        STSENV_SHELL="bash",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("stsenv: duration") and fragment in result.stderr
    assert result.stderr.count("\n") == 1


def test_bad_session_name_is_refused() -> None:
    result = run(
        "use",
        "s3Full",
        "--session-name",
        "no spaces",
        STSENV_SHELL="bash",
        AWS_ENDPOINT_URL="http://127.0.0.1:9",
    )
    assert result.returncode == 2
    assert result.stderr.startswith("stsenv: session name 'no spaces' is not valid")


def test_status_reports_from_the_environment_and_masks_the_key() -> None:
    import time

    expiry = int(time.time()) + 1800
    arn = "arn:aws:sts::123456789012:assumed-role/s3FullforAssumeRole/s3FullforAssumeRole-session"
    env = {
        "STSENV_ROLE": "s3Full",
        "STSENV_EXPIRY": str(expiry),
        "STSENV_ARN": arn,
        "AWS_ACCESS_KEY_ID": "ASIAEXAMPLEKEYID1234",
    }
    text = run("status", **env)
    assert text.returncode == 0
    assert "123456789012" in text.stdout and "s3Full" in text.stdout
    assert "ASIAEXAMPLEKEYID1234" not in text.stdout and "****************1234" in text.stdout
    as_json = run("status", "--json", **env)
    import json

    data = json.loads(as_json.stdout)
    assert set(data) == {"role", "arn", "account", "expiration", "remaining_seconds"}
    assert data["account"] == "123456789012" and data["arn"] == arn
    assert 1700 < data["remaining_seconds"] <= 1800
    expired = run("status", **{**env, "STSENV_EXPIRY": str(int(time.time()) - 5)})
    assert expired.returncode == 1 and "expired" in expired.stderr
