"""What a TARGET names, before any network call: a plan of what to assume and from which
source. No botocore here: profiles arrive as botocore read them (aws/profiles.py).

Lookup order: stsenv alias, AWS profile with role_arn, role ARN, bare role name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stsenv.config import RoleAlias
from stsenv.errors import UsageError
from stsenv.limits import ROLE_ARN, ROLE_NAME, role_name_of
from stsenv.model import UseRequest


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


def known_names(aliases: Mapping[str, RoleAlias], profiles: Mapping[str, Any]) -> list[str]:
    """The names an error line offers: aliases, then role profiles."""
    return sorted(aliases) + sorted(
        n for n, p in profiles.items() if isinstance(p, dict) and "role_arn" in p
    )


def plan(
    request: UseRequest, aliases: Mapping[str, RoleAlias], profiles: Mapping[str, Any]
) -> Plan:
    target = request.target
    alias = aliases.get(target)
    if alias is not None:
        name = role_name_of(alias.role_arn) if alias.role_arn else (alias.role_name or "")
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
        name = role_name_of(target)
        return Plan(display_name=name, role_name=name, role_arn=target,
                    source_profile=request.profile)  # fmt: skip
    if ROLE_NAME.match(target):
        return Plan(display_name=target, role_name=target, role_arn=None,
                    source_profile=request.profile)  # fmt: skip
    raise unknown_target(target, known_names(aliases, profiles))


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
        role_name=role_name_of(role_arn),
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


def unknown_target(target: str, names: list[str]) -> UsageError:
    known = ", ".join(names[:6]) if names else "none configured"
    return UsageError(
        f"unknown target {target[:80]!r}: give a role ARN, a role name, an alias from "
        f"config.toml or an AWS profile with role_arn (known: {known})"
    )
