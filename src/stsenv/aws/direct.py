"""Profiles that are their own credentials, as targets: a profile of long-term keys gets
temporary credentials from sts:GetSessionToken (never the keys themselves), and a
credential_process or web-identity profile is run by botocore's own provider."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import botocore.session
from botocore.credentials import ReadOnlyCredentials

from stsenv.aws import mfa, source
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
    return RoleSession(plan.display_name, arn, arn, credentials_from(answer, "GetSessionToken",
                       now), region, duration)  # fmt: skip


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
    keys = Source(session, ReadOnlyCredentials(frozen.access_key, frozen.secret_key, frozen.token),
                  ctx.source_label, region)  # fmt: skip
    arn = str(client(keys, "sts", region).get_caller_identity()["Arn"])
    return RoleSession(plan.display_name, _role_arn_of(arn), arn, creds, region, expires - now)


def _role_arn_of(assumed: str) -> str:
    """arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION -> arn:aws:iam::ACCOUNT:role/NAME."""
    parts = assumed.split(":")
    if len(parts) == 6 and parts[5].startswith("assumed-role/"):
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{parts[5].split('/')[1]}"
    return assumed
