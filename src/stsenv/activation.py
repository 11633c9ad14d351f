"""Activation of a role in a shell: the baseline it starts from, the change that `use`
makes, the clock stamp, and the status read back from the environment.

Functions of (environment, credentials, clock) -> an environment change; `aws/` gives the
credentials and `shells/` the syntax, and the commands print what these return.
"""

from __future__ import annotations

from stsenv.envchange import MANAGED_VARS, EnvChange, for_role, rfc3339
from stsenv.errors import EnvironmentProblem, NotActive
from stsenv.settings import ARN_VAR, EXPIRY_VAR, REFRESH_ARGS_VAR, ROLE_VAR, SHELL_VAR, VARS_VAR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, MutableMapping

    from stsenv.model import RoleSession, UseRequest
    from stsenv.settings import Settings


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
    project_file: str | None = None,
) -> tuple[EnvChange, RoleSession]:
    from stsenv import aws, use_args  # not imported by `status`, which needs none of it
    from stsenv.aws import cache

    fish = settings.shell == "fish"  # the only shell whose prompt reads the stamp
    if fish:
        problem = cache.stamp_problem(settings)  # before any AWS call or MFA prompt
        if problem is not None:
            raise _no_stamp(request.target, problem)
    role = aws.get_session(request, baseline(env), settings, now, ask)
    if fish:
        try:
            stamp: str | None = cache.stamp(settings, role.credentials.expiration, now, True)
        except cache.UnsafeStamp as e:  # changed since the check
            raise _no_stamp(role.display_name, str(e)) from None
    else:
        stamp = stamp_expiry(settings, role.credentials.expiration, now)
    return for_role(role, stamp, use_args.encode(request), project_file), role


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


def stamp_expiry(settings: Settings, expiry: int, now: int) -> str | None:
    """The clock stamp of `expiry` (aws/cache.py makes it under the cache's rules); None,
    after a warning line, when no safe one can be made: bash and zsh keep time without it."""
    from stsenv.aws import cache

    try:
        return cache.stamp(settings, expiry, now)
    except cache.UnsafeStamp:
        return None


def _no_stamp(role: str, why: str) -> EnvironmentProblem:
    return EnvironmentProblem(
        f"no safe place for the clock stamp of {role[:100]}: {why}; fix the cache dir "
        "(STSENV_CACHE_DIR) or remove what is in the way (fish's prompt keeps time by it)"
    )


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
