"""The demo's walkthrough, for `scripts/try` without a terminal: an interactive bash with the
hook loaded, typed into step by step (a pty, as a person would), printed as a transcript,
each step checked. Exit status 0 when every step behaved as expected, 1 otherwise.

The shell runs under libfaketime, so the walkthrough can show within seconds what happens
over an hour: the prompt counting down, the warning before expiry, and the clear at expiry.
Without libfaketime (a fresh machine: scripts/try does not install it) the steps that need
the moved clock (CLOCK_STEPS) are skipped, each named, and the rest must still behave.

    python scripts/walkthrough.py RCFILE CLOCKFILE
"""

from __future__ import annotations

import glob
import os
import re
import sys
from pathlib import Path

import pexpect

PROMPT = re.compile(r"demo:(\d+) \$ ")
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")

# (what the person types, a pattern the output or the next prompt must show, a caption).
# A step typed as "# +660" moves the shell's clock on by 660 s instead (libfaketime), then
# presses Enter.
STEPS: list[tuple[str, str, str]] = [
    (
        "aws sts get-caller-identity --query Arn --output text",
        r"user/taro",
        "you are IAM user taro, who may only assume roles",
    ),
    ("aws s3 mb s3://stsenv-demo", r"AccessDenied", "so this is denied"),
    (
        "stsenv use s3FullforAssumeRole --duration 45m",
        r"\[s3FullforAssumeRole 4[45]m\]",
        "one word: role name -> ARN, AssumeRole, export; the prompt shows the minutes left",
    ),
    (
        "aws sts get-caller-identity --query Arn --output text",
        r"assumed-role/s3FullforAssumeRole",
        "",
    ),
    ("aws s3 mb s3://stsenv-demo", r"make_bucket: stsenv-demo", "now it works"),
    ("stsenv status", r"remaining", ""),
    ("stsenv clear", r"^(?!.*\[s3Full).*demo:0 \$ $", "the shell is exactly as it was"),
    ("aws s3 mb s3://stsenv-demo-2", r"AccessDenied", "taro again"),
    (
        "stsenv login --sso-session corp --no-browser",
        r"signed in to sso-session corp",
        "IAM Identity Center: the device-code sign-in (the local portal approves it by itself)",
    ),
    ("stsenv roles --sso", r"prjZ-prod/ReadOnlyAccess", "every account and role of the sign-in"),
    ("stsenv use dev-admin", r"\[dev-admin (59|60)m\]", "an SSO profile is a target"),
    ("aws s3 mb s3://stsenv-demo-sso", r"make_bucket: stsenv-demo-sso", ""),
    (
        "stsenv use prjZ-prod/ReadOnlyAccess",
        r"\[prjZ-prod/ReadOnlyAccess (59|60)m\]",
        "ACCOUNT/ROLE of the sign-in, with no profile written for it",
    ),
    ("stsenv clear", r"^(?!.*\[).*demo:0 \$ $", ""),
    (
        "stsenv use s3FullforAssumeRole --duration 15m",
        r"\[s3FullforAssumeRole 1[45]m\]",
        "a short role, to watch it run out",
    ),
    (
        "# +660",
        r"expires in [34]m",
        "...11 minutes later (this shell's clock moved): the last minutes are flagged once",
    ),
    (
        "# +960",
        r"role s3FullforAssumeRole expired; its credentials were cleared",
        "...at expiry the prompt hook clears the role by itself",
    ),
    (
        "aws sts get-caller-identity --query Arn --output text",
        r"user/taro",
        "and the shell is taro's again",
    ),
]


# The steps that only make sense with the shell's clock moved: the short role, the two jumps
# and the check that the clear at expiry gave taro back.
CLOCK_STEPS = STEPS[-4:]
assert CLOCK_STEPS[0][0].endswith("--duration 15m") and CLOCK_STEPS[1][0].startswith("# +")


def libfaketime() -> str | None:
    found = glob.glob("/usr/lib/*/faketime/libfaketimeMT.so.1") + glob.glob(
        "/usr/lib/faketime/libfaketimeMT.so.1"
    )
    return found[0] if found else None


def main(argv: list[str]) -> int:
    rcfile, clock = Path(argv[0]), Path(argv[1])
    env = dict(os.environ, TERM="dumb", NO_COLOR="1")
    steps = STEPS
    library = libfaketime()
    if library:
        clock.write_text("+0\n")
        env.update(
            {
                "LD_PRELOAD": library,
                "FAKETIME_TIMESTAMP_FILE": str(clock),
                "FAKETIME_NO_CACHE": "1",
                "NO_FAKE_STAT": "1",
                "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            }
        )
    else:
        print(
            f"(libfaketime is not installed: the walkthrough skips the {len(CLOCK_STEPS)} "
            "steps that need the shell's clock moved: the countdown to the clear at expiry)"
        )
        steps = [s for s in STEPS if s not in CLOCK_STEPS]
    # Under libfaketime a preloaded `env` starts bash: bash replaces setenv(), and libfaketime
    # must set itself up outside it or it never sees its clock file change.
    shell = pexpect.spawn(
        "/usr/bin/env",
        ["bash", "--rcfile", str(rcfile), "-i"],
        env=env,
        encoding="utf-8",
        timeout=90,
        dimensions=(50, 200),
    )
    shell.expect(PROMPT)
    print(ANSI.sub("", str(shell.before)).strip())
    failed = []
    prompt = "demo:0 $ "
    for typed, expected, caption in steps:
        if caption:
            print(f"\n# {caption}")
        if typed.startswith("# +"):
            clock.write_text(typed[2:] + "\n")
            print(prompt)
            shell.sendline("")
        else:
            print(prompt + typed)
            shell.sendline(typed)
        shell.expect(PROMPT)
        output = ANSI.sub("", str(shell.before)).replace("\r", "")
        lines = output.split("\n")[1:]  # the first is what was typed, echoed
        prompt = (lines[-1] if lines else "") + shell.after
        shown = "\n".join(lines[:-1]).rstrip("\n")
        if shown:
            print(shown)
        if not re.search(expected, shown + "\n" + prompt, re.MULTILINE):
            failed.append(typed)
            print(f"walkthrough: this step did not show /{expected}/")
    print(prompt + "exit")
    shell.sendline("exit")
    shell.expect(pexpect.EOF)
    if failed:
        print(
            f"\nwalkthrough: {len(failed)} step(s) did not behave as expected: " + "; ".join(failed)
        )
        return 1
    print(f"\nwalkthrough: all {len(steps)} steps behaved as expected")
    if len(steps) < len(STEPS):
        skipped = "; ".join(typed for typed, _expected, _caption in CLOCK_STEPS)
        print(
            f"walkthrough: skipped {len(STEPS) - len(steps)} steps that need libfaketime "
            f"(apt-get install faketime): {skipped}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
