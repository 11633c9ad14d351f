"""Every botocore failure of the cold path as one line a person can act on, with the exit
status of its kind (stsenv.errors). Messages carry no secrets: AWS's own messages name ARNs
and key ids at most, and we add only names and ARNs."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from botocore import exceptions as bx
from botocore.parsers import ResponseParserError

from stsenv.aws import profiles as aws_profiles
from stsenv.aws.source import Context, client, no_credentials
from stsenv.aws.targets import unknown_target
from stsenv.errors import AwsDenied, AwsUnreachable, StsenvError, UsageError

NOT_AWS = "the AWS endpoint sent an answer that is not an AWS response"
# What botocore raises for a failed call: its own errors, AWS's answers, and a parser that
# met something else (a captive portal's page: ResponseParserError is not a BotoCoreError).
BOTOCORE_ERRORS = (bx.BotoCoreError, bx.ClientError, ResponseParserError)
_CALLER_IN_MESSAGE = re.compile(r"User: (arn:aws[\w-]*:[^\s]+)")

# --- errors ----------------------------------------------------------------------------------

_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_INVALID = {
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "IncompleteSignature",
    "AuthFailure",
    "InvalidToken",
}
_CONNECTION = (
    bx.EndpointConnectionError,
    bx.ConnectTimeoutError,
    bx.ReadTimeoutError,
    bx.ConnectionClosedError,
    bx.HTTPClientError,
)


def code_of(e: bx.ClientError) -> str:
    return str(e.response.get("Error", {}).get("Code", ""))


def _one_line(text: object, limit: int = 200) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def translate(e: Exception, ctx: Context) -> StsenvError:
    """One clear line for a botocore failure."""
    label = ctx.source_label
    config_file = ctx.config_files[0]
    if isinstance(e, bx.NoCredentialsError):
        return no_credentials(ctx)
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
        return aws_profiles.parse_error(e)
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
        sso = aws_profiles.sso_profile(ctx.source_profile, ctx.profiles)
        login = f"stsenv login --profile {sso}" if sso else "stsenv login"
        return AwsDenied(
            f"the SSO session for {label} is missing or expired: run `{login}` and retry"
        )
    if isinstance(e, bx.LoginError | bx.MissingDependencyException):
        from stsenv.aws import signin

        found = signin.failure(
            e, signin.login_profile(ctx.source_profile, ctx.profiles) or ctx.source_profile
        )
        if found is not None:
            return found
    if isinstance(e, bx.InvalidConfigError | bx.UnknownCredentialError):
        return UsageError(f"AWS config problem in {config_file}: {_one_line(e)}")
    if isinstance(e, bx.CredentialRetrievalError):
        return UsageError(f"could not get the credentials of {label}: {_one_line(e)}")
    if isinstance(e, _CONNECTION):
        endpoint = e.kwargs.get("endpoint_url", "the AWS endpoint")
        what = (
            "timed out"
            if isinstance(e, bx.ConnectTimeoutError | bx.ReadTimeoutError)
            else ("could not be reached")
        )
        return AwsUnreachable(
            f"{endpoint} {what} (after 3 attempts): check the network, proxy or AWS_ENDPOINT_URL"
        )
    if isinstance(e, bx.ClientError):
        return _translate_client_error(e, ctx)
    if isinstance(e, ResponseParserError):
        return AwsUnreachable(NOT_AWS)
    return AwsUnreachable(f"the AWS call failed: {type(e).__name__}: {_one_line(e, 120)}")


_ENDPOINT_VARS = ("AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL")


def endpoint_error(e: ValueError, env: Mapping[str, str], ctx: Context) -> StsenvError | None:
    """botocore's ValueError for an endpoint that is not a URL (raised while it makes a
    client, so not one of its own errors), as a line naming where that URL came from."""
    text = str(e)
    if not text.startswith(("Invalid endpoint", "Invalid IPv6 URL")):
        return None
    for name in _ENDPOINT_VARS:
        value = env.get(name)
        if value and not _is_url(value):
            return UsageError(
                f"{name}={value[:80]!r} is not an endpoint URL (like https://sts.amazonaws.com): "
                f"fix or unset {name}"
            )
    return UsageError(
        f"an endpoint_url in {ctx.config_files[0]} is not an endpoint URL (like "
        "https://sts.amazonaws.com): fix it, or set AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true"
    )


def _is_url(value: str) -> bool:
    """What botocore accepts as an endpoint, roughly: http(s)://host with no blanks."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and (not any(c.isspace() for c in value))
    )


def _translate_client_error(e: bx.ClientError, ctx: Context) -> StsenvError:
    code = code_of(e)
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
            "(new keys or session token, `stsenv login`) and retry"
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
        return unknown_target(ctx.role_name or ctx.request.target, ctx.known_names)
    if code == "ValidationError":
        return UsageError(f"AWS rejected {operation}: {_one_line(message)}")
    return AwsDenied(f"AWS refused {operation} for {role} ({code}): {_one_line(message)}")


def _caller_arn(message: str, ctx: Context) -> str:
    """Who was refused: AWS names the caller in its message; else ask (always allowed)."""
    m = _CALLER_IN_MESSAGE.search(message)
    if m:
        return m.group(1)
    if ctx.source is not None:
        with contextlib.suppress(bx.BotoCoreError, bx.ClientError):
            return str(client(ctx.source, "sts", ctx.region).get_caller_identity()["Arn"])
    return f"the caller ({ctx.source_label})"


def _duration_error(message: str, ctx: Context) -> StsenvError:
    asked = _minutes(ctx.duration)
    if "chaining" in message:
        return AwsDenied(
            f"a session of {asked} is too long when the source is itself a role (role "
            "chaining allows at most 1h): use --duration 1h or less"
        )
    limit = ctx.max_duration
    if limit is None and ctx.source is not None and ctx.role_name:
        with contextlib.suppress(bx.BotoCoreError, bx.ClientError, KeyError, TypeError):
            role = client(ctx.source, "iam", ctx.region).get_role(RoleName=ctx.role_name)
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
