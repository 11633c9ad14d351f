"""Every AWS profile is a target, through the real program and in real bash, zsh and fish:
IAM Identity Center profiles (both forms) and ACCOUNT/ROLE of a sign-in against the local
Identity Center, key and credential_process profiles against moto, with the AWS CLI as the
client that proves what the shell holds; `stsenv login` / `logout` end to end."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from support.identity_center import (
    MOTO_ACCOUNT,
    SESSION_NAME,
    IdentityCenter,
    approve_when_pending,
    token_cache_path,
    write_cli_v2_token,
)
from support.local_aws import REGION, LocalAws
from support.program import caller_arn, one_error_line
from support.program import stsenv as run
from support.shells import SHELLS, InteractiveShell

StartShell = Callable[..., InteractiveShell]
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def signed_in(env: dict[str, str], center: IdentityCenter, legacy: bool = False) -> None:
    """An earlier sign-in, as `aws sso login` (AWS CLI v2) leaves it."""
    home = Path(env["HOME"])
    if legacy:
        write_cli_v2_token(home, center.issue_token(), session_name=None)
    else:
        write_cli_v2_token(home, center.issue_token())


def one_line(done: subprocess.CompletedProcess[str], status: int, *parts: str) -> str:
    line = one_error_line(done, status, "stsenv: ")
    for part in parts:
        assert part in line, line
    return line


def shell_lines(output: str) -> list[str]:
    return [line for line in ANSI.sub("", output).splitlines() if line.startswith("stsenv: ")]


def bare(environ: dict[str, str]) -> dict[str, str]:
    # (FAKETIME_SHARED: libfaketime's own shared memory, which it may set up again.)
    return {k: v for k, v in environ.items() if k not in {"_", "OLDPWD", "FAKETIME_SHARED"}}


# --- login and logout through the program ------------------------------------------------------


def test_login_signs_in_for_the_aws_cli_too(
    sso_env: dict[str, str], center: IdentityCenter
) -> None:
    approver = approve_when_pending(center)
    done = run(sso_env, "login", "--no-browser")  # the only [sso-session] of the config
    approver.join()
    assert done.returncode == 0 and done.stdout == "", done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith("stsenv: to sign in to https://") and "confirm the code" in lines[0]
    assert lines[-1] == (
        "stsenv: signed in to sso-session corp; the AWS CLI and SDKs share this sign-in"
    )
    token = token_cache_path(Path(sso_env["HOME"]), SESSION_NAME)
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    saved = json.loads(token.read_text())
    assert saved["accessToken"] not in done.stderr and saved["refreshToken"]
    # The AWS CLI (its own botocore) now works with the profile, from the same token file.
    who = caller_arn(sso_env, "dev-admin")
    assert who.returncode == 0, who.stderr
    admin = f"arn:aws:sts::{MOTO_ACCOUNT}:assumed-role/AdministratorAccess/taro"
    assert who.stdout.strip() == admin


def test_login_code_expires_in_one_line(sso_env: dict[str, str], center: IdentityCenter) -> None:
    center.device_code_lifetime = 2
    done = run(sso_env, "login", "--sso-session", "corp", "--no-browser")
    assert done.returncode == 3 and done.stdout == ""
    assert done.stderr.splitlines()[-1].startswith("stsenv: the sign-in code ")
    assert not token_cache_path(Path(sso_env["HOME"]), SESSION_NAME).exists()


def test_login_names_the_sign_ins_when_it_cannot_tell(
    sso_env: dict[str, str], tmp_path: Path
) -> None:
    config = Path(sso_env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text() + "\n[sso-session other]\nsso_start_url = "
        "https://o.awsapps.com/start\nsso_region = us-east-1\n"
    )
    one_line(run(sso_env, "login"), 2, "--sso-session", "corp", "other")
    one_line(run(sso_env, "login", "--sso-session", "nope"), 2, "no [sso-session nope]")


def test_logout_forgets_the_token_and_the_roles_cached_from_it(
    sso_env: dict[str, str], center: IdentityCenter
) -> None:
    signed_in(sso_env, center)
    hooked = {**sso_env, "STSENV_SHELL": "bash"}
    assert run(hooked, "use", "dev-admin").returncode == 0
    cache = Path(sso_env["STSENV_CACHE_DIR"])
    assert len(list(cache.glob("session-*.json"))) == 1
    done = run(sso_env, "logout")
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "stsenv: signed out of sso-session corp and removed 1 cached role session\n"
    )
    assert center.logged_out and not token_cache_path(Path(sso_env["HOME"]), SESSION_NAME).exists()
    assert list(cache.glob("session-*.json")) == []
    one_line(run(hooked, "use", "dev-admin"), 3, "not signed in", "stsenv login --sso-session corp")


# --- not signed in, portal faults: one line, nothing changed or cached ------------------------


@pytest.mark.parametrize(
    ("fault", "status", "text"),
    [
        (None, 3, "run `stsenv login --sso-session corp`"),  # never signed in
        ("unauthorized", 3, "has expired or was revoked: run `stsenv login --sso-session corp`"),
        ("garbage", 4, "answered something that is not its API"),
    ],
)
def test_sso_failures_are_one_line_and_cache_nothing(
    sso_env: dict[str, str], center: IdentityCenter, fault: str | None, status: int, text: str
) -> None:
    if fault is not None:
        signed_in(sso_env, center)
        center.faults["GetRoleCredentials"] = fault
    one_line(run({**sso_env, "STSENV_SHELL": "zsh"}, "use", "dev-admin"), status, text)
    assert list(Path(sso_env["STSENV_CACHE_DIR"]).glob("session-*.json")) == []


# --- the profile kinds and ACCOUNT/ROLE in real shells -------------------------------------------


@pytest.mark.parametrize("kind", SHELLS)
def test_sso_profiles_in_a_real_shell_with_the_aws_cli(
    kind: str, start_shell: StartShell, sso_env: dict[str, str], center: IdentityCenter
) -> None:
    signed_in(sso_env, center)
    signed_in(sso_env, center, legacy=True)
    shell = start_shell(kind, sso_env)
    before = bare(shell.environ())
    for profile in ("dev-admin", "legacy-admin"):
        used = shell.run(f"stsenv use {profile}", timeout=60)
        assert used.status == "0", used.output
        assert used.segment is not None and re.fullmatch(rf"{profile} (59|60)m", used.segment)
        made = shell.run(f"aws s3 mb s3://sso-{kind}-{profile}", timeout=60)
        assert f"make_bucket: sso-{kind}-{profile}" in made.output, made.output
        status = shell.run("stsenv status")
        assert profile in status.output and MOTO_ACCOUNT in status.output
        assert "assumed-role/AdministratorAccess" in status.output
    assert center.calls["GetRoleCredentials"] == 2
    # A second shell within the credentials' life asks the portal nothing.
    other = start_shell(kind, sso_env)
    assert other.run("stsenv use dev-admin").status == "0"
    assert center.calls["GetRoleCredentials"] == 2
    assert shell.run("stsenv clear").status == "0"
    assert bare(shell.environ()) == before


@pytest.mark.parametrize("kind", SHELLS)
def test_an_expired_sign_in_leaves_the_shell_untouched(
    kind: str, start_shell: StartShell, sso_env: dict[str, str], center: IdentityCenter
) -> None:
    shell = start_shell(kind, sso_env)
    before = bare(shell.environ())
    failed = shell.run("stsenv use dev-read", timeout=60)
    assert failed.status == "3"
    lines = shell_lines(failed.output)
    assert len(lines) == 1 and "stsenv login --sso-session corp" in lines[0], failed.output
    assert bare(shell.environ()) == before and failed.segment is None


@pytest.mark.parametrize("kind", ["bash", "fish"])
def test_account_slash_role_targets(
    kind: str, start_shell: StartShell, sso_env: dict[str, str], center: IdentityCenter
) -> None:
    signed_in(sso_env, center)
    listed = run(sso_env, "roles", "--sso", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["target"]: r for r in json.loads(listed.stdout)}
    assert rows["prjZ-dev/ReadOnlyAccess"]["account_id"] == MOTO_ACCOUNT
    assert len(rows) == 4 and center.calls["ListAccounts"] == 1
    assert run(sso_env, "roles", "--sso").returncode == 0
    assert center.calls["ListAccounts"] == 1  # the second listing came from the cache

    shell = start_shell(kind, sso_env)
    used = shell.run("stsenv use prjZ-dev/AdministratorAccess", timeout=60)
    assert used.status == "0", used.output
    assert used.segment is not None and used.segment.startswith("prjZ-dev/AdministratorAccess ")
    assert "make_bucket: slash-" in shell.run(f"aws s3 mb s3://slash-{kind}", timeout=60).output
    by_id = shell.run(f"stsenv use {MOTO_ACCOUNT}/ReadOnlyAccess", timeout=60)
    assert by_id.status == "0", by_id.output
    denied = shell.run(f"aws s3 mb s3://slash-ro-{kind}", timeout=60)
    assert "AccessDenied" in denied.output  # ReadOnlyAccess really is the role in use
    unknown = shell.run("stsenv use no-such-account/AdministratorAccess", timeout=60)
    lines = shell_lines(unknown.output)
    assert unknown.status == "2" and len(lines) == 1
    assert "no account named 'no-such-account'" in lines[0]


def test_account_slash_role_is_offered_by_completion(
    sso_env: dict[str, str], center: IdentityCenter
) -> None:
    signed_in(sso_env, center)
    assert run(sso_env, "roles", "--sso").returncode == 0
    done = run(sso_env, "__complete", "bash", "use", "prjZ-p")
    assert done.stdout.split() == ["prjZ-prod/AdministratorAccess", "prjZ-prod/ReadOnlyAccess"]


@pytest.mark.parametrize("kind", ["zsh"])
def test_use_login_signs_in_first(
    kind: str, start_shell: StartShell, sso_env: dict[str, str], center: IdentityCenter
) -> None:
    shell = start_shell(kind, sso_env)
    approver = approve_when_pending(center, timeout=40)
    used = shell.run("stsenv use --login dev-admin", timeout=60)
    approver.join()
    assert used.status == "0", used.output
    assert "confirm the code" in used.output and used.segment is not None
    assert token_cache_path(Path(sso_env["HOME"]), SESSION_NAME).exists()


def _role_credentials(aws_world: LocalAws) -> dict[str, object]:
    sts = boto3.client(
        "sts",
        endpoint_url=aws_world.endpoint,
        region_name=REGION,
        aws_access_key_id=aws_world.keys["taro"][0],
        aws_secret_access_key=aws_world.keys["taro"][1],
    )
    answer = sts.assume_role(
        RoleArn=f"arn:aws:iam::{MOTO_ACCOUNT}:role/s3FullforAssumeRole",
        RoleSessionName="from-process",
        DurationSeconds=3600,
    )
    creds = answer["Credentials"]
    return {
        "Version": 1,
        "AccessKeyId": creds["AccessKeyId"],
        "SecretAccessKey": creds["SecretAccessKey"],
        "SessionToken": creds["SessionToken"],
        "Expiration": creds["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


@pytest.mark.parametrize("kind", SHELLS)
def test_key_and_credential_process_profiles(
    kind: str,
    start_shell: StartShell,
    aws_env: dict[str, str],
    aws_world: LocalAws,
    tmp_path: Path,
) -> None:
    process_output = tmp_path / "process.json"
    process_output.write_text(json.dumps(_role_credentials(aws_world)))
    config = tmp_path / "aws-config"
    command = f"{sys.executable} -c \"print(open('{process_output}').read())\""
    profile = f"\n[profile proc]\ncredential_process = {command}\nregion = {REGION}\n"
    config.write_text(Path(aws_env["AWS_CONFIG_FILE"]).read_text() + profile)
    env = {**aws_env, "AWS_CONFIG_FILE": str(config)}
    env.pop("AWS_PROFILE")
    shell = start_shell(kind, env)
    before = bare(shell.environ())

    used = shell.run("stsenv use admin --duration 2h", timeout=60)  # long-term keys
    assert used.status == "0", used.output
    assert used.segment is not None and re.fullmatch(r"admin (119|120)m", used.segment)
    active = shell.environ()
    long_term = aws_world.keys["admin"][0]
    assert active["AWS_ACCESS_KEY_ID"] != long_term and active["AWS_SESSION_TOKEN"]
    assert long_term not in json.dumps(active)  # never the keys themselves
    assert active["STSENV_ARN"] == f"arn:aws:iam::{MOTO_ACCOUNT}:user/admin"

    used = shell.run("stsenv use proc", timeout=60)
    assert used.status == "0", used.output
    assert used.segment is not None and used.segment.startswith("proc ")
    who = shell.run("aws sts get-caller-identity --query Arn --output text", timeout=60)
    assert "assumed-role/s3FullforAssumeRole/from-process" in who.output
    assert "make_bucket: proc-" in shell.run(f"aws s3 mb s3://proc-{kind}", timeout=60).output
    assert shell.run("stsenv clear").status == "0"
    assert bare(shell.environ()) == before


def test_a_profile_of_settings_only_is_one_line(aws_env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "aws-config"
    config.write_text(
        Path(aws_env["AWS_CONFIG_FILE"]).read_text()
        + "\n[profile settings-only]\nregion = eu-west-1\n"
    )
    env = {**aws_env, "AWS_CONFIG_FILE": str(config), "STSENV_SHELL": "bash"}
    one_line(run(env, "use", "settings-only"), 2, "'settings-only' has no credentials of its own")


def test_roles_lists_every_profile_kind(sso_env: dict[str, str]) -> None:
    done = run(sso_env, "roles", "--json")
    assert done.returncode == 0, done.stderr
    kinds = {r["name"]: r["kind"] for r in json.loads(done.stdout)}
    assert kinds["dev-admin"] == kinds["legacy-admin"] == "sso profile"
    assert kinds["admin"] == "keys profile" and kinds["s3full"] == "profile"
    assert os.environ.get("STSENV_SHELL") is None  # nothing leaked from the test runner


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL_SSO_OIDC"])
def test_an_sso_endpoint_that_is_not_a_url_is_one_line(
    sso_env: dict[str, str], center: IdentityCenter, variable: str
) -> None:
    signed_in(sso_env, center)
    env = {**sso_env, variable: "not a url", "STSENV_SHELL": "bash"}
    verbs = (
        [("login", "--no-browser")]
        if variable.endswith("OIDC")
        else [("use", "dev-admin"), ("roles", "--sso", "--refresh"), ("logout",)]
    )
    for args in verbs:
        one_line(run(env, *args), 2, f"{variable}='not a url' is not an endpoint URL")


def test_roles_shows_profile_names_inert(sso_env: dict[str, str]) -> None:
    config = Path(sso_env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text() + "\n[profile evil\x1b]0;owned\x07]\n"
        "aws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n"
    )
    done = run(sso_env, "roles")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout
    assert "evil\\x1b]0;owned\\x07" in done.stdout
