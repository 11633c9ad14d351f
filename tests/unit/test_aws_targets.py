"""Target lookup order, decided before any network call: alias, AWS profile with role_arn,
role ARN, bare role name; anything else is an unknown target."""

from __future__ import annotations

import pytest

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


def test_profile_without_role_arn_is_taken_as_a_role_name() -> None:
    p = plan(UseRequest("taro"), ALIASES, PROFILES)
    assert (p.role_arn, p.role_name) == (None, "taro")


@pytest.mark.parametrize(
    "target",
    ["x$(touch pwned)`touch pwned`", "../../etc/passwd", "a b", "r" * 65, "név", "role;rm -rf /"],
)
def test_unknown_target_lists_known_names(target: str) -> None:
    with pytest.raises(UsageError) as caught:
        plan(UseRequest(target), ALIASES, PROFILES)
    assert caught.value.message.startswith(f"unknown target {target[:80]!r}")
    assert "known: both, s3Full, admin" in caught.value.message


def test_malformed_arn() -> None:
    with pytest.raises(UsageError, match="is not a role ARN"):
        plan(UseRequest("arn:aws:iam::123:user/taro"), ALIASES, PROFILES)
