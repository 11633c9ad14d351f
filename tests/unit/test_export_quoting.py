"""Every `stsenv export` format with hostile values (a credential_process can answer
anything): each is read back by the program that consumes it, where one is installed here,
and nothing in a value runs.

PowerShell is the exception: `pwsh` is not packaged for Debian, so its output is read by
a transliteration of PowerShell's own tokenizer for single-quoted strings (and by `pwsh`
itself where it is on PATH).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values
from support.shells import shell_path

from stsenv import exports, spec
from stsenv.errors import UsageError
from stsenv.model import Credentials

# PowerShell's single-quote characters (CharTraits.IsSingleQuote in PowerShell's parser),
# written here again on purpose: the test must not trust the module it checks.
PS_QUOTES = ("'", "\u2018", "\u2019", "\u201a", "\u201b")
HOSTILE = [
    *PS_QUOTES,
    "".join(PS_QUOTES),
    "\u2018; New-Item pwned; \u2018",
    "\u2019\u2019",
    "`",
    "`n`$HOME",
    "$",
    "$HOME",
    "$(touch pwned)",
    "${env:HOME}",
    "`touch pwned`",
    "line1\nline2",
    "\n",
    "\r\n",
    '"',
    "\\",
    "a\\",
    "\\'",
    "'; touch pwned; '",
    "日本語 ✓",
]
# PowerShell's own read-back, where `pwsh` is installed: NAME=VALUE NUL, for each variable.
PS_READ = (
    "Get-ChildItem Env:AWS_* | ForEach-Object { $_.Name + '=' + $_.Value + [char]0 } "
    "| Out-File -NoNewline -Encoding utf8 env0\n"
)
# What STS sends: nothing any format needs to quote.
PLAIN = "AQoDYXdzEJr/+=:.@-_0"


def credentials(value: str) -> Credentials:
    return Credentials(f"ASIA{value}", f"secret{value}", f"token{value}", 1_900_000_000)


def expected(value: str) -> dict[str, str]:
    return exports.variables(credentials(value))


def sourced(command: list[str], text: str, tmp_path: Path) -> dict[str, str]:
    """Run `command` (which sources `creds`, then writes `env -0` to `env0`) in tmp_path."""
    (tmp_path / "creds").write_text(text, encoding="utf-8")
    clean = {"PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        command, cwd=tmp_path, env=clean, capture_output=True, timeout=30, check=False
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "pwned").exists(), "a value ran a command"
    data = (tmp_path / "env0").read_bytes().decode("utf-8")
    pairs = (item.split("=", 1) for item in data.split("\0") if "=" in item)
    return {name: value for name, value in pairs if name.startswith("AWS_")}


def read_powershell(text: str) -> dict[str, str]:
    """`$Env:NAME = '...'` lines, read as PowerShell's tokenizer reads a single-quoted
    string (Tokenizer.ScanStringLiteral): any of the five quote characters ends it, unless
    another one follows, which then stands for itself."""
    assignment = re.compile(r"\$Env:([A-Z_]+) = ")
    values: dict[str, str] = {}
    i = 0
    while i < len(text):
        match = assignment.match(text, i)
        assert match, f"not an assignment: {text[i : i + 40]!r}"
        i = match.end()
        assert text[i] in PS_QUOTES, "not a single-quoted string"
        i += 1
        chars = []
        while True:
            assert i < len(text), "the string never ends"
            char = text[i]
            i += 1
            if char in PS_QUOTES:
                if i < len(text) and text[i] in PS_QUOTES:
                    char = text[i]
                    i += 1
                else:
                    break
            chars.append(char)
        assert text[i : i + 1] == "\n", f"code after the string: {text[i : i + 40]!r}"
        i += 1
        values[match.group(1)] = "".join(chars)
    return values


@pytest.mark.parametrize("value", [*HOSTILE, PLAIN], ids=range(len(HOSTILE) + 1))
class TestEveryFormat:
    def test_json(self, value: str) -> None:
        assert json.loads(exports.render("json", credentials(value))) == expected(value)

    @pytest.mark.parametrize("reader", ["bash", "sh"])
    def test_env_is_sourced_by_posix_shells(self, value: str, reader: str, tmp_path: Path) -> None:
        text = exports.render("env", credentials(value))
        command = [shell_path(reader), "-c", ". ./creds && env -0 > env0"]
        assert sourced(command, text, tmp_path) == expected(value)

    @pytest.mark.parametrize("kind", ["bash", "zsh", "fish"])
    def test_shell_formats_are_sourced(self, value: str, kind: str, tmp_path: Path) -> None:
        text = exports.render(kind, credentials(value))
        command = [shell_path(kind), "-c", "source ./creds; env -0 > env0"]
        assert sourced(command, text, tmp_path) == expected(value)

    def test_dotenv_carries_plain_values_and_refuses_the_rest(
        self, value: str, tmp_path: Path
    ) -> None:
        if value != PLAIN:
            # A .env file has no quoting its readers agree on (docker takes quotes literally).
            with pytest.raises(UsageError, match="use json"):
                exports.render("dotenv", credentials(value))
            return
        (tmp_path / "creds.env").write_text(exports.render("dotenv", credentials(value)))
        assert dotenv_values(tmp_path / "creds.env") == expected(value)

    def test_powershell(self, value: str, tmp_path: Path) -> None:
        text = exports.render("powershell", credentials(value))
        assert read_powershell(text) == expected(value)
        pwsh = shutil.which("pwsh")
        if pwsh:  # PowerShell itself, where it is installed
            (tmp_path / "creds.ps1").write_text(text + PS_READ, encoding="utf-8")
            command = [pwsh, "-NoProfile", "-File", "creds.ps1"]
            subprocess.run(command, cwd=tmp_path, check=True, timeout=60)
            data = (tmp_path / "env0").read_text(encoding="utf-8-sig")
            pairs = (item.split("=", 1) for item in data.split("\0") if "=" in item)
            assert dict(pairs) == expected(value)


def test_every_format_is_checked_here() -> None:
    """A new format in spec.EXPORT_FORMATS needs its read-back in TestEveryFormat."""
    covered = {"json", "env", "bash", "zsh", "fish", "dotenv", "powershell"}
    assert set(spec.EXPORT_FORMATS) == covered
