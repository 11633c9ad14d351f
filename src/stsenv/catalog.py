"""What can be assumed: stsenv's aliases and the AWS config's role profiles, with their
source, duration and the state of their session (active here, cached, or none), read
without a network call. Used by `roles`, the picker of a bare `stsenv use`, TAB completion
and `doctor`."""

from __future__ import annotations

import os

from stsenv.errors import NotActive, StsenvError, UsageError
from stsenv.limits import DEFAULT_DURATION, parse_duration
from stsenv.model import UseRequest
from stsenv.settings import EXPIRY_VAR, ROLE_VAR, aws_config_paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

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
    from stsenv.activation import source_env
    from stsenv.aws import cache, profiles
    from stsenv.config import load_aliases

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

    env = source_env(environ)
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
    from stsenv import terminal

    entries = list_roles(environ, settings, now)
    if not os.isatty(0):  # run by a script: never wait for someone to type
        names = ", ".join(e.name for e in entries[:12]) or "none configured"
        raise UsageError(f"give a target: `stsenv use TARGET` (configured: {names})")
    if not entries:
        raise no_roles(settings)
    choices = [(e.name, f"{e.kind}: {e.role}; {session_text(e)}") for e in entries]
    chosen = terminal.pick(choices)
    if chosen is None:
        raise UsageError("give a target: `stsenv use TARGET` (no terminal to pick on)")
    return chosen


# --- names for TAB completion (no botocore: this runs at every TAB) ---------------------------


def role_targets(environ: Mapping[str, str], settings: Settings) -> list[tuple[str, str]]:
    """What `stsenv use` takes by name: stsenv's aliases, then the AWS role profiles."""
    from stsenv.config import load_aliases

    targets: dict[str, str] = {}
    try:
        for name, alias in load_aliases(settings.config_file).items():
            targets[name] = f"alias: {alias.role_arn or alias.role_name}"
    except StsenvError:
        pass  # `stsenv doctor` says what is wrong with the file; TAB only offers less
    for name, profile in aws_profile_sections(environ).items():
        role_arn = profile.get("role_arn")
        if role_arn and name not in targets:
            targets[name] = f"profile: {role_arn}"
    return sorted(targets.items())


def aws_profile_sections(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The AWS profiles by name, with their settings, read from the config file
    (`[profile NAME]`, `[default]`) and the credentials file (`[NAME]`) the way botocore's
    configloader names them. Not botocore itself: importing it costs ~150 ms, at every TAB.
    Unreadable or broken files give no profiles."""
    import configparser

    profiles: dict[str, dict[str, str]] = {}
    config, credentials = aws_config_paths(environ)
    for path, is_config in ((config, True), (credentials, False)):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError, OSError):
            continue
        for section in parser.sections():
            name = _profile_name(section) if is_config else section
            if name is not None:
                profiles.setdefault(name, {}).update(parser.items(section))
    return profiles


def _profile_name(section: str) -> str | None:
    if section == "default":
        return section
    kind, _space, name = section.partition(" ")
    name = name.strip().strip("\"'")
    return name if kind == "profile" and name else None
