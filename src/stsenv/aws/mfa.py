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
from typing import Any

from botocore import exceptions as bx
from botocore.credentials import ReadOnlyCredentials

from stsenv.aws import cache
from stsenv.aws.answers import credentials_from
from stsenv.aws.source import Source, client
from stsenv.errors import AwsDenied, UsageError
from stsenv.inert import inert
from stsenv.limits import CHAINED_MAX_DURATION
from stsenv.settings import Settings

MFA_SESSION_SECONDS = 12 * 3600
_MFA_CODE = re.compile(r"^\d{6}\Z", re.ASCII)


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
    key = cache.mfa_key(mfa_serial, source.credentials.access_key, env)
    creds = cache.load_mfa_session(settings, key, now)
    if creds is None:
        code = ask_code(mfa_serial, token_code, ask)
        try:
            answer = client(source, "sts", region).get_session_token(
                SerialNumber=mfa_serial, TokenCode=code, DurationSeconds=MFA_SESSION_SECONDS
            )
        except bx.ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("AccessDenied", "AccessDeniedException"):
                raise AwsDenied(
                    f"the MFA code for {mfa_serial} was rejected: enter the current code from "
                    "the device (each code works once)"
                ) from None
            raise
        creds = credentials_from(answer, "GetSessionToken", now)
        cache.store_mfa_session(settings, key, creds)
    return Source(
        source.session,
        ReadOnlyCredentials(creds.access_key_id, creds.secret_access_key, creds.session_token),
        f"the MFA session of {mfa_serial}",
        source.region,
    )


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
        f"stsenv: {inert(display_name)} is capped at 1h, not {duration // 60}m: {why}, and AWS "
        "allows role chaining 1h at most",
        file=sys.stderr,
    )
    return CHAINED_MAX_DURATION
