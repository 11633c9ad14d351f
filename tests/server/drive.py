"""`stsenv exec --server` as a program, until the exec command calls the runner itself:

    python tests/server/drive.py TARGET [--duration D] [--port N] -- CMD [ARGS...]

It builds what the exec command builds: the first session from aws.get_session (cache
allowed, MFA code asked on the terminal), and `renew` = get_session again with refresh=True
(always assumes again; the MFA session / sign-in come from their caches) and an `ask` that
refuses, since nothing may be asked once CMD runs. Errors: one `stsenv:` line, as cli does.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable

from stsenv import aws
from stsenv.aws.server import run_with_server
from stsenv.errors import EnvironmentProblem, StsenvError
from stsenv.model import RoleSession, UseRequest
from stsenv.settings import Settings


def ask_on_terminal(prompt: str) -> str:
    try:
        tty = open("/dev/tty", "r+", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError:
        raise EnvironmentProblem(
            "an MFA code is needed and there is no terminal to ask on: pass --token-code"
        ) from None
    with tty:
        tty.write(prompt)
        tty.flush()
        return tty.readline().strip()


def refuse(prompt: str) -> str:
    raise EnvironmentProblem(
        "an MFA code would be needed to renew; nothing is asked while the command runs"
    )


def main(argv: list[str]) -> int:
    if "--" not in argv:
        print("usage: drive.py TARGET [--duration D] [--port N] -- CMD...", file=sys.stderr)
        return 2
    split = argv.index("--")
    parser = argparse.ArgumentParser()
    parser.add_argument("target")
    parser.add_argument("--duration")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv[:split])
    command = argv[split + 1 :]
    env = dict(os.environ)
    settings = Settings.from_env(env)

    def session(refresh: bool, ask: Callable[[str], str]) -> RoleSession:
        request = UseRequest(args.target, duration=args.duration, refresh=refresh)
        return aws.get_session(request, env, settings, int(time.time()), ask)

    try:
        first = session(False, ask_on_terminal)
        return run_with_server(
            command, env, first, lambda: session(True, refuse), port=args.port, settings=settings
        )
    except StsenvError as e:
        print(f"stsenv: {e.message}", file=sys.stderr)
        return int(e.exit_code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
