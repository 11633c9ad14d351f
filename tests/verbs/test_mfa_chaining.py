"""MFA sessions and role chaining against a recording stand-in STS: which calls are made,
with which parameters, signed by which access key (the local emulator checks neither MFA
codes nor the 1-hour chaining limit)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest
from support.emulator import STS_NS, StandIn, base_env, sts_error
from support.verbs import STSENV, one_error_line, stsenv

SERIAL = "arn:aws:iam::123456789012:mfa/taro"
LONG_TERM_KEY = "AKIAIOSFODNN7EXAMPLE"
ROLE = "arn:aws:iam::123456789012:role/"


def _creds(key: str, seconds: int) -> str:
    expiry = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds))
    return (
        f"<Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>s-{key}"
        f"</SecretAccessKey><SessionToken>t-{key}</SessionToken><Expiration>{expiry}"
        "</Expiration></Credentials>"
    )


class Sts(StandIn):
    """Answers GetSessionToken and AssumeRole with fresh keys each time (ASIA1, ASIA2...),
    unless `errors` holds an answer for the action."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: dict[str, tuple[int, str]] = {}

    def respond(self, action: str, form: dict[str, str]) -> tuple[int, str]:
        return self.errors.get(action) or (200, self.answer(action, form))

    def answer(self, action: str, form: dict[str, str]) -> str:
        key = f"ASIA{len(self.calls)}"
        if action == "GetSessionToken":
            result = _creds(key, int(form.get("DurationSeconds", "43200")))
        else:
            name = form.get("RoleArn", "").rsplit("/", 1)[-1]
            result = (
                _creds(key, int(form.get("DurationSeconds", "3600")))
                + f"<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/{name}/"
                f"{form.get('RoleSessionName')}</Arn><AssumedRoleId>AROA:x"
                "</AssumedRoleId></AssumedRoleUser>"
            )
        meta = "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
        return (
            f'<{action}Response xmlns="{STS_NS}"><{action}Result>{result}</{action}Result>'
            f"{meta}</{action}Response>"
        )


@pytest.fixture
def sts() -> Iterator[Sts]:
    server = Sts()
    yield server
    server.close()


@pytest.fixture
def env(sts: Sts, tmp_path: Path) -> dict[str, str]:
    """Aliases `a` and `b` need the MFA device; AWS profiles chain first -> second -> third."""
    home = tmp_path / "home"
    config = tmp_path / "stsenv.toml"
    config.write_text(
        f'[roles.a]\nrole_arn = "{ROLE}a"\nmfa_serial = "{SERIAL}"\nduration = "2h"\n'
        f'source_profile = "keys"\n\n'
        f'[roles.b]\nrole_arn = "{ROLE}b"\nmfa_serial = "{SERIAL}"\nduration = "2h"\n'
        f'source_profile = "keys"\n'
    )
    aws_config = tmp_path / "aws-config"
    aws_config.write_text(
        "[profile keys]\nregion = ap-northeast-1\n\n"
        f"[profile first]\nrole_arn = {ROLE}first\nsource_profile = keys\n"
        "region = ap-northeast-1\n\n"
        f"[profile second]\nrole_arn = {ROLE}second\nsource_profile = first\n"
        "region = ap-northeast-1\n\n"
        f"[profile third]\nrole_arn = {ROLE}third\nsource_profile = second\n"
        "duration_seconds = 7200\n\n"
        f"[profile fourth]\nrole_arn = {ROLE}fourth\nsource_profile = second\n\n"
        f"[profile no-region]\nrole_arn = {ROLE}first\nsource_profile = keys\n\n"
        f"[profile after-no-region]\nrole_arn = {ROLE}second\nsource_profile = no-region\n\n"
        f"[profile loopA]\nrole_arn = {ROLE}x\nsource_profile = loopB\n\n"
        f"[profile loopB]\nrole_arn = {ROLE}y\nsource_profile = loopA\n\n"
        f"[profile needs-mfa]\nrole_arn = {ROLE}first\nsource_profile = keys\n"
        f"mfa_serial = {SERIAL}\nregion = ap-northeast-1\n\n"
        f"[profile after-mfa]\nrole_arn = {ROLE}second\nsource_profile = needs-mfa\n\n"
        "[profile sso]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_account_id = 123456789012\nsso_role_name = Admin\n\n"
        f"[profile after-sso]\nrole_arn = {ROLE}second\nsource_profile = sso\n"
    )
    credentials = tmp_path / "aws-credentials"
    credentials.write_text(
        f"[keys]\naws_access_key_id = {LONG_TERM_KEY}\naws_secret_access_key = long-term-secret\n"
    )
    return {
        **base_env(home),
        "AWS_ENDPOINT_URL": sts.endpoint,
        "AWS_CONFIG_FILE": str(aws_config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "STSENV_CONFIG": str(config),
    }


def export(env: dict[str, str], *args: str) -> tuple[dict[str, str], str]:
    done = stsenv(env, "export", *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_one_code_per_device_then_roles_without_codes(sts: Sts, env: dict[str, str]) -> None:
    creds, notice = export(env, "a", "--token-code", "123456")
    assert notice == (
        f"stsenv: a is capped at 1h, not 120m: it is assumed from the MFA session of {SERIAL}, "
        "and AWS allows role chaining 1h at most\n"
    )
    (get, getf, get_key), (assume, form, assume_key) = sts.calls
    assert (get, get_key) == ("GetSessionToken", LONG_TERM_KEY)
    assert (getf["SerialNumber"], getf["TokenCode"], getf["DurationSeconds"]) == (
        SERIAL,
        "123456",
        "43200",
    )
    assert (assume, assume_key) == ("AssumeRole", "ASIA1")  # signed by the MFA session
    assert form["DurationSeconds"] == "3600" and "TokenCode" not in form
    assert creds["AWS_ACCESS_KEY_ID"] == "ASIA2"

    # Another role with the same device: no code given, none needed, no new MFA session.
    creds, _ = export(env, "b")
    assert [(a, k) for a, _f, k in sts.calls[2:]] == [("AssumeRole", "ASIA1")]
    assert sts.calls[2][1]["RoleArn"] == f"{ROLE}b"

    # --no-mfa-session: the code goes on AssumeRole, signed by the long-term key, uncapped.
    _, notice = export(env, "b", "--no-mfa-session", "--token-code", "654321")
    action, form, key = sts.calls[3]
    assert (action, key, form["TokenCode"], form["DurationSeconds"]) == (
        "AssumeRole",
        LONG_TERM_KEY,
        "654321",
        "7200",
    )
    assert notice == ""
    mfa_files = list(Path(env["STSENV_CACHE_DIR"]).glob("mfa-*.json"))
    assert len(mfa_files) == 1 and mfa_files[0].stat().st_mode & 0o777 == 0o600


def test_a_rejected_code_is_one_line_and_nothing_is_cached(sts: Sts, env: dict[str, str]) -> None:
    sts.errors["GetSessionToken"] = sts_error(
        "AccessDenied", "MultiFactorAuthentication failed with invalid MFA one time pass code.", 403
    )
    one_error_line(
        stsenv(env, "export", "a", "--token-code", "111111"),
        3,
        f"stsenv: the MFA code for {SERIAL} was rejected",
    )
    assert not list(Path(env["STSENV_CACHE_DIR"]).glob("*.json"))
    one_error_line(
        stsenv(env, "export", "a"), 5, "stsenv: an MFA code is needed and there is no terminal"
    )


def test_role_profiles_chain_at_any_depth_capped_at_one_hour(sts: Sts, env: dict[str, str]) -> None:
    creds, notice = export(env, "third")
    assert [(f["RoleArn"], k) for _a, f, k in sts.calls] == [
        (f"{ROLE}first", LONG_TERM_KEY),  # by botocore, as the AWS CLI does
        (f"{ROLE}second", "ASIA1"),
        (f"{ROLE}third", "ASIA2"),  # by stsenv, with the second role's session
    ]
    assert sts.calls[2][1]["DurationSeconds"] == "3600"
    assert notice == (
        "stsenv: third is capped at 1h, not 120m: its source, AWS profile 'second', is itself "
        "a role, and AWS allows role chaining 1h at most\n"
    )
    assert creds["AWS_ACCESS_KEY_ID"] == "ASIA3"


def test_the_roles_of_a_source_chain_are_cached_for_the_next_use(
    sts: Sts, env: dict[str, str]
) -> None:
    """first and second, assumed by botocore on the way to third, are kept in stsenv's cache:
    another target sourced from second assumes only itself, in another process."""
    export(env, "third")
    assert [f["RoleArn"] for _a, f, _k in sts.calls] == [
        f"{ROLE}first",
        f"{ROLE}second",
        f"{ROLE}third",
    ]
    cached = sorted(Path(env["STSENV_CACHE_DIR"]).glob("chain-*.json"))
    assert len(cached) == 2 and all(p.stat().st_mode & 0o777 == 0o600 for p in cached)
    assert "long-term-secret" not in "".join(p.read_text() for p in cached)
    sts.calls.clear()
    creds, _notice = export(env, "fourth")
    assert [(f["RoleArn"], k) for _a, f, k in sts.calls] == [(f"{ROLE}fourth", "ASIA2")]
    assert creds["AWS_ACCESS_KEY_ID"] == "ASIA1"  # the one call made, numbered afresh
    # A different source (another credentials file) shares none of it.
    other = Path(env["AWS_SHARED_CREDENTIALS_FILE"]).with_name("other-credentials")
    other.write_text(
        "[keys]\naws_access_key_id = AKIAOTHER0000000000\naws_secret_access_key = other\n"
    )
    sts.calls.clear()
    export({**env, "AWS_SHARED_CREDENTIALS_FILE": str(other)}, "fourth")
    assert next(k for _a, _f, k in sts.calls) == "AKIAOTHER0000000000"


def test_a_profile_loop_or_a_missing_region_is_one_line(sts: Sts, env: dict[str, str]) -> None:
    one_error_line(stsenv(env, "export", "loopA"), 2, "stsenv: the AWS config has a profile loop")
    no_region = "stsenv: no region for AWS profile 'no-region' (a role profile needs one"
    one_error_line(stsenv(env, "export", "after-no-region"), 2, no_region)
    assert sts.calls == []


@pytest.mark.parametrize("target", ["after-sso", f"{ROLE}x --profile sso"])
def test_an_expired_sso_session_says_what_to_run(
    sts: Sts, env: dict[str, str], target: str
) -> None:
    """No SSO token cached for the profile: botocore cannot refresh it by itself."""
    one_error_line(
        stsenv(env, "export", *target.split()), 3, "stsenv: the SSO session for AWS profile "
    )
    done = stsenv(env, "export", *target.split())
    assert "run `stsenv login --profile sso` and retry" in done.stderr
    assert sts.calls == []


def test_a_source_role_mfa_code_is_asked_on_the_terminal(sts: Sts, env: dict[str, str]) -> None:
    one_error_line(
        stsenv(env, "export", "after-mfa"),
        5,
        "stsenv: AWS profile 'needs-mfa' needs an MFA code for its role and there is no terminal",
    )
    assert sts.calls == []
    child = pexpect.spawn(
        STSENV,
        ["export", "after-mfa", "--force", "--format", "json"],
        env=env,
        encoding="utf-8",
        timeout=30,
    )
    child.expect(f"Enter MFA code for {SERIAL}: ")
    child.sendline("246810")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    (_a, first, _k), (_b, second, _k2) = sts.calls
    assert (first["RoleArn"], first["SerialNumber"], first["TokenCode"]) == (
        f"{ROLE}first",
        SERIAL,
        "246810",
    )
    assert second["RoleArn"] == f"{ROLE}second" and "TokenCode" not in second
