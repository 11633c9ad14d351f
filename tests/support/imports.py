"""What a verb imports: the program's main() run in a fresh interpreter, which then names the
heavy modules that got loaded (tests/unit/test_import_budget.py, tests/dirs, tests/keys)."""

from __future__ import annotations

import json
import subprocess
import sys

# Modules the fast paths must not load: typer, botocore/boto3 and the standard library's slow
# ones (contextlib and io come from the probe itself, so they are not in the list).
HEAVY = (
    "typer",
    "botocore",
    "boto3",
    "dataclasses",
    "pathlib",
    "typing",
    "tempfile",
    "platformdirs",
)
PROBE = """
import io, json, sys
from contextlib import redirect_stdout, redirect_stderr
from stsenv.cli import main
out = io.StringIO()
with redirect_stdout(out), redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps([code, sorted(m for m in {heavy!r} if m in sys.modules), out.getvalue()]))
"""


def probe(
    args: list[str], env: dict[str, str], heavy: tuple[str, ...] = HEAVY
) -> tuple[int, list[str], str]:
    """(exit status, the heavy modules loaded, stdout) of `stsenv ARGS` in `env`."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=heavy), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    code, modules, out = json.loads(done.stdout)
    return code, modules, out


def imported(args: list[str], env: dict[str, str]) -> tuple[int, list[str]]:
    """(exit status, the heavy modules loaded) of `stsenv ARGS` in `env`."""
    code, modules, _out = probe(args, env)
    return code, modules
