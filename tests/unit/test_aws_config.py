"""stsenv's config.toml: what it accepts, and the file:line it names when it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from stsenv.config import load_aliases
from stsenv.errors import UsageError

GOOD = """\
# my roles
[roles.s3Full]
role_name = "s3FullforAssumeRole"
source_profile = "taro-prjZ"
duration = "60m"
session_name = "taro-s3"
mfa_serial = "arn:aws:iam::123456789012:mfa/taro"
external_id = "x"
region = "ap-northeast-1"

[roles."prod admin"]
role_arn = "arn:aws:iam::123456789012:role/service-role/Admin"
duration = 3600
"""


def write(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "config.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return str(path)


def test_good_config(tmp_path: Path) -> None:
    aliases = load_aliases(write(tmp_path, GOOD))
    assert sorted(aliases) == ["prod admin", "s3Full"]
    s3 = aliases["s3Full"]
    assert (s3.role_name, s3.role_arn, s3.source_profile) == (
        "s3FullforAssumeRole",
        None,
        "taro-prjZ",
    )
    assert (s3.duration, s3.session_name, s3.region) == ("60m", "taro-s3", "ap-northeast-1")
    assert aliases["prod admin"].duration == "3600"


def test_missing_file_means_no_aliases(tmp_path: Path) -> None:
    assert load_aliases(str(tmp_path / "nope.toml")) == {}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('[roles.a]\nrole_name = "r"\nrole_name2 = "x"\n', 3, "unknown key 'role_name2'"),
        (
            '[roles.a]\nrole_name = "r"\nduration = true\n',
            3,
            "duration in [roles.a] must be a string",
        ),
        ('[roles.a]\nrole_name = ["r"]\n', 2, "role_name in [roles.a] must be a string"),
        ('[roles.a]\nrole_name = "r"\nduration = "5 weeks"\n', 3, "not understood"),
        ('[roles.a]\nrole_name = "r"\nduration = "13h"\n', 3, "out of range"),
        ('[roles.a]\nrole_name = "r"\nsession_name = "a b"\n', 3, "session name"),
        ('[roles.a]\nrole_arn = "arn:aws:s3:::bucket"\n', 2, "is not a role ARN"),
        ('[roles.a]\nrole_name = "../etc/passwd"\n', 2, "not a valid role name"),
        ('[roles.a]\nsource_profile = "p"\n', 1, "exactly one of role_arn or role_name"),
        ('[roles.a]\nrole_name = "r"\nregion = ""\n', 3, "non-empty"),
        ('[roles.a]\nrole_name = "r"\nregion = "x\\ny"\n', 3, "printable"),
        ('color = "blue"\n[roles.a]\nrole_name = "r"\n', 1, "unknown setting 'color'"),
        ('[roles.a]\nrole_name = "r"\n[profiles.b]\nx = 1\n', 3, "unknown setting 'profiles'"),
        ('[roles]\na = "r"\n', 2, "[roles.a] must be a table"),
        ('[roles.a\nrole_name = "r"\n', 1, "not valid TOML"),
        ('[roles.a]\nrole_name = "r"\nrole_name = "s"\n', 3, "not valid TOML"),
        ('[roles.a]\nrole_name = r"\n', 2, "not valid TOML"),
    ],
)
def test_mistakes_name_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        load_aliases(path)
    message = caught.value.message
    assert message.startswith(f"config {path}")
    assert f"line {line}" in message
    assert words in message
    assert "\n" not in message and caught.value.exit_code == 2


def test_not_utf8(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not UTF-8"):
        load_aliases(write(tmp_path, b'[roles.a]\nrole_name = "\xff"\n'))


def test_directory_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").mkdir()
    with pytest.raises(UsageError, match="cannot be read"):
        load_aliases(str(tmp_path / "config.toml"))


def test_huge_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="larger than 1 MiB"):
        load_aliases(write(tmp_path, "# " + "x" * (1 << 20) + "\n"))
