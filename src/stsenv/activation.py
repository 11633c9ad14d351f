"""Activation of a role in a shell: the baseline it starts from, the change that `use`
makes, the clock stamp, and the status read back from the environment.

Functions of (environment, credentials, clock) -> an environment change; `aws/` gives the
credentials and `shells/` the syntax, and the commands print what these return.
"""

from __future__ import annotations

import os

from stsenv.envchange import MANAGED_VARS, EnvChange, for_role, rfc3339
from stsenv.errors import NotActive
from stsenv.settings import ARN_VAR, EXPIRY_VAR, REFRESH_ARGS_VAR, ROLE_VAR, SHELL_VAR, VARS_VAR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, MutableMapping

    from stsenv.model import RoleSession, UseRequest
    from stsenv.settings import Settings

STAMP_KEEP_SECONDS = 24 * 3600  # stamps of roles expired longer ago than this are removed


def baseline(env: MutableMapping[str, str]) -> MutableMapping[str, str]:
    """The hook hands us its baseline with unset names as empty strings (fish cannot
    unset a variable for one child only), so an empty managed name means unset."""
    for name in MANAGED_VARS:
        if env.get(name) == "":
            del env[name]
    return env


def use(
    request: UseRequest,
    env: MutableMapping[str, str],
    settings: Settings,
    now: int,
    ask: Callable[[str], str],
) -> tuple[EnvChange, RoleSession]:
    from stsenv import aws, use_args  # not imported by `status`, which needs none of it

    role = aws.get_session(request, baseline(env), settings, now, ask)
    stamp = stamp_expiry(settings, role.credentials.expiration, now)
    return for_role(role, stamp, use_args.encode(request)), role


def source_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment to find source credentials in, as a new shell would have it: this
    one without the role that `use` made active. Only names stsenv manages are dropped,
    whatever an inherited STSENV_VARS lists."""
    env = dict(environ)
    for name in env.get(VARS_VAR, "").split():
        if name in MANAGED_VARS:
            env.pop(name, None)
    for name in (REFRESH_ARGS_VAR, SHELL_VAR):
        env.pop(name, None)
    return dict(baseline(env))


def stamp_expiry(settings: Settings, expiry: int, now: int) -> str:
    """A file whose mtime is the expiry: fish reads `now - expiry` from it without a fork."""
    folder = settings.stamp_dir
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = os.path.join(folder, str(expiry))
    if not os.path.exists(path):
        for old in os.listdir(folder):
            if old.isdigit() and int(old) < now - STAMP_KEEP_SECONDS:
                os.unlink(os.path.join(folder, old))
        # 0600 like every file of the cache dir (its name tells when a role expires).
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.utime(path, (expiry, expiry))
    return path


class Status:
    __slots__ = ("access_key", "account", "arn", "expiration", "remaining_seconds", "role")

    def __init__(
        self,
        role: str,
        arn: str,
        account: str,
        expiration: str,
        remaining_seconds: int,
        access_key: str,
    ) -> None:
        self.role = role
        self.arn = arn
        self.account = account
        self.expiration = expiration  # RFC 3339 UTC
        self.remaining_seconds = remaining_seconds
        self.access_key = access_key  # masked like `aws configure list`


def status(env: Mapping[str, str], now: int) -> Status:
    role = env.get(ROLE_VAR, "")
    expiry = env.get(EXPIRY_VAR, "")
    if not role or not expiry.isdigit():
        raise NotActive("no role is active in this shell: start one with `stsenv use ROLE`")
    left = int(expiry) - now
    if left <= 0:
        raise NotActive(
            f"role {role} expired at {rfc3339(int(expiry))}: `stsenv use {role}` to renew it"
        )
    arn = env.get(ARN_VAR, "")
    parts = arn.split(":")
    key = env.get("AWS_ACCESS_KEY_ID", "")
    return Status(
        role=role,
        arn=arn,
        account=parts[4] if len(parts) > 5 else "",
        expiration=rfc3339(int(expiry)),
        remaining_seconds=left,
        access_key=("*" * 16 + key[-4:]) if key else "",
    )
