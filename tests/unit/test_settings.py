"""settings.py writes out platformdirs' Linux rule for speed; it must stay platformdirs' answer."""

from __future__ import annotations

import sys

import platformdirs
import pytest

from stsenv.settings import Settings


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the written-out rule is Linux's")
@pytest.mark.parametrize("xdg", [None, "/tmp/xdg-cache", "", "relative/dir"])
def test_cache_dir_is_platformdirs_answer(xdg: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    settings = Settings.from_env({})
    assert settings.cache_dir == platformdirs.user_cache_dir("stsenv", appauthor=False)


@pytest.mark.parametrize("xdg", [None, "/tmp/xdg-data", "relative/path"])
def test_data_dir_matches_platformdirs(monkeypatch: pytest.MonkeyPatch, xdg: str | None) -> None:
    """The allowed .stsenv.toml files live in platformdirs' user data dir, written out."""
    monkeypatch.delenv("STSENV_DATA_DIR", raising=False)
    if xdg is None:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_DATA_HOME", xdg)
    settings = Settings.from_env({})
    assert settings.data_dir == platformdirs.user_data_dir("stsenv", appauthor=False)


def test_override_wins() -> None:
    assert Settings.from_env({"STSENV_CACHE_DIR": "/x/y"}).cache_dir == "/x/y"


def test_config_file_follows_xdg() -> None:
    settings = Settings.from_env({"XDG_CONFIG_HOME": "/cfg"})
    assert settings.config_file == "/cfg/stsenv/config.toml"
