"""`stsenv roles [--json]`: what can be assumed, with the state of its session (no network)."""

from __future__ import annotations

import os
import time

from stsenv import catalog

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.settings import Settings


def roles(settings: Settings, json: bool) -> int:
    entries = catalog.list_roles(os.environ, settings, int(time.time()))
    if json:
        import json as json_module

        print(json_module.dumps([entry.as_json() for entry in entries], indent=2))
        return 0
    if not entries:
        raise catalog.no_roles(settings)
    print("\n".join(catalog.table(entries)))
    return 0
