"""The source credentials that call AWS, found as the AWS CLI finds them, and the clients
made with them. Also the one place where botocore is shown the user's environment."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import botocore.session
from botocore.config import Config
from botocore.credentials import (
    CanonicalNameCredentialSourcer,
    ContainerProvider,
    EnvProvider,
    InstanceMetadataProvider,
    ReadOnlyCredentials,
)

from stsenv.aws import cache, kinds, provider, vault
from stsenv.errors import EnvironmentProblem, UsageError
from stsenv.limits import DEFAULT_DURATION
from stsenv.model import UseRequest
from stsenv.settings import Settings

# Standard retry mode retries throttling, 5xx and connection errors with backoff; with these
# timeouts a dead or hanging endpoint fails in well under 20 s instead of botocore's minutes.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},  # 3 attempts in all
    connect_timeout=3,
    read_timeout=4,
    user_agent_extra="stsenv",
)


@dataclass
class Source:
    session: botocore.session.Session
    credentials: ReadOnlyCredentials
    label: str  # how the user names it: "AWS profile 'taro-prjZ'"
    region: str | None


@dataclass
class Context:
    """What the cold path knows so far, to make an error line precise (aws/translate.py)."""

    request: UseRequest
    config_files: tuple[str, str]
    source_label: str = "the default AWS credentials"
    source: Source | None = None
    region: str | None = None
    role_arn: str | None = None
    role_name: str | None = None
    mfa_serial: str | None = None
    duration: int = DEFAULT_DURATION
    max_duration: int | None = None
    known_names: list[str] = field(default_factory=list)
    source_profile: str | None = None  # the AWS profile whose credentials call STS
    vault_profile: str | None = None  # the source is this profile's key in the keychain
    profiles: dict[str, Any] = field(default_factory=dict)


def client(source: Source, service: str, region: str | None) -> Any:
    # AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_STS / _IAM are applied by botocore itself here.
    return source.session.create_client(
        service,
        region_name=region or "us-east-1",
        config=CLIENT_CONFIG,
        aws_access_key_id=source.credentials.access_key,
        aws_secret_access_key=source.credentials.secret_key,
        aws_session_token=source.credentials.token,
    )


class ChainCache:
    """botocore's cache for the roles it assumes on the way to a source (a source_profile
    chain), kept in stsenv's cache with its rules (0600, atomic, trusted reads) instead of
    botocore's in-memory dict, so a second `use` in another shell assumes none of them
    again. botocore keys an entry by the role's arguments only; the source-selecting
    environment and the identity of the config files are added to the key here."""

    def __init__(self, settings: Settings, env: Mapping[str, str]) -> None:
        self._settings = settings
        self._scope = cache.digest(cache.source_key(env, settings))

    def _name(self, key: str) -> str:
        return f"chain-{cache.digest([self._scope, key])}.json"

    def __contains__(self, key: str) -> bool:
        return self._load(key) is not None

    def __getitem__(self, key: str) -> Any:
        found = self._load(key)
        if found is None:
            raise KeyError(key)
        return found

    def __setitem__(self, key: str, value: Any) -> None:
        # The answer of AssumeRole, its Expiration a datetime: stored as botocore's own
        # JSONFileCache stores it (ISO 8601), which its fetcher parses back.
        plain = json.loads(json.dumps(value, default=_iso))
        cache.store(self._settings, self._name(key), {"key": key, "value": plain})

    def __delitem__(self, key: str) -> None:
        cache.forget(self._settings, self._name(key))

    def _load(self, key: str) -> Any:
        data = cache.load(self._settings, self._name(key))
        return data.get("value") if data is not None and data.get("key") == key else None


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def find(
    profile: str | None,
    credential_source: str | None,
    self_sourced_as: str | None,
    profiles: Mapping[str, Any],
    ctx: Context,
    ask: Callable[[str], str],
    chain_cache: ChainCache | None = None,
) -> Source:
    """The credentials that call STS: a profile (None: botocore's default chain), a
    role profile's credential_source, or the keys of a profile that is its own source."""
    if self_sourced_as is not None:
        # A role profile naming itself as source_profile uses its own static keys (as the CLI).
        ctx.source_label = f"AWS profile {self_sourced_as!r}"
        own = profiles.get(self_sourced_as, {})
        if not own.get("aws_access_key_id") or not own.get("aws_secret_access_key"):
            raise UsageError(
                f"the AWS config has a profile loop: profile {self_sourced_as!r} is its own "
                f"source_profile but has no keys; fix source_profile in {ctx.config_files[0]}"
            )
        keys = ReadOnlyCredentials(
            own["aws_access_key_id"], own["aws_secret_access_key"], own.get("aws_session_token")
        )
        return Source(botocore.session.Session(), keys, ctx.source_label, own.get("region"))

    vault_source = _vault_profile(profile, profiles, credential_source)
    if vault_source is not None:
        return from_vault(vault_source, profiles, ctx)

    creds: ReadOnlyCredentials | None = None
    if credential_source:
        ctx.source_label = f"credential_source {credential_source!r}"
        session = botocore.session.Session()
        resolver = session.get_component("credential_provider")
        sourcer = CanonicalNameCredentialSourcer(
            [
                p
                for p in resolver.providers
                if isinstance(p, EnvProvider | ContainerProvider | InstanceMetadataProvider)
            ]
        )
        if not sourcer.is_supported(credential_source):  # botocore's verdict, case and all
            raise UsageError(
                f"credential_source {credential_source[:40]!r} is not valid (botocore knows "
                "Environment, Ec2InstanceMetadata and EcsContainer, spelled so): fix it in "
                f"{ctx.config_files[0]}"
            )
        found = sourcer.source_credentials(credential_source)
    else:
        session = botocore.session.Session(profile=profile)
        if session.profile:
            origin = "" if profile else " (from AWS_PROFILE)"
            ctx.source_label = f"AWS profile {session.profile!r}{origin}"
        ctx.source_profile = session.profile
        _ask_through(session, ask, ctx.source_label)  # a source role's MFA code
        if chain_cache is not None:
            _cache_chain(session, chain_cache)
        with provider.running(session.profile, profiles):
            found = session.get_credentials()
            creds = found.get_frozen_credentials() if found is not None else None
    if found is None:
        raise no_credentials(ctx)
    if creds is None:
        creds = found.get_frozen_credentials()
    if not creds.access_key or not creds.secret_key:
        raise no_credentials(ctx)
    region = session.get_config_variable("region")
    return Source(session, creds, ctx.source_label, region if isinstance(region, str) else None)


def _vault_profile(
    profile: str | None, profiles: Mapping[str, Any], credential_source: str | None
) -> str | None:
    """The profile whose key the vault holds, if that is the source: named, or chosen by
    AWS_PROFILE when no keys in the environment come first (botocore's order)."""
    if credential_source:
        return None
    name = profile
    if name is None and not os.environ.get("AWS_ACCESS_KEY_ID"):
        name = os.environ.get("AWS_PROFILE") or os.environ.get("AWS_DEFAULT_PROFILE")
    found = profiles.get(name) if name else None
    if isinstance(found, dict) and kinds.profile_kind(found) == kinds.VAULT:
        return name
    return None


def from_vault(profile: str, profiles: Mapping[str, Any], ctx: Context) -> Source:
    """The key of a vault profile, read from the keychain in this process (its
    credential_process line is for other tools; stsenv never runs it)."""
    ctx.source_label = f"AWS profile {profile!r} (its key in the keychain)"
    ctx.source_profile = ctx.vault_profile = profile
    stored = vault.require(profile)
    creds = ReadOnlyCredentials(stored.access_key_id, stored.secret_access_key, None)
    region = profiles.get(profile, {}).get("region")
    return Source(
        botocore.session.Session(),
        creds,
        ctx.source_label,
        region if isinstance(region, str) else None,
    )


def no_credentials(ctx: Context) -> UsageError:
    return UsageError(
        f"no AWS credentials found for {ctx.source_label}: set them up with "
        "`aws configure --profile NAME` (or `aws configure sso`) and pass --profile NAME "
        "or set source_profile"
    )


def _cache_chain(session: Any, chain_cache: ChainCache) -> None:
    provider = session.get_component("credential_provider").get_provider("assume-role")
    if provider is not None and hasattr(provider, "cache"):
        provider.cache = chain_cache


def _ask_through(session: Any, ask: Callable[[str], str], label: str) -> None:
    """Let botocore ask for a source role profile's MFA code on our terminal (its own
    prompter reads stdin, which may be a pipe), and fail with one line without one."""
    provider = session.get_component("credential_provider").get_provider("assume-role")
    if provider is None or not hasattr(provider, "_prompter"):
        return  # a botocore without this hook keeps its own prompt

    def prompter(prompt: str) -> str:
        try:
            return ask(prompt)
        except EnvironmentProblem:
            raise EnvironmentProblem(
                f"{label} needs an MFA code for its role and there is no terminal to ask on: "
                "run stsenv in a terminal"
            ) from None

    provider._prompter = prompter


@contextlib.contextmanager
def botocore_sees(env: Mapping[str, str]) -> Iterator[None]:
    """Let botocore (which reads os.environ) see exactly `env` while we call it, and give
    the process its own environment back afterwards, whatever happens."""
    if env is os.environ or dict(env) == dict(os.environ):
        yield
        return
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
