"""MFA sessions and role chaining on the cold path.

With an MFA device, stsenv asks for a code once and trades it for a GetSessionToken session
(12 h), cached per device and source key like the role sessions; roles are then assumed
from that session without a new code (as aws-vault does). AWS treats an AssumeRole from such
a session, or from another role's session, as role chaining: at most 1 hour, so a longer
--duration is capped with one line that says why.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from botocore import exceptions as bx
from botocore.credentials import ReadOnlyCredentials

from stsenv.aws import cache
from stsenv.aws.assume import Source, _client
from stsenv.errors import AwsDenied, AwsUnreachable, EnvironmentProblem, UsageError
from stsenv.model import CHAINED_MAX_DURATION
from stsenv.settings import Settings

MFA_SESSION_SECONDS = 12 * 3600
_MFA_CODE = re.compile(r"^\d{6}$")
_ENDPOINT_VARS = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")


def ask_code(mfa_serial: str, token_code: str | None, ask: Callable[[str], str]) -> str:
    code = (token_code or ask(f"MFA code for {mfa_serial}: ")).strip()
    if not _MFA_CODE.match(code):
        raise UsageError(f"the MFA code for {mfa_serial} must be 6 digits")
    return code


def session_source(
    source: Source,
    mfa_serial: str,
    token_code: str | None,
    ask: Callable[[str], str],
    env: Mapping[str, str],
    settings: Settings,
    now: int,
    region: str | None,
) -> Source:
    """`source`, stood in for by its cached MFA session; a new one costs one code."""
    key = cache._digest({"v": cache.FORMAT, "mfa_serial": mfa_serial,
                         "source_key": source.credentials.access_key,
                         "endpoint": {n: env.get(n) for n in _ENDPOINT_VARS}})  # fmt: skip
    name = f"mfa-{key}.json"
    data = cache._load(settings, name)
    creds = _creds_from_json(data, key, now)
    if creds is None:
        code = ask_code(mfa_serial, token_code, ask)
        try:
            answer = _client(source, "sts", region).get_session_token(
                SerialNumber=mfa_serial, TokenCode=code, DurationSeconds=MFA_SESSION_SECONDS
            )
        except bx.ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("AccessDenied", "AccessDeniedException"):
                raise AwsDenied(
                    f"the MFA code for {mfa_serial} was rejected: enter the current code from "
                    "the device (each code works once)"
                ) from None
            raise
        creds = _creds_from_answer(answer, now)
        cache._store(settings, name, {"key": key, **creds})
    return Source(
        source.session,
        ReadOnlyCredentials(
            creds["access_key_id"], creds["secret_access_key"], creds["session_token"]
        ),
        f"the MFA session of {mfa_serial}",
        source.region,
    )


def _creds_from_answer(answer: Mapping[str, Any], now: int) -> dict[str, Any]:
    c = answer.get("Credentials") or {}
    fields = ("AccessKeyId", "SecretAccessKey", "SessionToken")
    expiration = c.get("Expiration")
    if not all(isinstance(c.get(f), str) and c[f] for f in fields) or not isinstance(
        expiration, datetime
    ):
        raise AwsUnreachable("STS answered GetSessionToken without complete credentials")
    expires = int(expiration.timestamp())
    if expires <= now:
        raise AwsUnreachable("STS returned an expired MFA session: check this machine's clock")
    return {"access_key_id": c["AccessKeyId"], "secret_access_key": c["SecretAccessKey"],
            "session_token": c["SessionToken"], "expiration": expires}  # fmt: skip


def _creds_from_json(data: Mapping[str, Any] | None, key: str, now: int) -> dict[str, Any] | None:
    if data is None or data.get("key") != key:
        return None
    strings = ("access_key_id", "secret_access_key", "session_token")
    if not all(isinstance(data.get(k), str) and data[k] for k in strings):
        return None
    expiration = data.get("expiration")
    if type(expiration) is not int or expiration - now < cache.MIN_LIFE_LEFT:
        return None
    return dict(data)


def chained_source(source_profile: str | None, profiles: Mapping[str, Any]) -> str | None:
    """Why the source is itself a role session (role chaining), or None."""
    profile = profiles.get(source_profile) if source_profile else None
    if isinstance(profile, dict) and "role_arn" in profile:
        return f"its source, AWS profile {source_profile!r}, is itself a role"
    return None


def cap_duration(display_name: str, duration: int, why: str | None) -> int:
    """Durations over 1 h are capped when chaining, with one line that says why."""
    if why is None or duration <= CHAINED_MAX_DURATION:
        return duration
    print(
        f"stsenv: {display_name} is capped at 1h, not {duration // 60}m: {why}, and AWS "
        "allows role chaining 1h at most",
        file=sys.stderr,
    )
    return CHAINED_MAX_DURATION


def ask_through(session: Any, ask: Callable[[str], str], label: str) -> None:
    """Let botocore ask for a source role profile's MFA code on our terminal (its own
    prompter reads stdin, which may be a pipe), and fail with one line without one."""
    provider = session.get_component("credential_provider").get_provider("assume-role")
    if provider is None or not hasattr(provider, "_prompter"):
        return  # a botocore without this hook keeps its own prompt

    def prompter(prompt: str) -> str:
        try:
            return ask(prompt)
        except EnvironmentProblem:
            raise EnvironmentProblem(
                f"{label} needs an MFA code for its role and there is no terminal to ask on: "
                "run stsenv in a terminal"
            ) from None

    provider._prompter = prompter


def sso_profile(start: str | None, profiles: Mapping[str, Any]) -> str | None:
    """The profile to `aws sso login` for: `start`, or the first SSO profile its
    source_profile chain leads to."""
    seen: set[str] = set()
    name = start
    while name and name not in seen:
        seen.add(name)
        profile = profiles.get(name)
        if not isinstance(profile, dict):
            return None
        if "sso_start_url" in profile or "sso_session" in profile:
            return name
        name = profile.get("source_profile")
    return None
