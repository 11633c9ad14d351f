"""What `stsenv doctor` asks botocore: the AWS profiles, and whether a source profile
resolves to credentials. No network call and no program run: the providers that would
call one (instance and container metadata, credential_process) are left out, and role or
SSO credentials are only located, never fetched (botocore defers those until used)."""

from __future__ import annotations

import botocore.session
from botocore import exceptions as bx

from stsenv.aws import profiles
from stsenv.aws.source import botocore_sees
from stsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

_CALLS_OUT = ("custom-process", "container-role", "iam-role")


def profile_names(env: Mapping[str, str]) -> set[str]:
    """The profiles of the AWS config and credentials files."""
    with botocore_sees(env):
        return {str(name) for name in profiles.all_profiles()}


def credentials_method(profile: str | None, env: Mapping[str, str]) -> str:
    """How botocore would find credentials for `profile` (None: its default chain) in
    `env`, e.g. "shared-credentials-file", "assume-role", "sso"; UsageError when it finds
    none."""
    with botocore_sees(env):
        return _credentials_method(profile)


def _credentials_method(profile: str | None) -> str:
    session = botocore.session.Session(profile=profile)
    label = f"AWS profile {profile!r}" if profile else "the default credential chain"
    try:
        config = session.get_scoped_config()
        if config.get("credential_process"):
            return "credential_process (not run by doctor)"
        resolver = session.get_component("credential_provider")
        for name in _CALLS_OUT:
            resolver.remove(name)
        found = session.get_credentials()
    except bx.ProfileNotFound:
        raise UsageError(f"AWS profile {profile!r} does not exist") from None
    except bx.BotoCoreError as e:
        raise UsageError(f"{label}: {str(e)[:200]}") from None
    if found is None:
        raise UsageError(f"{label} has no credentials")
    return str(found.method)
