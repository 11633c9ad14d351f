"""`stsenv login` and `stsenv logout`: IAM Identity Center sign-in with the device grant,
shared with the AWS CLI (the token is where the AWS CLI v2 and botocore read it)."""

from __future__ import annotations

import os
import sys

from stsenv import activation
from stsenv.inert import inert

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.aws.sso_listing import SignIn
    from stsenv.settings import Settings


def sign_in_for(profile: str | None, sso_session: str | None) -> SignIn:
    """The sign-in meant: --profile, --sso-session, AWS_PROFILE's, or the only one."""
    from stsenv.aws import profiles, source, sso

    env = activation.source_env(os.environ)
    with source.botocore_sees(env):
        config = profiles.full_config()
    env_profile = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE")
    return sso.find_sign_in(config, profile, sso_session, env_profile)


def login(settings: Settings, profile: str | None, sso_session: str | None,
          no_browser: bool) -> int:  # fmt: skip
    sign_in_now(sign_in_for(profile, sso_session), open_browser=not no_browser)
    return 0


def sign_in_now(sign_in: object, open_browser: bool = True) -> None:
    """The device grant for `sign_in` (an aws.sso_listing.SignIn), told on stderr."""
    from stsenv.aws import sso

    assert isinstance(sign_in, sso.SignIn)
    sso.login(sign_in, open_browser=open_browser, notify=_say)
    _say(f"signed in to {sign_in.label}; the AWS CLI and SDKs share this sign-in")


def logout(settings: Settings, profile: str | None, sso_session: str | None) -> int:
    from stsenv.aws import cache, sso

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
