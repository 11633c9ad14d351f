"""A rejected access key id is never echoed: with the lines swapped (secret first on
--stdin) or a secret pasted at the key id prompt, it is the secret that is rejected."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from support.emulator import base_env
from support.keys import STSENV

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    ("first", "hint"),
    [
        (SECRET, "does not start with AKIA"),
        ("AKIA" + SECRET[4:], "more than upper-case letters"),
        ("ASIA" + SECRET[4:], "temporary"),
    ],
    ids=["swapped", "akia-prefixed-secret", "asia"],
)
def test_the_rejected_value_is_never_shown(tmp_path: Path, first: str, hint: str) -> None:
    env = {**base_env(tmp_path / "home"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run(
        [STSENV, "keys", "add", "taro", "--stdin"],
        input=f"{first}\nAKIAIOSFODNN7EXAMPLE\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and done.stdout == "" and len(lines) == 1, done.stderr
    assert lines[0].startswith("stsenv: the access key id given (40 characters, not shown)")
    assert hint in lines[0] and "swapped" in lines[0]
    # No 6 characters of the rejected value past its 4-letter prefix appear anywhere.
    shown = done.stderr
    assert not any(first[i : i + 6] in shown for i in range(4, len(first) - 5)), shown
