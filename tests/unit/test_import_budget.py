"""The verbs every shell and every prompt pays for import nothing heavy (docs/DESIGN.md,
"What it may cost"): no typer, no botocore/boto3, none of the standard library's slow modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

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
with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps([code, sorted(m for m in {heavy!r} if m in sys.modules)]))
"""


def imported(args: list[str], env: dict[str, str]) -> tuple[int, list[str]]:
    # contextlib/io come from the probe itself; the heavy list excludes them.
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    code, modules = json.loads(done.stdout)
    return code, modules


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STSENV_"))}
    return {**clean, "STSENV_CACHE_DIR": str(tmp_path), "HOME": str(tmp_path)}


@pytest.mark.parametrize("args", [["hook", "bash"], ["hook", "zsh"], ["hook", "fish"], ["status"]])
def test_fast_verbs_import_nothing_heavy(args: list[str], env: dict[str, str]) -> None:
    _code, modules = imported(args, env)
    assert modules == []


def test_clear_imports_nothing_heavy(env: dict[str, str]) -> None:
    code, modules = imported(["clear"], {**env, "STSENV_SHELL": "bash"})
    assert (code, modules) == (0, [])


def test_active_status_imports_nothing_heavy(env: dict[str, str]) -> None:
    active = {
        "STSENV_ROLE": "r",
        "STSENV_EXPIRY": str(int(time.time()) + 600),
        "STSENV_ARN": "arn:aws:sts::1:assumed-role/r/s",
    }
    code, modules = imported(["status", "--json"], {**env, **active})
    assert (code, modules) == (0, [])


def test_cached_use_imports_nothing_heavy(aws_env: dict[str, str]) -> None:
    env = {**aws_env, "STSENV_SHELL": "bash"}
    cold_code, cold_modules = imported(["use", "s3Full"], env)
    assert cold_code == 0 and "botocore" in cold_modules  # the probe can see an import
    code, modules = imported(["use", "s3Full"], env)
    assert (code, modules) == (0, [])
