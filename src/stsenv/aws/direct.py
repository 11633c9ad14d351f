"""Profiles that are their own credentials, as targets: a profile of long-term keys gets
temporary credentials from sts:GetSessionToken (never the keys themselves), and a
credential_process or web-identity profile is run by botocore's own provider."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import botocore.session
from botocore.credentials import ReadOnlyCredentials

from stsenv.aws import mfa, provider, source
from stsenv.aws.answers import credentials_from
from stsenv.aws.kinds import VAULT
from stsenv.aws.source import Context, Source, client
from stsenv.aws.targets import Plan
from stsenv.errors import AwsUnreachable, UsageError
from stsenv.limits import DEFAULT_DURATION, parse_duration
from stsenv.model import Credentials, RoleSession

SESSION_TOKEN_MAX = 36 * 3600  # GetSessionToken allows 15 min to 36 h for an IAM user


def session_token(
    plan: Plan,
    profiles: Mapping[str, Any],
    ctx: Context,
    ask: Callable[[str], str],
    now: int,
) -> RoleSession:
    """KEYS: the profile's keys call GetSessionToken (with its mfa_serial, the MFA code);
    VAULT: the same with the key the keychain holds for the profile."""
    if plan.kind == VAULT and plan.profile:
        found = ctx.source = source.from_vault(plan.profile, profiles, ctx)
    else:
        found = ctx.source = source.find(plan.profile, None, None, profiles, ctx, ask)
    return _from_keys(plan, found, ctx, ask, now)


def _from_keys(
    plan: Plan, found: Source, ctx: Context, ask: Callable[[str], str], now: int
) -> RoleSession:
    duration = ctx.duration = parse_duration(
        ctx.request.duration or plan.duration or str(DEFAULT_DURATION),
        SESSION_TOKEN_MAX,
        "a session of an IAM user's keys",
    )
    region = ctx.region = ctx.request.region or plan.region or found.region
    params: dict[str, Any] = {"DurationSeconds": duration}
    serial = ctx.request.mfa_serial or plan.mfa_serial
    if serial:
        ctx.mfa_serial = serial
        params["SerialNumber"] = serial
        params["TokenCode"] = mfa.ask_code(serial, ctx.request.token_code, ask)
    sts = client(found, "sts", region)
    identity = sts.get_caller_identity()  # who these keys are: STS names nobody in its answer
    answer = sts.get_session_token(**params)
    arn = str(identity["Arn"])
    return RoleSession(
        plan.display_name,
        arn,
        arn,
        credentials_from(answer, "GetSessionToken", now),
        region,
        duration,
    )


def from_provider(
    plan: Plan,
    profiles: Mapping[str, Any],
    ctx: Context,
    ask: Callable[[str], str],
    now: int,
) -> RoleSession:
    """BOTOCORE: botocore runs the profile's credential_process, or assumes its role with
    its web identity token, exactly as the AWS CLI would."""
    ctx.source_label = f"AWS profile {plan.profile!r}"
    ctx.source_profile = plan.profile
    session = botocore.session.Session(profile=plan.profile)
    with provider.running(plan.profile, profiles):
        found = session.get_credentials()
        if found is None:
            raise source.no_credentials(ctx)
        frozen = found.get_frozen_credentials()
    if not frozen.access_key or not frozen.secret_key:
        raise source.no_credentials(ctx)
    region = ctx.region = ctx.request.region or plan.region
    if not frozen.token:
        # Long-term keys from a credential_process: trade them like a keys profile.
        return _from_keys(plan, Source(session, frozen, ctx.source_label, region), ctx, ask, now)
    # RefreshableCredentials keeps its expiry in _expiry_time (botocore has no public getter).
    expiry = getattr(found, "_expiry_time", None)
    if not isinstance(expiry, datetime):
        raise UsageError(
            f"AWS profile {plan.profile!r} gives temporary credentials without an expiry "
            "(credential_process: add Expiration), so stsenv cannot count them down"
        )
    expires = int(expiry.timestamp())
    if expires <= now:
        raise AwsUnreachable(
            f"AWS profile {plan.profile!r} gave credentials that have already expired"
        )
    creds = Credentials(frozen.access_key, frozen.secret_key, frozen.token, expires)
    keys = Source(
        session,
        ReadOnlyCredentials(frozen.access_key, frozen.secret_key, frozen.token),
        ctx.source_label,
        region,
    )
    arn = str(client(keys, "sts", region).get_caller_identity()["Arn"])
    return RoleSession(plan.display_name, _role_arn_of(arn), arn, creds, region, expires - now)


# Where tools that write temporary keys into the AWS files put their end (botocore reads none).
EXPIRY_KEYS = (
    "aws_credential_expiration",
    "aws_session_expiration",
    "x_security_token_expires",
    "aws_expiration",
    "expiration",
)


def temporary(plan: Plan, profiles: Mapping[str, Any], ctx: Context, now: int) -> RoleSession:
    """TEMPORARY: keys with a session token (the portal's "copy credentials") are already a
    session: exported as they are, never traded with GetSessionToken (AWS refuses that
    for session credentials). Only with an end written beside them can the prompt count
    them down; without one, one line says so."""
    profile = profiles.get(str(plan.profile), {})
    expires = _expiry_of(str(plan.profile), profile)
    if expires is None:
        raise UsageError(
            f"AWS profile {plan.profile!r} holds temporary credentials (aws_session_token) "
            "but not when they end, so stsenv cannot count them down: use the tool that wrote "
            f"them, or add `aws_credential_expiration = <ISO 8601 time>` beside them"
        )
    if expires <= now:
        raise UsageError(
            f"AWS profile {plan.profile!r} holds temporary credentials that ended at "
            f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime(expires))} UTC: get new ones"
        )
    ctx.source_label = f"AWS profile {plan.profile!r}"
    ctx.source_profile = plan.profile
    session = botocore.session.Session(profile=plan.profile)
    found = session.get_credentials()  # botocore's reading: credentials file over config
    frozen = found.get_frozen_credentials() if found is not None else None
    if frozen is None or not frozen.access_key or not frozen.secret_key or not frozen.token:
        raise source.no_credentials(ctx)
    region = ctx.region = ctx.request.region or plan.region
    keys = Source(session, frozen, ctx.source_label, region)
    arn = str(client(keys, "sts", region).get_caller_identity()["Arn"])  # do they still work?
    creds = Credentials(frozen.access_key, frozen.secret_key, frozen.token, expires)
    return RoleSession(plan.display_name, _role_arn_of(arn), arn, creds, region, expires - now)


def _expiry_of(name: str, profile: Mapping[str, Any]) -> int | None:
    from botocore.utils import parse_timestamp

    for key in EXPIRY_KEYS:
        value = profile.get(key)
        if isinstance(value, str) and value.strip():
            try:
                return int(parse_timestamp(value.strip()).timestamp())
            except (ValueError, TypeError, OverflowError):
                raise UsageError(
                    f"AWS profile {name!r}: {key} {value[:40]!r} is not a time (ISO 8601, "
                    "like 2026-12-03T10:00:00Z)"
                ) from None
    return None


def _role_arn_of(assumed: str) -> str:
    """arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION -> arn:aws:iam::ACCOUNT:role/NAME."""
    parts = assumed.split(":")
    if len(parts) == 6 and parts[5].startswith("assumed-role/"):
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{parts[5].split('/')[1]}"
    return assumed
