"""The cold path of `use`: plan the target, then get its credentials the way its kind needs
(a role: find the source credentials, resolve a bare role name, AssumeRole; an IAM Identity
Center role; a keys, credential_process or web-identity profile: aws/direct.py), and turn
every botocore failure into one line (aws/translate.py).

Imported only when the cache cannot answer (botocore costs ~150 ms to import)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from botocore import exceptions as bx

from stsenv.aws import cache, direct, kinds, mfa, source, targets, vault
from stsenv.aws import profiles as aws_profiles
from stsenv.aws.answers import assumed_role_arn, credentials_from
from stsenv.aws.source import ChainCache, Context, Source, client
from stsenv.aws.translate import BOTOCORE_ERRORS, NOT_AWS, code_of, endpoint_error, translate
from stsenv.config import RoleAlias
from stsenv.errors import AwsUnreachable, StsenvError, UsageError
from stsenv.limits import (
    DEFAULT_DURATION,
    default_session_name,
    parse_duration,
    validate_session_name,
)
from stsenv.model import RoleSession, UseRequest
from stsenv.settings import Settings, aws_config_paths


def assume_role(
    request: UseRequest,
    env: Mapping[str, str],
    settings: Settings,
    now: int,
    ask: Callable[[str], str],
    aliases: Mapping[str, RoleAlias],
) -> RoleSession:
    ctx = Context(request=request, config_files=aws_config_paths(env))
    with source.botocore_sees(env):
        try:
            role = _assume(ctx, env, settings, now, ask, aliases)
            if ctx.vault_profile is not None:  # `keys rotate` and `remove` forget it by this
                role.sign_in = vault.tag(ctx.vault_profile)
            return role
        except StsenvError:
            raise
        except BOTOCORE_ERRORS as e:
            raise translate(e, ctx) from None
        except KeyError:
            # botocore's parser meets well-formed XML that is not AWS's (a captive portal's
            # HTML page) with a KeyError; every other index here is into an AWS answer too.
            raise AwsUnreachable(NOT_AWS) from None
        except ValueError as e:
            # botocore checks an endpoint URL only when it makes a client, with a ValueError.
            found = endpoint_error(e, env, ctx)
            if found is None:
                raise
            raise found from None


def _assume(
    ctx: Context,
    env: Mapping[str, str],
    settings: Settings,
    now: int,
    ask: Callable[[str], str],
    aliases: Mapping[str, RoleAlias],
) -> RoleSession:
    request = ctx.request
    profiles = ctx.profiles = aws_profiles.all_profiles()
    ctx.known_names = targets.known_names(aliases, profiles)
    plan = targets.plan(request, aliases, profiles)
    ctx.role_name, ctx.role_arn = plan.role_name, plan.role_arn
    if plan.kind == kinds.SSO:
        return _sso(plan, env, settings, now)
    if plan.kind == kinds.TEMPORARY:
        return direct.temporary(plan, profiles, ctx, now)
    if plan.kind in (kinds.KEYS, kinds.VAULT):
        return direct.session_token(plan, profiles, ctx, ask, now)
    if plan.kind == kinds.BOTOCORE:
        return direct.from_provider(plan, profiles, ctx, ask, now)
    if plan.kind == kinds.LOGIN:
        return _login_session(plan, profiles, ctx, ask, now)

    duration = parse_duration(request.duration or plan.duration or str(DEFAULT_DURATION))
    session_name = validate_session_name(
        request.session_name or plan.session_name or default_session_name(plan.role_name)
    )
    ctx.duration = duration

    source = ctx.source = _find_source(plan, profiles, ctx, ask, ChainCache(settings, env))
    region = request.region or plan.region or source.region
    ctx.region = region

    name_key = None
    if plan.role_arn is None:
        name_key = cache.name_key(plan.role_name, source.label, env, settings)
        role_arn = cache.load_role_arn(settings, name_key) or _resolve_name(plan, source, ctx)
        cache.store_role_arn(settings, name_key, role_arn)
    else:
        role_arn = plan.role_arn
    ctx.role_arn = role_arn

    params: dict[str, Any] = {
        "RoleArn": role_arn,
        "RoleSessionName": session_name,
        "DurationSeconds": duration,
    }
    external_id = request.external_id or plan.external_id
    if external_id:
        params["ExternalId"] = external_id
    source_profile = None if plan.self_sourced or plan.credential_source else source.session.profile
    chained = mfa.chained_source(source_profile, profiles)
    mfa_serial = request.mfa_serial or plan.mfa_serial
    if mfa_serial:
        ctx.mfa_serial = mfa_serial
        if request.no_mfa_session or not settings.mfa_sessions:
            params["SerialNumber"] = mfa_serial
            params["TokenCode"] = mfa.ask_code(mfa_serial, request.token_code, ask)
        else:
            source = ctx.source = mfa.session_source(
                source, mfa_serial, request.token_code, ask, env, settings, now, region
            )
            chained = chained or f"it is assumed from the MFA session of {mfa_serial}"
    duration = mfa.cap_duration(plan.display_name, duration, chained)
    ctx.duration = params["DurationSeconds"] = duration

    try:
        answer = client(source, "sts", region).assume_role(**params)
    except BOTOCORE_ERRORS:
        if name_key is not None:
            cache.forget_role_arn(settings, name_key)  # maybe a wrong guess: resolve anew
        raise
    role = RoleSession(
        display_name=plan.display_name,
        role_arn=role_arn,
        assumed_role_arn=assumed_role_arn(answer, "AssumeRole"),
        credentials=credentials_from(answer, "AssumeRole", now),
        region=region,
        duration=duration,
    )
    _tag_login(role, source_profile, profiles)
    return role


def _login_session(
    plan: targets.Plan,
    profiles: Mapping[str, Any],
    ctx: Context,
    ask: Callable[[str], str],
    now: int,
) -> RoleSession:
    """A login_session profile: botocore's LoginProvider loads the console sign-in session
    (refreshing it with its DPoP key when it must), as the AWS CLI would."""
    role = direct.from_provider(plan, profiles, ctx, ask, now)
    _tag_login(role, plan.profile, profiles)
    return role


def _tag_login(role: RoleSession, profile: str | None, profiles: Mapping[str, Any]) -> None:
    """Tag a session got from a console sign-in session, so that `logout` forgets it."""
    from stsenv.aws import signin

    found = signin.login_profile(profile, profiles)
    if found is not None:
        role.sign_in = signin.tag(str(profiles[found]["login_session"]))


def _find_source(
    plan: targets.Plan,
    profiles: Mapping[str, Any],
    ctx: Context,
    ask: Callable[[str], str],
    chain_cache: ChainCache,
) -> Source:
    return source.find(
        plan.source_profile,
        plan.credential_source,
        plan.display_name if plan.self_sourced else None,
        profiles,
        ctx,
        ask,
        chain_cache,
    )


def _resolve_name(plan: targets.Plan, source: Source, ctx: Context) -> str:
    """The tutorial's `aws iam get-role`; when that is denied, assume the role lives at the
    root path of the caller's own account (sts:GetCallerIdentity is always allowed)."""
    try:
        role = client(source, "iam", ctx.region).get_role(RoleName=plan.role_name)["Role"]
    except bx.ClientError as e:
        code = code_of(e)
        if code == "NoSuchEntity":
            raise targets.unknown_target(plan.role_name, ctx.known_names) from None
        if code not in ("AccessDenied", "AccessDeniedException"):
            raise
        identity = client(source, "sts", ctx.region).get_caller_identity()
        partition = str(identity["Arn"]).split(":")[1]
        return f"arn:{partition}:iam::{identity['Account']}:role/{plan.role_name}"
    max_duration = role.get("MaxSessionDuration")
    ctx.max_duration = max_duration if isinstance(max_duration, int) else None
    return str(role["Arn"])


def _sso(plan: targets.Plan, env: Mapping[str, str], settings: Settings, now: int) -> RoleSession:
    """An IAM Identity Center role: of an SSO profile, or ACCOUNT/ROLE of a sign-in."""
    from stsenv.aws import sso

    env_profile = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE")
    sign_in = sso.find_sign_in(
        aws_profiles.full_config(), plan.profile or plan.source_profile, None, env_profile
    )
    account = str(plan.account)
    if not targets.is_account_id(account):
        listing = sso.load_cached_assignments(sign_in, settings, now)
        if listing is None or not any(a.account_name == account for a in listing):
            listing = sso.list_assignments(sign_in, settings, True, now)
        ids = sorted({a.account_id for a in listing if a.account_name == account})
        if len(ids) != 1:
            what = "no account" if not ids else f"{len(ids)} accounts"
            raise UsageError(
                f"{what} named {account[:64]!r} in the accounts of {sign_in.label}: give the "
                "12-digit id, or see `stsenv roles --sso`"
            )
        account = ids[0]
    role = sso.role_credentials(
        sign_in, account, plan.role_name, plan.display_name, plan.region, now
    )
    role.sign_in = sign_in.key
    return role
