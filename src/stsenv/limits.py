"""AWS's rules for what a user may type: durations, session names, role ARNs and names,
regions. Checked before any network call (and before the cache is asked), so a wrong value
gets the same one line with or without a cached session."""

from __future__ import annotations

import re

from stsenv.errors import UsageError

MIN_DURATION = 15 * 60
MAX_DURATION = 12 * 60 * 60
DEFAULT_DURATION = 60 * 60
CHAINED_MAX_DURATION = 60 * 60

# `\Z`, not `$` (which also matches before a final newline), and ASCII classes (`\d` would
# take any script's digits): a value that passes here is exactly what AWS accepts.
ROLE_ARN = re.compile(
    r"^arn:aws[\w-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})\Z", re.ASCII
)
ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}\Z", re.ASCII)
# What IAM Identity Center may list: an account id, an account name (AWS Organizations: 1-50
# characters of printable ASCII), a permission set's role name (IAM's name rule).
ACCOUNT_ID = re.compile(r"^\d{12}\Z", re.ASCII)
ACCOUNT_NAME = re.compile(r"^[\x20-\x7e]{1,50}\Z")
REGION = re.compile(r"^(?![0-9]+\Z)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)\Z")  # botocore's own rule
_DURATION = re.compile(r"^\s*(\d+)\s*([smh]?)\s*\Z", re.IGNORECASE | re.ASCII)
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}\Z", re.ASCII)


def parse_duration(text: str, maximum: int = MAX_DURATION, what: str = "a role session") -> int:
    """`15m`, `1h`, `3600`, `3600s` -> seconds, within 15 min .. `maximum` (STS: 12 h)."""
    m = _DURATION.match(text) if len(text) < 32 else None
    if not m:
        raise UsageError(
            f"duration {text[:40]!r} is not understood: "
            "use minutes (45m), hours (1h) or seconds (3600)"
        )
    seconds = int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2).lower()]
    if not MIN_DURATION <= seconds <= maximum:
        raise UsageError(
            f"duration {text!r} is out of range: AWS allows 15m to {maximum // 3600}h for {what}"
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


def role_name_of(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]
