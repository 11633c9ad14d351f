"""`stsenv console`: the sign-in URL from a role session, against a local stand-in for the
federation endpoint (the emulator has none), and the switch-role URL."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from support.emulator import Federation
from support.local_aws import ACCOUNT, REGION, ROLE
from support.verbs import one_error_line, stsenv


@pytest.fixture
def console_env(aws_env: dict[str, str], federation: Federation) -> dict[str, str]:
    return {**aws_env, "STSENV_FEDERATION_URL": federation.url}


def login_query(url: str, federation: Federation) -> dict[str, str]:
    parts = urlsplit(url.strip())
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == federation.url
    query = parse_qs(parts.query)
    assert all(len(v) == 1 for v in query.values())
    return {k: v[0] for k, v in query.items()}


def test_sign_in_url_for_a_target(console_env: dict[str, str], federation: Federation) -> None:
    done = stsenv(console_env, "console", "s3Full", "--print", "--duration", "2h")
    assert done.returncode == 0, done.stderr
    assert login_query(done.stdout, federation) == {
        "Action": "login",
        "Issuer": "stsenv",
        "SigninToken": "tok-1/2+3=",
        "Destination": "https://console.aws.amazon.com/",
    }
    (asked,) = federation.queries
    assert asked["Action"] == ["getSigninToken"] and asked["SessionDuration"] == ["7200"]
    session = json.loads(asked["Session"][0])
    exported = json.loads(stsenv(console_env, "export", "s3Full", "--format", "json").stdout)
    assert session == {  # the cached role session, exactly
        "sessionId": exported["AWS_ACCESS_KEY_ID"],
        "sessionKey": exported["AWS_SECRET_ACCESS_KEY"],
        "sessionToken": exported["AWS_SESSION_TOKEN"],
    }
    assert exported["AWS_SECRET_ACCESS_KEY"] not in done.stdout + done.stderr


def active_env(console_env: dict[str, str], partition: str) -> dict[str, str]:
    """A shell's environment with a role active (as `use` leaves it)."""
    return {
        **console_env,
        "AWS_ACCESS_KEY_ID": "ASIAACTIVEEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "active-secret",
        "AWS_SESSION_TOKEN": "active-token",
        "AWS_REGION": "cn-north-1" if partition == "aws-cn" else REGION,
        "STSENV_ROLE": "my role",
        "STSENV_ARN": f"arn:{partition}:sts::{ACCOUNT}:assumed-role/{ROLE}/s",
        "STSENV_EXPIRY": str(int(time.time()) + 1800),
    }


@pytest.mark.parametrize(
    ("partition", "console_host"),
    [
        ("aws", "console.aws.amazon.com"),
        ("aws-cn", "console.amazonaws.cn"),
        ("aws-us-gov", "console.amazonaws-us-gov.com"),
    ],
)
def test_the_active_role_and_a_service_page(
    console_env: dict[str, str], federation: Federation, partition: str, console_host: str
) -> None:
    env = active_env(console_env, partition)
    done = stsenv(env, "console", "--print", "--service", "s3")
    assert done.returncode == 0, done.stderr
    region = env["AWS_REGION"]
    assert login_query(done.stdout, federation)["Destination"] == (
        f"https://{console_host}/s3/home?region={region}"
    )
    (asked,) = federation.queries
    assert "SessionDuration" not in asked  # AWS's default unless asked
    assert json.loads(asked["Session"][0])["sessionId"] == "ASIAACTIVEEXAMPLE"


def test_opens_the_browser_unless_print(
    console_env: dict[str, str], federation: Federation, tmp_path: Path
) -> None:
    seen = tmp_path / "browser-got"
    # The browser is given a private page (file://...) that sends it on to the URL: the
    # sign-in token never is in its argv (test_trust_program_holes.py).
    # (No colon in it: webbrowser splits $BROWSER at os.pathsep.)
    program = (
        'import sys; s = "file" + chr(58) + "//"; p = sys.argv[1]; assert p.startswith(s); '
        'open(sys.argv[2], "w").write(open(p.replace(s, "", 1)).read())'
    )
    browser = f"{sys.executable} -c '{program}' %s {seen}"  # webbrowser's BROWSER: %s, what to open
    done = stsenv({**console_env, "BROWSER": browser}, "console", "s3Full")
    assert done.returncode == 0 and done.stdout == "", done.stderr
    assert done.stderr == "stsenv: opened the AWS console as s3Full in your browser\n"
    page = seen.read_text()
    start = page.index("location.replace(") + len("location.replace(")
    url = json.loads(page[start : page.index(");", start)])
    assert login_query(url, federation)["SigninToken"] == "tok-1/2+3="


def test_switch_role_url(console_env: dict[str, str], federation: Federation) -> None:
    done = stsenv(console_env, "console", "s3Full", "--switch-role")
    assert done.stdout == (
        f"https://signin.aws.amazon.com/switchrole?account={ACCOUNT}&roleName={ROLE}"
        "&displayName=s3Full\n"
    )
    gov = stsenv(active_env(console_env, "aws-us-gov"), "console", "--switch-role")
    assert gov.stdout == (
        f"https://signin.amazonaws-us-gov.com/switchrole?account={ACCOUNT}&roleName={ROLE}"
        "&displayName=my+role\n"
    )
    assert federation.queries == []  # no sign-in needed for these


def test_switch_role_of_the_active_role_keeps_its_path(console_env: dict[str, str]) -> None:
    """STSENV_ARN (an assumed-role ARN) has no path; the cached session of the shell's
    credentials has it."""
    pathed = f"arn:aws:iam::{ACCOUNT}:role/service-role/s3ReadService"
    made = stsenv(console_env, "credential-process", pathed)  # caches the session, as use does
    assert made.returncode == 0, made.stderr
    creds = json.loads(made.stdout)
    env = {
        **active_env(console_env, "aws"),
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "STSENV_ARN": f"arn:aws:sts::{ACCOUNT}:assumed-role/s3ReadService/s",
    }
    done = stsenv(env, "console", "--switch-role")
    assert done.stdout == (
        f"https://signin.aws.amazon.com/switchrole?account={ACCOUNT}"
        "&roleName=service-role%2Fs3ReadService&displayName=my+role\n"
    )
    other = stsenv({**env, "AWS_ACCESS_KEY_ID": "ASIANOTCACHED"}, "console", "--switch-role")
    assert "roleName=s3ReadService&" in other.stdout  # unknown credentials: no path to give


@pytest.mark.parametrize(
    ("answer", "status", "start"),
    [
        ((403, "denied"), 3, "stsenv: the sign-in endpoint http://127.0.0.1:"),
        ((500, "oops"), 4, "stsenv: the sign-in endpoint http://127.0.0.1:"),
        ((200, "<html>not json</html>"), 4, "stsenv: the sign-in endpoint http://127.0.0.1:"),
    ],
)
def test_federation_errors_are_one_line(
    console_env: dict[str, str],
    federation: Federation,
    answer: tuple[int, str],
    status: int,
    start: str,
) -> None:
    federation.answer = answer
    done = stsenv(console_env, "console", "s3Full", "--print")
    one_error_line(done, status, start)
    secret = json.loads(stsenv(console_env, "export", "s3Full", "--format", "json").stdout)[
        "AWS_SECRET_ACCESS_KEY"
    ]
    assert secret not in done.stderr  # the request URL carried it; the message does not


def test_other_errors_are_one_line(console_env: dict[str, str]) -> None:
    one_error_line(stsenv(console_env, "console", "--print"), 1, "stsenv: no role is active")
    one_error_line(
        stsenv(console_env, "console", "s3Full", "--service", "s3/../x"),
        2,
        "stsenv: service 's3/../x' is not a console service name",
    )
    one_error_line(
        stsenv(console_env, "console", "s3Full", "--duration", "13h"),
        2,
        "stsenv: duration '13h' is out of range",
    )
    dead = {**console_env, "STSENV_FEDERATION_URL": "http://127.0.0.1:9/federation"}
    one_error_line(
        stsenv(dead, "console", "s3Full", "--print"),
        4,
        "stsenv: the sign-in endpoint http://127.0.0.1:9/federation could",
    )
