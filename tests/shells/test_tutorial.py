"""The AWS CLI tutorial, step by step, in real bash, zsh and fish against the local STS,
with the AWS CLI as the client: the source user alone cannot make a bucket; after
`stsenv use <role name>` it can; after `stsenv clear` it cannot again."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from support.shells import SHELLS, InteractiveShell, expect_role_prompt, shell_env

StartShell = Callable[..., InteractiveShell]


def tutorial_env(aws_env: dict[str, str]) -> dict[str, str]:
    """The tutorial selects the source user with AWS_DEFAULT_PROFILE."""
    env = {k: v for k, v in aws_env.items() if k != "AWS_PROFILE"}
    env["AWS_DEFAULT_PROFILE"] = aws_env["AWS_PROFILE"]
    return env


@pytest.mark.parametrize("kind", SHELLS)
def test_the_tutorial(kind: str, start_shell: StartShell, aws_env: dict[str, str]) -> None:
    shell = start_shell(kind, tutorial_env(aws_env))
    before = shell_env(shell.environ())

    who = shell.run("aws sts get-caller-identity --query Arn --output text")
    assert "arn:aws:iam::123456789012:user/taro\r\n" in who.output
    denied = shell.run(f"aws s3 mb s3://tutorial-{kind}")
    assert "AccessDenied" in denied.output and denied.status != "0"

    # role name -> ARN, assume for 60 minutes, export, unset the default profile: one word.
    used = shell.run("stsenv use s3FullforAssumeRole --duration 60m")
    assert used.status == "0", used.output
    assert 59 <= expect_role_prompt(used.line, "s3FullforAssumeRole") <= 60
    active = shell.environ()
    assert "AWS_DEFAULT_PROFILE" not in active and "AWS_PROFILE" not in active
    assert active["STSENV_ARN"].startswith(
        "arn:aws:sts::123456789012:assumed-role/s3FullforAssumeRole/"
    )
    who = shell.run("aws sts get-caller-identity --query Arn --output text")
    assert "assumed-role/s3FullforAssumeRole/s3FullforAssumeRole-session" in who.output
    made = shell.run(f"aws s3 mb s3://tutorial-{kind}")
    assert f"make_bucket: tutorial-{kind}" in made.output and made.status == "0"
    status = shell.run("stsenv status")
    assert "s3FullforAssumeRole" in status.output and "123456789012" in status.output
    assert active["AWS_ACCESS_KEY_ID"] not in status.output

    cleared = shell.run("stsenv clear")
    assert cleared.status == "0" and cleared.line == ""
    assert shell_env(shell.environ()) == before
    denied = shell.run(f"aws s3 mb s3://tutorial-{kind}-again")
    assert "AccessDenied" in denied.output


ERRORS = [
    ("stsenv use no-such-role-anywhere", "3"),  # GetRole denied, so AssumeRole says no
    ("stsenv use s3FullforAssumeRole --duration 5m", "2"),
    ("stsenv use s3FullforAssumeRole --session-name 'has spaces'", "2"),
    ("stsenv use s3FullforAssumeRole --bogus", "2"),
    ("stsenv use 'arn:aws:iam::123456789012:role/nope'", "3"),
    ("AWS_ENDPOINT_URL=http://127.0.0.1:9 stsenv use s3FullforAssumeRole --refresh", "4"),
]


@pytest.mark.parametrize("kind", SHELLS)
def test_errors_leave_the_shell_as_it_was(
    kind: str, start_shell: StartShell, aws_env: dict[str, str]
) -> None:
    shell = start_shell(kind, aws_env)
    shell.run("stsenv use s3Full")  # errors while a role is active must keep it, too
    before = shell_env(shell.environ())
    for command, status in ERRORS:
        failed = shell.run(command, timeout=60)
        text = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", failed.output)  # terminal modes
        lines = [line for line in text.splitlines() if line.startswith("stsenv: ")]
        assert len(lines) == 1, (command, failed.output)
        assert "Traceback" not in failed.output
        assert failed.status == status, (command, failed.output)
        assert shell_env(shell.environ()) == before, command
        expect_role_prompt(failed.line)
