"""What the trust tests share: hostile text, a cached session planted where the real program
will find it, and a shell-independent way to set a baseline."""

from __future__ import annotations

import calendar
import shlex
import time
from pathlib import Path

from hypothesis import strategies as st

from stsenv.aws import cache
from stsenv.envchange import MANAGED_VARS
from stsenv.model import Credentials, RoleSession, UseRequest
from stsenv.settings import Settings

CANARY = "pwned"  # every injection below would create this file in the shell's directory
INJECTIONS = [
    "'",
    '"',
    "\\",
    "$(touch pwned)",
    "`touch pwned`",
    "'; touch pwned; '",
    "\\'; touch pwned; echo \\'",
    '"; touch pwned; "',
    "$HOME",
    "${HOME}",
    "$((1+1))",
    "%F{red}%~%n%(?..)",
    "!!",
    "!$",
    "\\w\\u\\$",
    "\n",
    "\r",
    "\t",
    "\x7f",
    "\x1b[31m",
    "caf\u00e9 \u65e5\u672c\u8a9e \u2603",
    "(touch pwned)",
    "; touch pwned",
    "&& touch pwned",
    "| touch pwned",
    "*",
    "~",
    "{a,b}",
]
# Environment strings cannot hold NUL; lone surrogates cannot be encoded at all.
_any_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)
_piece = st.one_of(_any_text, st.sampled_from(INJECTIONS))
hostile_text = st.one_of(
    st.lists(_piece, min_size=1, max_size=6).map("".join),
    # very long values, with a hostile tail (trailing backslash included)
    st.tuples(st.integers(1000, 20_000), st.sampled_from(INJECTIONS)).map(
        lambda n_tail: "k" * n_tail[0] + n_tail[1]
    ),
).filter(bool)
# What a prompt can show as text: printable, short enough not to wrap or be truncated.
printable_name = (
    st.lists(
        st.one_of(
            st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "S"]), max_size=8),
            st.sampled_from([i for i in INJECTIONS if i.isprintable()]),
        ),
        min_size=1,
        max_size=4,
    )
    .map("".join)
    .filter(lambda s: bool(s) and s.isprintable() and len(s) <= 60)
)


def rfc3339(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def epoch_of(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def program_env(shell_env: dict[str, str]) -> dict[str, str]:
    """The environment the hook hands the program: an empty managed name counts as unset."""
    return {k: v for k, v in shell_env.items() if not (k in MANAGED_VARS and v == "")}


def plant_session(
    shell_env: dict[str, str],
    target: str,
    *,
    display_name: str,
    key: str,
    secret: str,
    token: str,
    arn: str,
    region: str | None,
    expiration: int,
    duration: int = 3600,
) -> None:
    """A cached session for `stsenv use target` run from a shell whose environment is
    `shell_env`: the real program then prints these values as shell code."""
    env = program_env(shell_env)
    settings = Settings.from_env(env)
    fingerprint = cache.fingerprint(UseRequest(target), env, settings)
    session = RoleSession(
        display_name=display_name,
        role_arn="arn:aws:iam::123456789012:role/planted",
        assumed_role_arn=arn,
        credentials=Credentials(key, secret, token, expiration),
        region=region,
        duration=duration,
    )
    cache.store_session(settings, fingerprint, session)
    assert cache.load_session(settings, fingerprint, int(time.time())) is not None


def fish_quote(value: str) -> str:
    """fish single quotes (written here again, independently of stsenv.shells.fish)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def baseline_script(kind: str, baseline: dict[str, str | None], path: Path) -> Path:
    """A file that sets each name to its value, or unsets it (None), in `kind`."""
    lines = []
    for name, value in baseline.items():
        if kind == "fish":
            lines.append(
                f"set -e -g {name}" if value is None else f"set -gx {name} {fish_quote(value)}"
            )
        else:
            lines.append(
                f"unset {name}" if value is None else f"export {name}={shlex.quote(value)}"
            )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


ROLE_ARN = "arn:aws:iam::123456789012:role/s3FullforAssumeRole"


def long_term_env(aws_world: object, aws_env: dict[str, str]) -> tuple[dict[str, str], str]:
    """aws_env with taro's long-term keys in the environment instead of a profile."""
    key, secret = aws_world.keys["taro"]  # type: ignore[attr-defined]
    env = {k: v for k, v in aws_env.items() if k != "AWS_PROFILE"}
    env.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret})
    return env, secret
