"""`use`, `clear` and `refresh`: the verbs whose output the hook's wrapper evals."""

from __future__ import annotations

import os
import sys
import time

from stsenv import activation, terminal
from stsenv.errors import EnvironmentProblem, NotActive, SignInNeeded
from stsenv.inert import inert
from stsenv.model import UseRequest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from stsenv.settings import Settings
    from stsenv.shells import Shell


def hooked_shell(settings: Settings, verb: str) -> Shell:
    """The shell whose hook called us; refuse to print credentials anywhere else."""
    from stsenv import shells
    from stsenv.shells.detect import rc_line

    if settings.shell is None:
        raise EnvironmentProblem(
            f"`stsenv {verb}` changes your shell through its hook, which is not loaded: "
            f"add {rc_line(os.environ)} and open a new shell"
        )
    return shells.get(settings.shell)


def use(settings: Settings, *, quiet: bool = False, login: bool = False, **options: Any) -> int:
    shell = hooked_shell(settings, "use")
    now = int(time.time())
    if options.get("target") is None:
        from stsenv.catalog import pick_target

        options["target"] = pick_target(os.environ, settings, now)
    request = UseRequest(**options)
    ask = terminal.asker(settings)
    try:
        change, role = activation.use(request, os.environ, settings, now, ask)
    except SignInNeeded as needed:
        if not login or settings.no_input:
            raise
        from stsenv.commands.login import sign_in_now

        sign_in_now(needed.sign_in, settings=settings)
        now = int(time.time())
        change, role = activation.use(request, os.environ, settings, now, ask)
    said = ""
    if not (quiet or settings.quiet):
        # Printed by the shell once it has made the change: a shell that refuses a name
        # (readonly AWS_REGION) shows only its refusal.
        active = active_for(role.credentials.expiration, now)
        said = f"stsenv: {inert(role.display_name)} is active {active}"
    sys.stdout.write(shell.render(change, said))
    return 0


def active_for(expiry: int, now: int) -> str:
    """ "for 42m, until 13:05 UTC"; past a day away the date says more than the minutes."""
    left = expiry - now
    if left > 24 * 3600:
        return f"until {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(expiry))}"
    return f"for {left // 60}m, until {time.strftime('%H:%M UTC', time.gmtime(expiry))}"


def clear(settings: Settings) -> int:
    # The hook restores its baseline itself before evaluating what we print; a clear
    # needs no further change, so this only checks it was called through the hook.
    hooked_shell(settings, "clear")
    return 0


def refresh(settings: Settings) -> int:
    """`use` again with the arguments the active role was started with (the hook's wrapper
    hands them over: the program itself runs with the baseline, without the role)."""
    from stsenv import use_args

    hooked_shell(settings, "refresh")
    if not settings.refresh_args:
        raise NotActive(
            "no role started in this shell to refresh: start one with `stsenv use TARGET`"
        )
    values: dict[str, Any] = use_args.decode(settings.refresh_args)
    return use(settings, **values)
