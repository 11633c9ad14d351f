"""What can be assumed: stsenv's aliases and the AWS config's role profiles, with their
source, duration and the state of their session (active here, cached, or none), read
without a network call; and the picker `stsenv use` offers when no TARGET is given."""

from __future__ import annotations

import os

from stsenv.errors import NotActive, UsageError
from stsenv.model import DEFAULT_DURATION, UseRequest, parse_duration
from stsenv.settings import EXPIRY_VAR, ROLE_VAR

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import IO

    from stsenv.settings import Settings


class RoleEntry:
    __slots__ = ("active", "duration", "kind", "minutes_left", "name", "role", "source")

    def __init__(
        self, name: str, kind: str, role: str, source: str, duration: int | None
    ) -> None:
        self.name = name  # what `stsenv use` takes
        self.kind = kind  # "alias" (config.toml) or "profile" (AWS config)
        self.role = role  # role ARN, or a role name still to resolve
        self.source = source  # where the credentials that assume it come from
        self.duration = duration  # seconds, None when the configured value is not valid
        self.minutes_left: int | None = None  # of the active or cached session
        self.active = False  # the role active in this shell

    def as_json(self) -> dict[str, object]:
        fields = ("name", "kind", "role", "source", "duration", "active", "minutes_left")
        return {name: getattr(self, name) for name in fields}


def _duration(text: object) -> int | None:
    try:
        return parse_duration(str(text)) if text is not None else DEFAULT_DURATION
    except UsageError:
        return None


def list_roles(environ: Mapping[str, str], settings: Settings, now: int) -> list[RoleEntry]:
    from stsenv.aws import cache, profiles
    from stsenv.config import load_aliases
    from stsenv.elsewhere import source_env

    aliases = load_aliases(settings.config_file)
    entries = [
        RoleEntry(
            name,
            "alias",
            alias.role_arn or alias.role_name or "",
            alias.source_profile or "default credentials",
            _duration(alias.duration),
        )
        for name, alias in sorted(aliases.items())
    ]
    for name, profile in sorted(profiles.role_profiles().items()):
        if name in aliases:
            continue  # `use NAME` takes the alias: list what it would assume
        source = profile.get("source_profile") or (
            f"credential_source {profile.get('credential_source')}"
            if profile.get("credential_source") else "none")  # fmt: skip
        entries.append(RoleEntry(name, "profile", str(profile["role_arn"]), str(source),
                                 _duration(profile.get("duration_seconds"))))  # fmt: skip

    env = source_env(dict(environ))
    active, expiry = environ.get(ROLE_VAR), environ.get(EXPIRY_VAR, "")
    for entry in entries:
        if entry.name == active and expiry.isdigit() and int(expiry) > now:
            entry.active, entry.minutes_left = True, (int(expiry) - now) // 60
            continue
        key = cache.fingerprint(UseRequest(entry.name), env, settings)
        cached = cache.load_session(settings, key, now)
        if cached is not None:
            entry.minutes_left = (cached.credentials.expiration - now) // 60
    return entries


def session_text(entry: RoleEntry) -> str:
    if entry.minutes_left is None:
        return "-"
    return f"{'active' if entry.active else 'cached'}, {entry.minutes_left}m left"


def table(entries: list[RoleEntry]) -> list[str]:
    rows = [("NAME", "KIND", "ROLE", "SOURCE", "DURATION", "SESSION")]
    for e in entries:
        duration = f"{e.duration // 60}m" if e.duration else "invalid"
        rows.append((e.name, e.kind, e.role, e.source, duration, session_text(e)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]


def no_roles(settings: Settings) -> NotActive:
    return NotActive(
        f"no roles configured: add a [roles.NAME] table to {settings.config_file} or a "
        "profile with role_arn to your AWS config"
    )


# --- the picker ------------------------------------------------------------------------------


def pick_target(environ: Mapping[str, str], settings: Settings, now: int) -> str:
    """`stsenv use` without TARGET: choose on the terminal (never on stdout, which the hook
    evals); without a terminal, one line that says which targets exist."""
    entries = list_roles(environ, settings, now)
    if not os.isatty(0):  # run by a script: never wait for someone to type
        names = ", ".join(e.name for e in entries[:12]) or "none configured"
        raise UsageError(f"give a target: `stsenv use TARGET` (configured: {names})")
    if not entries:
        raise no_roles(settings)
    try:
        # Two streams: a terminal is not seekable, so open(..., "r+") cannot be used.
        with (
            open("/dev/tty", "w", encoding="utf-8") as out,
            open("/dev/tty", encoding="utf-8") as tty,
        ):
            return _choose(entries, tty, out)
    except OSError:
        raise UsageError("give a target: `stsenv use TARGET` (no terminal to pick on)") from None


def _choose(entries: list[RoleEntry], tty: IO[str], out: IO[str]) -> str:
    shown = entries
    while True:
        for number, entry in enumerate(shown, start=1):
            out.write(f"  {number:>2}) {entry.name}  ({entry.kind}: {entry.role}; "
                      f"{session_text(entry)})\n")  # fmt: skip
        out.write("role (number, or text to filter; empty to cancel)> ")
        out.flush()
        answer = tty.readline()
        if not answer:
            raise KeyboardInterrupt  # end of input: nothing chosen
        text = answer.strip()
        if not text:
            raise NotActive("no role chosen; nothing was changed")
        if text.isdigit() and 1 <= int(text) <= len(shown):
            return shown[int(text) - 1].name
        matches = [e for e in entries if text.lower() in e.name.lower()]
        if len(matches) == 1:
            return matches[0].name
        if not matches:
            out.write(f"no role matches {text!r}\n")
        shown = matches or entries
