"""`stsenv hook` prints the same files from a built wheel as from this checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHELLS = ("bash", "zsh", "fish")


def test_wheel_carries_the_shell_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for shell in SHELLS:
        assert f"stsenv/shell/stsenv.{shell}" in names


@pytest.mark.parametrize("shell", SHELLS)
def test_editable_install_prints_the_checkout_file(shell: str) -> None:
    # The test environment runs from an editable install (scripts/bootstrap).
    printed = subprocess.run(
        [sys.executable, "-m", "stsenv", "hook", shell], capture_output=True, check=True, timeout=60
    ).stdout
    assert printed == (ROOT / "shell" / f"stsenv.{shell}").read_bytes()


def test_wheel_install_prints_the_same_files(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    # --no-deps: `hook` needs nothing beyond the standard library, which this also proves.
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        timeout=300,
    )
    for shell in SHELLS:
        printed = subprocess.run(
            [str(venv / "bin" / "stsenv"), "hook", shell],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
        assert printed == (ROOT / "shell" / f"stsenv.{shell}").read_bytes(), shell
