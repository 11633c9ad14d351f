"""While botocore's providers run something of the user's: a profile's credential_process
(a program), a web_identity_token_file (a file), anywhere along a source_profile chain.

What goes wrong there is an ordinary mistake, not a bug: a program that is not installed,
one that prints something other than JSON, credentials whose Expiration has already
passed, a token file that exists only on another machine. Each becomes one line naming the
profile and the cause (UsageError). A program that does not answer is named on stderr once
after a few seconds, so a user knows what the shell is waiting for (botocore waits for it
without a limit, and so do we: Ctrl-C stops it)."""

from __future__ import annotations

import contextlib
import json
import shlex
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from stsenv.errors import UsageError

WAIT_NOTICE_SECONDS = 3.0
_STILL_EXPIRED = "refreshed credentials are still expired"


def chain(start: str | None, profiles: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """The profile and the profiles its source_profile chain leads to, in order, each once."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    name = start or "default"
    while name not in (n for n, _ in found):
        profile = profiles.get(name)
        if not isinstance(profile, dict):
            break
        found.append((name, profile))
        source = profile.get("source_profile")
        if not isinstance(source, str) or not source:
            break
        name = source
    return found


def program_of(command: str) -> str:
    """The program of a credential_process line (botocore splits it as a POSIX shell
    would); never its arguments, which may hold anything."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return (words[0] if words else command)[:120]


@contextlib.contextmanager
def running(start: str | None, profiles: Mapping[str, Any]) -> Iterator[None]:
    """Around botocore's get_credentials() / get_frozen_credentials() for profile `start`
    (None: the default profile)."""
    links = chain(start, profiles)
    processes = [
        (n, program_of(str(p["credential_process"])))
        for n, p in links
        if p.get("credential_process")
    ]
    timer = None
    if processes:
        name, program = processes[0]
        timer = threading.Timer(WAIT_NOTICE_SECONDS, _notice, (program, name))
        timer.daemon = True
        timer.start()
    try:
        yield
    except FileNotFoundError as e:
        raise _missing(str(e.filename), links, processes) from None
    except PermissionError as e:
        raise UsageError(
            f"{_who(links, processes)}: {e.filename} cannot be run or read ({e.strerror})"
        ) from None
    except json.JSONDecodeError as e:
        raise UsageError(
            f"{_who(links, processes)}: its credential_process printed something that is not "
            f"JSON (line {e.lineno}, column {e.colno}); run the program by hand to see"
        ) from None
    except RuntimeError as e:
        if _STILL_EXPIRED not in str(e):
            raise
        raise UsageError(
            f"{_who(links, processes)} gave credentials whose Expiration has already passed: "
            "the program must print fresh credentials"
        ) from None
    finally:
        if timer is not None:
            timer.cancel()


def _who(links: list[tuple[str, Mapping[str, Any]]], processes: list[tuple[str, str]]) -> str:
    name = processes[0][0] if processes else (links[0][0] if links else "default")
    return f"AWS profile {name!r}"


def _missing(
    filename: str, links: list[tuple[str, Mapping[str, Any]]], processes: list[tuple[str, str]]
) -> UsageError:
    for name, program in processes:
        if program == filename or program.rsplit("/", 1)[-1] == filename:
            return UsageError(
                f"AWS profile {name!r}: its credential_process program {program!r} is not "
                "installed (not found on PATH): install it, or fix credential_process"
            )
    for name, profile in links:
        if profile.get("web_identity_token_file") == filename:
            return UsageError(
                f"AWS profile {name!r}: its web_identity_token_file {filename!r} does not exist "
                "(it is written where the role runs, e.g. in an EKS pod, not on this machine)"
            )
    return UsageError(f"{_who(links, processes)}: {filename!r} does not exist")


def _notice(program: str, profile: str) -> None:
    print(
        f"stsenv: waiting for {program!r}, the credential_process of AWS profile {profile!r} "
        "(Ctrl-C stops it)",
        file=sys.stderr,
        flush=True,
    )
