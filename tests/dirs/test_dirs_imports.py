"""Entering a tree whose role is cached costs what a cached `use` costs: the one process
imports no typer, no botocore and none of the standard library's slow modules."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.imports import imported
from support.shells import VENV_BIN


def test_entering_a_cached_role_imports_nothing_heavy(
    aws_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**aws_env, "STSENV_SHELL": "bash", "XDG_DATA_HOME": str(tmp_path / "data")}
    path = tmp_path / "proj/.stsenv.toml"
    path.parent.mkdir()
    path.write_text('use = "s3Full"\n')
    # Not allowed yet: refused, parsing the file to say what it wants (tomllib imports
    # typing), once per shell; afterwards (STSENV_DIR_QUIET=1) nothing heavy at all.
    assert imported(["__enter", str(path)], env) == (1, ["typing"])
    assert imported(["__enter", str(path)], {**env, "STSENV_DIR_QUIET": "1"}) == (1, [])
    subprocess.run(
        [f"{VENV_BIN}/stsenv", "allow", str(path)], env=env, check=True, capture_output=True
    )
    cold_code, cold_modules = imported(["__enter", str(path)], env)
    assert cold_code == 0 and "botocore" in cold_modules  # the probe can see an import
    assert imported(["__enter", str(path)], env) == (0, [])
