"""`stsenv status [--json]`: the active role, from the environment, with no network call."""

from __future__ import annotations

import os
import time

from stsenv import activation
from stsenv.inert import inert

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.settings import Settings


def status(settings: Settings, json: bool) -> int:
    info = activation.status(os.environ, int(time.time()))
    if json:
        import json as json_module

        fields = ("role", "arn", "account", "expiration", "remaining_seconds")
        print(json_module.dumps({name: getattr(info, name) for name in fields}))
        return 0
    minutes, seconds = divmod(info.remaining_seconds, 60)
    rows = [
        ("role", info.role),
        ("arn", info.arn),
        ("account", info.account),
        ("expiration", info.expiration),
        ("remaining", f"{minutes}m {seconds:02d}s"),
        ("access key", info.access_key),
    ]
    for label, value in rows:
        print(f"{label:<11} {inert(str(value))}")  # inherited from the environment: data
    return 0
