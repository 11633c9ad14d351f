"""`stsenv credential-process` for real: the AWS CLI runs it from an AWS config profile
against the local STS; the stand-in STS counts the AssumeRole calls to show the cache
answers until the session nears its expiry."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from support.emulator import StandIn, assume_role_answer
from support.local_aws import ROLE
from support.verbs import STSENV, stsenv

STANDIN_ROLE = "arn:aws:iam::123456789012:role/standin"


def with_profile(aws_env: dict[str, str], tmp_path: Path, profile: str) -> dict[str, str]:
    """aws_env whose AWS config also has `profile` (the world's own file is shared)."""
    config = tmp_path / "aws-config"
    config.write_text(Path(aws_env["AWS_CONFIG_FILE"]).read_text() + "\n" + profile)
    return {**aws_env, "AWS_CONFIG_FILE": str(config)}


def test_the_aws_cli_uses_it_as_credential_process(aws_env: dict[str, str], tmp_path: Path) -> None:
    env = with_profile(
        aws_env,
        tmp_path,
        f"[profile p]\ncredential_process = {STSENV} credential-process s3Full\n"
        "region = ap-northeast-1\n",
    )
    for command in (
        ["sts", "get-caller-identity", "--query", "Arn", "--output", "text"],
        ["s3", "mb", "s3://via-credential-process"],
    ):
        done = subprocess.run(
            ["aws", *command, "--profile", "p"], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
    assert "make_bucket: via-credential-process" in done.stdout
    # The source user alone may not: it is the role's session that made the bucket.
    denied = subprocess.run(
        ["aws", "s3", "mb", "s3://as-taro"], env=env, capture_output=True, text=True, timeout=60
    )
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr


def test_output_is_version_1_with_an_rfc3339_expiration(aws_env: dict[str, str]) -> None:
    done = stsenv(aws_env, "credential-process", "s3Full", "--duration", "30m")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert sorted(answer) == [
        "AccessKeyId",
        "Expiration",
        "SecretAccessKey",
        "SessionToken",
        "Version",
    ]
    assert answer["Version"] == 1 and answer["AccessKeyId"].startswith("ASIA")
    expires = time.mktime(time.strptime(answer["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    expires -= time.timezone  # strptime read UTC as local time
    assert 25 * 60 < expires - time.time() <= 30 * 60


def _rfc3339(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def test_served_from_the_cache_while_fresh(standin: StandIn, standin_env: dict[str, str]) -> None:
    standin.script("AssumeRole", assume_role_answer(_rfc3339(time.time() + 3600)))
    first = stsenv(standin_env, "credential-process", STANDIN_ROLE)
    second = stsenv(standin_env, "credential-process", STANDIN_ROLE)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert first.stdout == second.stdout
    assert standin.actions == ["AssumeRole"]


def test_refreshed_ahead_of_expiry(standin: StandIn, standin_env: dict[str, str]) -> None:
    """With 4 minutes left (under the 5 the cache keeps) the next call assumes again,
    so an SDK never holds credentials that expire mid-request."""
    soon, later = _rfc3339(time.time() + 240), _rfc3339(time.time() + 3600)
    standin.script("AssumeRole", assume_role_answer(soon), assume_role_answer(later))
    first = stsenv(standin_env, "credential-process", STANDIN_ROLE)
    second = stsenv(standin_env, "credential-process", STANDIN_ROLE)
    assert json.loads(first.stdout)["Expiration"] == soon
    assert json.loads(second.stdout)["Expiration"] == later
    assert standin.actions == ["AssumeRole", "AssumeRole"]


def test_a_profile_that_sources_itself_is_one_error_line(
    aws_env: dict[str, str], tmp_path: Path
) -> None:
    """A role profile whose source runs `stsenv credential-process` of that same role
    would start stsenv without end; the inner run refuses, the outer says so."""
    env = with_profile(
        aws_env,
        tmp_path,
        f"[profile cp]\ncredential_process = {STSENV} credential-process looped\n\n"
        f"[profile looped]\nrole_arn = arn:aws:iam::123456789012:role/{ROLE}\n"
        "source_profile = cp\n",
    )
    done = stsenv(env, "credential-process", "looped")
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stsenv: could not get the credentials of"), (
        done.stderr
    )
    assert "credential-process looped was started by its own source profile" in lines[0]
