"""The change set of `use`: which names, and names that are checked, never quoted."""

from __future__ import annotations

import pytest

from stsenv.envchange import CLEARED_VARS, LEGACY_VARS, EnvChange, for_role, is_name
from stsenv.model import Credentials, RoleSession


@pytest.mark.parametrize("name", ["", "1A", "a", "A-B", "A B", "\u00c4B", "A\n", "A;rm"])
def test_bad_names_never_reach_shell_code(name: str) -> None:
    assert not is_name(name)
    with pytest.raises(ValueError, match="not a variable name"):
        EnvChange({name: "x"})
    with pytest.raises(ValueError, match="not a variable name"):
        EnvChange(unsets=(name,))


def role(region: str | None) -> RoleSession:
    creds = Credentials("ASIAKEY", "secret", "token", 1_800_000_000)
    return RoleSession(
        "s3Full", "arn:aws:iam::1:role/r", "arn:aws:sts::1:assumed-role/r/s", creds, region, 3600
    )


def test_use_sets_credentials_and_state_and_unsets_profiles() -> None:
    change = for_role(role(None), "/cache/stamps/1800000000")
    assert change.sets["AWS_CREDENTIAL_EXPIRATION"] == "2027-01-15T08:00:00Z"
    assert change.sets["STSENV_EXPIRY"] == "1800000000"
    assert change.sets["STSENV_ROLE"] == "s3Full"
    assert "AWS_REGION" not in change.sets  # without a region the user's own stays
    assert change.unsets == CLEARED_VARS + LEGACY_VARS  # the old name of USE_ARGS goes too
    assert change.sets["STSENV_VARS"].split() == list(change.names)


def test_region_is_exported_under_both_names() -> None:
    change = for_role(role("eu-west-1"), "/s")
    assert change.sets["AWS_REGION"] == change.sets["AWS_DEFAULT_REGION"] == "eu-west-1"
