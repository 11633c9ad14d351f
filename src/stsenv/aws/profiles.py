"""The profiles of the AWS config and credentials files, as botocore reads them (never a
parser of ours), without any network call: for `use`, `roles`, the picker and `doctor`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import botocore.session
from botocore import exceptions as bx

from stsenv.errors import UsageError


def full_config() -> dict[str, Any]:
    """The AWS config as botocore reads it: "profiles", "sso_sessions", ... (AWS_CONFIG_FILE
    and AWS_SHARED_CREDENTIALS_FILE honoured)."""
    try:
        config = botocore.session.Session().full_config
    except bx.ConfigParseError as e:
        path = e.kwargs.get("path") or "of this machine"
        raise UsageError(f"the AWS config file {path} cannot be parsed; fix its syntax") from None
    return config if isinstance(config, dict) else {}


def all_profiles() -> dict[str, Any]:
    """Every profile by name."""
    profiles = full_config().get("profiles", {})
    return profiles if isinstance(profiles, dict) else {}


def sso_profile(start: str | None, profiles: Mapping[str, Any]) -> str | None:
    """The profile to sign in for: `start`, or the first IAM Identity Center profile its
    source_profile chain leads to."""
    seen: set[str] = set()
    name = start
    while name and name not in seen:
        seen.add(name)
        profile = profiles.get(name)
        if not isinstance(profile, dict):
            return None
        if "sso_start_url" in profile or "sso_session" in profile:
            return name
        name = profile.get("source_profile")
    return None
