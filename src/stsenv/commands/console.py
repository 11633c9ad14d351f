"""`stsenv console [TARGET]`: the AWS console as TARGET, or as the role active in this shell
(its credentials are in this process's environment: `console` is not run through the
hook's wrapper)."""

from __future__ import annotations

import os
import re
import sys
import time

from stsenv import activation, terminal
from stsenv.errors import UsageError
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

        role = aws.get_session(UseRequest(target, **options), activation.source_env(os.environ),
                               settings, now, terminal.ask)  # fmt: skip
        creds, arn, name, region = (role.credentials, role.role_arn, role.display_name,
                                    role.region)  # fmt: skip
    else:
        active = activation.status(os.environ, now)  # NotActive when there is none
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
