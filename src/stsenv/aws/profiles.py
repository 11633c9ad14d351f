"""The role profiles of the AWS config, as botocore reads them, without any network call
(for `stsenv roles` and the picker of `stsenv use`)."""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore import exceptions as bx

from stsenv.errors import UsageError


def role_profiles() -> dict[str, dict[str, Any]]:
    """Profiles that have role_arn, by name (AWS_CONFIG_FILE etc. are honoured)."""
    try:
        profiles = botocore.session.Session().full_config.get("profiles", {})
    except bx.ConfigParseError as e:
        raise UsageError(
            f"the AWS config file {e.kwargs.get('path')} cannot be parsed; fix its syntax"
        ) from None
    if not isinstance(profiles, dict):
        return {}
    return {
        str(name): profile
        for name, profile in profiles.items()
        if isinstance(profile, dict) and "role_arn" in profile
    }
