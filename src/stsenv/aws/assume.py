"""The cold path: resolve the target with botocore's reading of the AWS config, find the source
credentials the way the AWS CLI does, call STS, and turn every botocore failure into one line.

Imported only when the cache cannot answer (botocore costs ~150 ms to import)."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import botocore.session
from botocore import exceptions as bx
from botocore.config import Config
from botocore.credentials import (
    CanonicalNameCredentialSourcer,
    ContainerProvider,
    EnvProvider,
    InstanceMetadataProvider,
    ReadOnlyCredentials,
)
from botocore.parsers import ResponseParserError

from stsenv.aws import cache
from stsenv.aws import profiles as aws_profiles
from stsenv.config import ROLE_ARN, ROLE_NAME, RoleAlias
from stsenv.errors import AwsDenied, AwsUnreachable, StsenvError, UsageError
from stsenv.model import (
    DEFAULT_DURATION,
    Credentials,
    RoleSession,
    UseRequest,
    default_session_name,
    parse_duration,
    validate_session_name,
)
from stsenv.settings import Settings

# Standard retry mode retries throttling, 5xx and connection errors with backoff; with these
# timeouts a dead or hanging endpoint fails in well under 20 s instead of botocore's minutes.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},  # 3 attempts in all
    connect_timeout=3,
    read_timeout=4,
    user_agent_extra="stsenv",
)
_MFA_CODE = re.compile(r"^\d{6}$")
_NOT_AWS = "the AWS endpoint sent an answer that is not an AWS response"
_CALLER_IN_MESSAGE = re.compile(r"User: (arn:aws[\w-]*:[^\s]+)")


@dataclass(frozen=True)
class Plan:
    """What to assume and from which source, before any network call."""

    display_name: str
    role_name: str
    role_arn: str | None  # None: resolve role_name with iam:GetRole
    source_profile: str | None = None  # None: botocore's default choice (AWS_PROFILE, env keys)
    credential_source: str | None = None  # Environment | Ec2InstanceMetadata | EcsContainer
    self_sourced: bool = False  # role profile that is its own source_profile (uses its keys)
    duration: str | None = None
    session_name: str | None = None
    mfa_serial: str | None = None
    external_id: str | None = None
    region: str | None = None


@dataclass
class Source:
    session: botocore.session.Session
    credentials: ReadOnlyCredentials
    label: str  # how the user names it: "AWS profile 'taro-prjZ'"
    region: str | None


@dataclass
class _Context:
    """What we know so far, to make the error line precise."""

    request: UseRequest
    config_files: tuple[str, str]
    source_label: str = "the default AWS credentials"
    source: Source | None = None
    region: str | None = None
    role_arn: str | None = None
    role_name: str | None = None
    mfa_serial: str | None = None
    duration: int = DEFAULT_DURATION
    max_duration: int | None = None
    known_names: list[str] = field(default_factory=list)
    source_profile: str | None = None  # the AWS profile whose credentials call STS
    profiles: dict[str, Any] = field(default_factory=dict)


def assume_role(
    request: UseRequest,
    env: Mapping[str, str],
    settings: Settings,
    now: int,
    ask: Callable[[str], str],
    aliases: Mapping[str, RoleAlias],
) -> RoleSession:
    ctx = _Context(request=request, config_files=cache.aws_config_paths(env))
    with _environ(env):
        try:
            return _assume(ctx, env, settings, now, ask, aliases)
        except StsenvError:
            raise
        except (bx.BotoCoreError, bx.ClientError, ResponseParserError) as e:
            raise _translate(e, ctx) from None
        except KeyError:
            # botocore's parser meets well-formed XML that is not AWS's (a captive portal's
            # HTML page) with a KeyError; every other index here is into an AWS answer too.
            raise AwsUnreachable(_NOT_AWS) from None


def _assume(
    ctx: _Context,
    env: Mapping[str, str],
    settings: Settings,
    now: int,
    ask: Callable[[str], str],
    aliases: Mapping[str, RoleAlias],
) -> RoleSession:
    request = ctx.request
    profiles = ctx.profiles = aws_profiles.all_profiles()
    ctx.known_names = sorted(aliases) + sorted(
        n for n, p in profiles.items() if isinstance(p, dict) and "role_arn" in p
    )
    plan = _plan(request, aliases, profiles, ctx.known_names)
    ctx.role_name, ctx.role_arn = plan.role_name, plan.role_arn

    duration = parse_duration(request.duration or plan.duration or str(DEFAULT_DURATION))
    session_name = validate_session_name(
        request.session_name or plan.session_name or default_session_name(plan.role_name)
    )
    ctx.duration = duration

    source = ctx.source = _source(plan, profiles, ctx, ask)
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
    from stsenv.aws import mfa  # MFA sessions and role chaining

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
        answer = _client(source, "sts", region).assume_role(**params)
    except (bx.BotoCoreError, bx.ClientError, ResponseParserError):
        if name_key is not None:
            cache.forget_role_arn(settings, name_key)  # maybe a wrong guess: resolve anew
        raise
    return _session_from_answer(answer, plan.display_name, role_arn, region, duration, now)


# --- targets ---------------------------------------------------------------------------------


def _plan(
    request: UseRequest,
    aliases: Mapping[str, RoleAlias],
    profiles: Mapping[str, Any],
    known_names: list[str],
) -> Plan:
    """Lookup order: stsenv alias, AWS profile with role_arn, role ARN, bare role name."""
    target = request.target
    alias = aliases.get(target)
    if alias is not None:
        name = _role_name_of(alias.role_arn) if alias.role_arn else (alias.role_name or "")
        return Plan(
            display_name=target,
            role_name=name,
            role_arn=alias.role_arn,
            source_profile=request.profile or alias.source_profile,
            duration=alias.duration,
            session_name=alias.session_name,
            mfa_serial=alias.mfa_serial,
            external_id=alias.external_id,
            region=alias.region,
        )
    profile = profiles.get(target)
    if isinstance(profile, dict) and "role_arn" in profile:
        return _plan_from_profile(request, target, profile)
    if target.startswith("arn:"):
        if not ROLE_ARN.match(target):
            raise UsageError(
                f"{target[:100]!r} is not a role ARN (arn:aws:iam::<account>:role/<name>)"
            )
        name = _role_name_of(target)
        return Plan(display_name=name, role_name=name, role_arn=target,
                    source_profile=request.profile)  # fmt: skip
    if ROLE_NAME.match(target):
        return Plan(display_name=target, role_name=target, role_arn=None,
                    source_profile=request.profile)  # fmt: skip
    raise _unknown_target(target, known_names)


def _plan_from_profile(request: UseRequest, name: str, profile: Mapping[str, Any]) -> Plan:
    role_arn = str(profile["role_arn"])
    if not ROLE_ARN.match(role_arn):
        raise UsageError(f"AWS profile {name!r}: role_arn {role_arn[:100]!r} is not a role ARN")
    source_profile = profile.get("source_profile")
    credential_source = profile.get("credential_source")
    if request.profile:
        source_profile, credential_source = request.profile, None
    elif not source_profile and not credential_source:
        raise UsageError(
            f"AWS profile {name!r} has role_arn but no source_profile or credential_source: "
            "add one to the profile, or pass --profile"
        )
    duration = profile.get("duration_seconds")
    return Plan(
        display_name=name,
        role_name=_role_name_of(role_arn),
        role_arn=role_arn,
        source_profile=source_profile,
        credential_source=None if source_profile else credential_source,
        self_sourced=source_profile == name,
        duration=str(duration) if duration else None,
        session_name=profile.get("role_session_name"),
        mfa_serial=profile.get("mfa_serial"),
        external_id=profile.get("external_id"),
        region=profile.get("region"),
    )


def _role_name_of(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]


def _unknown_target(target: str, known_names: list[str]) -> UsageError:
    known = ", ".join(known_names[:6]) if known_names else "none configured"
    return UsageError(
        f"unknown target {target[:80]!r}: give a role ARN, a role name, an alias from "
        f"config.toml or an AWS profile with role_arn (known: {known})"
    )


# --- source credentials ----------------------------------------------------------------------


def _source(
    plan: Plan, profiles: Mapping[str, Any], ctx: _Context, ask: Callable[[str], str]
) -> Source:
    """The credentials that call STS, found as the AWS CLI finds them."""
    if plan.self_sourced:
        # A role profile naming itself as source_profile uses its own static keys (as the CLI).
        ctx.source_label = f"AWS profile {plan.display_name!r}"
        own = profiles.get(plan.display_name, {})
        if not own.get("aws_access_key_id") or not own.get("aws_secret_access_key"):
            raise UsageError(
                f"the AWS config has a profile loop: profile {plan.display_name!r} is its own "
                f"source_profile but has no keys; fix source_profile in {ctx.config_files[0]}"
            )
        creds = ReadOnlyCredentials(
            own["aws_access_key_id"], own["aws_secret_access_key"], own.get("aws_session_token")
        )
        session = botocore.session.Session()
        return Source(session, creds, ctx.source_label, own.get("region"))

    if plan.credential_source:
        ctx.source_label = f"credential_source {plan.credential_source!r}"
        session = botocore.session.Session()
        resolver = session.get_component("credential_provider")
        sourcer = CanonicalNameCredentialSourcer(
            [
                p
                for p in resolver.providers
                if isinstance(p, EnvProvider | ContainerProvider | InstanceMetadataProvider)
            ]
        )
        found = sourcer.source_credentials(plan.credential_source)
    else:
        session = botocore.session.Session(profile=plan.source_profile)
        if session.profile:
            origin = "" if plan.source_profile else " (from AWS_PROFILE)"
            ctx.source_label = f"AWS profile {session.profile!r}{origin}"
        ctx.source_profile = session.profile
        from stsenv.aws import mfa

        mfa.ask_through(session, ask, ctx.source_label)  # a source role's MFA code
        found = session.get_credentials()
    if found is None:
        raise _no_credentials(ctx)
    creds = found.get_frozen_credentials()
    if not creds.access_key or not creds.secret_key:
        raise _no_credentials(ctx)
    region = session.get_config_variable("region")
    return Source(session, creds, ctx.source_label, region if isinstance(region, str) else None)


def _no_credentials(ctx: _Context) -> UsageError:
    return UsageError(
        f"no AWS credentials found for {ctx.source_label}: set them up with "
        "`aws configure --profile NAME` (or `aws configure sso`) and pass --profile NAME "
        "or set source_profile"
    )


def _client(source: Source, service: str, region: str | None) -> Any:
    # AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS / _IAM are applied by botocore itself here.
    return source.session.create_client(
        service,
        region_name=region or "us-east-1",
        config=CLIENT_CONFIG,
        aws_access_key_id=source.credentials.access_key,
        aws_secret_access_key=source.credentials.secret_key,
        aws_session_token=source.credentials.token,
    )


# --- role name -> ARN ------------------------------------------------------------------------


def _resolve_name(plan: Plan, source: Source, ctx: _Context) -> str:
    """The tutorial's `aws iam get-role`; when that is denied, assume the role lives at the
    root path of the caller's own account (sts:GetCallerIdentity is always allowed)."""
    try:
        role = _client(source, "iam", ctx.region).get_role(RoleName=plan.role_name)["Role"]
    except bx.ClientError as e:
        code = _code(e)
        if code == "NoSuchEntity":
            raise _unknown_target(plan.role_name, ctx.known_names) from None
        if code not in ("AccessDenied", "AccessDeniedException"):
            raise
        identity = _client(source, "sts", ctx.region).get_caller_identity()
        partition = str(identity["Arn"]).split(":")[1]
        return f"arn:{partition}:iam::{identity['Account']}:role/{plan.role_name}"
    max_duration = role.get("MaxSessionDuration")
    ctx.max_duration = max_duration if isinstance(max_duration, int) else None
    return str(role["Arn"])


# --- the answer ------------------------------------------------------------------------------


def _session_from_answer(
    answer: Mapping[str, Any],
    display_name: str,
    role_arn: str,
    region: str | None,
    duration: int,
    now: int,
) -> RoleSession:
    """Check STS's answer before anything is exported or cached: all fields, a future expiry."""
    creds = answer.get("Credentials") or {}
    user = answer.get("AssumedRoleUser") or {}
    fields = (creds.get("AccessKeyId"), creds.get("SecretAccessKey"), creds.get("SessionToken"),
              user.get("Arn"))  # fmt: skip
    expiration = creds.get("Expiration")
    if not all(isinstance(f, str) and f for f in fields) or not isinstance(expiration, datetime):
        raise AwsUnreachable("STS answered AssumeRole without complete credentials; try again")
    expires = int(expiration.timestamp())
    if expires <= now:
        raise AwsUnreachable(
            "STS returned credentials that have already expired: check this machine's clock"
        )
    return RoleSession(
        display_name=display_name,
        role_arn=role_arn,
        assumed_role_arn=str(user["Arn"]),
        credentials=Credentials(
            access_key_id=str(creds["AccessKeyId"]),
            secret_access_key=str(creds["SecretAccessKey"]),
            session_token=str(creds["SessionToken"]),
            expiration=expires,
        ),
        region=region,
        duration=duration,
        issued_at=now,
    )


# --- errors ----------------------------------------------------------------------------------

_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded",
              "TooManyRequestsException", "RequestThrottled", "SlowDown"}  # fmt: skip
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_INVALID = {"InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException",
            "InvalidAccessKeyId", "IncompleteSignature", "AuthFailure", "InvalidToken"}  # fmt: skip
_CONNECTION = (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError,
               bx.ConnectionClosedError, bx.HTTPClientError)  # fmt: skip


def _code(e: bx.ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))


def _one_line(text: object, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _translate(e: Exception, ctx: _Context) -> StsenvError:
    """One clear line for every botocore failure (messages carry no secrets: AWS's own
    messages name ARNs and key ids at most, and we add only names and ARNs)."""
    label = ctx.source_label
    config_file = ctx.config_files[0]
    if isinstance(e, bx.NoCredentialsError):
        return _no_credentials(ctx)
    if isinstance(e, bx.PartialCredentialsError):
        return UsageError(f"incomplete AWS credentials for {label}: {_one_line(e)}")
    if isinstance(e, bx.ProfileNotFound):
        return UsageError(
            f"AWS profile {e.kwargs.get('profile')!r} is not in {config_file} or "
            f"{ctx.config_files[1]}: create it with `aws configure --profile NAME`"
        )
    if isinstance(e, bx.InfiniteLoopConfigError):
        return UsageError(
            f"the AWS config has a profile loop (source_profile leads back to "
            f"{e.kwargs.get('source_profile')!r}); fix source_profile in {config_file}"
        )
    if isinstance(e, bx.ConfigParseError):
        return UsageError(f"the AWS config file {e.kwargs.get('path')} cannot be parsed")
    if isinstance(e, bx.NoRegionError):  # botocore's STS call for a source role profile
        return UsageError(
            f"no region for {label} (a role profile needs one, as for the AWS CLI): add "
            "`region = ...` to it, or set AWS_DEFAULT_REGION"
        )
    if isinstance(e, bx.InvalidRegionError):  # the user's input, not a network failure
        return UsageError(
            f"region {str(e.kwargs.get('region_name'))[:40]!r} is not an AWS region name "
            "(like ap-northeast-1): fix --region or the region of the profile"
        )
    if isinstance(e, bx.SSOError | bx.TokenRetrievalError | bx.SSOTokenLoadError):
        from stsenv.aws import mfa

        sso = mfa.sso_profile(ctx.source_profile, ctx.profiles)
        login = f"aws sso login --profile {sso}" if sso else "aws sso login"
        return AwsDenied(
            f"the SSO session for {label} is missing or expired: run `{login}` and retry"
        )
    if isinstance(e, bx.InvalidConfigError | bx.UnknownCredentialError):
        return UsageError(f"AWS config problem in {config_file}: {_one_line(e)}")
    if isinstance(e, bx.CredentialRetrievalError):
        return UsageError(f"could not get the credentials of {label}: {_one_line(e)}")
    if isinstance(e, _CONNECTION):
        endpoint = e.kwargs.get("endpoint_url", "the AWS endpoint")
        what = "timed out" if isinstance(e, bx.ConnectTimeoutError | bx.ReadTimeoutError) else (
            "could not be reached")  # fmt: skip
        return AwsUnreachable(
            f"{endpoint} {what} (after 3 attempts): check the network, proxy or AWS_ENDPOINT_URL"
        )
    if isinstance(e, bx.ClientError):
        return _translate_client_error(e, ctx)
    if isinstance(e, ResponseParserError):
        return AwsUnreachable(_NOT_AWS)
    return AwsUnreachable(f"the AWS call failed: {type(e).__name__}: {_one_line(e, 120)}")


def _translate_client_error(e: bx.ClientError, ctx: _Context) -> StsenvError:
    code = _code(e)
    message = str(e.response.get("Error", {}).get("Message", ""))
    status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    operation = e.operation_name
    label = ctx.source_label
    role = ctx.role_arn or ctx.role_name or "the role"
    if code in _THROTTLED or status == 429:
        return AwsUnreachable(
            f"AWS is throttling {operation} ({code or status}) even after 3 attempts; "
            "wait a minute and retry"
        )
    if isinstance(status, int) and status >= 500:
        return AwsUnreachable(
            f"AWS answered {operation} with a server error ({code or status}) after 3 attempts; "
            "retry later"
        )
    if code in _EXPIRED:
        return AwsDenied(
            f"the source credentials of {label} have expired: renew them "
            "(new keys or session token, `aws sso login`) and retry"
        )
    if code in _INVALID:
        return AwsDenied(
            f"the source credentials of {label} were rejected ({code}): check the access key "
            "and secret"
        )
    if code in ("AccessDenied", "AccessDeniedException") and operation == "AssumeRole":
        if "MultiFactorAuthentication" in message or "MFA" in message:
            return AwsDenied(
                f"the MFA code for {ctx.mfa_serial} was rejected: enter the current code "
                "from the device (each code works once)"
            )
        caller = _caller_arn(message, ctx)
        return AwsDenied(
            f"{caller} may not assume {role}: check the role's trust policy and the caller's "
            "sts:AssumeRole permission (and that the role exists)"
        )
    if code == "ValidationError" and "DurationSeconds" in message:
        return _duration_error(message, ctx)
    if code == "NoSuchEntity":
        return _unknown_target(ctx.role_name or ctx.request.target, ctx.known_names)
    if code == "ValidationError":
        return UsageError(f"AWS rejected {operation}: {_one_line(message)}")
    return AwsDenied(f"AWS refused {operation} for {role} ({code}): {_one_line(message)}")


def _caller_arn(message: str, ctx: _Context) -> str:
    """Who was refused: AWS names the caller in its message; else ask (always allowed)."""
    m = _CALLER_IN_MESSAGE.search(message)
    if m:
        return m.group(1)
    if ctx.source is not None:
        with contextlib.suppress(bx.BotoCoreError, bx.ClientError):
            return str(_client(ctx.source, "sts", ctx.region).get_caller_identity()["Arn"])
    return f"the caller ({ctx.source_label})"


def _duration_error(message: str, ctx: _Context) -> StsenvError:
    asked = _minutes(ctx.duration)
    if "chaining" in message:
        return AwsDenied(
            f"a session of {asked} is too long when the source is itself a role (role "
            "chaining allows at most 1h): use --duration 1h or less"
        )
    limit = ctx.max_duration
    if limit is None and ctx.source is not None and ctx.role_name:
        with contextlib.suppress(bx.BotoCoreError, bx.ClientError, KeyError, TypeError):
            role = _client(ctx.source, "iam", ctx.region).get_role(RoleName=ctx.role_name)
            limit = int(role["Role"]["MaxSessionDuration"])
    role = ctx.role_arn or ctx.role_name
    if limit:
        return AwsDenied(
            f"{role} allows sessions of at most {_minutes(limit)} (its MaxSessionDuration), "
            f"not {asked}: use --duration {_minutes(limit)} or less"
        )
    return AwsDenied(
        f"{asked} exceeds the maximum session duration of {role}: use a shorter --duration "
        "(1h always works)"
    )


def _minutes(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}m" if seconds % 60 == 0 else f"{seconds}s"


@contextlib.contextmanager
def _environ(env: Mapping[str, str]) -> Iterator[None]:
    """Let botocore (which reads os.environ) see exactly `env` while we call it."""
    if env is os.environ or dict(env) == dict(os.environ):
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
