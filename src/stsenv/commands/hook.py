"""`stsenv hook [SHELL]` and `stsenv completion [SHELL]`: print a file of shell/ verbatim."""

from __future__ import annotations

import sys

from stsenv import shells
from stsenv.shells.detect import detect_or_fail

TYPE_CHECKING = False
if TYPE_CHECKING:
    from stsenv.settings import Settings


def hook(settings: Settings, shell: str | None) -> int:
    return _print(shells.hook_file(shell or detect_or_fail()))


def completion(settings: Settings, shell: str | None) -> int:
    return _print(shells.completion_file(shell or detect_or_fail()))


def _print(path: str) -> int:
    with open(path, encoding="utf-8") as source:
        sys.stdout.write(source.read())
    return 0
