"""stsenv.aws.sso against the local IAM Identity Center over HTTP, with real botocore: the
device-grant sign-in, the token file shared with the AWS CLI (both ways), refresh, role
credentials that work on the local moto world, the listing of a large organisation, the
cached listing read without botocore, and every way the portal can fail."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from support.identity_center import (
    MOTO_ACCOUNT,
    SSO_REGION,
    START_URL,
    USER,
    IdentityCenter,
    approve_when_pending,
    token_cache_path,
    write_cli_v2_token,
    write_sso_config,
)
from support.local_aws import REGION, LocalAws
from support.program import caller_arn

from stsenv.aws import sso
from stsenv.aws.sso_listing import LISTING_TTL, SignIn, find_sign_in, load_cached_assignments
from stsenv.errors import AwsDenied, AwsUnreachable, StsenvError, UsageError
from stsenv.settings import Settings

ADMIN_ARN = f"arn:aws:sts::{MOTO_ACCOUNT}:assumed-role/AdministratorAccess/{USER}"
TOKEN_FIELDS = {
    "startUrl",
    "region",
    "accessToken",
    "expiresAt",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
    "refreshToken",
}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def home(
    center: IdentityCenter, aws_world: LocalAws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """This process as a user with the SSO profiles, no sign-in yet, and its own caches."""
    home = tmp_path / "home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith(("AWS_", "STSENV_")):
            monkeypatch.delenv(name)
    env = {
        **aws_world.env,
        **center.env,
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(write_sso_config(tmp_path / "aws-config")),
        "STSENV_CACHE_DIR": str(tmp_path / "cache"),
    }
    env.pop("AWS_PROFILE")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return home


@pytest.fixture
def corp(home: Path) -> SignIn:
    return find_sign_in(botocore.session.Session().full_config, None, "corp", None)


def settings() -> Settings:
    return Settings.from_env(os.environ)


def one_line(error: StsenvError, *secrets: str) -> str:
    assert "\n" not in error.message and "Traceback" not in error.message
    for secret in secrets:
        assert secret not in error.message
    return error.message


class Recorder:
    """The injected `sleep` (and notices): records what login waits, waits only a little."""

    def __init__(self, interrupt_after: int | None = None) -> None:
        self.sleeps: list[float] = []
        self.notices: list[str] = []
        self.interrupt_after = interrupt_after

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.interrupt_after is not None and len(self.sleeps) > self.interrupt_after:
            raise KeyboardInterrupt
        time.sleep(0.01)

    def notify(self, text: str) -> None:
        self.notices.append(text)


def login(sign_in: SignIn, recorder: Recorder) -> None:
    sso.login(sign_in, open_browser=False, notify=recorder.notify, sleep=recorder.sleep)


def in_moto(session: Any, aws_world: LocalAws) -> str:
    creds = session.credentials
    sts = boto3.client(
        "sts",
        endpoint_url=aws_world.endpoint,
        region_name=REGION,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        aws_session_token=creds.session_token,
    )
    return str(sts.get_caller_identity()["Arn"])


# --- which sign-in ---------------------------------------------------------------------------


def test_find_sign_in_reads_botocores_config(home: Path) -> None:
    config = botocore.session.Session().full_config
    corp = find_sign_in(config, "dev-admin", None, None)
    assert (corp.session_name, corp.start_url, corp.region, corp.scopes, corp.profile) == (
        "corp",
        START_URL,
        SSO_REGION,
        ("sso:account:access",),
        "dev-admin",
    )
    assert corp.key == hashlib.sha1(b"corp").hexdigest()  # noqa: S324
    assert corp.token_path == str(token_cache_path(home, "corp"))
    assert find_sign_in(config, "chained", None, None).session_name == "corp"  # source_profile
    assert find_sign_in(config, None, None, "dev-read").profile == "dev-read"  # AWS_PROFILE
    assert find_sign_in(config, None, None, None).session_name == "corp"  # the only one
    legacy = find_sign_in(config, "legacy-admin", None, None)
    assert legacy.session_name is None and legacy.token_path == str(token_cache_path(home, None))
    assert legacy.login_hint == "stsenv login --profile legacy-admin"

    for args, words in [
        ((None, "nope", None), "no [sso-session nope] in the AWS config (it has: corp)"),
        (("dev-admin", "corp", None), "not both"),
        (("missing", None, None), "no profile 'missing'"),
    ]:
        with pytest.raises(UsageError) as caught:
            find_sign_in(config, *args)
        assert words in caught.value.message


def test_find_sign_in_asks_which_when_there_are_several() -> None:
    region = "eu-west-1"
    config = {
        "profiles": {"keys": {"region": region}},
        "sso_sessions": {
            "a": {"sso_start_url": "https://a/start", "sso_region": region},
            "b": {
                "sso_start_url": "https://b/start",
                "sso_region": region,
                "sso_registration_scopes": "sso:account:access, x:y",
            },
        },
    }
    with pytest.raises(UsageError) as caught:
        find_sign_in(config, None, None, "keys")  # AWS_PROFILE has no sign-in: which one?
    assert caught.value.message.endswith("(it has: a, b)")
    assert find_sign_in(config, None, "b", None).scopes == ("sso:account:access", "x:y")
    with pytest.raises(UsageError) as none:
        find_sign_in({"profiles": {"keys": {}}}, None, None, None)
    assert "no IAM Identity Center sign-in" in none.value.message
    with pytest.raises(UsageError) as plain:
        find_sign_in(config, "keys", None, None)
    assert "does not sign in with IAM Identity Center" in plain.value.message


# --- login -----------------------------------------------------------------------------------


def test_login_end_to_end_shares_the_sign_in_with_the_aws_cli(
    center: IdentityCenter, corp: SignIn, home: Path, aws_world: LocalAws
) -> None:
    center.slow_down_first = 2  # slow_down twice: 1 s + 5 + 5 for this and every later poll
    center.pending_first = 2
    recorder = Recorder()
    approver = approve_when_pending(center)
    started = time.time()
    login(corp, recorder)
    approver.join(5)

    assert recorder.sleeps[:2] == [6, 11] and set(recorder.sleeps[2:]) == {11}
    assert len(recorder.sleeps) >= 4 and center.calls["CreateToken"] == len(recorder.sleeps) + 1
    (notice,) = recorder.notices
    assert f"{center.endpoint}/_test/device?user_code=" in notice and START_URL in notice
    assert center.registered == [("stsenv", ["sso:account:access"])]

    path = Path(corp.token_path)
    token = json.loads(path.read_text())
    assert set(token) == TOKEN_FIELDS
    assert (token["startUrl"], token["region"]) == (START_URL, SSO_REGION)
    assert ISO_Z.match(token["expiresAt"]) and ISO_Z.match(token["registrationExpiresAt"])
    expires = datetime.strptime(token["expiresAt"], "%Y-%m-%dT%H:%M:%SZ")
    expires_at = expires.replace(tzinfo=timezone.utc).timestamp()
    assert started + 8 * 3600 - 5 <= expires_at <= time.time() + 8 * 3600
    assert center.token_is_valid(token["accessToken"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700  # created by login
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temp files

    # Shared with the AWS CLI: botocore's own SSO provider and `aws` v1, in their processes.
    env = dict(os.environ)
    script = (
        "import botocore.session as b; s = b.Session(profile='dev-admin'); "
        "s.get_credentials(); print(s.create_client('sts').get_caller_identity()['Arn'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == ADMIN_ARN, done.stderr
    cli = caller_arn(env, "dev-admin")
    assert cli.returncode == 0 and cli.stdout.strip() == ADMIN_ARN, cli.stderr

    # A second login reuses the client registration (kept 0600 next to the tokens).
    center.slow_down_first = center.pending_first = 0
    center.auto_approve = True
    login(corp, Recorder())
    assert center.calls["RegisterClient"] == 1
    assert json.loads(path.read_text())["accessToken"] != token["accessToken"]
    for kept in path.parent.iterdir():
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_login_without_an_interval_polls_every_5_seconds(
    center: IdentityCenter, corp: SignIn
) -> None:
    center.interval = None
    center.pending_first = 2
    center.auto_approve = True
    recorder = Recorder()
    login(corp, recorder)
    assert recorder.sleeps == [5, 5]


def test_login_legacy_profile_writes_the_start_url_key(center: IdentityCenter, home: Path) -> None:
    center.auto_approve = True
    legacy = find_sign_in(botocore.session.Session().full_config, "legacy-admin", None, None)
    login(legacy, Recorder())
    token = json.loads(token_cache_path(home, None, START_URL).read_text())
    assert token["startUrl"] == START_URL and center.token_is_valid(token["accessToken"])
    session = sso.role_credentials(
        legacy, MOTO_ACCOUNT, "ReadOnlyAccess", "legacy-admin", REGION, int(time.time())
    )
    assert session.credentials.session_token


@pytest.mark.parametrize(
    ("knob", "words"),
    [
        ("expired", "expired before it was confirmed: run `stsenv login --sso-session corp`"),
        ("denied", "the sign-in to sso-session corp was denied in the browser"),
    ],
)
def test_login_ends_with_one_line(
    center: IdentityCenter, corp: SignIn, knob: str, words: str
) -> None:
    if knob == "expired":
        center.device_code_lifetime = 0
    else:
        approve_when_pending(center, via=center.deny)
    with pytest.raises(AwsDenied) as caught:
        login(corp, Recorder())
    assert words in one_line(caught.value)
    assert not Path(corp.token_path).exists()


def test_ctrl_c_while_polling_leaves_no_token_file(center: IdentityCenter, corp: SignIn) -> None:
    with pytest.raises(KeyboardInterrupt):
        login(corp, Recorder(interrupt_after=2))
    assert center.calls["CreateToken"] == 3
    directory = Path(corp.token_path).parent
    assert not Path(corp.token_path).exists()
    names = [p.name for p in directory.iterdir()]
    assert len(names) == 1 and not names[0].startswith(".")  # only the client registration


def test_login_when_the_oidc_endpoint_is_down(
    corp: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from support.local_aws import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(AwsUnreachable) as caught:
        login(corp, Recorder())
    assert "could not be reached" in one_line(caught.value)


# --- role credentials ------------------------------------------------------------------------


def test_role_credentials_from_a_cli_v2_token(
    center: IdentityCenter, corp: SignIn, home: Path, aws_world: LocalAws
) -> None:
    write_cli_v2_token(home, center.issue_token())
    now = int(time.time())
    session = sso.role_credentials(
        corp, MOTO_ACCOUNT, "AdministratorAccess", "dev-admin", REGION, now
    )
    assert in_moto(session, aws_world) == ADMIN_ARN
    assert session.role_arn == f"arn:aws:iam::{MOTO_ACCOUNT}:role/AdministratorAccess"
    assert session.assumed_role_arn.startswith(
        f"arn:aws:sts::{MOTO_ACCOUNT}:assumed-role/AdministratorAccess/"
    )
    assert 3590 <= session.duration <= 3601 and session.region == REGION  # now is truncated
    assert session.display_name == "dev-admin"
    assert center.calls["GetRoleCredentials"] == 1 and center.calls["CreateToken"] == 0


def test_role_credentials_refresh_an_expired_token(
    center: IdentityCenter, corp: SignIn, home: Path, aws_world: LocalAws
) -> None:
    issued = center.issue_token(lifetime=-60)
    path = write_cli_v2_token(home, issued)
    session = sso.role_credentials(
        corp, MOTO_ACCOUNT, "ReadOnlyAccess", "r", None, int(time.time())
    )
    assert in_moto(session, aws_world).endswith(":assumed-role/ReadOnlyAccess/taro")
    saved = json.loads(path.read_text())
    assert center.calls["CreateToken"] == 1 and center.token_is_valid(saved["accessToken"])
    assert ISO_Z.match(saved["expiresAt"]) and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_not_signed_in_says_how_to_sign_in(center: IdentityCenter, home: Path) -> None:
    config = botocore.session.Session().full_config
    for profile, hint in [
        ("dev-admin", "stsenv login --sso-session corp"),
        ("legacy-admin", "stsenv login --profile legacy-admin"),
    ]:
        sign_in = find_sign_in(config, profile, None, None)
        with pytest.raises(AwsDenied) as caught:
            sso.role_credentials(sign_in, MOTO_ACCOUNT, "ReadOnlyAccess", profile, None, 0)
        assert one_line(caught.value).endswith(f"run `{hint}`")
    assert center.calls["GetRoleCredentials"] == 0


def test_an_expired_sign_in_that_cannot_be_refreshed(
    center: IdentityCenter, corp: SignIn, home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    issued = center.issue_token(lifetime=-60)
    center.revoke_all()
    write_cli_v2_token(home, issued)
    with pytest.raises(AwsDenied) as caught:
        sso.role_credentials(corp, MOTO_ACCOUNT, "ReadOnlyAccess", "r", None, 0)
    message = one_line(caught.value, issued["accessToken"], issued["refreshToken"])
    assert "expired and could not be refreshed: run `stsenv login --sso-session corp`" in message
    assert center.calls["GetRoleCredentials"] == 0 and center.calls["CreateToken"] == 1
    assert capfd.readouterr().err == ""  # botocore's refresh warnings stay in its logger


@pytest.mark.parametrize(
    ("fault", "error", "words"),
    [
        ("unauthorized", AwsDenied, "has expired or was revoked: run `stsenv login --sso-session"),
        ("garbage", AwsUnreachable, "answered something that is not its API"),
        ("garbage-502", AwsUnreachable, "did not serve role ReadOnlyAccess of account"),
        ("throttle", AwsUnreachable, "(TooManyRequestsException); try again later"),
        ("forbidden", AwsDenied, "has no access to role Forbidden of account"),
    ],
)
def test_portal_failures_are_one_line_and_nothing_is_cached(
    center: IdentityCenter,
    corp: SignIn,
    home: Path,
    fault: str,
    error: type[StsenvError],
    words: str,
) -> None:
    issued = center.issue_token()
    write_cli_v2_token(home, issued)
    center.faults["GetRoleCredentials"] = fault.split("-")[0]
    center.garbage_status = 502 if fault == "garbage-502" else 200
    role = "Forbidden" if fault == "forbidden" else "ReadOnlyAccess"
    with pytest.raises(error) as caught:
        sso.role_credentials(corp, MOTO_ACCOUNT, role, "r", None, int(time.time()))
    assert words in one_line(caught.value, issued["accessToken"])
    assert not (home.parent / "cache").exists() or not list((home.parent / "cache").iterdir())
    expected_attempts = 3 if fault in ("throttle", "garbage-502") else 1
    assert center.calls["GetRoleCredentials"] == expected_attempts


def test_a_hanging_portal_is_unreachable_after_3_attempts(
    center: IdentityCenter, corp: SignIn, home: Path
) -> None:
    write_cli_v2_token(home, center.issue_token())
    center.faults["GetRoleCredentials"] = "hang"
    started = time.monotonic()
    with pytest.raises(AwsUnreachable) as caught:
        sso.role_credentials(corp, MOTO_ACCOUNT, "ReadOnlyAccess", "r", None, int(time.time()))
    took = time.monotonic() - started
    assert "did not answer in time" in one_line(caught.value)
    assert center.calls["GetRoleCredentials"] == 3
    assert 3 * sso.READ_TIMEOUT <= took < 3 * sso.READ_TIMEOUT + 8
    print(f"\nhanging portal: AwsUnreachable after {took:.1f}s (3 attempts)")


# --- the listing -----------------------------------------------------------------------------


def test_listing_a_large_organisation(
    center: IdentityCenter, corp: SignIn, home: Path, tmp_path: Path
) -> None:
    roles = ["AdministratorAccess", "ReadOnlyAccess", "Billing"]
    center.large_organisation(1000, roles)
    center.page_size = 20
    center.latency = 0.02  # a portal request takes time; loopback alone is ~free
    write_cli_v2_token(home, center.issue_token())
    now = int(time.time())
    started = time.perf_counter()
    found = sso.list_assignments(corp, settings(), refresh=False, now=now)
    took = time.perf_counter() - started
    print(
        f"\nfirst listing of 1,000 accounts x 3 roles, pages of 20, {center.latency * 1000:.0f}"
        f" ms per request: {took:.2f}s ({1050 * center.latency:.0f}s one at a time), "
        f"{center.max_concurrency} requests in flight at most"
    )
    center.latency = 0

    assert len(found) == 3000
    assert (found[0].account_name, found[0].role_name) == ("account-0000", "AdministratorAccess")
    assert {a.role_name for a in found if a.account_id == "100000000999"} == set(roles)
    assert center.calls["ListAccounts"] == 50 and center.calls["ListAccountRoles"] == 1000
    # Role listings run LIST_WORKERS at a time, next to the account listing's next page.
    assert 1 < center.max_concurrency <= sso.LIST_WORKERS + 1

    before = dict(center.calls)
    assert sso.list_assignments(corp, settings(), refresh=False, now=now + 60) == found
    assert dict(center.calls) == before  # from the cache: no call to the portal
    assert load_cached_assignments(corp, settings(), now + 60) == found
    assert load_cached_assignments(corp, settings(), now + LISTING_TTL) is None  # too old
    cached = list((tmp_path / "cache").glob("sso-listing-*.json"))
    assert len(cached) == 1 and stat.S_IMODE(cached[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(cached[0].parent.stat().st_mode) == 0o700

    # The cached listing without botocore, as TAB completion and the picker read it.
    script = f"""
import sys, time
started = time.perf_counter()
from stsenv.aws.sso_listing import SignIn, load_cached_assignments
from stsenv.settings import Settings
import os
found = load_cached_assignments(SignIn("corp", {START_URL!r}, {SSO_REGION!r}),
                                Settings.from_env(os.environ), {now + 60})
took = time.perf_counter() - started
assert not [m for m in sys.modules if m.startswith(("botocore", "boto3"))]
print(len(found), f"{{took * 1000:.1f}}")
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    count, millis = done.stdout.split()
    print(f"cached listing of 3,000 roles read without botocore: {millis} ms (import + read)")
    assert count == "3000"

    center.large_organisation(2, roles)
    again = sso.list_assignments(corp, settings(), refresh=True, now=now + 120)
    assert len(again) == 6 and load_cached_assignments(corp, settings(), now + 120) == again


def test_listing_throttled_then_served(center: IdentityCenter, corp: SignIn, home: Path) -> None:
    write_cli_v2_token(home, center.issue_token())
    center.throttle_first = 3
    found = sso.list_assignments(corp, settings(), refresh=False, now=int(time.time()))
    assert len(found) == 4 and center.calls["ListAccounts"] == 4


def test_a_listing_that_fails_midway_stops_and_caches_nothing(
    center: IdentityCenter, corp: SignIn, home: Path
) -> None:
    center.large_organisation(1000, ["ReadOnlyAccess"])
    issued = center.issue_token()
    write_cli_v2_token(home, issued)
    center.faults["ListAccountRoles"] = "unauthorized"
    now = int(time.time())
    with pytest.raises(AwsDenied) as caught:
        sso.list_assignments(corp, settings(), refresh=False, now=now)
    assert "run `stsenv login --sso-session corp`" in one_line(caught.value, issued["accessToken"])
    assert center.calls["ListAccountRoles"] < 100  # the first failure ends it
    assert load_cached_assignments(corp, settings(), now) is None


# --- logout ----------------------------------------------------------------------------------


def test_logout_calls_logout_and_removes_the_token(
    center: IdentityCenter, corp: SignIn, home: Path
) -> None:
    issued = center.issue_token()
    path = write_cli_v2_token(home, issued)
    sso.logout(corp)
    assert center.logged_out == [issued["accessToken"]] and not path.exists()
    assert not center.token_is_valid(issued["accessToken"])
    sso.logout(corp)  # signed out already: nothing to call, nothing to say
    assert center.calls["Logout"] == 1

    write_cli_v2_token(home, issued)  # an already invalid token: removed all the same
    sso.logout(corp)
    assert center.calls["Logout"] == 2 and not path.exists()
    with pytest.raises(AwsDenied):
        sso.role_credentials(corp, MOTO_ACCOUNT, "ReadOnlyAccess", "r", None, 0)


def test_login_polls_while_another_thread_lists(
    center: IdentityCenter, corp: SignIn, home: Path
) -> None:
    """One sign-in, then its token serves the listing from worker threads at once."""
    approve_when_pending(center)
    login(corp, Recorder())
    results: list[int] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                len(sso.list_assignments(corp, settings(), refresh=True, now=int(time.time())))
            )
        )
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [4, 4, 4]


# --- the portal's numbers and URL are data (issue 16 item 6) -------------------------------


@pytest.mark.parametrize(("given", "waits"), [(-3, 1), (0, 1), (1e9, 60), (2.5, 2)])
def test_the_polling_interval_is_clamped(
    center: IdentityCenter, corp: SignIn, given: float, waits: int
) -> None:
    center.overrides["StartDeviceAuthorization"] = {"interval": given}
    center.pending_first = 2
    center.auto_approve = True
    recorder = Recorder()
    login(corp, recorder)
    assert recorder.sleeps == [waits, waits]
    assert json.loads(Path(corp.token_path).read_text())["accessToken"]


@pytest.mark.parametrize(
    ("operation", "field", "value"),
    [
        ("CreateToken", "expiresIn", 1e20),
        ("CreateToken", "expiresIn", -100),
        ("CreateToken", "expiresIn", 0),
        ("StartDeviceAuthorization", "expiresIn", 1e20),
        ("StartDeviceAuthorization", "expiresIn", -100),
        ("RegisterClient", "clientSecretExpiresAt", 1e20),
        ("RegisterClient", "clientSecretExpiresAt", -100),
        ("StartDeviceAuthorization", "verificationUriComplete", "file:///etc/passwd"),
        ("StartDeviceAuthorization", "verificationUriComplete", "javascript:alert(1)"),
        ("StartDeviceAuthorization", "verificationUriComplete", "http://portal.example/device"),
        ("StartDeviceAuthorization", "verificationUriComplete", "https://"),
        ("StartDeviceAuthorization", "userCode", "A" * 500),
    ],
)
def test_a_bad_number_or_url_of_the_portal_is_one_line(
    center: IdentityCenter, corp: SignIn, operation: str, field: str, value: object
) -> None:
    center.overrides[operation] = {field: value}
    center.auto_approve = True
    recorder = Recorder()
    with pytest.raises(StsenvError) as caught:
        login(corp, recorder)
    message = one_line(caught.value)
    assert isinstance(caught.value, AwsUnreachable), message
    assert message.startswith(f"IAM Identity Center of {START_URL} (us-east-1) answered ")
    assert message.endswith("; not signed in")
    assert not Path(corp.token_path).exists()
    if operation != "CreateToken":  # nothing was shown to be opened
        assert recorder.notices == []
    assert "etc/passwd" not in " ".join(recorder.notices)
