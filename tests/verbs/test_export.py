"""`stsenv export` against the local STS: every format carries the same credentials, read
back by the program that consumes that format (bash, zsh, fish, the AWS CLI, json);
secrets never go to a terminal without --force."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pexpect
import pytest
from support.local_aws import REGION, ROLE
from support.shells import shell_path
from support.verbs import CREDENTIAL_NAMES, STSENV, one_error_line, read_env0, stsenv


def exported(aws_env: dict[str, str], fmt: str) -> str:
    done = stsenv(aws_env, "export", "s3Full", "--format", fmt)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


def test_env_file_replaces_the_tutorials_awk_step(aws_env: dict[str, str], tmp_path: Path) -> None:
    """`stsenv export s3Full --format env > s3Full.env; source s3Full.env`, then the AWS CLI
    acts as the role (the source user alone may not make a bucket)."""
    env_file = tmp_path / "s3Full.env"
    env_file.write_text(exported(aws_env, "env"))
    lines = env_file.read_text().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [f"export {n}" for n in CREDENTIAL_NAMES]
    script = (
        f"source {env_file} && unset AWS_PROFILE && export AWS_DEFAULT_REGION={REGION} && "
        "aws sts get-caller-identity --query Arn --output text && aws s3 mb s3://exported-env"
    )
    done = subprocess.run(
        ["bash", "-c", script], env=aws_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert f"assumed-role/{ROLE}/" in done.stdout and "make_bucket: exported-env" in done.stdout


@pytest.mark.parametrize("kind", ["bash", "zsh", "fish"])
def test_shell_formats_are_read_back_exactly(
    kind: str, aws_env: dict[str, str], tmp_path: Path
) -> None:
    """The cache gives every format the same session, so json is the reference."""
    reference = json.loads(exported(aws_env, "json"))
    assert list(reference) == list(CREDENTIAL_NAMES)
    script = tmp_path / f"creds.{kind}"
    script.write_text(exported(aws_env, kind))
    target = tmp_path / "env0"
    source = f"source {script}; /usr/bin/env -0 > {target}"
    subprocess.run([shell_path(kind), "-c", source], env=aws_env, check=True, timeout=30)
    seen = read_env0(target)
    assert {n: seen[n] for n in CREDENTIAL_NAMES} == reference


def test_dotenv_and_powershell_lines(aws_env: dict[str, str]) -> None:
    reference = json.loads(exported(aws_env, "json"))
    dotenv = dict(line.split("=", 1) for line in exported(aws_env, "dotenv").splitlines())
    assert dotenv == reference
    lines = exported(aws_env, "powershell").splitlines()
    assert lines == [f"$Env:{k} = '{v}'" for k, v in reference.items()]
    pwsh = shutil.which("pwsh")
    if pwsh:  # read back by PowerShell itself where it is installed
        program = "\n".join([*lines, "$Env:AWS_SESSION_TOKEN"])
        done = subprocess.run(
            [pwsh, "-NoProfile", "-Command", program], capture_output=True, text=True
        )
        assert done.stdout.strip() == reference["AWS_SESSION_TOKEN"]


def test_refuses_a_terminal_unless_forced(aws_env: dict[str, str], tmp_path: Path) -> None:
    child = pexpect.spawn(STSENV, ["export", "s3Full"], env=aws_env, encoding="utf-8", timeout=60)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    text = child.before.strip()
    assert text.startswith("stsenv: not printing credentials to a terminal") and "\n" not in text
    assert "stsenv use s3Full" in text and "AWS_SECRET_ACCESS_KEY" not in text
    assert not (Path(aws_env["STSENV_CACHE_DIR"])).exists()  # refused before any AWS call

    child = pexpect.spawn(
        STSENV,
        ["export", "s3Full", "--force", "--format", "json"],
        env=aws_env,
        encoding="utf-8",
        timeout=60,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert set(json.loads(child.before)) == set(CREDENTIAL_NAMES)


@pytest.mark.parametrize(
    ("args", "status", "start"),
    [
        (["s3Full", "--format", "yaml"], 2, "stsenv: unknown format 'yaml': use one of env,"),
        (["no such role"], 2, "stsenv: unknown target 'no such role'"),
        (["s3Full", "--duration", "5m"], 2, "stsenv: duration '5m' is out of range"),
        (["s3ReadService"], 3, "stsenv: arn:aws:iam::123456789012:user/taro may not assume"),
        (["s3Full", "--nope"], 2, "stsenv: No such option: --nope"),
    ],
)
def test_errors_are_one_line(
    aws_env: dict[str, str], args: list[str], status: int, start: str
) -> None:
    one_error_line(stsenv(aws_env, "export", *args), status, start)
