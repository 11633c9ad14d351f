"""`stsenv export TARGET --format F [--output FILE]`: a role's credentials for other tools."""

from __future__ import annotations

import os
import sys
import time

from stsenv import activation, exports, terminal, tidy
from stsenv.errors import UsageError
from stsenv.model import UseRequest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from stsenv.settings import Settings


def export(
    settings: Settings,
    target: str,
    export_format: str | None,
    force: bool,
    output: str | None = None,
    **options: Any,
) -> int:
    from stsenv import aws

    name = exports.check_format(export_format or "env")
    if output is None and sys.stdout.isatty() and not force:
        # Secrets on a terminal end up in scrollback and screen shares.
        raise UsageError(
            f"not printing credentials to a terminal: write them to a private file "
            f"(`stsenv export {target} --format {name} --output {target}.env`), pass --force, "
            f"or run `stsenv use {target}` to load them into this shell"
        )
    # The temporary file first: a FILE that cannot be written fails before any AWS call.
    temporary = _private_temporary(output) if output is not None else None
    try:
        role = aws.get_session(
            UseRequest(target, **options),
            activation.source_env(os.environ),
            settings,
            int(time.time()),
            terminal.ask,
        )
        text = exports.render(name, role.credentials)
    except BaseException:
        if temporary is not None:
            os.close(temporary[0])
            _remove(temporary[1])
        raise
    if temporary is None or output is None:
        sys.stdout.write(text)
        return 0
    try:
        _replace_with(temporary, output, text)
    except BaseException:
        _remove(temporary[1])
        raise
    return 0


def _private_temporary(output: str) -> tuple[int, str]:
    """A 0600 temporary file beside FILE (so that os.replace is atomic): fd and path."""
    import tempfile

    if not output or output.endswith("/"):
        raise UsageError(f"--output {output[:200]!r} is not a file name")
    directory = os.path.dirname(os.path.abspath(output))
    try:
        return tempfile.mkstemp(dir=directory, prefix=".stsenv-export-", suffix=".tmp")
    except OSError as e:
        raise UsageError(
            f"cannot write {output[:200]}: no new file can be made in {directory[:200]} "
            f"({e.strerror})"
        ) from None


def _replace_with(temporary: tuple[int, str], output: str, text: str) -> None:
    """Write, fsync, then rename over FILE: a symlink at FILE is replaced, never written
    through, and no reader ever sees half a file or a moment of looser permissions."""
    fd, path = temporary
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(path, output)
    except OSError as e:
        raise UsageError(f"cannot write {output[:200]} ({e.strerror})") from None


def _remove(path: str) -> None:
    tidy.remove(path)
