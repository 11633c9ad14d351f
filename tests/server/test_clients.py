"""Clients nobody here wrote — boto3, the AWS CLI v1, the JS SDK v3 — under `stsenv exec
--server` act as the role, although ~/.aws/credentials holds [default] keys they would
otherwise prefer, and with the user's own non-credential settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.local_aws import ACCOUNT, REGION, ROLE, LocalAws
from support.shells import need_tool

from server.support import HERE, run_server, with_default_keys

ASSUMED = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE}/"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
BOTO3 = (
    "import boto3, json, sys\n"
    "arn = boto3.client('sts').get_caller_identity()['Arn']\n"
    "boto3.client('s3').create_bucket(Bucket=sys.argv[1],\n"
    "    CreateBucketConfiguration={'LocationConstraint': boto3.Session().region_name})\n"
    "print(json.dumps({'arn': arn}))\n"
)


@pytest.fixture
def env(server_env: dict[str, str], aws_world: LocalAws) -> dict[str, str]:
    return with_default_keys(server_env, aws_world)


def test_the_default_profile_would_win_without_the_server(env: dict[str, str]) -> None:
    """The control: the same environment with the role's keys neither in env nor served
    makes every client act as taro, whose [default] keys may not create buckets."""
    done = subprocess.run(
        ["aws", "sts", "get-caller-identity"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and json.loads(done.stdout)["Arn"].endswith(":user/taro")


def test_boto3_acts_as_the_role(env: dict[str, str]) -> None:
    done = run_server(env, "s3Full", sys.executable, "-c", BOTO3, "made-by-boto3")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["arn"].startswith(ASSUMED)


def test_the_aws_cli_acts_as_the_role(env: dict[str, str]) -> None:
    made = run_server(env, "s3Full", "aws", "s3", "mb", "s3://made-by-the-cli")
    assert made.returncode == 0 and "make_bucket: made-by-the-cli" in made.stdout, made.stderr
    who = run_server(env, "s3Full", "aws", "sts", "get-caller-identity")
    assert who.returncode == 0 and json.loads(who.stdout)["Arn"].startswith(ASSUMED), who.stderr
    denied = subprocess.run(
        ["aws", "s3", "mb", "s3://not-by-taro"], env=env, capture_output=True, text=True, timeout=60
    )
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr


def test_the_js_sdk_acts_as_the_role(env: dict[str, str]) -> None:
    node = need_tool("node")
    if not (HERE / "node_modules" / "@aws-sdk" / "client-sts").is_dir():
        message = "tests/server/node_modules is missing: run `npm ci --prefix tests/server`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    js_env = {**env, "NODE_NO_WARNINGS": "1"}
    done = run_server(js_env, "s3Full", node, str(HERE / "whoami.js"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["arn"].startswith(ASSUMED)
    control = subprocess.run(
        [node, str(HERE / "whoami.js")], env=js_env, capture_output=True, text=True, timeout=60
    )
    assert json.loads(control.stdout)["arn"].endswith(":user/taro"), control.stderr


def test_the_command_environment(env: dict[str, str], tmp_path: Path) -> None:
    """No keys, no profile; the endpoint, its token, the role's region, STSENV_EXEC; AWS
    files of its own that hold no credentials but keep the user's settings; all gone after."""
    inside = {
        **env,
        "AWS_ACCESS_KEY_ID": "AKIASTALE",
        "AWS_SECRET_ACCESS_KEY": "stale",
        "AWS_SESSION_TOKEN": "stale",
        "AWS_ROLE_ARN": "arn:aws:iam::1:role/x",
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/nope",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/nope",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/x",
    }
    inside["AWS_PROFILE"] = env["AWS_PROFILE"]  # taro-prjZ: its settings become [default]
    report = tmp_path / "report.json"
    program = (
        "import json, os, stat, sys\n"
        "e = dict(os.environ)\n"
        "files = {n: (open(e[n]).read(), stat.S_IMODE(os.stat(e[n]).st_mode),\n"
        "             stat.S_IMODE(os.stat(os.path.dirname(e[n])).st_mode))\n"
        "         for n in ('AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE')}\n"
        "json.dump({'env': e, 'files': files}, open(sys.argv[1], 'w'))\n"
    )
    done = run_server(inside, "s3Full", sys.executable, "-c", program, str(report))
    assert done.returncode == 0 and done.stderr == "", done.stderr
    seen = json.loads(report.read_text())
    cmd = seen["env"]
    gone = (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_CREDENTIAL_EXPIRATION",
    )
    assert [name for name in gone if name in cmd] == []
    assert cmd["AWS_CONTAINER_CREDENTIALS_FULL_URI"].startswith("http://127.0.0.1:")
    token = cmd["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    assert len(token) >= 32 and len(bytes.fromhex(token)) * 8 >= 128
    assert cmd["AWS_REGION"] == cmd["AWS_DEFAULT_REGION"] == REGION
    assert cmd["STSENV_EXEC"] == ROLE_ARN
    config, config_mode, dir_mode = seen["files"]["AWS_CONFIG_FILE"]
    credentials, credentials_mode, _ = seen["files"]["AWS_SHARED_CREDENTIALS_FILE"]
    assert credentials == "" and credentials_mode == 0o600
    assert config_mode == 0o600 and dir_mode == 0o700
    assert config.startswith("[default]\nregion = ap-northeast-1\n"), config  # taro-prjZ's
    assert "aws_access_key_id" not in config and "role_arn" not in config
    assert "source_profile" not in config and "[profile" not in config
    assert not Path(cmd["AWS_CONFIG_FILE"]).parent.exists()
    assert list(Path(env["TMPDIR"]).iterdir()) == []


def test_settings_of_the_selected_profile_are_kept(env: dict[str, str]) -> None:
    """Selected by AWS_PROFILE: nested settings, services sections and output stay; the
    settings that choose credentials go."""
    config = Path(env["HOME"]) / ".aws" / "config"
    config.write_text(
        config.read_text()
        + (
            "\n[profile tuned]\nregion = eu-west-3\noutput = text\nservices = local\n"
            "credential_process = /bin/false\nsso_session = corp\n"
            "role_arn = arn:aws:iam::1:role/r\n"
            "s3 =\n  addressing_style = path\nmfa_serial = arn:aws:iam::1:mfa/x\n"
            "\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:9\n"
            "\n[sso-session corp]\nsso_start_url = https://example.invalid/start\n"
        )
    )
    program = "import os; print(open(os.environ['AWS_CONFIG_FILE']).read(), end='')"
    selected = {k: v for k, v in env.items() if k != "AWS_PROFILE"}
    selected["AWS_DEFAULT_PROFILE"] = "tuned"
    done = run_server(selected, "s3Full", sys.executable, "-c", program)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "[default]\nregion = eu-west-3\noutput = text\nservices = local\n"
        "s3 =\n  addressing_style = path\n"
        "[services local]\nsts =\n  endpoint_url = http://127.0.0.1:9\n"
    )
