"""The AWS config and credentials files read exactly as botocore reads them, with the
standard library only: TAB completion, the picker, `roles` and `doctor` must not pay
~150 ms for importing botocore at every keystroke, yet must offer exactly the names that
botocore's own parsing yields.

This follows botocore.configloader (raw_config_parse, _parse_nested, _parse_section,
build_profile_map) and botocore.session.Session.full_config rule by rule: the same
configparser.RawConfigParser in its default (strict) mode and with the same text encoding,
the same shlex split of section names (`[profile<TAB>x]` is profile "x";
`[profile "a" "b"]` and `[profile "open]` are no profile at all), later sections replacing
earlier ones of the same name (`[default]`, then `[profile default]`), the credentials
file's keys laid over the config file's. tests/aws/test_config_corpus.py proves the result
equal to botocore's over a corpus of public configs (tests/config_corpus/).

A file botocore refuses to parse is refused here too, with the line and the reason
(configparser knows them; botocore's ConfigParseError keeps only the path).
"""

from __future__ import annotations

import configparser
import os
import shlex

from stsenv.errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    Sections = dict[str, dict[str, Any]]


def full_config(
    config_path: str, credentials_path: str, credentials: Sections | None = None
) -> dict[str, Any]:
    """botocore's Session.full_config: {"profiles": ..., "sso_sessions": ..., "services":
    ..., other sections by name}; a missing config file gives {"profiles": {}} as in
    botocore. UsageError (line and reason) for a file botocore cannot parse.
    `credentials`: the credentials file's raw_sections, when the caller has them."""
    raw = raw_sections(config_path, "config")
    config: dict[str, Any] = {"profiles": {}} if raw is None else profile_map(raw)
    profiles = config["profiles"]
    if credentials is None:
        credentials = raw_sections(credentials_path, "credentials") or {}
    for name, values in credentials.items():
        if name in profiles:
            profiles[name].update(values)
        else:
            profiles[name] = dict(values)
    return config


def raw_sections(path: str, which: str) -> Sections | None:
    """configloader.raw_config_parse (with nested values parsed); None when there is no
    such file (botocore's ConfigNotFound)."""
    if not os.path.isfile(path):
        return None
    parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except (configparser.Error, UnicodeDecodeError) as e:
        raise parse_error(path, which, e) from None
    sections: Sections = {}
    for section in parser.sections():
        values: dict[str, Any] = {}
        for option in parser.options(section):
            value = parser.get(section, option)
            if value.startswith("\n"):
                nested = _nested(value)
                if nested is None:  # botocore: ValueError from its unpacking
                    raise parse_error(path, which, ValueError(option))
                values[option] = nested
            else:
                values[option] = value
        sections[section] = values
    return sections


def _nested(value: str) -> dict[str, str] | None:
    parsed = {}
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        key, eq, rest = line.partition("=")
        if not eq:
            return None  # botocore: ValueError from the unpacking, a ConfigParseError
        parsed[key.strip()] = rest.strip()
    return parsed


def profile_map(raw: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """configloader.build_profile_map."""
    profiles: Sections = {}
    sso_sessions: Sections = {}
    services: Sections = {}
    final: dict[str, Any] = {}
    for key, values in raw.items():
        values = {k: dict(v) if isinstance(v, dict) else v for k, v in values.items()}
        if key.startswith("profile"):
            profiles.update(_section(key, values))
        elif key.startswith("sso-session"):
            sso_sessions.update(_section(key, values))
        elif key.startswith("services"):
            services.update(_section(key, values))
        elif key == "default":
            profiles[key] = values
        else:
            final[key] = values
    final["profiles"] = profiles
    final["sso_sessions"] = sso_sessions
    final["services"] = services
    return final


def _section(key: str, values: dict[str, Any]) -> Sections:
    """configloader._parse_section: `kind NAME` split as a shell would; anything but two
    words (or an open quote) names nothing."""
    if any(c in key for c in _SHLEX_SPECIAL):
        try:
            parts = shlex.split(key)
        except ValueError:
            return {}
    else:  # what shlex.split gives, ~40x faster: it splits at these four blanks only
        parts = key.translate(_BLANKS).split(" ")
        parts = [part for part in parts if part]
    return {parts[1]: values} if len(parts) == 2 else {}


_SHLEX_SPECIAL = "\\'\""  # shlex's escape and quotes (POSIX mode, no comments in split)
_BLANKS = str.maketrans("\t\r\n", "   ")


# --- why a file cannot be parsed ----------------------------------------------------------------


def parse_error(path: str, which: str, error: BaseException) -> UsageError:
    """One line for what configparser (through botocore or here) refused: the file, the
    line and the reason, "encoding" when it is one."""
    return UsageError(f"the AWS {which} file {path} cannot be parsed: {reason(path, error)}")


def reason(path: str, error: BaseException) -> str:
    """Never the text of a line: in the credentials file a line may be a secret (a key's
    value continued on the next line, say), and this reason goes to stderr and CI logs."""
    if isinstance(error, UnicodeDecodeError):
        return _encoding_reason(error)
    if isinstance(error, configparser.DuplicateSectionError):
        return f"line {error.lineno}: section [{error.section}] appears twice"
    if isinstance(error, configparser.DuplicateOptionError):
        return f"line {error.lineno}: {error.option!r} appears twice in [{error.section}]"
    if isinstance(error, configparser.MissingSectionHeaderError):
        if str(error.line).startswith("\ufeff"):
            return "it starts with a byte order mark (encoding: save it as UTF-8 without BOM)"
        return f"line {error.lineno} comes before any [section] header"
    if isinstance(error, configparser.ParsingError) and error.errors:
        lineno = error.errors[0][0]
        more = f" (and {len(error.errors) - 1} more lines)" if len(error.errors) > 1 else ""
        return f"line {lineno} is neither `key = value` nor a [section]{more}"
    if isinstance(error, ValueError):  # configloader._parse_nested
        return "an indented line under a key is not `key = value`"
    return f"{type(error).__name__} (botocore's configparser)"


def _encoding_reason(error: UnicodeDecodeError) -> str:
    data = error.object
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "it is UTF-16 text (encoding: save it as UTF-8)"
    line = data[: error.start].count(b"\n") + 1
    byte = data[error.start] if error.start < len(data) else 0
    return (
        f"line {line}: byte 0x{byte:02x} is not {error.encoding} text "
        "(encoding: save the file as UTF-8)"
    )


# --- the line structure, for exact edits (aws/awsfiles.py) ------------------------------------


class Line:
    """What configparser makes of one line of the file: a section header (`section` is its
    raw name), the first line of an option (`option`, lower-cased as optionxform does, in
    `section`), a continuation of the option above, or nothing (blank or comment)."""

    __slots__ = ("indent", "kind", "option", "section")

    def __init__(self, kind: str, section: str | None, option: str | None, indent: int) -> None:
        self.kind = kind  # "section", "option", "continuation" or "other"
        self.section = section
        self.option = option
        self.indent = indent


def line_structure(lines: list[str]) -> list[Line]:
    """configparser.RawConfigParser._read's walk, line by line, in its default mode (the one
    botocore uses): full-line comments only (# and ;), no inline comments, blank lines kept in
    values, `=` or `:` as delimiters, a line indented deeper than its option's first line
    continues it, SECTCRE applied with .match (so `[prod] # note` is section `prod`). A
    line configparser would refuse is "other" here: callers parse the file first
    (raw_sections), so such a file never gets this far. tests/aws/test_config_corpus.py
    proves this walk gives configparser's own sections and options over the corpus."""
    parser = configparser.RawConfigParser
    walked: list[Line] = []
    section: str | None = None
    option: str | None = None
    indent_level = 0
    for line in lines:
        text = line.strip()
        first = parser.NONSPACECRE.search(line)
        indent = first.start() if first else 0
        if not text or text.startswith(("#", ";")):
            walked.append(Line("other", section, option, indent))
            continue
        if section is not None and option and indent > indent_level:
            walked.append(Line("continuation", section, option, indent))
            continue
        indent_level = indent
        header = parser.SECTCRE.match(text)
        if header:
            section, option = header.group("header"), None
            walked.append(Line("section", section, None, indent))
            continue
        found = parser.OPTCRE.match(text) if section is not None else None
        if found and found.group("option"):
            option = found.group("option").rstrip().lower()
            walked.append(Line("option", section, option, indent))
        else:
            walked.append(Line("other", section, option, indent))
    return walked


def profile_of_section(section: str, config: bool) -> str | None:
    """The profile botocore reads from a section: build_profile_map's rules for the config
    file, the raw name for the credentials file; None for any other section."""
    if not config:
        return None if section == configparser.DEFAULTSECT else section
    if section.startswith("profile"):
        names = _section(section, {})
        return next(iter(names)) if names else None
    return "default" if section == "default" else None
