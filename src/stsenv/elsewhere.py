"""The verbs that use a role outside this shell's own environment: `export`,
`credential-process` and `exec`; `refresh` of the active role; `roles`.

All of them get their session from aws.get_session (the same resolution, cache and error
lines as `use`); this module only decides what to do with it. Imported lazily by cli.py.
"""

from __future__ import annotations

import os
import re
import sys
import time

from stsenv.envchange import is_name
from stsenv.errors import NotActive, StsenvError, UsageError
from stsenv.settings import (
    EXEC_VAR,
    IN_CREDENTIAL_PROCESS_VAR,
    REFRESH_ARGS_VAR,
    SHELL_VAR,
    VARS_VAR,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from stsenv.model import RoleSession, UseRequest
    from stsenv.settings import Settings



class CommandFailed(StsenvError):
    """`exec` could not start the command: the shells' own statuses (127, 126)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def source_env(environ: dict[str, str]) -> dict[str, str]:
    """The environment to find source credentials in: this one without a role that `use`
    made active (its names are listed in STSENV_VARS), as a new shell would clear it."""
    from stsenv.session import baseline

    env = dict(environ)
    for name in env.get(VARS_VAR, "").split():
        if is_name(name):
            env.pop(name, None)
    for name in (REFRESH_ARGS_VAR, SHELL_VAR):
        env.pop(name, None)
    return dict(baseline(env))


def _session(
    request: UseRequest, env: dict[str, str], settings: Settings, now: int
) -> RoleSession:
    from stsenv import aws
    from stsenv.cli import ask_on_terminal

    return aws.get_session(request, env, settings, now, ask_on_terminal)


def export(settings: Settings, target: str, format: str | None, force: bool, **options: Any) -> int:
    from stsenv import exports
    from stsenv.model import UseRequest

    name = exports.check_format(format or "env")
    if sys.stdout.isatty() and not force:
        # Secrets on a terminal end up in scrollback and screen shares.
        raise UsageError(
            f"not printing credentials to a terminal: redirect them "
            f"(`stsenv export {target} --format {name} > {target}.env`), pass --force, "
            f"or run `stsenv use {target}` to load them into this shell"
        )
    role = _session(UseRequest(target, **options), source_env(dict(os.environ)), settings,
                    int(time.time()))  # fmt: skip
    sys.stdout.write(exports.render(name, role.credentials))
    return 0


def credential_process(settings: Settings, target: str, **options: Any) -> int:
    """The AWS SDKs run this whenever their cached credentials near their expiry; the
    cache answers until the session has less than 5 minutes (and 10 %) left."""
    from stsenv import exports
    from stsenv.model import UseRequest

    if os.environ.get(IN_CREDENTIAL_PROCESS_VAR):
        raise UsageError(
            f"credential-process {target[:40]} was started by its own source profile: "
            "give it a source that does not run stsenv"
        )
    env = source_env(dict(os.environ))
    env[IN_CREDENTIAL_PROCESS_VAR] = "1"  # seen by a credential_process botocore starts
    role = _session(UseRequest(target, **options), env, settings, int(time.time()))
    print(exports.credential_process(role.credentials))
    return 0


def exec(
    settings: Settings, target: str, command: list[str] | None, nest: bool, **options: Any
) -> int:
    """Replace this process with the command (os.execvpe): its exit status and the signals
    sent to it are its own, and the calling shell never sees the credentials."""
    from stsenv import replay
    from stsenv.envchange import for_role
    from stsenv.model import UseRequest
    from stsenv.session import stamp_expiry

    if not command:
        raise UsageError(
            f"give the command to run after --, e.g. `stsenv exec {target[:40]} -- aws s3 ls`"
        )
    now = int(time.time())
    request = UseRequest(target, **options)
    env = source_env(dict(os.environ))
    role = _session(request, env, settings, now)
    outer = os.environ.get(EXEC_VAR)
    if outer and outer != role.role_arn and not nest:
        raise UsageError(
            f"already inside `stsenv exec` of {outer[:200]}: pass --nest to run "
            f"{role.display_name} inside it, or leave that command first"
        )
    change = for_role(role, stamp_expiry(settings, role.credentials.expiration, now),
                      replay.encode(request))  # fmt: skip
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


def refresh(settings: Settings) -> int:
    """`use` again with the arguments the active role was started with (the hook's wrapper
    hands them over: the program itself runs with the baseline, without the role)."""
    from stsenv import cli, replay

    cli._hooked_shell(settings, "refresh")
    if not settings.refresh_args:
        raise NotActive("no role is active in this shell to refresh: start one with `stsenv use`")
    return cli.use(settings, **replay.decode(settings.refresh_args))


def roles(settings: Settings, json: bool) -> int:
    from stsenv import roles as listing

    entries = listing.list_roles(os.environ, settings, int(time.time()))
    if json:
        import json as json_module

        print(json_module.dumps([entry.as_json() for entry in entries], indent=2))
        return 0
    if not entries:
        raise listing.no_roles(settings)
    print("\n".join(listing.table(entries)))
    return 0


def console(
    settings: Settings,
    target: str | None,
    print_url: bool,
    service: str | None,
    duration: str | None,
    switch_role: bool,
    **options: Any,
) -> int:
    """The console as TARGET, or as the role active in this shell (its credentials are in
    this process's environment: `console` is not run through the hook's wrapper)."""
    from stsenv import session
    from stsenv.aws import federation
    from stsenv.model import Credentials, UseRequest, parse_duration

    now = int(time.time())
    seconds = parse_duration(duration) if duration is not None else None
    if service is not None and not re.match(r"^[a-z0-9-]{1,40}$", service):
        raise UsageError(f"service {service[:40]!r} is not a console service name, e.g. s3, ec2")
    if target is not None:
        role = _session(UseRequest(target, **options), source_env(dict(os.environ)), settings,
                        now)  # fmt: skip
        creds, arn, name, region = (role.credentials, role.role_arn, role.display_name,
                                    role.region)  # fmt: skip
    else:
        active = session.status(os.environ, now)  # NotActive when there is none
        # arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION -> the role's ARN (path unknown)
        parts = active.arn.split(":")
        if len(parts) != 6 or not parts[5].startswith("assumed-role/"):
            raise UsageError("STSENV_ARN is not an assumed-role ARN: `stsenv use` the role again")
        arn = f"arn:{parts[1]}:iam::{parts[4]}:role/{parts[5].split('/')[1]}"
        creds = Credentials(os.environ.get("AWS_ACCESS_KEY_ID", ""),
                            os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
                            os.environ.get("AWS_SESSION_TOKEN", ""), now)  # fmt: skip
        name, region = active.role, os.environ.get("AWS_REGION") or None
    if switch_role:
        print(federation.switch_role_url(arn, name))
        return 0
    partition = federation.partition_of(arn)
    url = federation.login_url(creds, partition,
                               federation.destination(partition, service, region), seconds,
                               settings.federation_url)  # fmt: skip
    if print_url or not _open_browser(url):
        print(url)
    else:
        print(f"stsenv: opened the AWS console as {name} in your browser", file=sys.stderr)
    return 0


def _open_browser(url: str) -> bool:
    import webbrowser

    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
