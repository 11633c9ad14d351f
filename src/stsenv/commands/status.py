"""`stsenv status [--json]`: the active role, from the environment, with no network call."""

from __future__ import annotations

import os
import time

from stsenv import activation
from stsenv.inert import inert
from stsenv.settings import PROJECT_VAR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.settings import Settings


def status(settings: Settings, json: bool) -> int:
    info = activation.status(os.environ, int(time.time()))
    # Entered by the prompt hook: the .stsenv.toml the role comes from (shown escaped).
    project_file = os.environ.get(PROJECT_VAR) or None
    if json:
        import json as json_module

        fields = ("role", "arn", "account", "expiration", "remaining_seconds")
        answer: dict[str, object] = {name: getattr(info, name) for name in fields}
        if project_file:  # only for a role that a .stsenv.toml gave
            answer["project_file"] = project_file
        print(json_module.dumps(answer))
        return 0
    minutes, seconds = divmod(info.remaining_seconds, 60)
    remaining = f"{minutes}m {seconds:02d}s"
    if minutes > 24 * 60:  # days away (a credential_process's Expiration): not in minutes
        hours, minutes = divmod(minutes, 60)
        remaining = f"{hours // 24}d {hours % 24}h {minutes:02d}m"
    rows = [
        ("role", info.role),
        ("arn", info.arn),
        ("account", info.account),
        ("expiration", info.expiration),
        ("remaining", remaining),
        ("access key", info.access_key),
    ]
    if project_file:
        rows.append(("from", project_file))
    for label, value in rows:
        print(f"{label:<11} {inert(str(value))}")  # inherited from the environment: data
    return 0
