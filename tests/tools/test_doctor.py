"""`stsenv doctor`: against the local AWS world in a subprocess (the hook's variables given
as its wrapper gives them), and through the real hook in bash, zsh and fish. IAM Identity
Center sign-ins: one line per [sso-session] and per legacy start URL of the AWS config, read
from the token file the AWS CLI v2 and `stsenv login` share (no network call), the file
itself treated as data."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support.identity_center import (
    START_URL,
    IdentityCenter,
    approve_when_pending,
    token_cache_path,
    write_cli_v2_token,
)
from support.shells import LIBFAKETIME, SHELLS, InteractiveShell, need_tool

import stsenv

StartShell = Callable[..., InteractiveShell]
STSENV = [sys.executable, "-m", "stsenv"]
# What the bash hook's wrapper passes to `stsenv doctor`.
HOOKED = {
    "STSENV_SHELL": "bash",
    "STSENV_HOOK_VERSION": stsenv.__version__,
    "STSENV_PROMPT_HOOKS": "__stsenv_prompt_hook && :",
}


def doctor(env: dict[str, str], *args: str) -> tuple[int, dict[str, dict[str, str]]]:
    done = subprocess.run(
        [*STSENV, "doctor", "--json", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.stderr == ""
    report = json.loads(done.stdout)
    assert report["ok"] == (done.returncode == 0)
    checks = {c["name"]: c for c in report["checks"]}
    for check in report["checks"]:
        assert check["status"] in ("ok", "warn", "fail")
        assert check["status"] != "fail" or check["fix"], check  # every failure says what to do
    return done.returncode, checks


@pytest.fixture
def env(aws_env: dict[str, str]) -> dict[str, str]:
    return {**aws_env, **HOOKED}


def test_healthy_world_passes(env: dict[str, str]) -> None:
    code, checks = doctor(env)
    assert code == 0, checks
    assert checks["alias s3Full"]["message"] == (
        "source profile 'taro-prjZ' has credentials (shared-credentials-file)"
    )
    statuses = {name: check["status"] for name, check in checks.items()}
    assert statuses == {
        "hook": "ok",
        "shell": "ok",
        "version": "ok",
        "prompt": "ok",
        "config": "ok",
        "alias s3Full": "ok",
        "cache": "ok",
        "clock": "ok",
        "environment": "ok",
        "profile": "ok",
        # The tutorial's keys are in plain text in the credentials file (`stsenv keys add`).
        "key admin": "warn",
        "key hanako-prjZ": "warn",
        "key taro-prjZ": "warn",
    }


def test_text_lines_say_what_to_do(env: dict[str, str]) -> None:
    env = {**env, "AWS_PROFILE": "gone"}
    done = subprocess.run(
        [*STSENV, "doctor"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 1
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("FAIL")]
    assert line == (
        "FAIL  profile: AWS_PROFILE names 'gone', which is not in the AWS config or credentials "
        "file — unset AWS_PROFILE, or create it: `aws configure --profile gone`"
    )


def test_without_the_hook(aws_env: dict[str, str]) -> None:
    code, checks = doctor(aws_env)
    assert code == 1
    assert checks["hook"]["status"] == "fail"
    assert "stsenv hook" in checks["hook"]["fix"]
    assert "version" not in checks


@pytest.mark.parametrize(
    ("hooked", "name", "fragment"),
    [
        ({"STSENV_HOOK_VERSION": "0.0.9"}, "version", "the hook in this shell is 0.0.9"),
        ({"STSENV_PROMPT_HOOKS": ""}, "prompt", "not installed"),
        ({"STSENV_PROMPT_HOOKS": "__stsenv_prompt_hook __stsenv_prompt_hook"}, "prompt", "2 times"),
        ({"STSENV_SHELL": "tcsh"}, "shell", "tcsh is not supported"),
    ],
)
def test_hook_problems(
    env: dict[str, str], hooked: dict[str, str], name: str, fragment: str
) -> None:
    code, checks = doctor({**env, **hooked})
    assert code == 1
    assert checks[name]["status"] == "fail"
    assert fragment in checks[name]["message"]


def test_config_that_does_not_parse(env: dict[str, str], tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[roles.x]\nrole_name = "r"\nsurprise = 1\n')
    code, checks = doctor({**env, "STSENV_CONFIG": str(config)})
    assert code == 1
    assert checks["config"]["status"] == "fail"
    assert "line 3" in checks["config"]["message"]


def test_alias_whose_source_profile_is_missing_or_keyless(
    env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[roles.lost]\nrole_name = "r"\nsource_profile = "nowhere"\n'
        '[roles.keyless]\nrole_name = "r"\nsource_profile = "empty"\n'
        '[roles.ok]\nrole_name = "r"\nsource_profile = "taro-prjZ"\n'
    )
    aws_config = tmp_path / "aws-config"
    aws_config.write_text(Path(env["AWS_CONFIG_FILE"]).read_text() + "\n[profile empty]\n")
    code, checks = doctor({**env, "STSENV_CONFIG": str(config), "AWS_CONFIG_FILE": str(aws_config)})
    assert code == 1
    assert checks["alias lost"]["message"] == "AWS profile 'nowhere' does not exist"
    assert checks["alias keyless"]["message"] == "AWS profile 'empty' has no credentials"
    assert "aws configure --profile empty" in checks["alias keyless"]["fix"]
    assert checks["alias ok"]["status"] == "ok"


def test_cache_that_is_not_private(env: dict[str, str]) -> None:
    assert doctor({**env, "STSENV_SHELL": "bash"})[0] == 0
    # A `use` fills the cache.
    subprocess.run([*STSENV, "use", "s3Full"], env=env, capture_output=True, check=True, timeout=60)
    cache = Path(env["STSENV_CACHE_DIR"])
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert files
    files[0].chmod(0o644)
    code, checks = doctor(env)
    assert (code, checks["cache"]["status"]) == (1, "fail")
    assert str(files[0]) in checks["cache"]["message"]
    files[0].chmod(0o600)
    cache.chmod(0o755)
    code, checks = doctor(env)
    assert (code, checks["cache"]["status"]) == (1, "fail")
    assert checks["cache"]["fix"].startswith(f"run `chmod -R go-rwx {cache}`")
    cache.chmod(0o700)
    assert doctor(env)[0] == 0


def test_clock_far_from_the_file_systems(env: dict[str, str]) -> None:
    need_tool(LIBFAKETIME)
    # This process's clock 2 hours ahead; file times stay real (NO_FAKE_STAT).
    faked = {**env, "LD_PRELOAD": LIBFAKETIME, "FAKETIME": "+2h", "NO_FAKE_STAT": "1"}
    code, checks = doctor(faked)
    assert (code, checks["clock"]["status"]) == (1, "fail")
    assert re.fullmatch(
        r"this clock is 7\d\d\ds ahead of the file system's: .*", checks["clock"]["message"]
    )


def test_conflicts_in_the_environment(env: dict[str, str]) -> None:
    foreign = {**env, "AWS_ACCESS_KEY_ID": "ASIAFOREIGN", "AWS_SESSION_TOKEN": "t"}
    code, checks = doctor(foreign)
    assert code == 0  # a warning: such keys may be meant as source credentials
    assert checks["environment"]["status"] == "warn"
    assert checks["environment"]["message"].startswith("AWS_ACCESS_KEY_ID, AWS_SESSION_TOKEN set")
    # The same names set by an active stsenv role are no conflict.
    active = {**foreign, "STSENV_VARS": "AWS_ACCESS_KEY_ID AWS_SESSION_TOKEN STSENV_VARS"}
    assert doctor(active)[1]["environment"]["status"] == "ok"


def test_doctor_makes_no_network_call(env: dict[str, str]) -> None:
    # An endpoint nobody listens on: doctor must not notice.
    offline = {**env, "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    assert doctor(offline)[0] == 0


@pytest.mark.parametrize("kind", SHELLS)
def test_doctor_through_the_hook(
    kind: str, start_shell: StartShell, aws_env: dict[str, str], tmp_path: Path
) -> None:
    # The hook loaded twice: still one prompt hook.
    hook = "stsenv hook fish | source" if kind == "fish" else f'eval "$(stsenv hook {kind})"'
    shell = start_shell(kind, aws_env, after_hook=hook)
    out = tmp_path / "report.json"
    shown = shell.run(f"stsenv doctor --json > {out}")
    report = json.loads(out.read_text())
    checks = {c["name"]: c for c in report["checks"]}
    assert shown.status == "0", report
    assert checks["hook"]["message"] == f"loaded in {kind}"
    assert checks["version"]["status"] == "ok"
    assert checks["prompt"]["message"] == "the prompt hook is installed once"
    # With a role active, its variables are stsenv's own.
    assert shell.run("stsenv use s3Full").status == "0"
    shell.run(f"stsenv doctor --json > {out}")
    checks = {c["name"]: c for c in json.loads(out.read_text())["checks"]}
    assert checks["environment"]["status"] == "ok"
    assert checks["alias s3Full"]["status"] == "ok"  # looked up from the user's own source
    assert "STSENV_HOOK_VERSION" not in shell.environ()  # passed to doctor only


# --- IAM Identity Center sign-ins ------------------------------------------------------------

CORP = "sign-in sso-session corp"
LEGACY = f"sign-in {START_URL}"
UNTIL = r"signed in until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(\d+h \d\dm left\); "


@pytest.fixture
def hooked_sso(sso_env: dict[str, str]) -> dict[str, str]:
    """support/emulator.py's sso_env, with the variables the hook's wrapper gives doctor."""
    return {**sso_env, **HOOKED}


def edit_token(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    for key, value in changes.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    path.write_text(json.dumps(data))


def test_each_sign_in_says_where_it_stands(
    hooked_sso: dict[str, str], center: IdentityCenter
) -> None:
    home = Path(hooked_sso["HOME"])
    code, checks = doctor(hooked_sso)
    assert code == 0, checks  # not signed in is a state, not a fault
    sign_ins = {
        k: (c["status"], c["message"], c["fix"])
        for k, c in checks.items()
        if k.startswith("sign-in")
    }
    assert sign_ins == {
        CORP: ("warn", "not signed in", "run `stsenv login --sso-session corp`"),
        LEGACY: ("warn", "not signed in", "run `stsenv login --profile legacy-admin`"),
    }
    # Signed in as `aws sso login` leaves it: the session's token renews itself, the legacy
    # one (no refresh, in botocore as in the AWS CLI) says what to run when it ends.
    corp = write_cli_v2_token(home, center.issue_token(lifetime=3 * 3600))
    write_cli_v2_token(home, center.issue_token(lifetime=600), session_name=None)
    code, checks = doctor(hooked_sso)
    assert code == 0
    assert re.fullmatch(
        UNTIL + "renewed with its refresh token as it runs out", checks[CORP]["message"]
    ), checks[CORP]
    assert re.search(r"\((2h 59|3h 00)m left\)", checks[CORP]["message"])
    assert re.fullmatch(
        UNTIL + r"then run `stsenv login --profile legacy-admin`", checks[LEGACY]["message"]
    ), checks[LEGACY]
    # The access token ran out: with a refresh token the next use renews it; without, sign in.
    edit_token(corp, expiresAt="2020-01-01T00:00:00Z")
    code, checks = doctor(hooked_sso)
    assert (code, checks[CORP]["status"]) == (0, "ok")
    assert checks[CORP]["message"].startswith("the access token ended at 2020-01-01 00:00 UTC; ")
    edit_token(corp, refreshToken=None)
    code, checks = doctor(hooked_sso)
    assert (checks[CORP]["status"], checks[CORP]["message"], checks[CORP]["fix"]) == (
        "warn",
        "the sign-in ended at 2020-01-01 00:00 UTC",
        "run `stsenv login --sso-session corp`",
    )


@pytest.mark.parametrize(
    ("damage", "status", "says"),
    [
        ("mode", "fail", "is readable or writable by others"),
        ("symlink", "warn", "cannot be read"),
        ("garbage", "warn", "is not a token file botocore can read"),
        ("huge", "warn", "holds no access token"),
        ("no expiry", "warn", "is not a token file botocore can read"),
    ],
)
def test_a_token_file_is_data(
    hooked_sso: dict[str, str],
    center: IdentityCenter,
    tmp_path: Path,
    damage: str,
    status: str,
    says: str,
) -> None:
    issued = center.issue_token()
    path = write_cli_v2_token(Path(hooked_sso["HOME"]), issued)
    if damage == "mode":
        path.chmod(0o644)
    elif damage == "symlink":
        elsewhere = tmp_path / "planted.json"
        path.rename(elsewhere)
        path.symlink_to(elsewhere)
    elif damage == "garbage":
        path.write_text('{"accessToken": "x", "expiresAt": "$(touch pwned)"}')
    elif damage == "huge":
        path.write_text(json.dumps({"accessToken": "x" * 100_000, "expiresAt": "2030-01-01"}))
    else:
        edit_token(path, expiresAt=None)
    code, checks = doctor(hooked_sso)
    check = checks[CORP]
    assert (code, check["status"]) == (1 if status == "fail" else 0, status), check
    assert check["message"].startswith(f"the token file {path} {says}"), check
    assert issued["accessToken"] not in json.dumps(checks)  # a token never shows
    assert not (Path(hooked_sso["HOME"]) / "pwned").exists()


def test_doctor_after_login_in_a_real_shell(
    start_shell: StartShell, sso_env: dict[str, str], center: IdentityCenter
) -> None:
    shell = start_shell("bash", sso_env)
    assert "warn  sign-in sso-session corp: not signed in" in shell.run("stsenv doctor").output
    approver = approve_when_pending(center, timeout=40)
    assert shell.run("stsenv login --sso-session corp --no-browser", timeout=60).status == "0"
    approver.join()
    assert token_cache_path(Path(sso_env["HOME"]), "corp").exists()
    shown = shell.run("stsenv doctor").output
    assert re.search(r"ok    sign-in sso-session corp: " + UNTIL, shown), shown
