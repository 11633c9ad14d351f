"""`stsenv exec TARGET -- CMD`: run a command with a role's credentials in its environment
only; the calling shell never sees them."""

from __future__ import annotations

import os
import sys
import time

from stsenv import activation, terminal, use_args
from stsenv.envchange import for_role
from stsenv.errors import StsenvError, UsageError
from stsenv.model import UseRequest
from stsenv.settings import EXEC_VAR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from stsenv.settings import Settings


class CommandFailed(StsenvError):
    """`exec` could not start the command: the shells' own statuses (127, 126)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def exec(
    settings: Settings, target: str, command: list[str] | None, nest: bool, **options: Any
) -> int:
    """Replace this process with the command (os.execvpe): its exit status and the signals
    sent to it are its own."""
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
    except FileNotFoundError:
        raise CommandFailed(f"command not found: {command[0][:200]}", 127) from None
    except OSError as e:
        raise CommandFailed(f"cannot run {command[0][:200]}: {e.strerror}", 126) from None
