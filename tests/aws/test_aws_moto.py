"""get_session end to end against the real moto server (IAM authorization on): every target
kind, the cache (with the server stopped), --refresh, external id, and the errors moto can
produce for real."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from support.local_aws import ACCOUNT, EXTERNAL_ID, EXTERNAL_ROLE, ROLE, SERVICE_ROLE, LocalAws

from stsenv import aws
from stsenv.errors import AwsDenied, AwsUnreachable, StsenvError, UsageError
from stsenv.model import RoleSession, UseRequest
from stsenv.settings import Settings

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
SERVICE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/{SERVICE_ROLE}"


def never_ask(prompt: str) -> str:
    raise AssertionError(f"unexpected prompt {prompt!r}")


def use(env: dict[str, str], target: str, **options: object) -> RoleSession:
    request = UseRequest(target, **options)  # type: ignore[arg-type]
    return aws.get_session(request, env, Settings.from_env(env), int(time.time()), never_ask)


def fails(env: dict[str, str], target: str, **options: object) -> StsenvError:
    with pytest.raises(StsenvError) as caught:
        use(env, target, **options)
    message = caught.value.message
    assert "\n" not in message and "Traceback" not in message
    for secret in secrets_of(env):
        assert secret not in message
    return caught.value


def secrets_of(env: dict[str, str]) -> list[str]:
    """Every secret the process could see: never to be found in a message."""
    found = [env[n] for n in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN") if n in env]
    credentials = Path(env["AWS_SHARED_CREDENTIALS_FILE"])
    if credentials.exists():
        for line in credentials.read_text().splitlines():
            if line.startswith("aws_secret_access_key"):
                found.append(line.split("=", 1)[1].strip())
    return found


def can_make_bucket(world: LocalAws, session: RoleSession, bucket: str) -> bool:
    import boto3

    creds = session.credentials
    s3 = boto3.client(
        "s3",
        endpoint_url=world.endpoint,
        region_name="ap-northeast-1",
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        aws_session_token=creds.session_token,
    )
    try:
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
        )
    except ClientError as e:
        assert e.response["Error"]["Code"] == "AccessDenied"
        return False
    return True


def test_the_tutorial_user_alone_cannot_make_a_bucket(aws_world: LocalAws) -> None:
    s3 = aws_world.client("s3", "taro")
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.create_bucket(
            Bucket="taro-alone", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
        )


@pytest.mark.parametrize(
    ("target", "display"),
    [("s3Full", "s3Full"), ("s3full", "s3full"), (ROLE_ARN, ROLE), (ROLE, ROLE)],
    ids=["alias", "profile", "arn", "bare-name"],
)
def test_every_target_kind_assumes_the_tutorial_role(
    aws_world: LocalAws, aws_env: dict[str, str], target: str, display: str
) -> None:
    session = use(aws_env, target)
    assert session.display_name == display
    assert session.role_arn == ROLE_ARN
    assert session.assumed_role_arn == (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/{ROLE}-session"
    )
    assert session.region == "ap-northeast-1"
    assert session.duration == 3600
    assert 3500 < session.credentials.expiration - time.time() <= 3600
    assert can_make_bucket(aws_world, session, f"bucket-{uuid.uuid4().hex[:16]}")


def test_options_reach_sts(aws_world: LocalAws, aws_env: dict[str, str]) -> None:
    session = use(aws_env, ROLE, duration="45m", session_name="taro-s3", region="eu-west-1")
    assert session.assumed_role_arn.endswith(f"/{ROLE}/taro-s3")
    assert session.duration == 45 * 60
    assert 45 * 60 - 100 < session.credentials.expiration - time.time() <= 45 * 60
    assert session.region == "eu-west-1"
    identity = aws_world.client("sts", "admin").get_caller_identity()
    assert identity["Arn"].endswith(":user/admin")  # the admin is untouched by all this


def test_bare_name_without_get_role_falls_back_and_is_remembered(aws_env: dict[str, str]) -> None:
    use(aws_env, ROLE)
    remembered = [
        json.loads(p.read_text()) for p in Path(aws_env["STSENV_CACHE_DIR"]).glob("role-*")
    ]
    assert [r["role_arn"] for r in remembered] == [ROLE_ARN]


def test_role_under_a_path_is_found_with_get_role(aws_env: dict[str, str]) -> None:
    session = use(aws_env, SERVICE_ROLE, profile="hanako-prjZ")
    assert session.role_arn == SERVICE_ARN
    assert session.display_name == SERVICE_ROLE


def test_role_under_a_path_without_get_role_is_denied(aws_env: dict[str, str]) -> None:
    error = fails(aws_env, SERVICE_ROLE)
    assert isinstance(error, AwsDenied) and error.exit_code == 3
    assert error.message.startswith(f"arn:aws:iam::{ACCOUNT}:user/taro may not assume ")
    assert not list(Path(aws_env["STSENV_CACHE_DIR"]).glob("role-*"))  # the wrong guess is gone


def test_cached_session_needs_no_server_and_no_botocore(
    aws_world: LocalAws, aws_env: dict[str, str]
) -> None:
    first = use(aws_env, "s3Full")
    script = (
        "import os, sys, time, json\n"
        "from stsenv import aws\n"
        "from stsenv.model import UseRequest\n"
        "from stsenv.settings import Settings\n"
        "s = aws.get_session(UseRequest('s3Full'), dict(os.environ),"
        " Settings.from_env(os.environ), int(time.time()), input)\n"
        "print(json.dumps([s.credentials.access_key_id, 'botocore' in sys.modules,"
        " 'boto3' in sys.modules]))\n"
    )
    aws_world.stop()
    try:
        out = subprocess.run(
            [sys.executable, "-c", script], env=aws_env, capture_output=True, text=True, check=True
        )
        assert json.loads(out.stdout) == [first.credentials.access_key_id, False, False]
        assert out.stderr == ""
        # Without the cache the same call really needs the server: the test can fail.
        error = fails(aws_env, "s3Full", refresh=True)
        assert isinstance(error, AwsUnreachable) and error.exit_code == 4
    finally:
        aws_world.start()


def test_refresh_assumes_again(aws_env: dict[str, str]) -> None:
    first = use(aws_env, ROLE_ARN)
    assert use(aws_env, ROLE_ARN).credentials.access_key_id == first.credentials.access_key_id
    again = use(aws_env, ROLE_ARN, refresh=True)
    assert again.credentials.access_key_id != first.credentials.access_key_id
    assert use(aws_env, ROLE_ARN).credentials.access_key_id == again.credentials.access_key_id


def test_a_different_duration_is_a_different_session(aws_env: dict[str, str]) -> None:
    first = use(aws_env, ROLE_ARN)
    other = use(aws_env, ROLE_ARN, duration="30m")
    assert other.credentials.access_key_id != first.credentials.access_key_id


def test_external_id(aws_env: dict[str, str]) -> None:
    assert use(aws_env, EXTERNAL_ROLE, external_id=EXTERNAL_ID).role_arn.endswith(EXTERNAL_ROLE)
    error = fails(aws_env, EXTERNAL_ROLE, external_id="wrong")
    assert isinstance(error, AwsDenied) and "may not assume" in error.message


def test_mfa_code_from_option_or_prompt(aws_env: dict[str, str]) -> None:
    serial = f"arn:aws:iam::{ACCOUNT}:mfa/taro"
    assert use(aws_env, ROLE, mfa_serial=serial, token_code="123456").role_arn == ROLE_ARN
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return "654321\n"

    request = UseRequest(ROLE, mfa_serial=serial, refresh=True)
    aws.get_session(request, aws_env, Settings.from_env(aws_env), int(time.time()), ask)
    assert asked == [f"MFA code for {serial}: "]
    error = fails(aws_env, ROLE, mfa_serial=serial, token_code="12ab", refresh=True)
    assert isinstance(error, UsageError) and "must be 6 digits" in error.message


def test_unknown_name_with_get_role_allowed(aws_env: dict[str, str]) -> None:
    error = fails(aws_env, "NoSuchRole", profile="hanako-prjZ")
    assert isinstance(error, UsageError) and error.exit_code == 2
    assert error.message.startswith("unknown target 'NoSuchRole'")
    assert "s3Full" in error.message and "s3full" in error.message


def test_hostile_target(aws_env: dict[str, str]) -> None:
    error = fails(aws_env, "x$(touch pwned)`touch pwned`")
    assert isinstance(error, UsageError) and "unknown target" in error.message
    assert not Path("pwned").exists()


def test_missing_profile(aws_env: dict[str, str]) -> None:
    error = fails(aws_env, ROLE_ARN, profile="nope")
    assert isinstance(error, UsageError) and error.exit_code == 2
    assert "AWS profile 'nope' is not in" in error.message


def test_profile_without_credentials(aws_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile empty]\nregion = ap-northeast-1\n")
    env = {**aws_env, "AWS_CONFIG_FILE": str(config), "AWS_PROFILE": "empty"}
    error = fails(env, ROLE_ARN)
    assert isinstance(error, UsageError)
    assert error.message.startswith("no AWS credentials found for AWS profile 'empty'")
    assert "aws configure" in error.message


def test_profile_loop(aws_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        f"[profile a]\nrole_arn = {ROLE_ARN}\nsource_profile = b\n"
        f"[profile b]\nrole_arn = {ROLE_ARN}\nsource_profile = a\n"
        f"[profile c]\nrole_arn = {ROLE_ARN}\nsource_profile = c\n"
    )
    env = {**aws_env, "AWS_CONFIG_FILE": str(config)}
    for target in ("a", "c"):
        error = fails(env, target)
        assert isinstance(error, UsageError) and "profile loop" in error.message


def test_unparsable_aws_config(aws_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile a\nregion\n")
    error = fails({**aws_env, "AWS_CONFIG_FILE": str(config)}, "s3FullforAssumeRole")
    assert isinstance(error, UsageError) and str(config) in error.message


def test_invalid_source_keys(aws_env: dict[str, str]) -> None:
    env = {
        **aws_env,
        "AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKE",
        "AWS_SECRET_ACCESS_KEY": "S3cr3tV4lue",
    }
    del env["AWS_PROFILE"]
    error = fails(env, ROLE_ARN)
    assert isinstance(error, AwsDenied) and "were rejected" in error.message


def test_malformed_stsenv_config(aws_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[roles.s3Full]\nrole_name = "x"\nrole = "y"\n')
    error = fails({**aws_env, "STSENV_CONFIG": str(config)}, "s3Full")
    assert isinstance(error, UsageError)
    assert error.message.startswith(f"config {config}, line 3: unknown key 'role'")


def test_unreachable_endpoint(aws_env: dict[str, str]) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    error = fails({**aws_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"}, ROLE_ARN)
    assert isinstance(error, AwsUnreachable) and error.exit_code == 4
    assert f"http://127.0.0.1:{port}" in error.message and "could not be reached" in error.message
    assert not list(Path(aws_env["STSENV_CACHE_DIR"]).glob("session-*"))
