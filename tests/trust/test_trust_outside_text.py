"""Issue 16 item 5: nothing a server, a portal, a config or an inherited variable says reaches
the terminal raw. A hostile local IAM Identity Center (support/identity_center.py) and a
hostile stand-in STS answer with OSC/CSI sequences in every field they can; the real program
prints one line each time, and no byte a terminal would act on reaches stdout or stderr."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from support.emulator import StandIn, sts_error
from support.identity_center import MOTO_ACCOUNT, IdentityCenter, write_cli_v2_token
from support.program import STSENV, with_pythonpath

# What a terminal acts on: OSC (retitle) ended by BEL, CSI (clear the screen), the one-byte C1
# CSI and OSC, DEL. JSON carries any of them; XML 1.0 (STS) only the C1 ones.
HOSTILE = "x\x1b]0;OWNED\x07\x1b[2J\u009b2J\u009d0;OWNED\u009c\x7fy"
XML_HOSTILE = "x\u009b2J\u009d0;OWNED\u009c\u0085y"
RAW = (b"\x1b", b"\x07", b"\x7f", b"\xc2\x9b", b"\xc2\x9d", b"\xc2\x9c", b"\xc2\x85")


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [STSENV, *args],
        env=with_pythonpath(env),
        capture_output=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def inert_output(done: subprocess.CompletedProcess[bytes]) -> str:
    """stderr as text, once shown that neither stream holds a byte a terminal acts on."""
    for stream in (done.stdout, done.stderr):
        for raw in RAW:
            assert raw not in stream, (raw, stream)
    assert b"Traceback" not in done.stderr, done.stderr
    return done.stderr.decode("utf-8")


def one_line(done: subprocess.CompletedProcess[bytes], status: int) -> str:
    text = inert_output(done)
    assert done.returncode == status, text
    lines = text.splitlines()
    assert len(lines) == 1 and lines[0].startswith("stsenv: "), text
    return lines[0]


def signed_in(env: dict[str, str], center: IdentityCenter) -> None:
    write_cli_v2_token(Path(env["HOME"]), center.issue_token())


# --- the device grant ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["userCode", "verificationUriComplete"])
def test_device_grant_fields_are_never_printed_raw(
    sso_env: dict[str, str], center: IdentityCenter, field: str
) -> None:
    value = HOSTILE if field == "userCode" else f"https://portal.example/{HOSTILE}"
    center.overrides["StartDeviceAuthorization"] = {field: value}
    line = one_line(run(sso_env, "login", "--sso-session", "corp", "--no-browser"), 4)
    assert "IAM Identity Center of https://" in line and "not signed in" in line


@pytest.mark.parametrize("operation", ["RegisterClient", "StartDeviceAuthorization", "CreateToken"])
def test_sso_oidc_error_code_and_message_are_inert(
    sso_env: dict[str, str], center: IdentityCenter, operation: str
) -> None:
    center.faults[operation] = "error"
    center.error_answer = (400, HOSTILE, HOSTILE)
    center.auto_approve = True
    done = run(sso_env, "login", "--sso-session", "corp", "--no-browser")
    text = inert_output(done)
    assert done.returncode == 3, text
    *before, line = text.splitlines()  # (CreateToken: after the line with the code)
    assert len(before) == (operation == "CreateToken") and line.startswith("stsenv: ")
    assert "\\x1b]0;OWNED\\x07" in line  # shown, escaped


# --- the portal -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [400, 500])
def test_portal_error_code_is_inert(
    sso_env: dict[str, str], center: IdentityCenter, status: int
) -> None:
    signed_in(sso_env, center)
    center.faults["GetRoleCredentials"] = "error"
    center.error_answer = (status, HOSTILE, HOSTILE)
    one_line(run({**sso_env, "STSENV_SHELL": "bash"}, "use", "dev-admin"), 3 if status < 500 else 4)


def test_hostile_account_and_role_names_are_never_cached_nor_printed(
    sso_env: dict[str, str], center: IdentityCenter
) -> None:
    center.set_organisation(
        [(MOTO_ACCOUNT, "prod" + HOSTILE), ("210987654321", "fine")],
        ["ReadOnlyAccess", "Admin" + HOSTILE],
    )
    signed_in(sso_env, center)
    done = run(sso_env, "roles", "--sso", "--refresh")
    text = inert_output(done)
    assert done.returncode == 0, text
    assert "left out" in text and "OWNED" not in done.stdout.decode()
    assert done.stdout.decode().split() == [
        "TARGET",
        "ACCOUNT",
        "ID",
        "ACCOUNT",
        "ROLE",
        "fine/ReadOnlyAccess",
        "210987654321",
        "fine",
        "ReadOnlyAccess",
    ]
    for path in Path(sso_env["STSENV_CACHE_DIR"]).glob("sso-listing-*"):
        assert "OWNED" not in path.read_text()
    # TAB and the "give a target" line read that cache: only the good name.
    tab = run(sso_env, "__complete", "bash", "use", "")
    assert b"fine/ReadOnlyAccess" in tab.stdout and b"OWNED" not in tab.stdout
    line = one_line(run({**sso_env, "STSENV_SHELL": "bash"}, "use"), 2)
    assert line.startswith("stsenv: give a target") and "OWNED" not in line


# --- STS -------------------------------------------------------------------------------------


def test_sts_error_code_and_message_are_inert(
    standin: StandIn, standin_env: dict[str, str]
) -> None:
    for code in ("AccessDenied", "Weird" + XML_HOSTILE):
        standin.script("*", sts_error(code, XML_HOSTILE, 403))
        env = {**standin_env, "STSENV_SHELL": "bash"}
        line = one_line(run(env, "use", "arn:aws:iam::123456789012:role/s3FullforAssumeRole"), 3)
        assert code == "AccessDenied" or "\\x9b2J" in line, line


# --- config files and the environment ------------------------------------------------------


def test_config_names_in_the_give_a_target_line_and_tab(sso_env: dict[str, str]) -> None:
    config = Path(sso_env["AWS_CONFIG_FILE"])
    config.write_text(
        config.read_text() + f"\n[profile evil{HOSTILE}]\n"
        "aws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n"
    )
    line = one_line(run({**sso_env, "STSENV_SHELL": "bash"}, "use"), 2)
    assert "evilx\\x1b]0;OWNED\\x07" in line
    for shell in ("bash", "zsh", "fish"):
        done = run(sso_env, "__complete", shell, "use", "")
        inert_output(done)
        assert b"dev-admin" in done.stdout and b"evil" not in done.stdout


def test_status_shows_inherited_role_and_arn_inert(aws_env: dict[str, str]) -> None:
    env = {
        **aws_env,
        "STSENV_ROLE": "r" + HOSTILE,
        "STSENV_ARN": "arn:" + HOSTILE,
        "STSENV_EXPIRY": str(int(time.time()) + 900),
    }
    done = run(env, "status")
    inert_output(done)
    assert done.returncode == 0 and b"OWNED" in done.stdout
    expired = {**env, "STSENV_EXPIRY": str(int(time.time()) - 60)}
    one_line(run(expired, "status"), 1)
