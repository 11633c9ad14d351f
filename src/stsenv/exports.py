"""Credentials written for other tools: `stsenv export --format ...` and the
`credential_process` JSON. Shell quoting comes from stsenv.shells (one place for it)."""

from __future__ import annotations

import json
import re

from stsenv.envchange import credential_values, rfc3339
from stsenv.errors import UsageError
from stsenv.spec import EXPORT_FORMATS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from stsenv.model import Credentials

FORMATS = EXPORT_FORMATS  # the one list, in spec.py: `--format`'s values and help too
_PLAIN = re.compile(r"[A-Za-z0-9_/+=:.@-]*")  # needs no quoting in a .env or a shell


def variables(creds: Credentials) -> dict[str, str]:
    """What every format carries: the tutorial's three, plus the expiry the SDKs read
    (the names and values `use` sets, from envchange)."""
    return credential_values(creds)


def check_format(name: str) -> str:
    if name not in FORMATS:
        raise UsageError(f"unknown format {name[:40]!r}: use one of {', '.join(FORMATS)}")
    return name


def render(name: str, creds: Credentials) -> str:
    from stsenv import shells
    from stsenv.shells import posix, powershell

    values = variables(creds)
    if name == "json":
        return json.dumps(values, indent=2) + "\n"
    if name == "env":
        # The tutorial's `.env` lines, which `source s3Full.env` reads: POSIX quoting only
        # where a value needs it (STS's values never do).
        lines = [f"export {k}={_maybe(v, posix.quote)}" for k, v in values.items()]
    elif name == "dotenv":
        # docker --env-file and python-dotenv: NAME=VALUE, with no quotes to strip.
        lines = [f"{k}={_dotenv(v)}" for k, v in values.items()]
    elif name == "powershell":
        lines = [f"$Env:{k} = {powershell.quote(v)}" for k, v in values.items()]
    elif name == "fish":
        quote = shells.get("fish").quote
        lines = [f"set -gx {k} {quote(v)}" for k, v in values.items()]
    else:
        quote = shells.get(check_format(name)).quote
        lines = [f"export {k}={quote(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def credential_process(creds: Credentials) -> str:
    """https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sourcing-external.html"""
    return json.dumps(
        {
            "Version": 1,
            "AccessKeyId": creds.access_key_id,
            "SecretAccessKey": creds.secret_access_key,
            "SessionToken": creds.session_token,
            "Expiration": rfc3339(creds.expiration),
        }
    )


def _maybe(value: str, quote: Callable[[str], str]) -> str:
    return value if _PLAIN.fullmatch(value) else quote(value)


def _dotenv(value: str) -> str:
    if not _PLAIN.fullmatch(value):
        # A .env file has no quoting every reader agrees on; STS never sends such a value.
        raise UsageError("a credential holds characters a .env file cannot carry: use json")
    return value
