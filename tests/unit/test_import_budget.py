"""The verbs every shell and every prompt pays for import nothing heavy (docs/DESIGN.md,
"What it may cost"): no typer, no botocore/boto3, none of the standard library's slow modules."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from support.imports import imported


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
