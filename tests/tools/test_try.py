"""README's first command, as a newcomer without a terminal runs it: `scripts/try` installs,
starts the local STS and IAM Identity Center, and walks through the tutorial, the SSO
sign-in and the countdown to clear-at-expiry in a real bash; exit status 0 only when every
step behaved as expected (scripts/walkthrough.py checks each)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_scripts_try_walks_through_and_exits_0() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STSENV_"))}
    done = subprocess.run([str(REPO / "scripts" / "try")], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-2000:]
    assert "walkthrough: all 18 steps behaved as expected" in out
    for shown in (r"make_bucket: stsenv-demo\n", r"signed in to sso-session corp",
                  r"\[dev-admin (59|60)m\] demo:0 \$ ", r"expires in [34]m",
                  r"role s3FullforAssumeRole expired; its credentials were cleared"):  # fmt: skip
        assert re.search(shown, out), shown
    assert "Traceback" not in out + done.stderr
