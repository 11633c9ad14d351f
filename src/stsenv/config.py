"""stsenv's own config file: `[roles.<alias>]` tables in config.toml (stdlib only).

    [roles.s3Full]
    role_name = "s3FullforAssumeRole"     # or role_arn = "arn:aws:iam::123456789012:role/..."
    source_profile = "taro-prjZ"
    duration = "60m"

Every mistake (not TOML, unknown key, wrong type) is a UsageError naming the file and line.
"""

from __future__ import annotations

import sys

from stsenv.errors import StsenvError, UsageError
from stsenv.limits import REGION, ROLE_ARN, ROLE_NAME, parse_duration, validate_session_name

TYPE_CHECKING = False  # docs/DESIGN.md, "Changing the house": TAB completion imports this
if TYPE_CHECKING:
    from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]

_MAX_CONFIG_BYTES = 1 << 20  # a config bigger than 1 MiB is a mistake, not a config
_KEYS = (
    "role_arn",
    "role_name",
    "source_profile",
    "duration",
    "session_name",
    "mfa_serial",
    "external_id",
    "region",
)


class RoleAlias:
    """One [roles.<alias>] table (a plain class: config.py is on the cold path only, but
    there is no need for dataclasses here)."""

    __slots__ = ("alias", *_KEYS)

    def __init__(self, alias: str, **values: str) -> None:
        self.alias = alias
        for key in _KEYS:
            setattr(self, key, values.get(key))

    alias: str
    role_arn: str | None
    role_name: str | None
    source_profile: str | None
    duration: str | None
    session_name: str | None
    mfa_serial: str | None
    external_id: str | None
    region: str | None


def load_aliases(path: str) -> dict[str, RoleAlias]:
    """The aliases of config.toml; a missing file simply means no aliases."""
    try:
        with open(path, "rb") as f:
            raw = f.read(_MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise UsageError(f"config {path}: cannot be read ({e.strerror})") from None
    if len(raw) > _MAX_CONFIG_BYTES:
        raise UsageError(f"config {path}: larger than 1 MiB, is it the right file?")
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise UsageError(f"config {path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        # tomllib puts "(at line N, column M)" in its message; keep it, it is the useful part.
        raise UsageError(f"config {path}: not valid TOML: {e}") from None
    return _parse(path, text, data)


def _parse(path: str, text: str, data: dict[str, Any]) -> dict[str, RoleAlias]:
    def fail(what: str, alias: str | None = None, key: str | None = None) -> UsageError:
        line = _line_of(text, f"roles.{alias}" if alias is not None else None, key)
        where = f"config {path}, line {line}" if line else f"config {path}"
        return UsageError(f"{where}: {what}")

    for key in data:
        if key != "roles":
            raise fail(
                f"unknown setting {key[:40]!r} (only [roles.<alias>] tables are known)", None, key
            )
    roles = data.get("roles", {})
    if not isinstance(roles, dict):
        raise fail("'roles' must be a table of [roles.<alias>] tables")
    aliases: dict[str, RoleAlias] = {}
    for alias, table in roles.items():
        if not alias.isprintable():
            # `stsenv roles` and the prompt print aliases: no terminal escapes, no newlines.
            # (`/` is allowed: an alias `a/b` wins over the ACCOUNT/ROLE target `a/b`.)
            line = _line_of_alias(text, alias)
            where = f"config {path}, line {line}" if line else f"config {path}"
            raise UsageError(
                f"{where}: role alias {alias[:40]!a} has control characters; "
                "aliases must be printable text"
            )
        if not isinstance(table, dict):
            line = _line_of(text, "roles", alias)
            where = f"config {path}, line {line}" if line else f"config {path}"
            raise UsageError(f"{where}: [roles.{alias[:40]}] must be a table")
        if not alias or len(alias) > 64:
            raise fail("a role alias must be 1 to 64 characters long", alias)
        values: dict[str, str] = {}
        for key, value in table.items():
            if key not in _KEYS:
                raise fail(
                    f"unknown key {key[:40]!r} in [roles.{alias[:40]}] (known: {', '.join(_KEYS)})",
                    alias,
                    key,
                )
            if key == "duration" and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # bare seconds, like duration = 3600
            if not isinstance(value, str):
                raise fail(f"{key} in [roles.{alias[:40]}] must be a string", alias, key)
            values[key] = value
        if ("role_arn" in values) == ("role_name" in values):
            raise fail(f"[roles.{alias[:40]}] needs exactly one of role_arn or role_name", alias)
        for key, value in values.items():
            try:
                _check_value(key, value)
            except StsenvError as e:
                raise fail(e.message, alias, key) from None
        aliases[alias] = RoleAlias(alias=alias, **values)
    return aliases


def _check_value(key: str, value: str) -> None:
    if key == "role_arn" and not ROLE_ARN.match(value):
        raise UsageError(f"role_arn {value[:80]!r} is not a role ARN")
    if key == "role_name" and not ROLE_NAME.match(value):
        raise UsageError(f"role_name {value[:80]!r} is not a valid role name")
    if key == "duration":
        parse_duration(value)
    if key == "session_name":
        validate_session_name(value)
    if not value or len(value) > 2048 or not value.isprintable():
        raise UsageError(f"{key} must be non-empty printable text")
    if key == "region" and not REGION.match(value):
        raise UsageError(f"region {value[:40]!r} is not an AWS region name (like ap-northeast-1)")


check_value = _check_value  # a project file's settings are checked as an alias's (project.py)


def _line_of_alias(text: str, alias: str) -> int | None:
    """The line of the [roles.<alias>] header, or of `<alias> = ...` under [roles], found by
    parsing each candidate line (an alias written with TOML escapes does not match as text)."""
    in_roles = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_roles = stripped.replace(" ", "") == "[roles]"
            candidate = stripped
        elif in_roles and "=" in stripped:
            candidate = "[roles]\n" + stripped
        else:
            continue
        try:
            roles = tomllib.loads(candidate).get("roles")
        except tomllib.TOMLDecodeError:
            continue
        if isinstance(roles, dict) and alias in roles:
            return number
    return None


def _line_of(text: str, table: str | None, key: str | None) -> int | None:
    """Best-effort line of `key` in [table] (table None: top level), else of the table's
    header (tomllib reports lines only for syntax errors)."""
    current: str | None = None
    header_line: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.split("#", 1)[0].strip().strip("[]")
            current = current.replace('"', "").replace("'", "").replace(" ", "")
            if table is not None and current == table:
                header_line = number
            if table is None and key is not None and current.split(".")[0] == key:
                return number
            continue
        if "=" not in stripped:
            continue
        name = stripped.split("=", 1)[0].strip().strip("\"'")
        if current == table and name == key:
            return number
    return header_line
