"""Target lookup order, decided before any network call: alias, AWS profile of any kind,
role ARN, ACCOUNT/ROLE, bare role name; anything else is an unknown target."""

from __future__ import annotations

import pytest

from stsenv.aws import kinds
from stsenv.aws.targets import plan
from stsenv.config import RoleAlias
from stsenv.errors import UsageError
from stsenv.model import UseRequest

ARN = "arn:aws:iam::123456789012:role/s3FullforAssumeRole"
PATH_ARN = "arn:aws:iam::123456789012:role/service-role/s3ReadService"
ALIASES = {
    "s3Full": RoleAlias("s3Full", role_name="s3FullforAssumeRole", source_profile="taro"),
    "both": RoleAlias("both", role_arn=PATH_ARN, region="eu-west-1"),
}
PROFILES = {
    "both": {"role_arn": ARN, "source_profile": "taro"},
    "admin": {
        "role_arn": PATH_ARN,
        "source_profile": "taro",
        "duration_seconds": "7200",
        "role_session_name": "me",
        "mfa_serial": "arn:aws:iam::1:mfa/t",
        "external_id": "ext",
        "region": "us-west-2",
    },
    "self": {"role_arn": ARN, "source_profile": "self", "aws_access_key_id": "AKIA"},
    "machine": {"role_arn": ARN, "credential_source": "Ec2InstanceMetadata"},
    "orphan": {"role_arn": ARN},
    "taro": {"region": "ap-northeast-1"},
    ARN: {"role_arn": PATH_ARN, "source_profile": "taro"},
    "dev-admin": {
        "sso_session": "corp",
        "sso_account_id": "111122223333",
        "sso_role_name": "AdministratorAccess",
        "region": "eu-west-1",
    },
    "legacy": {
        "sso_start_url": "https://x.awsapps.com/start",
        "sso_region": "us-east-1",
        "sso_account_id": "111122223333",
        "sso_role_name": "ReadOnly",
    },
    "half-sso": {"sso_session": "corp"},
    "keys": {
        "aws_access_key_id": "AKIA",
        "aws_secret_access_key": "s",
        "mfa_serial": "m",
        "duration_seconds": "7200",
    },
    "proc": {"credential_process": "/bin/echo {}"},
    "web": {"role_arn": ARN, "web_identity_token_file": "/tmp/t"},
}


def test_alias_comes_first() -> None:
    p = plan(UseRequest("both"), ALIASES, PROFILES)
    assert (p.display_name, p.role_arn, p.region) == ("both", PATH_ARN, "eu-west-1")


def test_alias_with_role_name_needs_resolving() -> None:
    p = plan(UseRequest("s3Full"), ALIASES, PROFILES)
    assert (p.role_arn, p.role_name, p.source_profile) == (None, "s3FullforAssumeRole", "taro")


def test_profile_option_beats_the_alias_source() -> None:
    p = plan(UseRequest("s3Full", profile="hanako"), ALIASES, PROFILES)
    assert p.source_profile == "hanako"


def test_profile_with_role_arn_and_its_settings() -> None:
    p = plan(UseRequest("admin"), ALIASES, PROFILES)
    assert (p.display_name, p.role_arn, p.role_name) == ("admin", PATH_ARN, "s3ReadService")
    assert (p.duration, p.session_name, p.external_id) == ("7200", "me", "ext")
    assert (p.mfa_serial, p.region, p.source_profile) == (
        "arn:aws:iam::1:mfa/t",
        "us-west-2",
        "taro",
    )


def test_profile_named_like_an_arn_comes_before_the_arn() -> None:
    assert plan(UseRequest(ARN), ALIASES, PROFILES).role_arn == PATH_ARN


def test_self_sourced_and_credential_source_profiles() -> None:
    assert plan(UseRequest("self"), ALIASES, PROFILES).self_sourced
    machine = plan(UseRequest("machine"), ALIASES, PROFILES)
    assert (machine.credential_source, machine.source_profile) == ("Ec2InstanceMetadata", None)


def test_profile_without_a_source_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="no source_profile or credential_source"):
        plan(UseRequest("orphan"), ALIASES, PROFILES)


def test_arn_shows_the_role_name() -> None:
    other = "arn:aws:iam::210987654321:role/a/b/Deploy"
    p = plan(UseRequest(other), ALIASES, PROFILES)
    assert (p.display_name, p.role_arn, p.role_name) == ("Deploy", other, "Deploy")


def test_a_profile_name_never_falls_through_to_a_role_name() -> None:
    with pytest.raises(UsageError, match="'taro' has no credentials of its own"):
        plan(UseRequest("taro"), ALIASES, PROFILES)


@pytest.mark.parametrize(
    ("name", "kind", "account", "role"),
    [
        ("dev-admin", kinds.SSO, "111122223333", "AdministratorAccess"),
        ("legacy", kinds.SSO, "111122223333", "ReadOnly"),
        ("keys", kinds.KEYS, None, "keys"),
        ("proc", kinds.BOTOCORE, None, "proc"),
        ("web", kinds.BOTOCORE, None, "s3FullforAssumeRole"),
    ],
)
def test_every_profile_kind_is_a_target(
    name: str, kind: str, account: str | None, role: str
) -> None:
    p = plan(UseRequest(name), ALIASES, PROFILES)
    assert (p.kind, p.profile, p.account, p.role_name, p.display_name) == (
        kind,
        name,
        account,
        role,
        name,
    )


def test_keys_profile_keeps_its_mfa_and_duration() -> None:
    p = plan(UseRequest("keys"), ALIASES, PROFILES)
    assert (p.mfa_serial, p.duration) == ("m", "7200")


def test_sso_profile_without_account_and_role() -> None:
    with pytest.raises(UsageError, match="no sso_account_id and sso_role_name"):
        plan(UseRequest("half-sso"), ALIASES, PROFILES)


def test_profile_option_is_refused_for_a_profile_that_is_not_a_role() -> None:
    with pytest.raises(UsageError, match="drop --profile"):
        plan(UseRequest("keys", profile="taro"), ALIASES, PROFILES)


@pytest.mark.parametrize(
    ("target", "account"),
    [("111122223333/AdministratorAccess", "111122223333"), ("prod/ReadOnly", "prod")],
)
def test_account_slash_role(target: str, account: str) -> None:
    p = plan(UseRequest(target), ALIASES, PROFILES)
    assert (p.kind, p.account, p.role_name, p.display_name, p.profile) == (
        kinds.SSO,
        account,
        target.split("/")[1],
        target,
        None,
    )


def test_an_alias_or_profile_named_like_account_slash_role_wins() -> None:
    profiles = {**PROFILES, "prod/ReadOnly": {"role_arn": ARN, "source_profile": "taro"}}
    assert plan(UseRequest("prod/ReadOnly"), ALIASES, profiles).kind == kinds.ROLE


@pytest.mark.parametrize(
    "target",
    ["x$(touch pwned)`touch pwned`", "../../etc/passwd", "a b", "r" * 65, "név", "role;rm -rf /"],
)
def test_unknown_target_lists_known_names(target: str) -> None:
    with pytest.raises(UsageError) as caught:
        plan(UseRequest(target), ALIASES, PROFILES)
    assert caught.value.message.startswith(f"unknown target {target[:80]!r}")
    assert "known: both, s3Full, " in caught.value.message


def test_malformed_arn() -> None:
    with pytest.raises(UsageError, match="is not a role ARN"):
        plan(UseRequest("arn:aws:iam::123:user/taro"), ALIASES, PROFILES)
