"""The AWS side. The only package that imports boto3/botocore, and only when a network
call is about to be made: a cached `use` must not import them (a test checks)."""

from __future__ import annotations

from stsenv.aws import cache
from stsenv.errors import UsageError
from stsenv.limits import parse_duration, validate_session_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from stsenv.model import RoleSession, UseRequest
    from stsenv.settings import Settings

_MAX_TARGET = 2048  # the longest role ARN is far shorter; anything longer is a mistake


def get_session(
    request: UseRequest,
    env: Mapping[str, str],
    settings: Settings,
    now: int,
    ask: Callable[[str], str],
) -> RoleSession:
    """Resolve request.target, reuse a cached session with enough life left, else assume.

    `env` is the user's baseline environment (no active role's credentials in it).
    `ask(prompt)` reads one line from the terminal (for an MFA code), never from stdout.
    Raises stsenv.errors.StsenvError subclasses, never botocore exceptions.
    """
    # Input that is wrong is wrong with or without a cache: check it before looking there.
    if not request.target or len(request.target) > _MAX_TARGET or not request.target.isprintable():
        raise UsageError(f"target {request.target[:80]!r} is not a role ARN, name or alias")
    if request.duration is not None:
        parse_duration(request.duration)
    if request.session_name is not None:
        validate_session_name(request.session_name)
    # No config.toml parsing here: the fingerprint covers the file's identity, so a cached
    # session proves the config was valid and unchanged since.
    key = cache.fingerprint(request, env, settings)
    if not request.refresh:
        cached = cache.load_session(settings, key, now)
        if cached is not None:
            return cached

    from stsenv.config import load_aliases

    aliases = load_aliases(settings.config_file)
    _read_vault_early(request, aliases, env)
    from stsenv.aws import assume  # botocore is imported here, on the cold path only

    session = assume.assume_role(request, env, settings, now, ask, aliases)
    cache.store_session(settings, key, session)
    return session


def _read_vault_early(
    request: UseRequest, aliases: Mapping[str, Any], env: Mapping[str, str]
) -> None:
    """A `use` that will read a key from the keychain reads it while botocore is imported."""
    from stsenv.aws import vault

    vault.forget_read()
    alias = aliases.get(request.target)
    found = vault.source_of(
        request.target, request.profile, getattr(alias, "source_profile", None), env
    )
    if found is not None:
        vault.read_while_importing(found, "stsenv.aws.assume")
