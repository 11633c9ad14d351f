"""`stsenv login` and `stsenv logout`: IAM Identity Center sign-in (authorization code + PKCE
in the browser, else the device code) and console sign-in sessions (`login_session`
profiles, as `aws login`), shared with the AWS CLI (the tokens are where the AWS CLI v2 and
botocore read them)."""

from __future__ import annotations

import os
import sys

from stsenv import activation
from stsenv.inert import inert
from stsenv.settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.aws.sso_listing import SignIn


def sign_in_for(profile: str | None, sso_session: str | None) -> SignIn:
    """The sign-in meant: --profile, --sso-session, AWS_PROFILE's, or the only one."""
    from stsenv.aws import profiles, source, sso

    env = activation.source_env(os.environ)
    with source.botocore_sees(env):
        config = profiles.full_config()
    env_profile = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE")
    return sso.find_sign_in(config, profile, sso_session, env_profile)


def login(
    settings: Settings,
    profile: str | None,
    sso_session: str | None,
    no_browser: bool,
    remote: bool = False,
) -> int:
    console = _console_profile(profile, sso_session)
    if console is not None:
        _console_login(settings, console[0], console[1], remote=no_browser or remote)
        return 0
    sign_in_now(
        sign_in_for(profile, sso_session),
        open_browser=not (no_browser or remote),
        settings=settings,
    )
    return 0


def sign_in_now(
    sign_in: object, open_browser: bool = True, settings: Settings | None = None
) -> None:
    """Sign in to `sign_in` (an aws.sso_listing.SignIn), told on stderr: in the browser with
    the authorization code + PKCE where one can be opened, else with the device code."""
    from stsenv.aws import redirect, signin, sso

    if isinstance(sign_in, signin.ConsoleSession):  # a login_session profile's session
        console = _console_profile(sign_in.profile, None)
        if console is None:
            raise _no_session(sign_in.profile)
        _console_login(
            settings or Settings.from_env(os.environ),
            console[0],
            console[1],
            remote=not open_browser,
        )
        return
    assert isinstance(sign_in, sso.SignIn)
    device_code = settings is not None and settings.sso_device_code
    if open_browser and not device_code and redirect.browser_available():
        wait = settings.login_wait if settings is not None else 300
        port = settings.login_port if settings is not None else 0
        sso.login_in_browser(sign_in, notify=_say, wait=wait, port=port)
    else:
        sso.login(sign_in, open_browser=open_browser, notify=_say)
    _say(f"signed in to {sign_in.label}; the AWS CLI and SDKs share this sign-in")


def _console_profile(
    profile: str | None, sso_session: str | None
) -> tuple[str, dict[str, object]] | None:
    """--profile P (or AWS_PROFILE's P) when P is a login_session profile."""
    from stsenv.aws import profiles, source

    if sso_session:
        return None
    env = activation.source_env(os.environ)
    name = profile or env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE")
    if not name:
        return None
    with source.botocore_sees(env):
        found = profiles.all_profiles().get(name)
    if isinstance(found, dict) and found.get("login_session"):
        return name, found
    return None


def _console_login(
    settings: Settings, profile: str, config: dict[str, object], remote: bool
) -> None:
    from stsenv import terminal
    from stsenv.aws import signin, source
    from stsenv.errors import EnvironmentProblem

    def ask(prompt: str) -> str:
        try:
            return terminal.ask(prompt)
        except EnvironmentProblem:
            raise EnvironmentProblem(
                "there is no terminal to paste the sign-in code on: run "
                "`stsenv login` in a terminal"
            ) from None

    with source.botocore_sees(activation.source_env(os.environ)):
        session = signin.login(
            profile,
            config,
            remote=remote,
            notify=_say,
            ask=ask,
            wait=settings.login_wait,
            port=settings.login_port,
        )
    _say(  # made inert there
        f"signed in for AWS profile {profile} ({session}); the AWS CLI and SDKs share this session"
    )


def _no_session(profile: str | None) -> Exception:
    from stsenv.errors import UsageError

    return UsageError(f"AWS profile {profile!r} has no login_session to sign in to")


def logout(settings: Settings, profile: str | None, sso_session: str | None) -> int:
    from stsenv.aws import cache, sso

    console = _console_profile(profile, sso_session)
    if console is not None:
        from stsenv.aws import signin

        name, session = console[0], str(console[1]["login_session"])
        from stsenv.aws import source

        with source.botocore_sees(activation.source_env(os.environ)):
            had = signin.logout(session)
        removed = cache.forget_sessions_of(settings, signin.tag(session))
        plural = "s" * (removed != 1)
        cached = f" and removed {removed} cached role session{plural}" if removed else ""
        what = "signed out of" if had else "no sign-in was kept for"
        _say(f"{what} the console session of AWS profile {name}{cached}")
        return 0
    sign_in = sign_in_for(profile, sso_session)
    try:
        sso.logout(sign_in)
    finally:
        removed = cache.forget_sessions_of(settings, sign_in.key)
        sso.forget_assignments(sign_in, settings)
    cached = f" and removed {removed} cached role session{'s' * (removed != 1)}" if removed else ""
    _say(f"signed out of {sign_in.label}{cached}")
    return 0


def _say(line: str) -> None:
    # stderr: stdout may be captured, and the code to confirm is for the person.
    print(f"stsenv: {inert(line)}", file=sys.stderr, flush=True)
