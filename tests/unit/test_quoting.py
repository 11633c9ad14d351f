"""Every value reaches the shell through one quoting function per shell; prove it in the
real shells: arbitrary text round-trips byte for byte and runs nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from stsenv import shells

READ_BACK = "import os,sys; sys.stdout.buffer.write(os.environb[b'STSENV_T'])"
# Environment strings cannot hold NUL; Python strings with lone surrogates cannot be encoded.
env_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"))
HOSTILE = [
    "",
    "'",
    "\\",
    "a\\",
    "\\'",
    "$(touch pwned)",
    "`touch pwned`",
    "${HOME}",
    "line1\nline2\n",
    "%F{red}%~!",
    "\x7f\x1b[31m",
    "tab\there",
    "日本語 ✓",
    "x" * 100_000,
    "'; touch pwned; '",
    "\\'; touch pwned; echo \\'",
]


def shell_or_skip(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed, and CI must run every shell")
        pytest.skip(f"{name} is not installed")
    return path


def round_trip(shell_name: str, value: str, workdir: Path) -> bytes:
    shell = shells.get(shell_name)
    assignment = (
        f"set -gx STSENV_T {shell.quote(value)}"
        if shell_name == "fish"
        else f"export STSENV_T={shell.quote(value)}"
    )
    script = workdir / "script"
    script.write_text(f"{assignment}\n'{sys.executable}' -c \"{READ_BACK}\"\n", encoding="utf-8")
    result = subprocess.run(
        [shell_or_skip(shell_name), str(script)],
        capture_output=True,
        cwd=workdir,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert not (workdir / "pwned").exists(), "quoted text ran a command"
    return result.stdout


@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish"])
@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_round_trip(shell_name: str, value: str, tmp_path: Path) -> None:
    assert round_trip(shell_name, value, tmp_path) == value.encode()


@pytest.mark.parametrize("shell_name", ["bash", "zsh", "fish"])
def test_arbitrary_values_round_trip(
    shell_name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shell_or_skip(shell_name)

    @settings(max_examples=150, deadline=None)
    @given(value=env_text)
    @example(value="'\\''")
    def check(value: str) -> None:
        workdir = tmp_path_factory.mktemp(shell_name)
        assert round_trip(shell_name, value, workdir) == value.encode()

    check()
