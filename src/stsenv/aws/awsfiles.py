"""Small, exact edits of the AWS config and shared credentials files for `stsenv keys`:
remove a profile's key lines, add or remove its credential_process line. Every other byte
(comments, other profiles, order, line endings) stays as it was; the file is replaced in one
atomic rename from a temporary file in its own directory that only ever holds the new text,
so no copy of the old file (and of its secret) is left behind. Standard library only:
botocore reads these files, this module only edits lines.
"""

from __future__ import annotations

import configparser
import io
import os
import stat

from stsenv import tidy
from stsenv.aws import configfile
from stsenv.errors import UsageError

KEY_OPTIONS = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
)


def _lines(path: str) -> list[str] | None:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return list(f)  # split where configparser splits (\n, \r\n, \r), ends kept
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise UsageError(
            f"{path} is not UTF-8 text (encoding), so stsenv cannot edit it or look into it: "
            "save it as UTF-8"
        ) from None


def _effective(walked: list[configfile.Line], profile: str, config: bool) -> str | None:
    """The raw name of the section botocore reads `profile` from (in the config file the
    last section that names it wins, as in build_profile_map)."""
    found = None
    for line in walked:
        if (
            line.kind == "section"
            and line.section is not None
            and configfile.profile_of_section(line.section, config) == profile
        ):
            found = line.section
    return found


def _drop(lines: list[str], profile: str, config: bool, names: tuple[str, ...]) -> list[str]:
    """The lines without the options `names` (and their continuation lines) of the section
    botocore reads `profile` from."""
    walked = configfile.line_structure(lines)
    section = _effective(walked, profile, config)
    if section is None:
        return lines
    return [
        text
        for text, line in zip(lines, walked, strict=True)
        if not (
            line.kind in ("option", "continuation")
            and line.section == section
            and line.option in names
        )
    ]


def _parsed(text: str) -> dict[str, dict[str, str]]:
    """Every section and option as configparser reads them ([DEFAULT] as a section of its
    own), to prove an edit changed exactly what it meant to."""
    parser = configparser.RawConfigParser(default_section="\0")
    parser.read_file(io.StringIO(text, newline=None))
    return {name: dict(parser.items(name, raw=True)) for name in parser.sections()}


def _checked(
    path: str, old: list[str], new: list[str], section: str, values: dict[str, str | None]
) -> str:
    """`new` as text, if configparser reads it as `old` with exactly `values` set (None:
    removed) in `section`; UsageError otherwise (nothing is written)."""
    text = "".join(new)
    try:
        expected = _parsed("".join(old))
        expected.setdefault(section, {})
        for option, value in values.items():
            if value is None:
                expected[section].pop(option, None)
            else:
                expected[section][option] = value
        ok = _parsed(text) == expected
    except configparser.Error:
        ok = False
    if not ok:
        changes = ", ".join(values)
        raise UsageError(
            f"stsenv cannot change {changes} of [{section}] in {path} without changing how "
            "the rest of the file reads (indentation): edit it by hand; nothing was changed"
        )
    return text


def _readable(path: str, config: bool) -> None:
    """A file botocore cannot parse is refused (line and reason), never edited."""
    configfile.raw_sections(path, "config" if config else "credentials")


def profiles_with_key_lines(path: str, config: bool) -> set[str]:
    """The profiles whose section (the one botocore reads them from) holds key lines, in
    one walk of the file (doctor asks this of every profile of a large config)."""
    lines = _lines(path)
    if lines is None:
        return set()
    walked = configfile.line_structure(lines)
    effective: dict[str, str] = {}  # profile -> the last section naming it, as _effective
    keyed: set[str] = set()
    for line in walked:
        if line.kind == "section" and line.section is not None:
            name = configfile.profile_of_section(line.section, config)
            if name is not None:
                effective[name] = line.section
        elif line.kind in ("option", "continuation") and line.option in KEY_OPTIONS:
            keyed.add(str(line.section))
    return {name for name, section in effective.items() if section in keyed}


def remove_key_lines(path: str, profile: str, config: bool) -> bool:
    """Remove the key lines of `profile` from the file; whether there were any."""
    lines = _lines(path)
    if lines is None:
        return False
    _readable(path, config)
    kept = _drop(lines, profile, config, KEY_OPTIONS)
    if kept == lines:
        return False
    section = _effective(configfile.line_structure(lines), profile, config)
    assert section is not None  # lines were dropped from it
    replace(path, _checked(path, lines, kept, section, dict.fromkeys(KEY_OPTIONS)))
    return True


def key_line_numbers(path: str, profile: str, config: bool) -> list[int]:
    """The numbers (from 1) of the lines that give `profile` a key in botocore's reading:
    key options of the profile's section and of [DEFAULT] (configparser gives those to
    every section)."""
    lines = _lines(path) or []
    walked = configfile.line_structure(lines)
    sections = {_effective(walked, profile, config), configparser.DEFAULTSECT}
    return [
        number
        for number, line in enumerate(walked, start=1)
        if line.kind in ("option", "continuation")
        and line.section in sections
        and line.option in KEY_OPTIONS[:2]
    ]


def credential_process_of(path: str, profile: str) -> str | None:
    return value_of(path, profile, "credential_process")


def value_of(path: str, profile: str, option: str) -> str | None:
    """One setting of a profile of the AWS config, read as lines (a quick look before
    botocore is imported; botocore's reading decides everything else, and names what is
    wrong with a file that is not UTF-8)."""
    try:
        lines = _lines(path) or []
    except UsageError:
        return None
    walked = configfile.line_structure(lines)
    section = _effective(walked, profile, True)
    for text, line in zip(lines, walked, strict=True):
        if line.kind == "option" and line.section == section and line.option == option:
            found = configparser.RawConfigParser.OPTCRE.match(text.strip())
            return found.group("value").strip() if found else None
    return None


def set_credential_process(path: str, profile: str, command: str) -> bool:
    """Put `credential_process = command` in the section botocore reads the profile from
    (a section is added at the end when there is none). False when it was there already."""
    lines = _lines(path) or []
    if lines:
        _readable(path, True)
    current = credential_process_of(path, profile)
    if current == command:
        return False
    line_end = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    old = lines
    if current is not None:
        lines = _drop(lines, profile, True, ("credential_process",))
    walked = configfile.line_structure(lines)
    section = _effective(walked, profile, True)
    if section is not None:
        at = next(
            n for n, line in enumerate(walked) if line.kind == "section" and line.section == section
        )
        # as indented as the section's first option, so that option stays an option
        indent = next(
            (
                line.indent
                for line in walked[at + 1 :]
                if line.kind == "option" and line.section == section
            ),
            walked[at].indent,
        )
        new_line = f"{' ' * indent}credential_process = {command}{line_end}"
        lines = [*lines[: at + 1], new_line, *lines[at + 1 :]]
    else:
        if lines and not lines[-1].endswith("\n"):
            lines = [*lines[:-1], lines[-1] + line_end]
        section = "default" if profile == "default" else f"profile {profile}"
        new_line = f"credential_process = {command}{line_end}"
        lines = lines + ([line_end] if lines else []) + [f"[{section}]{line_end}", new_line]
    replace(path, _checked(path, old, lines, section, {"credential_process": command}))
    return True


def remove_credential_process(path: str, profile: str) -> bool:
    lines = _lines(path)
    if lines is None:
        return False
    _readable(path, True)
    kept = _drop(lines, profile, True, ("credential_process",))
    if kept == lines:
        return False
    section = _effective(configfile.line_structure(lines), profile, True)
    assert section is not None
    replace(path, _checked(path, lines, kept, section, {"credential_process": None}))
    return True


def replace(path: str, text: str) -> None:
    """Write `text` over the file at `path` (through a symlink to its target) in one rename,
    keeping its permissions (0600 for a new file)."""
    import tempfile  # only writers pay for it

    target = os.path.realpath(path)
    directory = os.path.dirname(target) or "."
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o600
        os.makedirs(directory, mode=0o700, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".stsenv-")
    except OSError as e:
        raise UsageError(f"cannot write {path} ({e.strerror}); nothing was changed") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            os.fchmod(f.fileno(), mode)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        tidy.remove(tmp)
        raise
