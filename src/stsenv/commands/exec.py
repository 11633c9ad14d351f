"""`stsenv exec TARGET -- CMD`: run a command with a role's credentials in its environment
only; the calling shell never sees them."""

from __future__ import annotations

import os
import sys
import time

from stsenv import activation, terminal, use_args
from stsenv.envchange import for_role
from stsenv.errors import CommandFailed, UsageError
from stsenv.model import UseRequest
from stsenv.settings import EXEC_VAR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from stsenv.model import RoleSession
    from stsenv.settings import Settings


def exec(
    settings: Settings,
    target: str,
    command: list[str] | None,
    nest: bool,
    server: bool = False,
    **options: Any,
) -> int:
    """Replace this process with the command (os.execvpe): its exit status and the signals
    sent to it are its own. With --server, run it with a credential endpoint instead
    (aws/server.py) and return its status."""
    from stsenv import aws

    if not command:
        raise UsageError(
            f"give the command to run after --, e.g. `stsenv exec {target[:40]} -- aws s3 ls`"
        )
    now = int(time.time())
    request = UseRequest(target, **options)
    env = activation.source_env(os.environ)
    role = aws.get_session(request, env, settings, now, terminal.ask)
    outer = os.environ.get(EXEC_VAR)
    if outer and outer != role.role_arn and not nest:
        raise UsageError(
            f"already inside `stsenv exec` of {outer[:200]}: pass --nest to run "
            f"{role.display_name} inside it, or leave that command first"
        )
    if server:
        return _with_server(settings, command, env, role, request, options)
    stamp = activation.stamp_expiry(settings, role.credentials.expiration, now)
    change = for_role(role, stamp, use_args.encode(request))
    for name in change.unsets:
        env.pop(name, None)
    env.update(change.sets)
    env[EXEC_VAR] = role.role_arn
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(command[0], command, env)  # noqa: S606 - the user's own command, as given
    except OSError as e:
        raise CommandFailed.starting(command[0], e) from None


def _with_server(
    settings: Settings,
    command: list[str],
    env: dict[str, str],
    role: RoleSession,
    request: UseRequest,
    options: dict[str, Any],
) -> int:
    """Renewals assume again (refresh: the role-session cache would hand back what is being
    served) from the cached MFA session or sign-in, and never ask: the code was asked at
    most once, above. A code given with --token-code works once, so it is not reused."""
    from stsenv import aws
    from stsenv.aws.server import run_with_server

    again = {**options, "token_code": None, "refresh": True}

    def renew() -> RoleSession:
        return aws.get_session(
            UseRequest(request.target, **again), env, settings, int(time.time()), terminal.refuse
        )

    status = run_with_server(command, env, role, renew, profile=request.profile, settings=settings)
    # Leave as the plain exec does (its process becomes CMD): no interpreter shutdown,
    # which would cost this verb ~10 ms per run; everything of ours is closed already.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
