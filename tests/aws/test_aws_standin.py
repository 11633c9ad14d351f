"""What moto does not check, against a stand-in STS on 127.0.0.1 that sends AWS's own error
documents: expired or invalid source tokens, rejected MFA codes, MaxSessionDuration, role
chaining limits, throttling, server errors and broken answers. botocore really parses and
retries these answers; nothing of boto3 is mocked."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from support.emulator import StandIn, assume_role_answer, sts_error

from stsenv import aws
from stsenv.errors import AwsDenied, AwsUnreachable, StsenvError
from stsenv.model import RoleSession, UseRequest
from stsenv.settings import Settings

ROLE_ARN = "arn:aws:iam::123456789012:role/s3FullforAssumeRole"
SERIAL = "arn:aws:iam::123456789012:mfa/taro"


def use(env: dict[str, str], target: str = ROLE_ARN, **options: object) -> RoleSession:
    request = UseRequest(target, **options)  # type: ignore[arg-type]
    return aws.get_session(request, env, Settings.from_env(env), int(time.time()), input)


def fails(env: dict[str, str], **options: object) -> StsenvError:
    with pytest.raises(StsenvError) as caught:
        use(env, ROLE_ARN, **options)
    message = caught.value.message
    assert "\n" not in message and env["AWS_SECRET_ACCESS_KEY"] not in message
    assert not list(Path(env["STSENV_CACHE_DIR"]).glob("session-*"))  # nothing bad is cached
    return caught.value


def in_an_hour() -> str:
    return (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_standin_success_is_cached(standin: StandIn, standin_env: dict[str, str]) -> None:
    standin.script("AssumeRole", assume_role_answer(in_an_hour()))
    assert use(standin_env).credentials.session_token == "IQoJb3JpZ2luX2VjEXAMPLETOKEN"
    use(standin_env)
    assert standin.actions == ["AssumeRole"]


@pytest.mark.parametrize(
    ("code", "message", "words"),
    [
        ("ExpiredToken", "The security token included in the request is expired", "have expired"),
        (
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            "were rejected (InvalidClientTokenId)",
        ),
        (
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match",
            "were rejected (SignatureDoesNotMatch)",
        ),
    ],
)
def test_source_token_problems(
    standin: StandIn, standin_env: dict[str, str], code: str, message: str, words: str
) -> None:
    standin.script("*", sts_error(code, message, 403))
    error = fails(standin_env)
    assert isinstance(error, AwsDenied) and error.exit_code == 3
    assert error.message.startswith("the source credentials of the default AWS credentials")
    assert words in error.message


def test_rejected_mfa_code(standin: StandIn, standin_env: dict[str, str]) -> None:
    standin.script(
        "AssumeRole",
        sts_error(
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
            403,
        ),
    )
    error = fails(standin_env, mfa_serial=SERIAL, token_code="482913", no_mfa_session=True)
    assert isinstance(error, AwsDenied)
    assert error.message.startswith(f"the MFA code for {SERIAL} was rejected")
    assert "482913" not in error.message


def test_access_denied_names_the_caller_and_the_role(
    standin: StandIn, standin_env: dict[str, str]
) -> None:
    standin.script(
        "AssumeRole",
        sts_error(
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/taro is not authorized "
            f"to perform: sts:AssumeRole on resource: {ROLE_ARN}",
            403,
        ),
    )
    error = fails(standin_env)
    assert error.message.startswith(
        f"arn:aws:iam::123456789012:user/taro may not assume {ROLE_ARN}"
    )


def test_duration_above_the_roles_maximum_names_the_limit(
    standin: StandIn, standin_env: dict[str, str]
) -> None:
    standin.script(
        "AssumeRole",
        sts_error(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ),
    )
    standin.script(
        "GetRole",
        (
            200,
            "<GetRoleResponse xmlns='https://iam.amazonaws.com/doc/2010-05-08/'><GetRoleResult>"
            f"<Role><Arn>{ROLE_ARN}</Arn><RoleName>s3FullforAssumeRole</RoleName>"
            "<MaxSessionDuration>7200</MaxSessionDuration></Role></GetRoleResult>"
            "</GetRoleResponse>",
        ),
    )
    error = fails(standin_env, duration="3h")
    assert isinstance(error, AwsDenied) and error.exit_code == 3
    assert error.message == (
        f"{ROLE_ARN} allows sessions of at most 2h (its MaxSessionDuration), not 3h: "
        "use --duration 2h or less"
    )


def test_duration_error_when_the_limit_cannot_be_read(
    standin: StandIn, standin_env: dict[str, str]
) -> None:
    standin.script(
        "AssumeRole",
        sts_error(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ),
    )
    standin.script("GetRole", sts_error("AccessDenied", "not allowed", 403))
    error = fails(standin_env, duration="2h")
    assert "exceeds the maximum session duration of" in error.message


def test_role_chaining_limit(standin: StandIn, standin_env: dict[str, str]) -> None:
    standin.script(
        "AssumeRole",
        sts_error(
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session "
            "limit for roles assumed by role chaining.",
        ),
    )
    error = fails(standin_env, duration="2h")
    assert "role chaining allows at most 1h" in error.message


@pytest.mark.parametrize(
    "answer",
    [sts_error("Throttling", "Rate exceeded"), sts_error("TooManyRequests", "slow down", 429)],
)
def test_throttling_is_retried_then_reported(
    standin: StandIn, standin_env: dict[str, str], answer: tuple[int, str]
) -> None:
    standin.script("AssumeRole", answer)
    error = fails(standin_env)
    assert isinstance(error, AwsUnreachable) and error.exit_code == 4
    assert "throttling" in error.message
    assert standin.actions == ["AssumeRole"] * 3  # botocore's standard mode, bounded


def test_server_errors_are_retried_then_reported(
    standin: StandIn, standin_env: dict[str, str]
) -> None:
    standin.script("AssumeRole", sts_error("InternalFailure", "oops", 500))
    error = fails(standin_env)
    assert isinstance(error, AwsUnreachable) and "server error" in error.message
    assert standin.actions == ["AssumeRole"] * 3


def test_a_retry_that_succeeds_is_fine(standin: StandIn, standin_env: dict[str, str]) -> None:
    standin.script(
        "AssumeRole", sts_error("InternalFailure", "oops", 500), assume_role_answer(in_an_hour())
    )
    assert use(standin_env).role_arn == ROLE_ARN
    assert standin.actions == ["AssumeRole"] * 2


@pytest.mark.parametrize(
    "answer",
    [(200, "this is not XML"), (200, "<AssumeRoleResponse><AssumeRoleResult>"), (200, "")],
    ids=["not-xml", "truncated", "empty"],
)
def test_garbage_answers(
    standin: StandIn, standin_env: dict[str, str], answer: tuple[int, str]
) -> None:
    standin.script("AssumeRole", answer)
    error = fails(standin_env)
    assert isinstance(error, AwsUnreachable) and error.exit_code == 4


@pytest.mark.parametrize(
    "missing", ["AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"]
)
def test_answer_missing_a_field_is_refused(
    standin: StandIn, standin_env: dict[str, str], missing: str
) -> None:
    standin.script("AssumeRole", assume_role_answer(in_an_hour(), drop=missing))
    error = fails(standin_env)
    assert isinstance(error, AwsUnreachable) and "without complete credentials" in error.message


def test_answer_already_expired_is_refused(standin: StandIn, standin_env: dict[str, str]) -> None:
    standin.script("AssumeRole", assume_role_answer("2020-01-01T00:00:00Z"))
    error = fails(standin_env)
    assert isinstance(error, AwsUnreachable) and "already expired" in error.message
