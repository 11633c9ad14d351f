"""Small, exact edits of the AWS config and shared credentials files for `stsenv keys`:
remove a profile's key lines, add or remove its credential_process line. Every other byte
(comments, other profiles, order, line endings) stays as it was; the file is replaced in one
atomic rename from a temporary file in its own directory that only ever holds the new text,
so no copy of the old file (and of its secret) is left behind. Standard library only:
botocore reads these files, this module only edits lines.
"""

from __future__ import annotations

import os
import re
import stat

from stsenv import tidy
from stsenv.errors import UsageError

KEY_OPTIONS = (
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
)
_OPTION = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*[=:]")


def _lines(path: str) -> list[str] | None:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read().splitlines(keepends=True)
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise UsageError(
            f"{path} is not UTF-8 text (encoding), so stsenv cannot edit it or look into it: "
            "save it as UTF-8"
        ) from None


def _section_name(line: str) -> str | None:
    text = line.strip()
    if text.startswith("[") and text.endswith("]"):
        return text[1:-1].strip()
    return None


def _is_profile(section: str, profile: str, config: bool) -> bool:
    if not config:
        return section == profile
    words = section.split()
    if profile == "default" and section == "default":
        return True
    return len(words) == 2 and words[0] == "profile" and words[1] == profile


def _spans(lines: list[str], profile: str, config: bool) -> list[tuple[int, int]]:
    """(first line after the header, end) of every section of `profile`."""
    spans, start = [], None
    for number, line in enumerate(lines):
        name = _section_name(line)
        if name is None:
            continue
        if start is not None:
            spans.append((start, number))
            start = None
        if _is_profile(name, profile, config):
            start = number + 1
    if start is not None:
        spans.append((start, len(lines)))
    return spans


def _option(line: str) -> str | None:
    if line[:1] in (" ", "\t"):
        return None  # a continuation line
    found = _OPTION.match(line)
    return found.group(1).lower() if found else None


def _drop(lines: list[str], profile: str, config: bool, names: tuple[str, ...]) -> list[str]:
    drop: set[int] = set()
    for start, end in _spans(lines, profile, config):
        number = start
        while number < end:
            if _option(lines[number]) in names:
                drop.add(number)
                number += 1
                while number < end and lines[number][:1] in (" ", "\t") and lines[number].strip():
                    drop.add(number)  # its continuation lines
                    number += 1
                continue
            number += 1
    return [line for number, line in enumerate(lines) if number not in drop]


def has_key_lines(path: str, profile: str, config: bool) -> bool:
    lines = _lines(path)
    return lines is not None and _drop(lines, profile, config, KEY_OPTIONS) != lines


def remove_key_lines(path: str, profile: str, config: bool) -> bool:
    """Remove the key lines of `profile` from the file; whether there were any."""
    lines = _lines(path)
    if lines is None:
        return False
    kept = _drop(lines, profile, config, KEY_OPTIONS)
    if kept == lines:
        return False
    replace(path, "".join(kept))
    return True


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
    for start, end in _spans(lines, profile, True):
        for line in lines[start:end]:
            found = _OPTION.match(line)
            if found and _option(line) == option:
                return line[found.end() :].strip()
    return None


def set_credential_process(path: str, profile: str, command: str) -> bool:
    """Put `credential_process = command` in the profile's section of the AWS config (the
    section is added at the end when there is none). False when it was there already."""
    lines = _lines(path) or []
    spans = _spans(lines, profile, True)
    current = credential_process_of(path, profile)
    if current == command:
        return False
    line_end = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    new_line = f"credential_process = {command}{line_end}"
    if current is not None:
        lines = _drop(lines, profile, True, ("credential_process",))
        spans = _spans(lines, profile, True)
    if spans:
        lines.insert(spans[0][0], new_line)
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += line_end
        header = "[default]" if profile == "default" else f"[profile {profile}]"
        lines += ([line_end] if lines else []) + [f"{header}{line_end}", new_line]
    replace(path, "".join(lines))
    return True


def remove_credential_process(path: str, profile: str) -> bool:
    lines = _lines(path)
    if lines is None:
        return False
    kept = _drop(lines, profile, True, ("credential_process",))
    if kept == lines:
        return False
    replace(path, "".join(kept))
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
