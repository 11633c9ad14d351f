"""`allow`, `deny` and the prompt hook's `__enter`: roles that follow the directory.

The hook walks up from $PWD with builtin tests only; when the governing .stsenv.toml (its
path) changes it calls `__enter PATH` once, through its wrapper like `use`: the output is
evaluated only on exit 0, and an empty output with exit 0 means "no role in this tree".
"""

from __future__ import annotations

import os
import sys
import time

from stsenv import project
from stsenv.errors import EnvironmentProblem, StsenvError, UsageError
from stsenv.inert import inert
from stsenv.settings import DIR_QUIET_VAR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.settings import Settings


class _NeedsInput(EnvironmentProblem):
    """Entering a tree asks nothing: an MFA code would be needed."""


def _refuse(prompt: str) -> str:
    raise _NeedsInput("an MFA code is needed")


def _located(path: str | None) -> str:
    """The project file PATH names (a file, or a directory holding one), or the nearest one
    from the current directory up."""
    if path is None:
        found = project.find(os.environ.get("PWD") or os.getcwd())
        if found is None:
            raise UsageError(
                f"no {project.FILE_NAME} in this directory or above it: "
                "name one (stsenv allow PATH)"
            )
        return found
    if os.path.isdir(path) and not os.path.islink(path):
        return os.path.join(path, project.FILE_NAME)
    return path


def allow(settings: Settings, path: str | None) -> int:
    found = project.read(_located(path))
    project.allow(settings, found)
    wants = f"wants {found.target}" if found.target else "says no role here"
    line = f"allowed {project.shown(found.path)} ({wants}); it takes effect at the next prompt"
    print(f"stsenv: {inert(line)}", file=sys.stderr)
    return 0


def deny(settings: Settings, path: str | None) -> int:
    key = project.resolve(_located(path))
    if project.deny(settings, key):
        print(f"stsenv: {project.shown(key)} is no longer allowed", file=sys.stderr)
    else:
        print(f"stsenv: {project.shown(key)} was not allowed", file=sys.stderr)
    return 0


def __enter(settings: Settings, path: str) -> int:
    """The role of the project file `path` as `use` prints it, when the file is allowed and
    the role needs no input; else one line (none when the hook says it was said already),
    exit 1, and the hook changes nothing."""
    from stsenv import activation
    from stsenv.commands.use import hooked_shell
    from stsenv.model import UseRequest

    shell = hooked_shell(settings, "__enter")
    quiet = os.environ.get(DIR_QUIET_VAR) == "1"
    try:
        key, raw, digest = project.load(path)
        found = project.allowed(settings, key, digest)
        if found is None and quiet:
            return 1  # refused, and said already
        if found is None:  # not allowed as it is: parsed only to say what it wants
            unknown, _ = project.parse(key, raw)
            before = project.allowed_digest(settings, key)
    except StsenvError as e:
        if not quiet:
            print(f"stsenv: {inert(e.message)}", file=sys.stderr)
        return 1
    if found is None:
        if not quiet:
            wants = f"wants {unknown}" if unknown else "says no role here"
            why = "changed since it was allowed" if before else "is not allowed"
            line = f"{project.shown(key)} {wants} but {why}: run `stsenv allow` to trust it"
            print(f"stsenv: {inert(line)}", file=sys.stderr)  # the file's words are data
        return 1
    where = project.shown(found.path)
    wants = f"wants {found.target}" if found.target else "says no role here"
    if found.target is None:
        return 0  # the hook puts the baseline back: no role here
    get = found.options.get
    request = UseRequest(
        target=found.target,
        duration=get("duration"),
        session_name=get("session_name"),
        profile=get("profile"),
        region=get("region"),
        mfa_serial=get("mfa_serial"),
        external_id=get("external_id"),
    )
    now = int(time.time())
    settings.no_input = True
    try:
        change, role = activation.use(
            request, os.environ, settings, now, _refuse, project_file=project.printable(found.path)
        )
    except StsenvError as e:
        hint = ""
        if isinstance(e, _NeedsInput):
            import shlex

            words = ["stsenv", "use", found.target]
            for key, value in found.options.items():
                words += ["--" + key.replace("_", "-"), value]
            hint = f": run `{shlex.join(words)}` (a prompt asks nothing)"
        print(f"stsenv: {inert(f'{where} {wants}: {e.message}{hint}')}", file=sys.stderr)
        return e.exit_code
    said = ""
    if not settings.quiet:  # printed by the shell once the change is made, as `use` does
        from stsenv.commands.use import active_for

        active = active_for(role.credentials.expiration, now)
        said = f"stsenv: {inert(role.display_name)} is active {active} ({where})"
    sys.stdout.write(shell.render(change, said))
    return 0
