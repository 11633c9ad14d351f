"""`stsenv console [TARGET]`: the AWS console as TARGET, or as the role active in this shell
(its credentials are in this process's environment: `console` is not run through the
hook's wrapper)."""

from __future__ import annotations

import os
import re
import sys
import time

from stsenv import activation, terminal, tidy
from stsenv.errors import UsageError
from stsenv.inert import inert
from stsenv.limits import parse_duration
from stsenv.model import Credentials, UseRequest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from stsenv.settings import Settings


def console(
    settings: Settings,
    target: str | None,
    print_url: bool,
    service: str | None,
    duration: str | None,
    switch_role: bool,
    **options: Any,
) -> int:
    from stsenv.aws import federation

    now = int(time.time())
    seconds = parse_duration(duration) if duration is not None else None
    if service is not None and not re.match(r"^[a-z0-9-]{1,40}$", service):
        raise UsageError(f"service {service[:40]!r} is not a console service name, e.g. s3, ec2")
    if target is not None:
        from stsenv import aws

        role = aws.get_session(
            UseRequest(target, **options),
            activation.source_env(os.environ),
            settings,
            now,
            terminal.ask,
        )
        creds, arn, name, region = (role.credentials, role.role_arn, role.display_name, role.region)
    else:
        active = activation.status(os.environ, now)  # NotActive when there is none
        # arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION -> the role's ARN (its path is not
        # in it; the cached session of these credentials has it)
        parts = active.arn.split(":")
        if len(parts) != 6 or not parts[5].startswith("assumed-role/"):
            raise UsageError("STSENV_ARN is not an assumed-role ARN: `stsenv use` the role again")
        arn = f"arn:{parts[1]}:iam::{parts[4]}:role/{parts[5].split('/')[1]}"
        from stsenv.aws import cache

        cached = cache.session_with_key(settings, os.environ.get("AWS_ACCESS_KEY_ID", ""))
        if cached is not None and cached.role_arn.endswith("/" + parts[5].split("/")[1]):
            arn = cached.role_arn  # the cache knows the role's path (/service-role/...)
        creds = Credentials(
            os.environ.get("AWS_ACCESS_KEY_ID", ""),
            os.environ.get("AWS_SECRET_ACCESS_KEY", ""),
            os.environ.get("AWS_SESSION_TOKEN", ""),
            now,
        )
        name, region = active.role, os.environ.get("AWS_REGION") or None
    if switch_role:
        print(federation.switch_role_url(arn, name))
        return 0
    partition = federation.partition_of(arn)
    url = federation.login_url(
        creds,
        partition,
        federation.destination(partition, service, region),
        seconds,
        settings.federation_url,
    )
    if print_url or not _open_browser(url, settings, now):
        print(url)
    else:
        print(f"stsenv: opened the AWS console as {inert(name)} in your browser", file=sys.stderr)
    return 0


HANDOVER_KEEP_SECONDS = 5 * 60  # a browser has long read its page by then


def _open_browser(url: str, settings: Settings, now: int) -> bool:
    """Open `url` without putting it in the browser's argv (/proc/PID/cmdline is readable by
    every user, and the URL holds a sign-in token): the browser gets a private page that
    redirects to it. No safe place for the page: False, and the URL is printed instead."""
    import webbrowser

    page = _handover_page(url, settings, now)
    if page is None:
        return False
    try:
        if webbrowser.open("file://" + page):
            return True
    except (webbrowser.Error, ValueError, OSError):  # ValueError: $BROWSER shlex cannot split
        pass
    tidy.remove(page)
    return False


def _handover_page(url: str, settings: Settings, now: int) -> str | None:
    """A 0600 HTML file in the 0700 cache dir (random name, O_EXCL, never through a symlink)
    that sends the browser on to `url`; pages older than a few minutes are removed."""
    import html
    import json

    from stsenv.aws import cache

    directory = cache.usable_dir(settings)
    if directory is None:
        return None
    _remove_old_pages(directory, now)
    attribute = html.escape(url, quote=True)
    script = json.dumps(url).replace("<", "\\u003c")  # never ends the <script> element
    text = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f'<meta http-equiv="refresh" content="0;url={attribute}">\n'
        f"<title>AWS console (stsenv)</title>\n<script>location.replace({script});</script>\n"
        f'</head><body><a href="{attribute}">Open the AWS console</a></body></html>\n'
    )
    path = os.path.join(directory, f"console-{os.urandom(16).hex()}.html")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        cache.warn(f"cannot write the console's sign-in page in {directory} ({e.strerror})")
        return None
    return path


def _remove_old_pages(directory: str, now: int) -> None:
    import stat

    for name in os.listdir(directory):
        if not (name.startswith("console-") and name.endswith(".html")):
            continue
        path = os.path.join(directory, name)
        try:
            st = os.lstat(path)
            if (
                stat.S_ISREG(st.st_mode)
                and st.st_uid == os.geteuid()
                and st.st_mtime < now - HANDOVER_KEEP_SECONDS
            ):
                os.unlink(path)
        except OSError:  # removed meanwhile by another `console`
            pass
