"""Console sign-in sessions (`aws login`, login_session profiles) through the real program:
`stsenv login --profile P` against a local AWS Sign-In (support/signin_standin.py) with a real
headless Chromium (or curl) as the browser opened through BROWSER, the token file read back
by botocore's own LoginProvider (and renewed by it, with the DPoP key stsenv made); the
profile as a target and as the source of a role profile, against moto; bad answers."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.emulator import VENV_BIN
from support.local_aws import LocalAws
from support.program import caller_arn
from support.signin import CHROMIUM, CHROMIUM_FLAGS, STSENV, browser, one_line, run
from support.signin_standin import SignInStandIn, login_config, session_arn

PYTHON = str(Path(VENV_BIN) / "python")


@pytest.fixture
def signin(aws_world: LocalAws) -> Iterator[SignInStandIn]:
    with SignInStandIn(aws_world) as standin:
        yield standin


@pytest.fixture
def console_env(aws_env: dict[str, str], signin: SignInStandIn, tmp_path: Path) -> dict[str, str]:
    config = tmp_path / "aws-config"
    config.write_text(Path(aws_env["AWS_CONFIG_FILE"]).read_text() + "\n" + login_config())
    env = {**aws_env, **signin.env, "AWS_CONFIG_FILE": str(config), "STSENV_LOGIN_WAIT": "20"}
    env.pop("AWS_PROFILE", None)
    return env


def token_files(env: dict[str, str]) -> list[Path]:
    directory = Path(env["HOME"]) / ".aws" / "login" / "cache"
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def botocore_reads(env: dict[str, str], profile: str = "console") -> dict[str, str]:
    """What botocore's own credential chain (LoginProvider) gives for the profile, and who
    those credentials are according to (moto's) STS: botocore as the client of the file."""
    code = (
        "import json, boto3\n"
        f"s = boto3.Session(profile_name={profile!r})\n"
        "c = s.get_credentials()\n"
        "f = c.get_frozen_credentials()\n"
        "who = s.client('sts').get_caller_identity()['Arn']\n"
        "print(json.dumps({'method': c.method, 'key': f.access_key, 'arn': who}))\n"
    )
    done = subprocess.run([PYTHON, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


# --- stsenv login, same device -----------------------------------------------------------------


def test_login_in_chromium_writes_the_aws_cli_token_botocore_uses_and_renews(
    console_env: dict[str, str], signin: SignInStandIn, tmp_path: Path
) -> None:
    command, page = browser(tmp_path)
    env = {**console_env, "BROWSER": command}
    done = run(env, "login", "--profile", "console")
    assert done.returncode == 0, done.stderr
    assert "signed in for AWS profile console" in done.stderr
    # The stand-in redirected the instant the authorize page was asked for, and the listener
    # was already accepting connections at that instant.
    assert signin.listener_up == [True]
    assert signin.verifiers_checked == 1 and signin.proofs == 1
    # Chromium got the listener's small page.
    deadline = time.time() + 20
    while time.time() < deadline and "close this page" not in (
        page.read_text() if page.exists() else ""
    ):
        time.sleep(0.2)
    assert "You may close this page." in page.read_text()

    # The token file: where and as the AWS CLI writes it.
    (path,) = token_files(env)
    import hashlib

    assert path.name == hashlib.sha256(session_arn("admin").encode()).hexdigest() + ".json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    token = json.loads(path.read_text())
    assert set(token) == {
        "accessToken",
        "tokenType",
        "clientId",
        "refreshToken",
        "idToken",
        "dpopKey",
    }
    assert set(token["accessToken"]) == {
        "accessKeyId",
        "secretAccessKey",
        "sessionToken",
        "accountId",
        "expiresAt",
    }
    assert token["accessToken"]["accountId"] == "123456789012"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", token["accessToken"]["expiresAt"])
    assert token["clientId"] == "arn:aws:signin:::devtools/same-device"
    assert token["dpopKey"].startswith("-----BEGIN EC PRIVATE KEY-----\n")

    # botocore's LoginProvider uses it as it is ...
    seen = botocore_reads(env)
    assert seen["method"] == "login"
    assert seen["key"] == token["accessToken"]["accessKeyId"]
    assert seen["arn"].startswith("arn:aws:sts::123456789012:assumed-role/AdministratorAccess/")
    # ... and renews it when it ends, signing the refresh with the DPoP key stsenv made.
    token["accessToken"]["expiresAt"] = "2000-01-01T00:00:00Z"
    path.write_text(json.dumps(token))
    renewed = botocore_reads(env)
    assert renewed["key"] != token["accessToken"]["accessKeyId"]
    assert signin.proofs == 2 and signin.calls["CreateOAuth2Token"] == 2
    assert json.loads(path.read_text())["accessToken"]["accessKeyId"] == renewed["key"]


def test_login_with_curl_as_the_browser_then_the_profile_is_a_target_and_a_source(
    console_env: dict[str, str], signin: SignInStandIn, tmp_path: Path
) -> None:
    command, _page = browser(tmp_path, "curl")
    env = {**console_env, "BROWSER": command}
    assert run(env, "login", "--profile", "console").returncode == 0
    # The profile itself: its session's credentials, as export prints them.
    done = run(env, "export", "console", "--format", "json")
    assert done.returncode == 0, done.stderr
    given = json.loads(done.stdout)
    (path,) = token_files(env)
    assert given["AWS_ACCESS_KEY_ID"] == json.loads(path.read_text())["accessToken"]["accessKeyId"]
    # A role profile whose source_profile is the login_session profile.
    done = run(env, "credential-process", "console-s3")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AccessKeyId"] != given["AWS_ACCESS_KEY_ID"]
    # logout forgets the session and the role sessions cached from it.
    done = run(env, "logout", "--profile", "console")
    assert done.returncode == 0, done.stderr
    assert token_files(env) == []
    assert "removed 2 cached role sessions" in done.stderr
    line = one_line(
        run(env, "export", "console", "--format", "json"), 3, "stsenv login --profile console"
    )
    assert "aws login" in line


@pytest.mark.parametrize("how", ["symlink", "writable by others", "by variable"])
def test_a_token_folder_that_others_may_write_is_not_used(
    console_env: dict[str, str], signin: SignInStandIn, tmp_path: Path, how: str
) -> None:
    """The token file holds the DPoP private key and the refresh token: ~/.aws/login/cache
    (or AWS_LOGIN_CACHE_DIRECTORY) that is a symlink, or a folder others may write, is
    refused before the browser is opened, as IAM Identity Center's token folder is."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    env = {**console_env, "BROWSER": browser(tmp_path, "curl")[0]}
    if how == "by variable":
        folder = shared
        env["AWS_LOGIN_CACHE_DIRECTORY"] = str(shared)
        problem = "is writable by others"
    else:
        folder = Path(env["HOME"]) / ".aws" / "login" / "cache"
        folder.parent.mkdir(parents=True, exist_ok=True)
        if how == "symlink":
            folder.symlink_to(shared)
            problem = "is a symbolic link, which stsenv does not follow"
        else:
            shared.rename(folder)
            shared = folder
            problem = "is writable by others"
    line = one_line(
        run(env, "login", "--profile", "console"),
        5,
        f"stsenv: the console sign-in token folder {folder} {problem}: ",
    )
    assert "no token is written there" in line
    assert os.listdir(shared) == []


def test_stsenv_uses_a_session_shaped_as_the_aws_cli_writes_it(
    console_env: dict[str, str], signin: SignInStandIn, tmp_path: Path
) -> None:
    """stsenv as the client of a token file the AWS CLI wrote (written here by botocore's own
    LoginTokenLoader with an awscrt key, as awscli/customizations/login does)."""
    code = (
        "import base64, textwrap, datetime\n"
        "from awscrt.crypto import EC, ECType, ECExportFormat\n"
        "from botocore.utils import JSONFileCache, LoginTokenLoader, "
        "get_login_token_cache_directory\n"
        "k = EC.new_generate(ECType.P_256)\n"
        "pem = textwrap.fill(base64.b64encode(k.export_key(ECExportFormat.SEC1)).decode(), 64)\n"
        "LoginTokenLoader(JSONFileCache(get_login_token_cache_directory())).save_token(\n"
        f"  {session_arn('admin')!r}, {{'accessToken': {{'accessKeyId': 'ASIAOLD', "
        "'secretAccessKey': 'x', 'sessionToken': 'y', 'accountId': '123456789012', "
        "'expiresAt': '2000-01-01T00:00:00Z'}, 'tokenType': 'aws_sigv4', "
        "'clientId': 'arn:aws:signin:::devtools/same-device', 'refreshToken': 'unknown', "
        "'idToken': 'a.b.c', "
        "'dpopKey': '-----BEGIN EC PRIVATE KEY-----\\n' + pem + "
        "'\\n-----END EC PRIVATE KEY-----\\n'})\n"
    )
    subprocess.run([PYTHON, "-c", code], env=console_env, check=True, timeout=60)
    # Its refresh token is unknown to Sign-In (ended): one line naming the sign-in to run.
    line = one_line(
        run(console_env, "export", "console", "--format", "json"),
        3,
        "stsenv login --profile console",
        "aws login",
    )
    assert "ended or was revoked" in line
    assert signin.proofs == 1  # the refresh carried a valid DPoP proof of that key


# --- cross device ------------------------------------------------------------------------------


def test_remote_login_takes_the_pasted_code(
    console_env: dict[str, str], signin: SignInStandIn, tmp_path: Path
) -> None:
    """--remote: the address is printed; another device's browser (Chromium here) shows the
    code, which is pasted back on the terminal."""
    import pexpect

    child = pexpect.spawn(
        STSENV,
        ["login", "--profile", "console", "--remote"],
        env=console_env,
        encoding="utf-8",
        timeout=60,
    )
    child.expect(r"open this address in a browser on any device: (\S+)")
    url = child.match.group(1)
    profile = tmp_path / "chromium-remote"
    shown = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS.split(), f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    code = re.search(r"<code id=\"code\">([^<]+)</code>", shown)
    assert code is not None, shown
    child.expect("paste the code")
    child.sendline(code.group(1))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert len(token_files(console_env)) == 1
    assert signin.listener_up == []  # no listener in the cross-device flow
    token = json.loads(token_files(console_env)[0].read_text())
    assert token["clientId"] == "arn:aws:signin:::devtools/cross-device"
    assert botocore_reads(console_env)["method"] == "login"


# --- bad answers: one line each, nothing written -----------------------------------------------


def _no_token(env: dict[str, str]) -> None:
    assert token_files(env) == []


def test_denied_in_the_browser(
    console_env: dict[str, str], signin: SignInStandIn, tmp_path: Path
) -> None:
    signin.deny = True
    command, _page = browser(tmp_path, "curl")
    one_line(
        run({**console_env, "BROWSER": command}, "login", "--profile", "console"),
        3,
        "denied in the browser",
    )
    _no_token(console_env)


@pytest.mark.parametrize(
    "callback, expected",
    [
        ("code=abc", "without a sign-in code or state"),
        ("code=abc&state=not-ours", "does not belong to this sign-in"),
        ("error=server_error&state=x", "failed in the browser"),
        # Outside text is made inert the one way stsenv has (stsenv.inert), not as "?".
        (
            "error=%1B%5D0%3BOWNED%07%1B%5B2J&state=x",
            "failed in the browser (\\x1b]0;OWNED\\x07\\x1b[2J)",
        ),
    ],
)
def test_a_forged_or_broken_redirect(
    console_env: dict[str, str], tmp_path: Path, callback: str, expected: str
) -> None:
    """A redirect that did not come from this sign-in's authorize page (another page on the
    machine calling the listener): refused; and the listener has stopped after it."""
    script = tmp_path / "forger"
    script.write_text(
        '#!/bin/sh\nport=$(echo "$1" | sed \'s/.*redirect_uri=http%3A%2F%2F127.0.0.1%3A'
        "\\([0-9]*\\).*/\\1/')\n"
        f'curl -s "http://127.0.0.1:$port/oauth/callback?{callback}" >/dev/null\n'
        f'curl -s "http://127.0.0.1:$port/oauth/callback?{callback}" >/dev/null '
        f"|| echo refused >{tmp_path}/second\n"
    )
    script.chmod(0o755)
    one_line(
        run({**console_env, "BROWSER": str(script)}, "login", "--profile", "console"), 3, expected
    )
    _no_token(console_env)
    deadline = time.time() + 10
    while not (tmp_path / "second").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "second").exists()  # the second callback found no listener


def test_no_redirect_within_the_wait(console_env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / "nothing"
    script.write_text("#!/bin/sh\ntrue\n")
    script.chmod(0o755)
    env = {**console_env, "BROWSER": str(script), "STSENV_LOGIN_WAIT": "2"}
    one_line(run(env, "login", "--profile", "console"), 3, "within 2 s")
    _no_token(console_env)


def test_the_listener_answers_only_its_path(console_env: dict[str, str], tmp_path: Path) -> None:
    """Another path is a 404 and does not end the sign-in; the real redirect still does."""
    script = tmp_path / "prober"
    script.write_text(
        '#!/bin/sh\nport=$(echo "$1" | sed \'s/.*redirect_uri=http%3A%2F%2F127.0.0.1%3A'
        "\\([0-9]*\\).*/\\1/')\n"
        f"curl -s -o /dev/null -w '%{{http_code}}' \"http://127.0.0.1:$port/other?code=x\" "
        f">{tmp_path}/status\n"
        'curl -sS -L -o /dev/null "$1"\n'
    )
    script.chmod(0o755)
    done = run({**console_env, "BROWSER": str(script)}, "login", "--profile", "console")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "status").read_text() == "404"
    assert len(token_files(console_env)) == 1


@pytest.mark.parametrize(
    "knob, expected, status",
    [
        ("garbage", "not its API", 4),
        ("reject_dpop", "refused the sign-in", 3),
    ],
)
def test_token_endpoint_failures(
    console_env: dict[str, str],
    signin: SignInStandIn,
    tmp_path: Path,
    knob: str,
    expected: str,
    status: int,
) -> None:
    setattr(signin, knob, True)
    command, _page = browser(tmp_path, "curl")
    one_line(
        run({**console_env, "BROWSER": command}, "login", "--profile", "console"), status, expected
    )
    _no_token(console_env)


def test_a_port_that_cannot_be_bound(console_env: dict[str, str], tmp_path: Path) -> None:
    """STSENV_LOGIN_PORT names a port another program holds: one line, nothing written."""
    del tmp_path
    import socket

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    env = {**console_env, "STSENV_LOGIN_PORT": str(port), "BROWSER": "true"}
    try:
        one_line(run(env, "login", "--profile", "console"), 5, f"127.0.0.1:{port}")
    finally:
        taken.close()
    _no_token(console_env)


def test_garbage_pasted_code(console_env: dict[str, str]) -> None:
    import pexpect

    child = pexpect.spawn(
        STSENV,
        ["login", "--profile", "console", "--no-browser"],
        env=console_env,
        encoding="utf-8",
        timeout=60,
    )
    child.expect("paste the code")
    child.sendline(base64.b64encode(b"nothing=here").decode())
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "not the code the sign-in page shows" in str(child.before)
    _no_token(console_env)


def test_doctor_unaffected_import() -> None:
    """The listener module is stdlib only (it sits in aws/ beside sso_listing)."""
    done = subprocess.run(
        [PYTHON, "-c", "import sys, stsenv.aws.redirect; print('botocore' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ},
    )
    assert done.stdout.strip() == "False", done.stderr


# --- the budget: a cached use of a login_session profile imports no botocore ------------------

_PROBE = """
import io, json, sys
from contextlib import redirect_stdout, redirect_stderr
from stsenv.cli import main
with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps([code, sorted(m for m in ("botocore", "boto3", "typer", "awscrt") if m in
                  sys.modules)]))
"""


def test_cached_use_of_a_login_session_profile_imports_no_botocore(
    console_env: dict[str, str], tmp_path: Path
) -> None:
    command, _page = browser(tmp_path, "curl")
    env = {**console_env, "BROWSER": command, "STSENV_SHELL": "bash"}
    assert run(env, "login", "--profile", "console").returncode == 0

    def imported() -> list[object]:
        done = subprocess.run(
            [PYTHON, "-c", _PROBE, "use", "console"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return list(json.loads(done.stdout))

    cold = imported()
    assert cold[0] == 0 and "botocore" in str(cold[1])  # the probe can see an import
    assert imported() == [0, []]


# --- doctor ------------------------------------------------------------------------------------


def test_doctor_lists_the_console_sessions_from_their_files(
    console_env: dict[str, str], signin: SignInStandIn, tmp_path: Path
) -> None:
    env = {**console_env, "STSENV_SHELL": "bash"}
    before = run(env, "doctor").stdout
    (line,) = [x for x in before.splitlines() if "console session of console" in x]
    assert "not signed in" in line and "stsenv login --profile console" in line
    command, _page = browser(tmp_path, "curl")
    assert run({**env, "BROWSER": command}, "login", "--profile", "console").returncode == 0
    calls = sum(signin.calls.values())
    after = run(env, "doctor").stdout
    (line,) = [x for x in after.splitlines() if "console session of console" in x]
    assert "credentials until" in line and "renewable until" in line, line
    assert sum(signin.calls.values()) == calls  # no network
    assert "no one else may read or write the file" in line, line
    (path,) = token_files(env)
    path.chmod(0o400)  # private, not 0600: doctor says what it checked
    (line,) = [x for x in run(env, "doctor").stdout.splitlines() if "console session of" in x]
    assert "no one else may read or write the file" in line and "0600" not in line, line
    path.chmod(0o644)
    done = run(env, "doctor")
    (line,) = [x for x in done.stdout.splitlines() if "console session of console" in x]
    assert "readable or writable by others" in line and f"chmod 600 {path}" in line
    assert done.returncode != 0


def test_doctor_names_the_credentials_file_it_cannot_parse(
    console_env: dict[str, str], tmp_path: Path
) -> None:
    """A credentials file that cannot be parsed: doctor's fix names that file, not the
    config file."""
    credentials = tmp_path / "broken-credentials"
    credentials.write_text("garbage before any section\n[x\n")
    env = {**console_env, "STSENV_SHELL": "bash", "AWS_SHARED_CREDENTIALS_FILE": str(credentials)}
    done = run(env, "doctor")
    (line,) = [x for x in done.stdout.splitlines() if "sign-ins:" in x]
    assert f"the AWS credentials file {credentials} cannot be parsed" in line, line
    assert line.endswith("fix the AWS credentials file"), line
    assert done.returncode != 0


# --- the profile in a real shell, and exec -----------------------------------------------------


def _bare(environ: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in environ.items() if k not in {"_", "OLDPWD", "FAKETIME_SHARED"}}


@pytest.mark.parametrize("kind", ["bash", "zsh"])
def test_a_login_session_profile_in_a_real_shell(
    kind: str,
    start_shell: Any,
    console_env: dict[str, str],
    signin: SignInStandIn,
    tmp_path: Path,
) -> None:
    command, _page = browser(tmp_path, "curl")
    assert run({**console_env, "BROWSER": command}, "login", "--profile", "console").returncode == 0
    shell = start_shell(kind, console_env)
    before = _bare(shell.environ())
    used = shell.run("stsenv use console", timeout=60)
    assert used.status == "0", used.output
    assert used.segment is not None and re.fullmatch(r"console 1[45]m", used.segment), used.segment
    who = shell.run("aws sts get-caller-identity --query Arn --output text", timeout=60)
    assert "assumed-role/AdministratorAccess/admin" in who.output, who.output
    chained = shell.run("stsenv use console-s3", timeout=60)  # a role sourced from it
    assert chained.status == "0", chained.output
    who = shell.run("aws sts get-caller-identity --query Arn --output text", timeout=60)
    assert "assumed-role/ReadOnlyAccess/" in who.output, who.output
    assert shell.run("stsenv clear").status == "0"
    assert _bare(shell.environ()) == before
    # exec: the session's credentials for one command.
    done = subprocess.run(
        [
            STSENV,
            "exec",
            "console",
            "--",
            "aws",
            "sts",
            "get-caller-identity",
            "--query",
            "Arn",
            "--output",
            "text",
        ],
        env=console_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "assumed-role/AdministratorAccess/admin" in done.stdout, done.stderr
    # Revoked (and its credentials ended): one line, the shell untouched.
    signin.revoke_all()
    (path,) = token_files(console_env)
    token = json.loads(path.read_text())
    token["accessToken"]["expiresAt"] = "2000-01-01T00:00:00Z"
    path.write_text(json.dumps(token))
    failed = shell.run("stsenv use console --refresh", timeout=60)
    assert failed.status == "3", failed.output
    lines = [x for x in failed.output.splitlines() if x.startswith("stsenv: ")]
    assert len(lines) == 1 and "stsenv login --profile console" in lines[0], failed.output
    assert _bare(shell.environ()) == before and failed.segment is None


def test_use_login_signs_in_first_and_the_aws_cli_uses_the_session(
    console_env: dict[str, str], signin: SignInStandIn, tmp_path: Path
) -> None:
    command, _page = browser(tmp_path, "curl")
    env = {**console_env, "BROWSER": command, "STSENV_SHELL": "bash"}
    one_line(run(env, "use", "console"), 3, "stsenv login --profile console")
    done = run(env, "use", "--login", "console")
    assert done.returncode == 0, done.stderr
    assert "AWS_SESSION_TOKEN" in done.stdout and signin.calls["Authorize"] == 1
    # The AWS CLI (v1 here, on the same botocore) is a client of the file stsenv wrote.
    who = caller_arn(console_env, "console")
    assert who.returncode == 0, who.stderr
    assert "assumed-role/AdministratorAccess/admin" in who.stdout


def test_exec_server_serves_the_session(
    console_env: dict[str, str], signin: SignInStandIn, tmp_path: Path
) -> None:
    """`exec --server`: the AWS CLI in the command gets the session's credentials from the
    loopback endpoint."""
    command, _page = browser(tmp_path, "curl")
    assert run({**console_env, "BROWSER": command}, "login", "--profile", "console").returncode == 0
    done = run(
        console_env,
        "exec",
        "--server",
        "console",
        "--",
        str(Path(VENV_BIN) / "aws"),
        "sts",
        "get-caller-identity",
        "--query",
        "Arn",
        "--output",
        "text",
    )
    assert done.returncode == 0, done.stderr
    assert "assumed-role/AdministratorAccess/admin" in done.stdout


def test_roles_lists_the_login_session_profile(console_env: dict[str, str]) -> None:
    done = run(console_env, "roles")
    assert done.returncode == 0, done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("console ")]
    assert "login_session profile" in line and "console session" in line


def test_console_url_from_the_session(
    console_env: dict[str, str], federation: Any, tmp_path: Path
) -> None:
    """`stsenv console console --print`: the sign-in federation gets the session's own
    credentials (the cached session, exactly)."""
    command, _page = browser(tmp_path, "curl")
    env = {**console_env, "BROWSER": command, "STSENV_FEDERATION_URL": federation.url}
    assert run(env, "login", "--profile", "console").returncode == 0
    done = run(env, "console", "console", "--print")
    assert done.returncode == 0, done.stderr
    (asked,) = federation.queries
    exported = json.loads(run(env, "export", "console", "--format", "json").stdout)
    assert json.loads(asked["Session"][0])["sessionId"] == exported["AWS_ACCESS_KEY_ID"]
