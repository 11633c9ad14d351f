"""Issue 20, one shape at a time, through the real program: every ordinary mistake in an AWS
config is one `stsenv:` line naming the profile and the cause (never "unexpected"),
temporary keys are used as they are, sign-ins are not offered as roles, parse errors say
the line and the reason, and a hanging credential_process is named while stsenv waits."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest
from support.emulator import STS_NS, StandIn, base_env
from support.verbs import STSENV, one_error_line, stsenv

CORPUS = Path(__file__).resolve().parents[1] / "config_corpus"
SHAPES = CORPUS / "shapes"
IDENTITY = (
    200,
    f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult>'
    "<Arn>arn:aws:sts::123456789012:assumed-role/Developer/taro</Arn>"
    "<UserId>AROA3XFRBF535PLBIFPI4:taro</UserId><Account>123456789012</Account>"
    "</GetCallerIdentityResult><ResponseMetadata><RequestId>x</RequestId>"
    "</ResponseMetadata></GetCallerIdentityResponse>",
)


def shape_env(tmp_path: Path, shape: str, endpoint: str | None = None) -> dict[str, str]:
    """A shell's environment with the corpus shape as its AWS files, and no credentials."""
    env = base_env(tmp_path / "home")
    config = SHAPES / f"{shape}.config"
    credentials = config.with_suffix(".credentials")
    env.update(
        {
            "PATH": f"{CORPUS / 'bin'}:{env['PATH']}",
            "AWS_CONFIG_FILE": str(config),
            "AWS_DEFAULT_REGION": "us-east-1",
            "STSENV_SHELL": "bash",
        }
    )
    if credentials.exists():
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(credentials)
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


# --- 1. ordinary mistakes are one line, exit 2, never "unexpected" -----------------------------


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (
            ("gone",),
            "stsenv: AWS profile 'gone': its credential_process program "
            "'corpus-uninstalled-tool' is not installed",
        ),
        (
            ("--profile", "gone", "arn:aws:iam::123456789012:role/standin"),
            "stsenv: AWS profile 'gone': its credential_process program 'corpus-uninstalled-tool'",
        ),
        (
            ("via-gone",),
            "stsenv: AWS profile 'gone': its credential_process program "
            "'corpus-uninstalled-tool' is not installed",
        ),
        (
            ("greeting",),
            "stsenv: AWS profile 'greeting': its credential_process printed "
            "something that is not JSON (line 1, column 1)",
        ),
        (
            ("expired",),
            "stsenv: AWS profile 'expired' gave credentials whose Expiration has already passed",
        ),
    ],
)
def test_a_credential_process_that_cannot_serve_is_one_line(
    args: tuple[str, ...], start: str, tmp_path: Path
) -> None:
    done = stsenv(shape_env(tmp_path, "credential-process"), "use", *args)
    one_error_line(done, 2, start)
    assert "--account" not in done.stderr  # the program is named, its arguments are not


def test_a_web_identity_token_file_of_another_machine_is_one_line(tmp_path: Path) -> None:
    done = stsenv(shape_env(tmp_path, "web-identity"), "use", "eks")
    token = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
    start = f"stsenv: AWS profile 'eks': its web_identity_token_file {token!r} does not exist"
    one_error_line(done, 2, start)


# --- 2. temporary keys are temporary -----------------------------------------------------------


def test_temporary_keys_are_exported_as_they_are_with_their_end(
    standin: StandIn, tmp_path: Path
) -> None:
    standin.script("GetCallerIdentity", IDENTITY)
    env = shape_env(tmp_path, "temporary-keys", standin.endpoint)
    done = stsenv(env, "use", "portal-until")
    assert done.returncode == 0, done.stderr
    assert "export AWS_SESSION_TOKEN='corpus-session-token'" in done.stdout
    assert "export AWS_ACCESS_KEY_ID='ASIACORPUSUNTIL'" in done.stdout
    # 8. an end more than a day away is a date, not 37910349 minutes
    # The shell prints the line once it has made the change: it is in the code it evals.
    assert done.stderr == ""
    assert "'stsenv: portal-until is active until 2099-01-01 00:00 UTC'" in done.stdout
    assert standin.actions == ["GetCallerIdentity"]  # never GetSessionToken
    assert standin.calls[0][2] == "ASIACORPUSUNTIL"  # signed with the keys themselves

    listed = {r["name"]: r for r in json.loads(stsenv(env, "roles", "--json").stdout)}
    assert listed["portal"]["kind"] == "temporary keys profile"
    assert listed["portal-creds"]["kind"] == "temporary keys profile"  # credentials file
    portal_rows = [r for r in stsenv(env, "roles").stdout.splitlines() if "portal" in r]
    assert len(portal_rows) == 4 and not any("GetSessionToken" in r for r in portal_rows)


@pytest.mark.parametrize("name", ["portal", "portal-legacy", "portal-creds"])
def test_temporary_keys_without_their_end_say_why_in_one_line(
    name: str, standin: StandIn, tmp_path: Path
) -> None:
    done = stsenv(shape_env(tmp_path, "temporary-keys", standin.endpoint), "use", name)
    start = (
        f"stsenv: AWS profile {name!r} holds temporary credentials (aws_session_token) "
        "but not when they end, so stsenv cannot count them down"
    )
    one_error_line(done, 2, start)
    assert standin.actions == []


# --- 3. a sign-in is not a role ----------------------------------------------------------------


def test_sign_in_only_profiles_are_not_offered_as_roles(tmp_path: Path) -> None:
    env = shape_env(tmp_path, "sso")
    listed = json.loads(stsenv(env, "roles", "--json").stdout)
    assert [row["name"] for row in listed] == ["dev"]
    assert listed[0]["role"] == "111122223333/Developer"
    assert "None" not in stsenv(env, "roles").stdout
    offered = stsenv(env, "__complete", "fish", "use", "").stdout.splitlines()
    assert [line.split("\t")[0] for line in offered] == ["dev"]
    for name in ("signin-only", "no-role", "legacy-no-role"):
        one_error_line(
            stsenv(env, "use", name),
            2,
            f"stsenv: AWS profile {name!r} is an IAM Identity Center sign-in, not a role",
        )


# --- 4. the names botocore knows, and only those -------------------------------------------------


def test_tab_and_roles_offer_the_names_botocore_reads(tmp_path: Path) -> None:
    env = shape_env(tmp_path, "section-names")
    names = {row["name"] for row in json.loads(stsenv(env, "roles", "--json").stdout)}
    # botocore: `[profile<TAB>tabbed]` is "tabbed"; `[profile "a" "b"]`, `[profile "open]`,
    # `[profile foo bar]` and `[profile]` are no profile; `[profiles plural]` is "plural";
    # the credentials file's `[profile tabbed]` is a profile named "profile tabbed";
    # [default] and the later [profile default] (a region only): botocore keeps the later
    # one, so "default" has nothing to assume.
    assert names == {"tabbed", "my profile", "-dash", "plural", "twice", "profile tabbed"}
    offered = stsenv(env, "__complete", "bash", "use", "").stdout.splitlines()
    assert set(offered) == names - {"-dash"}  # taken for an option before `--`
    assert stsenv(env, "__complete", "bash", "use", "--", "-").stdout == "-dash\n"
    assert stsenv(env, "__complete", "fish", "use", "def").stdout == ""


def test_a_name_that_starts_with_a_dash_is_used_after_dashes(
    standin: StandIn, tmp_path: Path
) -> None:
    standin.script("GetCallerIdentity", IDENTITY)
    env = shape_env(tmp_path, "section-names", standin.endpoint)
    done = stsenv(env, "use", "--", "-dash")
    # keys of made-up users: the stand-in refuses GetSessionToken, after the profile was found
    assert "unknown target" not in done.stderr and "unexpected" not in done.stderr
    assert standin.actions[:1] == ["GetCallerIdentity"]


# --- 5. a file that cannot be parsed: which file, which line, why --------------------------------


@pytest.mark.parametrize(
    ("shape", "which", "reason"),
    [
        ("duplicate-section", "config", "line 4: section [profile keys] appears twice"),
        ("duplicate-key", "config", "line 3: 'region' appears twice in [profile keys]"),
        (
            "bom",
            "config",
            "it starts with a byte order mark (encoding: save it as UTF-8 without BOM)",
        ),
        ("utf16", "config", "it is UTF-16 text (encoding: save it as UTF-8)"),
        (
            "latin1",
            "config",
            "line 1: byte 0xfc is not utf-8 text (encoding: save the file as UTF-8)",
        ),
        (
            "key-without-equals",
            "config",
            "line 3 is neither `key = value` nor a [section]",
        ),
        ("nested-without-equals", "config", "an indented line under a key is not `key = value`"),
        ("broken-credentials", "credentials", "line 3: section [default] appears twice"),
    ],
)
def test_a_file_that_cannot_be_parsed_is_named_with_line_and_reason(
    shape: str, which: str, reason: str, tmp_path: Path
) -> None:
    env = shape_env(tmp_path, shape)
    path = env["AWS_CONFIG_FILE" if which == "config" else "AWS_SHARED_CREDENTIALS_FILE"]
    line = f"stsenv: the AWS {which} file {path} cannot be parsed: {reason}"
    for args in (("roles",), ("use", "anything")):
        done = stsenv(env, *args)
        one_error_line(done, 2, line)
        assert done.stderr == line + "\n"


def test_a_line_of_the_credentials_file_never_reaches_the_error(tmp_path: Path) -> None:
    """A secret pasted on its own line is what configparser refuses: the error names the
    line by its number only (this line goes to stderr and CI logs)."""
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    credentials = tmp_path / "credentials"
    credentials.write_text(
        f"[taro]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key =\n{secret}\n"
    )
    config = tmp_path / "config"
    config.write_text("[profile taro]\nregion = ap-northeast-1\n")
    env = {
        **base_env(tmp_path),
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "STSENV_SHELL": "bash",
    }
    line = (
        f"stsenv: the AWS credentials file {credentials} cannot be parsed: line 4 is neither "
        "`key = value` nor a [section]"
    )
    for args in (("roles",), ("use", "taro"), ("doctor",)):
        done = stsenv(env, *args)
        assert secret not in done.stderr + done.stdout, args
    one_error_line(stsenv(env, "use", "taro"), 2, line)


# --- 6. botocore's verdict on role sources ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "start"),
    [
        ("both", "stsenv: AWS profile 'both' has both source_profile and credential_source"),
        ("lower", "stsenv: credential_source 'environment' is not valid"),
    ],
)
def test_role_sources_botocore_refuses_are_refused(
    name: str, start: str, standin: StandIn, tmp_path: Path
) -> None:
    env = shape_env(tmp_path, "role-sources", standin.endpoint)
    env.update({"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "x"})
    one_error_line(stsenv(env, "use", name), 2, start)
    assert standin.actions == []


# --- 7. a credential_process that does not answer ------------------------------------------------


def test_a_hanging_credential_process_is_named_once_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile slow]\ncredential_process = corpus-hangs --browser\n")
    env = {**shape_env(tmp_path, "empty"), "AWS_CONFIG_FILE": str(config)}
    child = subprocess.Popen(
        [STSENV, "use", "slow"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert child.stderr is not None
        ready, _w, _x = select.select([child.stderr], [], [], 60)
        assert ready, "no word about the program stsenv waits for"
        first = child.stderr.readline()
        assert first == (
            "stsenv: waiting for 'corpus-hangs', the credential_process of AWS "
            "profile 'slow' (Ctrl-C stops it)\n"
        )
        time.sleep(4)  # longer than the notice's delay: it is not said again
        os.killpg(child.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground group
        out, rest = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert (child.returncode, out) == (130, "")
    assert rest == "stsenv: interrupted; nothing was changed\n"


# --- 8. an end far away --------------------------------------------------------------------------


def test_an_end_more_than_a_day_away_is_a_date(standin: StandIn, tmp_path: Path) -> None:
    standin.script("GetCallerIdentity", IDENTITY)
    done = stsenv(shape_env(tmp_path, "credential-process", standin.endpoint), "use", "far")
    assert done.returncode == 0, done.stderr
    # The shell prints the line once it has made the change: it is in the code it evals.
    assert done.stderr == ""
    assert "'stsenv: far is active until 2099-01-01 00:00 UTC'" in done.stdout


def test_status_of_an_end_days_away_counts_days(tmp_path: Path) -> None:
    env = {
        **shape_env(tmp_path, "empty"),
        "STSENV_ROLE": "far",
        "STSENV_EXPIRY": str(int(time.time()) + 3 * 86400 + 5 * 3600 + 120),
    }
    done = stsenv(env, "status")
    assert done.returncode == 0, done.stderr
    remaining = [line for line in done.stdout.splitlines() if line.startswith("remaining")]
    assert remaining[0].split(None, 1)[1] in ("3d 5h 01m", "3d 5h 02m")
