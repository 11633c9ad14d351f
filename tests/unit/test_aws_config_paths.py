"""The AWS config and credentials files are found once (settings.aws_config_paths), the way
botocore finds them: `$VAR` expanded, then `~`. The cache fingerprint covers those files, so
editing the file botocore reads must change it (with AWS_CONFIG_FILE='$CFGDIR/config' it
did not: the path was taken literally, and a stale cached session was reused)."""

from __future__ import annotations

import os
from pathlib import Path

import botocore.session
import pytest

from stsenv.aws import cache
from stsenv.model import UseRequest
from stsenv.settings import Settings, aws_config_paths


def env_for(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "config").write_text("[profile a]\nregion = eu-west-1\n")
    (tmp_path / "cfg" / "credentials").write_text("[a]\naws_access_key_id = AKIAEXAMPLE\n")
    return {
        "HOME": str(tmp_path),
        "CFGDIR": str(tmp_path / "cfg"),
        "AWS_CONFIG_FILE": "$CFGDIR/config",
        "AWS_SHARED_CREDENTIALS_FILE": "${CFGDIR}/credentials",
    }


def test_paths_are_expanded_as_botocore_expands_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = env_for(tmp_path)
    config, credentials = aws_config_paths(env)
    assert (config, credentials) == (
        str(tmp_path / "cfg" / "config"),
        str(tmp_path / "cfg" / "credentials"),
    )
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    profiles = botocore.session.Session().full_config["profiles"]
    assert profiles["a"]["region"] == "eu-west-1"  # botocore read the same config file
    assert profiles["a"]["aws_access_key_id"] == "AKIAEXAMPLE"  # and credentials file


def test_home_and_defaults(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path)}
    home = os.path.expanduser("~")
    assert aws_config_paths({}) == (f"{home}/.aws/config", f"{home}/.aws/credentials")
    assert aws_config_paths({"AWS_CONFIG_FILE": "~/x", **env})[0] == f"{home}/x"


def test_editing_the_expanded_config_changes_the_fingerprint(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    settings = Settings.from_env({"STSENV_CONFIG": str(tmp_path / "none.toml")})
    request = UseRequest("a")
    before = cache.fingerprint(request, env, settings)
    assert cache.fingerprint(request, env, settings) == before  # stable while nothing changes
    (tmp_path / "cfg" / "config").write_text("[profile a]\nregion = eu-west-2\nrole_arn = x\n")
    assert cache.fingerprint(request, env, settings) != before
    again = cache.fingerprint(request, env, settings)
    (tmp_path / "cfg" / "credentials").write_text("[a]\naws_access_key_id = AKIAOTHERKEY0\n")
    assert cache.fingerprint(request, env, settings) != again
