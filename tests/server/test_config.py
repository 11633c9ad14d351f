"""CMD's AWS config under `stsenv exec --server` is read as botocore reads it and keeps only
settings: whatever the shape of the user's file, no key reaches the generated files and the
job acts as the role."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from support.local_aws import ACCOUNT, ROLE, LocalAws

from server.support import run_server, with_default_keys

ASSUMED = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/"
# The job: who it is, and the files it was given.
JOB = (
    "import boto3, json, os\n"
    "files = [open(os.environ[n]).read()\n"
    "         for n in ('AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE')]\n"
    "arn = boto3.client('sts').get_caller_identity()['Arn']\n"
    "print(json.dumps({'arn': arn, 'files': files}))\n"
)


@pytest.fixture
def env(server_env: dict[str, str], aws_world: LocalAws) -> dict[str, str]:
    return with_default_keys(server_env, aws_world)


@pytest.mark.parametrize(
    ("profile", "shape"),
    [
        # configparser (hence botocore) reads an indented first line as a setting
        (
            "target",
            "[profile target]\n  aws_access_key_id = {key}\n"
            "aws_secret_access_key = {secret}\nregion = eu-west-3\n",
        ),
        # ... and a section header followed by a comment as that section
        (
            "keys",
            "[services local]\nsts =\n  endpoint_url = {endpoint}\n"
            "[profile keys] ; taro's keys\naws_access_key_id = {key}\n"
            "aws_secret_access_key = {secret}\naws_session_token = {secret}\n"
            "region = eu-west-3\n",
        ),
    ],
)
def test_no_key_of_the_profile_reaches_the_job(
    env: dict[str, str], aws_world: LocalAws, profile: str, shape: str
) -> None:
    key, secret = aws_world.keys["taro"]
    config = Path(env["HOME"]) / ".aws" / "config"
    added = shape.format(key=key, secret=secret, endpoint=aws_world.endpoint)
    config.write_text(config.read_text() + "\n" + added)
    done = run_server({**env, "AWS_PROFILE": profile}, "s3Full", sys.executable, "-c", JOB)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["arn"].startswith(ASSUMED)
    generated = "".join(seen["files"])
    assert key not in generated and secret not in generated, generated
    assert "aws_" not in generated, generated
    assert seen["files"][0].startswith("[default]\nregion = eu-west-3\n"), generated


def test_only_settings_are_kept(env: dict[str, str]) -> None:
    """An allow-list: a setting nobody listed (here one that runs a program) is left out,
    and a value cannot smuggle a section in."""
    config = Path(env["HOME"]) / ".aws" / "config"
    config.write_text(
        config.read_text()
        + (
            "\n[profile odd]\nregion = eu-west-3\ncredential_process = /bin/false\n"
            "made_up_setting = 1\nS3 =\n  addressing_style = path\n  aws_access_key_id = AKIAX\n"
            "output = json\n  [default]\n  credential_process = /bin/false\n"
        )
    )
    program = "import os; print(open(os.environ['AWS_CONFIG_FILE']).read(), end='')"
    done = run_server({**env, "AWS_PROFILE": "odd"}, "s3Full", sys.executable, "-c", program)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[default]\nregion = eu-west-3\ns3 =\n  addressing_style = path\n"


def test_a_config_botocore_cannot_read(env: dict[str, str]) -> None:
    config = Path(env["HOME"]) / ".aws" / "config"
    config.write_text("[default]\nregion = eu-west-3\n[profile broken\nregion = x\n")
    done = run_server(env, "s3Full", "true")
    assert done.returncode != 0 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("stsenv: "), done.stderr


def test_no_key_of_a_boto2_config_reaches_the_job(
    env: dict[str, str], aws_world: LocalAws, tmp_path: Path
) -> None:
    """botocore also takes keys from a boto2 config ([Credentials] of BOTO_CONFIG, before
    the endpoint): read as botocore reads it, a header with a comment included."""
    key, secret = aws_world.keys["taro"]
    boto = tmp_path / "boto.cfg"
    boto.write_text(
        f"[Credentials] ; taro's\naws_access_key_id = {key}\n"
        f"aws_secret_access_key = {secret}\n[Boto]\nnum_retries = 3\n"
    )
    program = (
        "import boto3, json, os\n"
        "arn = boto3.client('sts').get_caller_identity()['Arn']\n"
        "print(json.dumps({'arn': arn, 'boto': open(os.environ['BOTO_CONFIG']).read()}))\n"
    )
    done = run_server({**env, "BOTO_CONFIG": str(boto)}, "s3Full", sys.executable, "-c", program)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["arn"].startswith(ASSUMED)
    assert key not in seen["boto"] and secret not in seen["boto"], seen["boto"]
    assert "[Boto]\nnum_retries = 3\n" in seen["boto"]
