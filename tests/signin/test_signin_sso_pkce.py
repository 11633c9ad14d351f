"""IAM Identity Center sign-in in the browser (authorization code + PKCE, as `aws sso login`
by default since AWS CLI 2.22) through the real program, against the local Identity Center
(support/identity_center.py /authorize and the authorization_code grant), with headless
Chromium or curl as the browser opened through BROWSER; the AWS CLI and botocore as clients
of the token written; when the device code is used instead; bad answers."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest
from support.emulator import VENV_BIN
from support.identity_center import (
    MOTO_ACCOUNT,
    SESSION_NAME,
    START_URL,
    IdentityCenter,
    approve_when_pending,
    token_cache_path,
)
from support.program import caller_arn
from support.signin import browser, one_line, run

AWS = str(Path(VENV_BIN) / "aws")


def _token(env: dict[str, str]) -> Path:
    return token_cache_path(Path(env["HOME"]), SESSION_NAME)


def test_login_in_chromium_with_pkce_serves_the_aws_cli(
    sso_env: dict[str, str], center: IdentityCenter, tmp_path: Path
) -> None:
    command, page = browser(tmp_path)
    env = {**sso_env, "BROWSER": command, "STSENV_LOGIN_WAIT": "30"}
    done = run(env, "login", "--sso-session", SESSION_NAME)
    assert done.returncode == 0, done.stderr
    assert "in the browser" in done.stderr and "confirm the code" not in done.stderr
    assert center.calls["StartDeviceAuthorization"] == 0
    # The redirect came the instant /authorize was asked for; the listener was there.
    assert center.listener_up == [True]
    assert center.codes_redeemed == 1
    assert center.registered_grants == [
        (["authorization_code", "refresh_token"], ["http://127.0.0.1/oauth/callback"])
    ]
    deadline = time.time() + 20
    while time.time() < deadline and "close this page" not in (
        page.read_text() if page.exists() else ""
    ):
        time.sleep(0.2)
    assert "You may close this page." in page.read_text()
    token = _token(env)
    assert stat.S_IMODE(token.stat().st_mode) == 0o600
    saved = json.loads(token.read_text())
    assert saved["startUrl"].startswith("https://") and saved["refreshToken"]
    assert saved["accessToken"] not in done.stderr
    # The AWS CLI (its own botocore, its SSO provider) works from that token file.
    who = caller_arn(env, "dev-admin")
    assert who.returncode == 0, who.stderr
    assert (
        who.stdout.strip() == f"arn:aws:sts::{MOTO_ACCOUNT}:assumed-role/AdministratorAccess/taro"
    )
    # The registration is kept and reused by the next browser sign-in.
    command2, _ = browser(tmp_path, "curl")
    assert run({**env, "BROWSER": command2}, "login").returncode == 0
    assert len(center.registered_grants) == 1 and center.codes_redeemed == 2


def _device_code_used(env: dict[str, str], center: IdentityCenter, *args: str) -> None:
    approver = approve_when_pending(center)
    done = run(env, "login", *args)
    approver.join()
    assert done.returncode == 0, done.stderr
    assert "confirm the code" in done.stderr
    assert center.calls["Authorize"] == 0 and center.calls["StartDeviceAuthorization"] == 1
    assert _token(env).exists()


def test_the_device_code_by_setting_opens_the_page_through_browser(
    sso_env: dict[str, str], center: IdentityCenter, tmp_path: Path
) -> None:
    """The device code opens its page by the one rule of the browser sign-ins (Python's
    webbrowser, BROWSER honoured, no DISPLAY needed), and still prints the code's line."""
    opened = tmp_path / "opened"
    command = tmp_path / "recorder"
    command.write_text(f'#!/bin/sh\nprintf %s "$1" >"{opened}"\n')
    command.chmod(0o755)
    env = {**sso_env, "BROWSER": str(command), "STSENV_SSO_DEVICE_CODE": "1"}
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY"):
        env.pop(name, None)
    _device_code_used(env, center)
    deadline = time.time() + 10
    while not opened.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert opened.exists()
    assert opened.read_text().startswith(f"{center.endpoint}/_test/device?user_code=")


def test_the_device_code_over_ssh(
    sso_env: dict[str, str], center: IdentityCenter, tmp_path: Path
) -> None:
    command, _ = browser(tmp_path, "curl")
    env = {**sso_env, "BROWSER": command, "SSH_CONNECTION": "10.0.0.2 50000 10.0.0.1 22"}
    _device_code_used(env, center)


def test_the_device_code_with_no_browser(
    sso_env: dict[str, str], center: IdentityCenter, tmp_path: Path
) -> None:
    command, _ = browser(tmp_path, "curl")
    _device_code_used({**sso_env, "BROWSER": command}, center, "--no-browser")


def test_denied_in_the_browser(
    sso_env: dict[str, str], center: IdentityCenter, tmp_path: Path
) -> None:
    center.deny_authorize = True
    command, _ = browser(tmp_path, "curl")
    one_line(run({**sso_env, "BROWSER": command}, "login"), 3, "denied in the browser")
    assert not _token(sso_env).exists()


def test_a_redirect_of_another_sign_in(sso_env: dict[str, str], tmp_path: Path) -> None:
    """A callback with a state that is not this sign-in's: refused, nothing written, and the
    listener is gone for a second one."""
    script = tmp_path / "forger"
    script.write_text(
        '#!/bin/sh\nport=$(echo "$1" | sed \'s/.*redirect_uri=http%3A%2F%2F127.0.0.1%3A'
        "\\([0-9]*\\).*/\\1/')\n"
        'curl -s "http://127.0.0.1:$port/oauth/callback?code=x&state=other" >/dev/null\n'
        'curl -s "http://127.0.0.1:$port/oauth/callback?code=x&state=other" >/dev/null '
        f"|| echo refused >{tmp_path}/second\n"
    )
    script.chmod(0o755)
    one_line(run({**sso_env, "BROWSER": str(script)}, "login"), 3, "does not belong")
    assert not _token(sso_env).exists()
    deadline = time.time() + 10
    while not (tmp_path / "second").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "second").exists()


def test_a_code_the_center_refuses(
    sso_env: dict[str, str], center: IdentityCenter, tmp_path: Path
) -> None:
    """The right state but a code the Identity Center never issued (or already redeemed)."""
    script = tmp_path / "replayer"
    script.write_text(
        '#!/bin/sh\nport=$(echo "$1" | sed \'s/.*redirect_uri=http%3A%2F%2F127.0.0.1%3A'
        "\\([0-9]*\\).*/\\1/')\nstate=$(echo \"$1\" | sed 's/.*[?&]state=\\([^&]*\\).*/\\1/')\n"
        'curl -s "http://127.0.0.1:$port/oauth/callback?code=forged&state=$state" >/dev/null\n'
    )
    script.chmod(0o755)
    one_line(run({**sso_env, "BROWSER": str(script)}, "login"), 3, "refused the sign-in code")
    assert not _token(sso_env).exists()
    del center


def test_a_token_endpoint_that_answers_garbage(
    sso_env: dict[str, str], center: IdentityCenter, tmp_path: Path
) -> None:
    center.faults = {"CreateToken": "garbage"}
    command, _ = browser(tmp_path, "curl")
    one_line(
        run({**sso_env, "BROWSER": command}, "login"),
        4,
        f"IAM Identity Center of {START_URL} (us-east-1) answered something that is not its API",
    )
    assert not _token(sso_env).exists()


@pytest.mark.parametrize(
    ("operation", "field", "value"),
    [
        ("CreateToken", "expiresIn", -100),
        ("CreateToken", "expiresIn", 1e20),
        ("CreateToken", "expiresIn", 0),
        ("RegisterClient", "clientSecretExpiresAt", 1e20),
        ("RegisterClient", "clientSecretExpiresAt", -100),
    ],
)
def test_a_bad_number_of_the_portal_is_one_line(
    sso_env: dict[str, str],
    center: IdentityCenter,
    tmp_path: Path,
    operation: str,
    field: str,
    value: float,
) -> None:
    """The browser sign-in checks the portal's numbers as the device grant does (issue 16
    item 6): no expired token written, no OverflowError."""
    center.overrides[operation] = {field: value}
    command, _ = browser(tmp_path, "curl")
    one_line(
        run({**sso_env, "BROWSER": command}, "login"),
        4,
        f"IAM Identity Center of {START_URL} (us-east-1) answered {field} ",
        "; not signed in",
    )
    assert not _token(sso_env).exists()


def test_a_token_folder_that_others_may_write_is_not_used(
    sso_env: dict[str, str], center: IdentityCenter, tmp_path: Path
) -> None:
    """~/.aws/sso/cache a symlink to a folder anyone may write: the browser sign-in refuses it
    as the device grant does (issue 16 item 8), and writes nothing there."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    folder = _token(sso_env).parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.symlink_to(shared)
    command, _ = browser(tmp_path, "curl")
    one_line(
        run({**sso_env, "BROWSER": command}, "login"),
        5,
        f"the IAM Identity Center token folder {folder} is a symbolic link",
    )
    assert os.listdir(shared) == []
    assert center.calls["RegisterClient"] == 0
