"""The change set a verb makes to the shell: names to set (with values) and names to unset.

Which names stsenv manages is decided here and nowhere else; the shell files learn them
from the `__stsenv_save` line of each change (shell/README.md).
"""

from __future__ import annotations

import time

from stsenv.settings import (
    ARN_VAR,
    EXPIRY_VAR,
    OLD_USE_ARGS_VAR,
    PROJECT_VAR,
    ROLE_VAR,
    STAMP_VAR,
    USE_ARGS_VAR,
    VARS_VAR,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.model import Credentials, RoleSession

CREDENTIAL_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
)
REGION_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION")
# The tutorial's `unset AWS_DEFAULT_PROFILE`, plus stale names older tools leave behind.
CLEARED_VARS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SECURITY_TOKEN",
    "AWS_SESSION_EXPIRATION",
)
STATE_VARS = (ROLE_VAR, ARN_VAR, EXPIRY_VAR, STAMP_VAR, USE_ARGS_VAR, VARS_VAR, PROJECT_VAR)
# Names an older stsenv managed: a shell that inherited such a role drops them on clear.
LEGACY_VARS = (OLD_USE_ARGS_VAR,)
# Every name a `use` may touch; an empty value of one of these counts as unset. Lists of
# names from the environment (STSENV_VARS) are only ever trusted against this set.
MANAGED_VARS = CREDENTIAL_VARS + REGION_VARS + CLEARED_VARS + STATE_VARS + LEGACY_VARS

# Checked with a character set, not `re`: importing re costs `status` a third of its time.
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")


def is_name(name: str) -> bool:
    """[A-Z_][A-Z0-9_]*: the only variable names stsenv ever prints into shell code."""
    return bool(name) and name[0] in _NAME_START and _NAME_CHARS.issuperset(name)


class EnvChange:
    __slots__ = ("sets", "unsets")

    def __init__(self, sets: dict[str, str] | None = None, unsets: tuple[str, ...] = ()) -> None:
        self.sets = sets or {}
        self.unsets = unsets
        # Names reach shell code unquoted, so they are checked, never quoted.
        for name in (*self.sets, *self.unsets):
            if not is_name(name):
                raise ValueError(f"not a variable name: {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.sets, *self.unsets)

    @property
    def empty(self) -> bool:
        return not self.sets and not self.unsets


def rfc3339(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def credential_values(creds: Credentials) -> dict[str, str]:
    """CREDENTIAL_VARS for `creds`: what `use` sets and what every `stsenv export` format
    carries (exports.variables)."""
    values = (creds.access_key_id, creds.secret_access_key, creds.session_token)
    return dict(zip(CREDENTIAL_VARS, (*values, rfc3339(creds.expiration)), strict=True))


def for_role(
    session: RoleSession,
    stamp: str | None,
    target_args: str | None = None,
    project_file: str | None = None,
) -> EnvChange:
    """What `use` does to the shell for an assumed role; `target_args` (the `use`
    arguments, encoded by stsenv.use_args) lets `refresh` assume it again. Without a clock
    stamp (None: no safe place for one) STSENV_STAMP is empty: only fish reads it."""
    creds = session.credentials
    sets = credential_values(creds)
    if session.region:
        sets.update(dict.fromkeys(REGION_VARS, session.region))
    sets.update(
        {
            ROLE_VAR: session.display_name,
            ARN_VAR: session.assumed_role_arn,
            EXPIRY_VAR: str(creds.expiration),
            STAMP_VAR: stamp or "",
        }
    )
    if target_args is not None:
        sets[USE_ARGS_VAR] = target_args
    if project_file is not None:  # entered by the prompt hook: the .stsenv.toml it came from
        sets[PROJECT_VAR] = project_file
    unsets = tuple(n for n in CLEARED_VARS + LEGACY_VARS if n not in sets)
    # The list itself is managed too, so a nested shell's `clear` gives back its parent's.
    sets[VARS_VAR] = " ".join((*sets, VARS_VAR, *unsets))
    return EnvChange(sets, unsets)
