"""STSENV_AUTO_REFRESH=1 in real shells: the prompt that crosses the last threshold renews
the role (the one prompt allowed to start a process), once; a role that needs an MFA code
is not renewed there, only warned about."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support.shells import SHELLS, InteractiveShell

StartShell = Callable[..., InteractiveShell]

NOTICE = (
    "stsenv: s3Full expires in 3m — `stsenv refresh` to renew, "
    "`stsenv exec --server` for a job that must outlive it"
)
RENEWING = "stsenv: renewing s3Full (STSENV_AUTO_REFRESH=1)"
URGENT_OFFSET = 15 * 60 - (3 * 60 + 30)  # a 15-minute role then has 3m30s left


def mfa_alias(aws_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "stsenv-mfa.toml"
    config.write_text(
        Path(aws_env["STSENV_CONFIG"]).read_text()
        + '\n[roles.s3Mfa]\nrole_name = "s3FullforAssumeRole"\nsource_profile = "taro-prjZ"\n'
        'mfa_serial = "arn:aws:iam::123456789012:mfa/taro"\n'
    )
    return {**aws_env, "STSENV_CONFIG": str(config)}


@pytest.mark.parametrize("kind", SHELLS)
def test_auto_refresh_renews_once_at_the_last_threshold(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, {**aws_env, "STSENV_AUTO_REFRESH": "1"}, faketime=True)
    assert shell.run("stsenv use s3Full --duration 15m").status == "0"
    before = shell.environ()

    with shell.count_processes() as created:
        shell.run("")  # nothing due: no process
    assert created == []

    shell.set_clock(URGENT_OFFSET)
    with shell.count_processes() as created:
        shown = shell.run("")
    assert shown.output.count(NOTICE) == 1
    assert shown.output.count(RENEWING) == 1
    assert created, "the renewal runs the program"
    after = shell.environ()
    assert after["AWS_ACCESS_KEY_ID"] != before["AWS_ACCESS_KEY_ID"]
    # (A new session of the same length: later, or the same second when renewed at once.)
    assert int(after["STSENV_EXPIRY"]) >= int(before["STSENV_EXPIRY"])
    assert shown.line.startswith("[s3Full ")

    # The renewed role (15 real minutes, 3 on this shell's fast clock) is not renewed again.
    with shell.count_processes() as created:
        shown = shell.run("")
    assert "renewing" not in shown.output and "expires in" not in shown.output
    assert created == []


@pytest.mark.parametrize("kind", SHELLS)
def test_auto_refresh_never_asks_for_an_mfa_code(
    kind: str, start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**mfa_alias(aws_env, tmp_path), "STSENV_AUTO_REFRESH": "1"}
    shell = start_shell(kind, env, faketime=True)
    # The MFA code goes straight to AssumeRole (no MFA session), as `refresh` would send it.
    shown = shell.run("stsenv use s3Mfa --duration 15m --no-mfa-session --token-code 123456")
    assert shown.status == "0", shown.output
    before = shell.environ()

    shell.set_clock(URGENT_OFFSET)
    shown = shell.run("", timeout=30)  # a question here would hang until the timeout
    assert "expires in 3m" in shown.output
    assert "MFA code is needed" in shown.output and "`stsenv refresh`" in shown.output
    assert "MFA code for" not in shown.output
    assert shell.environ()["AWS_ACCESS_KEY_ID"] == before["AWS_ACCESS_KEY_ID"]
    assert shown.line.startswith("[s3Mfa 3m] ")
    # Tried once: the next prompt is quiet.
    assert "stsenv:" not in shell.run("").output
