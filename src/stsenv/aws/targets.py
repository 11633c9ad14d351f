"""What a TARGET names, before any network call: a plan of what to get and from where.
No botocore here: profiles arrive as botocore read them (aws/profiles.py).

Lookup order (README "Targets"): an stsenv alias; an AWS profile of any kind (a profile name
never falls through to the role-name lookup); a role ARN; ACCOUNT/ROLE of an IAM Identity
Center sign-in; a bare role name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stsenv.aws.kinds import BOTOCORE, KEYS, LOGIN, ROLE, SSO, TEMPORARY, VAULT, profile_kind
from stsenv.config import RoleAlias
from stsenv.errors import UsageError
from stsenv.limits import ROLE_ARN, ROLE_NAME, role_name_of
from stsenv.model import UseRequest

_ACCOUNT_ID_LENGTH = 12


@dataclass(frozen=True)
class Plan:
    """What to get and from where, before any network call."""

    display_name: str
    role_name: str
    role_arn: str | None  # None: resolve role_name with iam:GetRole
    kind: str = ROLE
    profile: str | None = None  # the AWS profile that is the target (SSO, KEYS, BOTOCORE)
    account: str | None = None  # SSO: account id, or an account name to look up
    source_profile: str | None = None  # None: botocore's default choice (AWS_PROFILE, env keys)
    credential_source: str | None = None  # Environment | Ec2InstanceMetadata | EcsContainer
    self_sourced: bool = False  # role profile that is its own source_profile (uses its keys)
    duration: str | None = None
    session_name: str | None = None
    mfa_serial: str | None = None
    external_id: str | None = None
    region: str | None = None


def known_names(aliases: Mapping[str, RoleAlias], profiles: Mapping[str, Any]) -> list[str]:
    """The names an error line offers: aliases, then profiles."""
    return sorted(aliases) + sorted(n for n, p in profiles.items() if isinstance(p, dict))


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
    if isinstance(profile, dict):
        return _plan_from_profile(request, target, profile)
    if target.startswith("arn:"):
        if not ROLE_ARN.match(target):
            raise UsageError(
                f"{target[:100]!r} is not a role ARN (arn:aws:iam::<account>:role/<name>)"
            )
        name = role_name_of(target)
        return Plan(
            display_name=name, role_name=name, role_arn=target, source_profile=request.profile
        )
    account, slash, role = target.partition("/")
    if slash and account and ROLE_NAME.match(role) and ROLE_NAME.match(account):
        # ACCOUNT/ROLE of a sign-in: an account id, or a name from its listing (resolved on
        # the cold path, which may list the sign-in's accounts).
        return Plan(
            display_name=target,
            role_name=role,
            role_arn=None,
            kind=SSO,
            account=account,
            source_profile=request.profile,
        )
    if ROLE_NAME.match(target):
        return Plan(
            display_name=target, role_name=target, role_arn=None, source_profile=request.profile
        )
    raise unknown_target(target, known_names(aliases, profiles))


def is_account_id(text: str) -> bool:
    return len(text) == _ACCOUNT_ID_LENGTH and text.isdigit()


def _plan_from_profile(request: UseRequest, name: str, profile: Mapping[str, Any]) -> Plan:
    """A profile of any kind is a target in its own right."""
    kind = profile_kind(profile)
    if kind == ROLE:
        return _plan_from_role_profile(request, name, profile)
    if request.profile:
        raise UsageError(
            f"--profile chooses the source of a role, and AWS profile {name!r} is not a role "
            "profile: drop --profile"
        )
    region = profile.get("region")
    if kind in (BOTOCORE, LOGIN, KEYS, VAULT):  # the profile is its own source
        name_of_role = role_name_of(str(profile.get("role_arn", ""))) or name
        return Plan(
            display_name=name,
            role_name=name_of_role,
            role_arn=None,
            kind=kind,
            profile=name,
            region=region,
            duration=_duration(profile),
            mfa_serial=profile.get("mfa_serial"),
        )
    if kind == SSO:
        account, role = profile.get("sso_account_id"), profile.get("sso_role_name")
        if not account or not role:
            raise UsageError(
                f"AWS profile {name!r} is an IAM Identity Center sign-in, not a role (no "
                "sso_account_id and sso_role_name): sign in with `stsenv login --profile "
                f"{name}` and use ACCOUNT/ROLE (`stsenv roles --sso` lists them)"
            )
        return Plan(
            display_name=name,
            role_name=str(role),
            role_arn=None,
            kind=SSO,
            profile=name,
            account=str(account),
            region=region,
        )
    if kind == TEMPORARY:
        return Plan(
            display_name=name,
            role_name=name,
            role_arn=None,
            kind=TEMPORARY,
            profile=name,
            region=region,
        )
    raise UsageError(
        f"AWS profile {name!r} has no credentials of its own (no role_arn, IAM Identity Center "
        "sign-in, keys, credential_process, login_session): add them, or name a role as TARGET "
        f"with --profile {name}"
    )


def _duration(profile: Mapping[str, Any]) -> str | None:
    duration = profile.get("duration_seconds")
    return str(duration) if duration else None


def _plan_from_role_profile(request: UseRequest, name: str, profile: Mapping[str, Any]) -> Plan:
    role_arn = str(profile["role_arn"])
    if not ROLE_ARN.match(role_arn):
        raise UsageError(f"AWS profile {name!r}: role_arn {role_arn[:100]!r} is not a role ARN")
    source_profile = profile.get("source_profile")
    credential_source = profile.get("credential_source")
    if source_profile and credential_source:  # botocore's InvalidConfigError, the CLI's too
        raise UsageError(
            f"AWS profile {name!r} has both source_profile and credential_source, which "
            "botocore and the AWS CLI refuse: keep one of them"
        )
    if request.profile:
        source_profile, credential_source = request.profile, None
    elif not source_profile and not credential_source:
        raise UsageError(
            f"AWS profile {name!r} has role_arn but no source_profile or credential_source: "
            "add one to the profile, or pass --profile"
        )
    return Plan(
        display_name=name,
        role_name=role_name_of(role_arn),
        role_arn=role_arn,
        source_profile=source_profile,
        credential_source=None if source_profile else credential_source,
        self_sourced=source_profile == name,
        duration=_duration(profile),
        session_name=profile.get("role_session_name"),
        mfa_serial=profile.get("mfa_serial"),
        external_id=profile.get("external_id"),
        region=profile.get("region"),
    )


def unknown_target(target: str, names: list[str]) -> UsageError:
    known = ", ".join(names[:6]) if names else "none configured"
    return UsageError(
        f"unknown target {target[:80]!r}: give an alias from config.toml, an AWS profile, a "
        f"role ARN, ACCOUNT/ROLE of an IAM Identity Center sign-in or a role name "
        f"(known: {known})"
    )
