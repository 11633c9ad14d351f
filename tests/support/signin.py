"""What the browser sign-in tests share (tests/signin): the stsenv program, a BROWSER command
(headless Chromium, or curl) and the one-line failure rule."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.program import STSENV
from support.program import stsenv as run
from support.shells import need_tool

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "STSENV", "browser", "one_line", "run"]


CHROMIUM = "/usr/bin/chromium"


CHROMIUM_FLAGS = (
    "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
    "--disable-background-networking --disable-component-update --disable-sync"
)


def browser(tmp_path: Path, kind: str = "chromium") -> tuple[str, Path]:
    """A BROWSER command (what Python's webbrowser runs with the URL) and the file it leaves
    the last page in: headless Chromium following the redirects, or curl."""
    need_tool(CHROMIUM if kind == "chromium" else kind)  # skipped locally, a failure in CI
    page = tmp_path / f"{kind}-page.html"
    script = tmp_path / f"{kind}-browser"
    if kind == "chromium":
        profile = tmp_path / "chromium-profile"
        command = (
            f'{CHROMIUM} {CHROMIUM_FLAGS} --user-data-dir="{profile}" --dump-dom "$1" '
            f'>"{page}" 2>/dev/null'
        )
    else:
        command = f'curl -sS -L -o "{page}" "$1"'
    script.write_text(f"#!/bin/sh\n{command}\n")
    script.chmod(0o755)
    return str(script), page


def one_line(done: subprocess.CompletedProcess[str], status: int, *parts: str) -> str:
    """The failure is one `stsenv:` line (after, at most, the line that told where to sign
    in), nothing on stdout, no traceback."""
    assert (done.returncode, done.stdout) == (status, ""), done.stderr
    lines = done.stderr.splitlines()
    told = [line for line in lines[:-1] if "open" in line]
    assert len(lines) - len(told) == 1 and len(told) <= 1, done.stderr
    assert all(line.startswith("stsenv: ") for line in lines), done.stderr
    for part in parts:
        assert part in lines[-1], lines[-1]
    return lines[-1]
