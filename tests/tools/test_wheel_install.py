"""The built wheel, installed as users install it: `pipx install` and `uv tool install`, each
into folders of its own. The installed program must show its version and print the very
shell files of this checkout (hook and completion), found inside the wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.shells import REPO, SHELLS, VENV_BIN

import stsenv


def installer(name: str) -> str:
    """pipx / uv from the test extras; missing: skipped locally, a failure in CI."""
    found = shutil.which(name, path=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found is None:
        message = f"{name} is not installed (pip install -e '.[test]' brings it)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}, and CI must run every packaging test")
        pytest.skip(message)
    return found


def install(kind: str, wheel: Path, root: Path) -> tuple[Path, Path]:
    """Install the wheel with `kind`; the folder of the `stsenv` command and the python of
    the tool's own environment."""
    env = {
        "PATH": f"{VENV_BIN}:/usr/bin:/bin",
        "HOME": str(root / "home"),
        **{k: v for k, v in os.environ.items() if k.startswith(("PIP_", "SSL_", "HTTP"))},
    }
    python = sys.executable  # the interpreter the tests run on: no download
    if kind == "pipx":
        env.update(
            PIPX_HOME=str(root / "pipx"),
            PIPX_BIN_DIR=str(root / "bin"),
            PIPX_MAN_DIR=str(root / "man"),
        )
        command = [installer("pipx"), "install", "--python", python, str(wheel)]
        tool_python = root / "pipx" / "venvs" / "stsenv" / "bin" / "python"
    else:
        env.update(
            UV_TOOL_DIR=str(root / "uv-tools"),
            UV_TOOL_BIN_DIR=str(root / "bin"),
            UV_CACHE_DIR=str(root / "uv-cache"),
            UV_PYTHON_DOWNLOADS="never",
        )
        command = [installer("uv"), "tool", "install", "--python", python, str(wheel)]
        tool_python = root / "uv-tools" / "stsenv" / "bin" / "python"
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return root / "bin", tool_python


@pytest.mark.parametrize("kind", ["pipx", "uv"])
def test_installed_wheel_works(kind: str, wheel: Path, tmp_path: Path) -> None:
    bin_dir, tool_python = install(kind, wheel, tmp_path)
    program = str(bin_dir / "stsenv")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "LANG": "C.UTF-8"}

    def run(*args: str) -> bytes:
        return subprocess.run(
            [program, *args], env=env, capture_output=True, check=True, timeout=60
        ).stdout

    # The program of the tool's environment, not this checkout's editable install.
    probe = [str(tool_python), "-c", "import stsenv; print(stsenv.__file__)"]
    where = subprocess.run(probe, env=env, capture_output=True, text=True, check=True, timeout=60)
    assert Path(where.stdout.strip()).is_relative_to(tmp_path)
    assert run("--version") == f"stsenv {stsenv.__version__}\n".encode()
    for shell in SHELLS:
        assert run("hook", shell) == (REPO / "shell" / f"stsenv.{shell}").read_bytes(), shell
        assert (
            run("completion", shell)
            == (REPO / "shell" / "completion" / f"stsenv.{shell}").read_bytes()
        ), shell
    assert run("__complete", "bash", "us") == b"use\n"
    report = json.loads(_doctor(program, env))
    assert {c["name"] for c in report["checks"]} >= {"hook", "config", "cache", "clock"}


def _doctor(program: str, env: dict[str, str]) -> str:
    # Without a hook doctor fails (exit 1), and says so in its report.
    done = subprocess.run(
        [program, "doctor", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    return done.stdout
