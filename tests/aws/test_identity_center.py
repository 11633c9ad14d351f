"""The local IAM Identity Center (tests/support/identity_center.py) speaks AWS's wire
protocols: proven with clients nobody here wrote — botocore's `sso` and `sso-oidc` clients
for every operation and error, botocore's SSO credential provider reading a token file the
way the AWS CLI v2 leaves it (refreshing it with the refresh token), and the AWS CLI v1
itself, whose `aws s3 mb` really runs as the SSO role on the local moto world."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError
from support.emulator import VENV_BIN, base_env
from support.identity_center import (
    DEVICE_GRANT,
    MOTO_ACCOUNT,
    SSO_REGION,
    START_URL,
    USER,
    IdentityCenter,
    token_cache_path,
    write_cli_v2_token,
    write_sso_config,
)
from support.local_aws import LocalAws
from support.program import caller_arn

ADMIN_ARN = f"arn:aws:sts::{MOTO_ACCOUNT}:assumed-role/AdministratorAccess/{USER}"


@pytest.fixture
def center(aws_world: LocalAws) -> Iterator[IdentityCenter]:
    with IdentityCenter(aws_world) as ic:
        yield ic


def clients(center: IdentityCenter, **config: Any) -> tuple[Any, Any]:
    """botocore's own sso-oidc and sso clients, pointed at the stand-in the way users point
    botocore anywhere: AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL_SSO_OIDC."""
    assert center.env.items() <= dict(os.environ).items()  # the `endpoint_env` fixture
    session = botocore.session.Session()
    cfg = Config(signature_version=UNSIGNED, region_name=SSO_REGION, **config)
    return session.create_client("sso-oidc", config=cfg), session.create_client("sso", config=cfg)


@pytest.fixture
def endpoint_env(center: IdentityCenter, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in center.env.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)


def code_of(error: ClientError) -> tuple[str, int]:
    return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def device_flow(oidc: Any, scopes: list[str] | None = None) -> tuple[dict[str, Any], Any]:
    kwargs: dict[str, Any] = {"clientName": "test", "clientType": "public"}
    if scopes is not None:
        kwargs["scopes"] = scopes
    client = oidc.register_client(**kwargs)
    auth = oidc.start_device_authorization(
        clientId=client["clientId"], clientSecret=client["clientSecret"], startUrl=START_URL
    )
    return client, auth


def poll(oidc: Any, client: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
    return dict(
        oidc.create_token(
            grantType=DEVICE_GRANT,
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            deviceCode=auth["deviceCode"],
        )
    )


# --- SSO-OIDC with botocore's client ---------------------------------------------------------


@pytest.mark.usefixtures("endpoint_env")
def test_device_grant_with_botocore(center: IdentityCenter) -> None:
    oidc, _sso = clients(center)
    client, auth = device_flow(oidc, ["sso:account:access"])
    assert client["clientSecretExpiresAt"] - client["clientIdIssuedAt"] == 90 * 24 * 3600
    assert auth["userCode"] in auth["verificationUriComplete"] and auth["interval"] == 1

    with pytest.raises(oidc.exceptions.AuthorizationPendingException) as pending:
        poll(oidc, client, auth)
    assert code_of(pending.value) == ("AuthorizationPendingException", 400)
    assert pending.value.response["error"] == "authorization_pending"  # the modeled field

    # The user opens the verification page (verificationUriComplete), as a browser would.
    with urllib.request.urlopen(auth["verificationUriComplete"], timeout=5) as page:  # noqa: S310
        assert b"approved" in page.read()
    token = poll(oidc, client, auth)
    assert token["tokenType"] == "Bearer" and token["expiresIn"] == center.access_token_lifetime
    assert token["accessToken"] and token["refreshToken"]
    assert center.token_is_valid(token["accessToken"])

    with pytest.raises(oidc.exceptions.InvalidGrantException):  # a device code works once
        poll(oidc, client, auth)

    refreshed = oidc.create_token(
        grantType="refresh_token",
        clientId=client["clientId"],
        clientSecret=client["clientSecret"],
        refreshToken=token["refreshToken"],
    )
    assert refreshed["accessToken"] != token["accessToken"] and refreshed["refreshToken"]
    with pytest.raises(oidc.exceptions.InvalidGrantException) as reused:  # refresh rotates
        oidc.create_token(
            grantType="refresh_token",
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            refreshToken=token["refreshToken"],
        )
    assert reused.value.response["error"] == "invalid_grant"
    assert center.calls["CreateToken"] == 5 and center.calls["RegisterClient"] == 1


@pytest.mark.usefixtures("endpoint_env")
@pytest.mark.parametrize(
    ("setup", "exception", "error", "status"),
    [
        ("slow_down", "SlowDownException", "slow_down", 400),
        ("expired", "ExpiredTokenException", "expired_token", 400),
        ("denied", "AccessDeniedException", "access_denied", 400),
        ("bad_secret", "InvalidClientException", "invalid_client", 401),
        ("bad_grant", "UnsupportedGrantTypeException", "unsupported_grant_type", 400),
    ],
)
def test_create_token_errors_parse_as_aws_sends_them(
    center: IdentityCenter, setup: str, exception: str, error: str, status: int
) -> None:
    oidc, _sso = clients(center)
    center.slow_down_first = 1 if setup == "slow_down" else 0
    center.device_code_lifetime = 0 if setup == "expired" else 600
    client, auth = device_flow(oidc, ["sso:account:access"])
    if setup == "denied":
        center.deny(auth["userCode"])
    if setup == "bad_secret":
        client = {**client, "clientSecret": "wrong"}
    grant = "client_credentials" if setup == "bad_grant" else DEVICE_GRANT
    with pytest.raises(getattr(oidc.exceptions, exception)) as caught:
        oidc.create_token(
            grantType=grant,
            clientId=client["clientId"],
            clientSecret=client["clientSecret"],
            deviceCode=auth["deviceCode"],
        )
    assert code_of(caught.value) == (exception, status)
    assert caught.value.response["error"] == error


@pytest.mark.usefixtures("endpoint_env")
def test_a_client_registered_without_scopes_gets_no_refresh_token(
    center: IdentityCenter,
) -> None:
    oidc, _sso = clients(center)
    center.auto_approve = True
    client, auth = device_flow(oidc, None)
    token = poll(oidc, client, auth)
    assert token["accessToken"] and "refreshToken" not in token


# --- the portal with botocore's client -------------------------------------------------------


@pytest.mark.usefixtures("endpoint_env")
def test_portal_operations_with_botocore(center: IdentityCenter, aws_world: LocalAws) -> None:
    _oidc, sso = clients(center)
    token = center.issue_token()["accessToken"]
    center.page_size = 1
    pages = list(sso.get_paginator("list_accounts").paginate(accessToken=token))
    accounts = [a for page in pages for a in page["accountList"]]
    assert [(a["accountId"], a["accountName"]) for a in accounts] == [
        (MOTO_ACCOUNT, "prjZ-dev"),
        ("210987654321", "prjZ-prod"),
    ]
    assert center.calls["ListAccounts"] == 2 and "nextToken" in pages[0]
    roles = [
        r
        for page in sso.get_paginator("list_account_roles").paginate(
            accessToken=token, accountId="210987654321"
        )
        for r in page["roleList"]
    ]
    assert roles == [
        {"roleName": "AdministratorAccess", "accountId": "210987654321"},
        {"roleName": "ReadOnlyAccess", "accountId": "210987654321"},
    ]

    before = time.time()
    given = sso.get_role_credentials(
        accessToken=token, accountId=MOTO_ACCOUNT, roleName="AdministratorAccess"
    )["roleCredentials"]
    assert before + 3500 < given["expiration"] / 1000 < before + 3700  # epoch milliseconds
    # Real credentials of the local world, for the role of the permission set's name.
    import boto3

    sts = boto3.client(
        "sts",
        endpoint_url=aws_world.endpoint,
        region_name="ap-northeast-1",
        aws_access_key_id=given["accessKeyId"],
        aws_secret_access_key=given["secretAccessKey"],
        aws_session_token=given["sessionToken"],
    )
    assert sts.get_caller_identity()["Arn"] == ADMIN_ARN

    sso.logout(accessToken=token)
    assert center.logged_out == [token] and not center.token_is_valid(token)
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.get_role_credentials(
            accessToken=token, accountId=MOTO_ACCOUNT, roleName="AdministratorAccess"
        )


@pytest.mark.usefixtures("endpoint_env")
def test_portal_errors_parse_as_aws_sends_them(center: IdentityCenter) -> None:
    _oidc, sso = clients(center, retries={"mode": "standard", "total_max_attempts": 3})
    token = center.issue_token()["accessToken"]
    with pytest.raises(sso.exceptions.UnauthorizedException) as caught:
        sso.list_accounts(accessToken="not-a-token")
    assert code_of(caught.value) == ("UnauthorizedException", 401)
    assert caught.value.response["Error"]["Message"] == "Session token not found or invalid"

    with pytest.raises(ClientError) as forbidden:
        sso.get_role_credentials(accessToken=token, accountId=MOTO_ACCOUNT, roleName="Nope")
    assert code_of(forbidden.value) == ("ForbiddenException", 403)

    with pytest.raises(sso.exceptions.InvalidRequestException):
        sso.list_account_roles(accessToken=token, accountId="not-an-id")

    center.throttle_first = 2  # botocore's standard mode retries 429 TooManyRequests
    answer = sso.list_accounts(accessToken=token)
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2 and answer["accountList"]
    center.throttle_first = 5
    with pytest.raises(sso.exceptions.TooManyRequestsException) as throttled:
        sso.list_accounts(accessToken=token)
    assert code_of(throttled.value) == ("TooManyRequestsException", 429)

    center.faults["GetRoleCredentials"] = "unauthorized"  # revoked mid-way
    with pytest.raises(sso.exceptions.UnauthorizedException):
        sso.get_role_credentials(
            accessToken=token, accountId=MOTO_ACCOUNT, roleName="ReadOnlyAccess"
        )

    center.faults["GetRoleCredentials"] = "garbage"  # a proxy's HTML page, status 200
    answer = sso.get_role_credentials(
        accessToken=token, accountId=MOTO_ACCOUNT, roleName="ReadOnlyAccess"
    )
    assert "roleCredentials" not in answer


@pytest.mark.usefixtures("endpoint_env")
def test_a_hanging_portal_times_out_in_botocore(center: IdentityCenter) -> None:
    _oidc, sso = clients(center, read_timeout=1, retries={"total_max_attempts": 1})
    token = center.issue_token()["accessToken"]
    center.faults["GetRoleCredentials"] = "hang"
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        sso.get_role_credentials(
            accessToken=token, accountId=MOTO_ACCOUNT, roleName="ReadOnlyAccess"
        )
    assert time.monotonic() - started < 5


# --- botocore's SSO credential provider and the AWS CLI v1, in their own processes --------

PROVIDER = """
import json, sys, botocore.session
session = botocore.session.Session(profile=sys.argv[1])
creds = session.get_credentials().get_frozen_credentials()
arn = session.create_client("sts").get_caller_identity()["Arn"]
print(json.dumps({"arn": arn, "has_token": bool(creds.token)}))
"""


@pytest.fixture
def sso_env(center: IdentityCenter, aws_world: LocalAws, tmp_path: Path) -> dict[str, str]:
    """A user's environment: HOME with no sign-in yet, the SSO profiles in the AWS config,
    AWS = the moto world, IAM Identity Center = the stand-in."""
    env = base_env(tmp_path / "home")
    env.update(aws_world.env)
    env.update(center.env)
    env.pop("AWS_PROFILE")
    env["AWS_CONFIG_FILE"] = str(write_sso_config(tmp_path / "aws-config"))
    return env


def run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)


def provider(env: dict[str, str], profile: str) -> dict[str, Any]:
    done = run(env, sys.executable, "-c", PROVIDER, profile)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_botocore_provider_reads_a_cli_v2_token(
    center: IdentityCenter, sso_env: dict[str, str]
) -> None:
    write_cli_v2_token(Path(sso_env["HOME"]), center.issue_token())
    assert provider(sso_env, "dev-admin") == {"arn": ADMIN_ARN, "has_token": True}
    assert center.calls["GetRoleCredentials"] == 1 and center.calls["CreateToken"] == 0


def test_botocore_provider_refreshes_an_expired_token(
    center: IdentityCenter, sso_env: dict[str, str]
) -> None:
    issued = center.issue_token(lifetime=-60)  # expired a minute ago, refresh token valid
    path = write_cli_v2_token(Path(sso_env["HOME"]), issued)
    assert provider(sso_env, "dev-admin")["arn"] == ADMIN_ARN
    assert center.calls["CreateToken"] == 1  # grant_type refresh_token, by SSOTokenProvider
    saved = json.loads(path.read_text())
    assert saved["accessToken"] != issued["accessToken"]
    assert center.token_is_valid(saved["accessToken"])
    assert saved["expiresAt"].endswith("Z") and saved["refreshToken"] != issued["refreshToken"]


def test_botocore_provider_fails_on_an_expired_token_it_cannot_refresh(
    center: IdentityCenter, sso_env: dict[str, str]
) -> None:
    issued = center.issue_token(lifetime=-60)
    center.revoke_all()
    write_cli_v2_token(Path(sso_env["HOME"]), issued)
    done = run(sso_env, sys.executable, "-c", PROVIDER, "dev-admin")
    assert done.returncode != 0 and "TokenRetrievalError" in done.stderr
    assert center.calls["GetRoleCredentials"] == 0


def test_botocore_provider_legacy_profile(center: IdentityCenter, sso_env: dict[str, str]) -> None:
    issued = center.issue_token()
    path = write_cli_v2_token(Path(sso_env["HOME"]), issued, session_name=None)
    assert path == token_cache_path(Path(sso_env["HOME"]), None, START_URL)
    assert provider(sso_env, "legacy-admin")["arn"] == ADMIN_ARN


def test_aws_cli_v1_runs_as_the_sso_role(center: IdentityCenter, sso_env: dict[str, str]) -> None:
    write_cli_v2_token(Path(sso_env["HOME"]), center.issue_token())
    aws = f"{VENV_BIN}/aws"
    who = caller_arn(sso_env, "dev-admin")
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip() == ADMIN_ARN

    bucket = f"sso-{uuid.uuid4().hex[:12]}"
    made = run(sso_env, aws, "s3", "mb", f"s3://{bucket}", "--profile", "dev-admin")
    assert made.returncode == 0, made.stderr
    assert f"make_bucket: {bucket}" in made.stdout
    # The read-only permission set really is read-only: IAM authorization is on in moto.
    denied = run(sso_env, aws, "s3", "mb", f"s3://{bucket}-ro", "--profile", "dev-read")
    assert denied.returncode != 0 and "AccessDenied" in denied.stderr
    listed = run(sso_env, aws, "s3", "ls", "--profile", "dev-read")
    assert listed.returncode == 0 and bucket in listed.stdout, listed.stderr
    assert center.calls["GetRoleCredentials"] == 4  # one per command: the CLI v1 has no cache


def test_aws_cli_v1_legacy_profile(center: IdentityCenter, sso_env: dict[str, str]) -> None:
    write_cli_v2_token(Path(sso_env["HOME"]), center.issue_token(), session_name=None)
    who = caller_arn(sso_env, "legacy-admin")
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip() == ADMIN_ARN
