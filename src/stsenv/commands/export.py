"""`stsenv export TARGET --format F`: a role's credentials for other tools."""

from __future__ import annotations

import os
import sys
import time

from stsenv import activation, exports, terminal
from stsenv.errors import UsageError
from stsenv.model import UseRequest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from stsenv.settings import Settings


def export(settings: Settings, target: str, format: str | None, force: bool, **options: Any) -> int:
    from stsenv import aws

    name = exports.check_format(format or "env")
    if sys.stdout.isatty() and not force:
        # Secrets on a terminal end up in scrollback and screen shares.
        raise UsageError(
            f"not printing credentials to a terminal: redirect them "
            f"(`stsenv export {target} --format {name} > {target}.env`), pass --force, "
            f"or run `stsenv use {target}` to load them into this shell"
        )
    role = aws.get_session(UseRequest(target, **options), activation.source_env(os.environ),
                           settings, int(time.time()), terminal.ask)  # fmt: skip
    sys.stdout.write(exports.render(name, role.credentials))
    return 0
