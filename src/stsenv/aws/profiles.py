"""The profiles of the AWS config and credentials files, as botocore reads them (never a
parser of ours), without any network call: for `use`, `roles`, the picker and `doctor`."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import botocore.session
from botocore import exceptions as bx

from stsenv.aws import configfile
from stsenv.errors import UsageError
from stsenv.settings import aws_config_paths


def full_config() -> dict[str, Any]:
    """The AWS config as botocore reads it: "profiles", "sso_sessions", ... (AWS_CONFIG_FILE
    and AWS_SHARED_CREDENTIALS_FILE honoured)."""
    try:
        config = botocore.session.Session().full_config
    except bx.ConfigParseError as e:
        raise parse_error(e) from None
    return config if isinstance(config, dict) else {}


def parse_error(e: bx.ConfigParseError) -> UsageError:
    """botocore's ConfigParseError (which names only the path) as one line with the file
    (config or credentials), the line and the reason configparser gave botocore."""
    path = str(e.kwargs.get("path") or "")
    config, credentials = aws_config_paths(os.environ)
    which = "credentials" if path == credentials and path != config else "config"
    error = e.kwargs.get("error")
    if not isinstance(error, BaseException):
        return UsageError(f"the AWS {which} file {path} cannot be parsed; fix its syntax")
    return configfile.parse_error(path, which, error)


def all_profiles() -> dict[str, Any]:
    """Every profile by name."""
    profiles = full_config().get("profiles", {})
    return profiles if isinstance(profiles, dict) else {}


def first_in_chain(
    start: str | None, profiles: Mapping[str, Any], wanted: Callable[[dict[str, Any]], bool]
) -> str | None:
    """`start`, or the first profile its source_profile chain leads to that is `wanted`
    (a loop or a missing profile ends the chain)."""
    seen: set[str] = set()
    name = start
    while name and name not in seen:
        seen.add(name)
        profile = profiles.get(name)
        if not isinstance(profile, dict):
            return None
        if wanted(profile):
            return name
        name = profile.get("source_profile")
    return None


def sso_profile(start: str | None, profiles: Mapping[str, Any]) -> str | None:
    """The profile to sign in for: the first IAM Identity Center profile of the chain."""
    return first_in_chain(start, profiles, lambda p: "sso_start_url" in p or "sso_session" in p)
