"""Plain data shared by the CLI, the session logic and the AWS side (stdlib only)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stsenv.errors import UsageError

MIN_DURATION = 15 * 60
MAX_DURATION = 12 * 60 * 60
DEFAULT_DURATION = 60 * 60
CHAINED_MAX_DURATION = 60 * 60

_DURATION = re.compile(r"^\s*(\d+)\s*([smh]?)\s*$", re.IGNORECASE)
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$", re.ASCII)


def parse_duration(text: str) -> int:
    """`15m`, `1h`, `3600`, `3600s` -> seconds, within STS's 15 min .. 12 h."""
    m = _DURATION.match(text) if len(text) < 32 else None
    if not m:
        raise UsageError(
            f"duration {text[:40]!r} is not understood: "
            "use minutes (45m), hours (1h) or seconds (3600)"
        )
    seconds = int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2).lower()]
    if not MIN_DURATION <= seconds <= MAX_DURATION:
        raise UsageError(
            f"duration {text!r} is out of range: AWS allows 15m to 12h for a role session"
        )
    return seconds


def validate_session_name(name: str) -> str:
    if not _SESSION_NAME.match(name):
        raise UsageError(
            f"session name {name[:80]!r} is not valid: AWS allows 2-64 characters of "
            "letters, digits and +=,.@_-"
        )
    return name


def default_session_name(role_name: str) -> str:
    """The tutorial's `${ROLE}-session`, squeezed into STS's rules."""
    cleaned = re.sub(r"[^\w+=,.@-]", "-", role_name, flags=re.ASCII)
    suffix = "-session"
    return (cleaned[: 64 - len(suffix)] + suffix) if cleaned else "stsenv-session"


@dataclass(frozen=True)
class UseRequest:
    """What the user asked for with `stsenv use` (options not given are None)."""

    target: str
    duration: str | None = None
    session_name: str | None = None
    profile: str | None = None
    region: str | None = None
    mfa_serial: str | None = None
    token_code: str | None = None
    external_id: str | None = None
    refresh: bool = False


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: int  # epoch seconds, UTC


@dataclass(frozen=True)
class RoleSession:
    """An assumed role: what `use` exports and what the cache stores."""

    display_name: str  # shown in the prompt: the alias, profile or role name the user typed
    role_arn: str  # arn:aws:iam::123456789012:role/path/name
    assumed_role_arn: str  # arn:aws:sts::123456789012:assumed-role/name/session
    credentials: Credentials
    region: str | None  # exported as AWS_REGION and AWS_DEFAULT_REGION when set
    duration: int  # seconds asked for
    issued_at: int  # epoch seconds when it was assumed
