"""aws/awsfiles.py: the key lines of one profile out, a credential_process line in; every
other byte as it was, one atomic rename, no copy of the old text left behind."""

from __future__ import annotations

import os
from pathlib import Path

from stsenv.aws import awsfiles

CREDENTIALS = (
    "# keys of the team\r\n"
    "[default]\r\naws_access_key_id = AKIADEFAULT000000001\r\naws_secret_access_key = d\r\n"
    "\r\n[taro]\r\n; the tutorial's user\r\nAWS_ACCESS_KEY_ID=AKIATARO00000000001\r\n"
    "aws_secret_access_key : s3cr3t/long\r\n  continued\r\naws_session_token = tok\r\n"
    "region = ap-northeast-1\r\n\r\n[taro-2]\r\naws_access_key_id = AKIATARO2000000001\r\n"
    "aws_secret_access_key = other"  # no final newline
)


def test_only_the_key_lines_of_the_profile_go(tmp_path: Path) -> None:
    path = tmp_path / "credentials"
    path.write_bytes(CREDENTIALS.encode())
    os.chmod(path, 0o640)
    assert awsfiles.remove_key_lines(str(path), "taro", config=False)
    expected = CREDENTIALS.replace(
        "AWS_ACCESS_KEY_ID=AKIATARO00000000001\r\naws_secret_access_key : s3cr3t/long\r\n"
        "  continued\r\naws_session_token = tok\r\n",
        "",
    )
    assert path.read_bytes() == expected.encode()
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["credentials"]  # no copy left
    assert not awsfiles.remove_key_lines(str(path), "taro", config=False)  # nothing more


def test_config_sections_and_the_credential_process_line(tmp_path: Path) -> None:
    path = tmp_path / "config"
    text = "[default]\nregion = us-east-1\n\n[profile taro]\n# mine\nregion = ap-northeast-1\n"
    path.write_text(text)
    assert awsfiles.set_credential_process(
        str(path), "taro", "/x/stsenv credential-process --vault taro"
    )
    assert path.read_text() == text.replace(
        "[profile taro]\n",
        "[profile taro]\ncredential_process = /x/stsenv credential-process --vault taro\n",
    )
    assert not awsfiles.set_credential_process(
        str(path), "taro", "/x/stsenv credential-process --vault taro"
    )
    # A profile with no section in the config gets one at the end.
    assert awsfiles.set_credential_process(
        str(path), "new", "stsenv credential-process --vault new"
    )
    assert path.read_text().endswith(
        "\n[profile new]\ncredential_process = stsenv credential-process --vault new\n"
    )
    assert awsfiles.remove_credential_process(str(path), "taro")
    assert awsfiles.remove_credential_process(str(path), "new")
    assert path.read_text() == text + "\n[profile new]\n"
    assert awsfiles.value_of(str(path), "taro", "region") == "ap-northeast-1"
