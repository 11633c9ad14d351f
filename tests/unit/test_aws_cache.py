"""The credential cache on a real file system: keys, freshness, permissions, hostile files."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from stsenv.aws import cache
from stsenv.model import Credentials, RoleSession, UseRequest
from stsenv.settings import Settings

NOW = 1_800_000_000


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    cache._warned.clear()  # each test sees its own warnings


def make_settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {"STSENV_CACHE_DIR": str(tmp_path / "cache"), "STSENV_CONFIG": str(tmp_path / "c.toml")}
    )


def make_session(
    expires_in: int = 3600,
    duration: int = 3600,
    token: str = "tok",  # noqa: S107 - a made-up session token
) -> RoleSession:
    return RoleSession(
        display_name="s3Full",
        role_arn="arn:aws:iam::123456789012:role/s3FullforAssumeRole",
        assumed_role_arn="arn:aws:sts::123456789012:assumed-role/s3FullforAssumeRole/s",
        credentials=Credentials("ASIAEXAMPLE", "secret/with+chars", token, NOW + expires_in),
        region="ap-northeast-1",
        duration=duration,
    )


def session_file(settings: Settings, key: str) -> Path:
    return Path(settings.cache_dir) / f"session-{key}.json"


def test_round_trip_with_private_modes(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    cache.store_session(settings, "k1", make_session())
    loaded = cache.load_session(settings, "k1", NOW)
    assert loaded is not None
    assert loaded.credentials.secret_access_key == "secret/with+chars"
    assert loaded.credentials.expiration == NOW + 3600
    assert (loaded.display_name, loaded.region, loaded.duration) == (
        "s3Full",
        "ap-northeast-1",
        3600,
    )
    assert stat.S_IMODE(os.stat(settings.cache_dir).st_mode) == 0o700
    assert stat.S_IMODE(session_file(settings, "k1").stat().st_mode) == 0o600
    assert sorted(p.name for p in Path(settings.cache_dir).iterdir()) == [
        "CACHEDIR.TAG",  # the marker: a directory without it is not taken for the cache
        "session-k1.json",
    ]


def test_another_key_is_a_miss(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    cache.store_session(settings, "k1", make_session())
    assert cache.load_session(settings, "k2", NOW) is None


def test_a_file_renamed_to_another_key_is_not_trusted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    cache.store_session(settings, "k1", make_session())
    session_file(settings, "k1").rename(session_file(settings, "k2"))
    assert cache.load_session(settings, "k2", NOW) is None
    assert "corrupt" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("duration", "life_left", "fresh"),
    [
        (3600, 360, True),  # 10 % of 1 h = 6 min > 5 min
        (3600, 359, False),
        (900, 300, True),  # 10 % of 15 min is less than the 5 min floor
        (900, 299, False),
        (43200, 4320, True),
        (43200, 4319, False),
        (3600, -10, False),
    ],
)
def test_freshness_rule(tmp_path: Path, duration: int, life_left: int, fresh: bool) -> None:
    settings = make_settings(tmp_path)
    cache.store_session(settings, "k", make_session(expires_in=life_left, duration=duration))
    assert (cache.load_session(settings, "k", NOW) is not None) is fresh


def test_long_term_keys_are_never_cached(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    cache.store_session(settings, "k", make_session(token=""))
    assert not session_file(settings, "k").exists()


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{not json",
        b'{"format": 1}',
        b"[1, 2]",
        b'{"format": 99, "key": "k"}',
        b"\xff\xfe garbage",
    ],
)
def test_corrupt_file_is_ignored_with_one_warning_then_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    settings = make_settings(tmp_path)
    cache.store_session(settings, "k", make_session())
    path = session_file(settings, "k")
    path.write_bytes(content)
    assert cache.load_session(settings, "k", NOW) is None
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("stsenv: warning: ignoring cache file")
    cache.store_session(settings, "k", make_session())
    assert cache.load_session(settings, "k", NOW) is not None


def test_truncated_file_is_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path)
    cache.store_session(settings, "k", make_session())
    path = session_file(settings, "k")
    path.write_bytes(path.read_bytes()[:40])
    assert cache.load_session(settings, "k", NOW) is None
    assert "corrupt" in capsys.readouterr().err


def test_wrong_types_are_corrupt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path)
    cache.store_session(settings, "k", make_session())
    path = session_file(settings, "k")
    data = json.loads(path.read_text())
    data["expiration"] = str(data["expiration"])
    path.write_text(json.dumps(data))
    assert cache.load_session(settings, "k", NOW) is None
    assert "corrupt" in capsys.readouterr().err


@pytest.mark.parametrize("mode", [0o666, 0o620, 0o602, 0o644])
def test_file_open_to_others_is_not_trusted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: int
) -> None:
    settings = make_settings(tmp_path)
    cache.store_session(settings, "k", make_session())
    session_file(settings, "k").chmod(mode)
    assert cache.load_session(settings, "k", NOW) is None
    assert "by others" in capsys.readouterr().err
    cache.store_session(settings, "k", make_session())
    assert stat.S_IMODE(session_file(settings, "k").stat().st_mode) == 0o600
    assert cache.load_session(settings, "k", NOW) is not None


def test_symlink_is_not_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path)
    cache.store_session(settings, "real", make_session())
    session_file(settings, "k").symlink_to(session_file(settings, "real"))
    assert cache.load_session(settings, "k", NOW) is None
    assert "stsenv: warning:" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another user")
def test_file_owned_by_another_user_is_not_trusted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    cache.store_session(settings, "k", make_session())
    os.chown(session_file(settings, "k"), 65534, 65534)
    assert cache.load_session(settings, "k", NOW) is None
    assert "owned by another user" in capsys.readouterr().err
    cache.store_session(settings, "k", make_session())  # replaced by one of ours
    assert session_file(settings, "k").stat().st_uid == os.geteuid()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a directory to another user")
def test_directory_owned_by_another_user_is_not_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    os.makedirs(settings.cache_dir, mode=0o700)
    os.chown(settings.cache_dir, 65534, 65534)
    cache.store_session(settings, "k", make_session())
    assert not session_file(settings, "k").exists()
    assert cache.load_session(settings, "k", NOW) is None
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"stsenv: warning: credential cache {settings.cache_dir} is not a directory "
        "owned by you; not caching"
    ]


def test_open_directory_is_made_private(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path)
    os.makedirs(settings.cache_dir)
    os.chmod(settings.cache_dir, 0o777)  # noqa: S103 - the mistake under test
    cache.store_session(settings, "k", make_session())
    assert stat.S_IMODE(os.stat(settings.cache_dir).st_mode) == 0o700
    assert "writable by others" in capsys.readouterr().err
    assert cache.load_session(settings, "k", NOW) is not None


def test_unwritable_cache_warns_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    Path(settings.cache_dir).write_text("a file where the directory should be")
    cache.store_session(settings, "k", make_session())
    assert cache.load_session(settings, "k", NOW) is None
    assert capsys.readouterr().err.count("stsenv: warning: credential cache") == 1


def test_concurrent_writers_never_show_half_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path)
    cache.store_session(settings, "k", make_session())
    errors: list[str] = []

    def write(n: int) -> None:
        for i in range(50):
            cache.store_session(settings, "k", make_session(expires_in=3600 + n * 100 + i))

    def read() -> None:
        for _ in range(200):
            if cache.load_session(settings, "k", NOW) is None:
                errors.append("miss")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    threads += [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert "warning" not in capsys.readouterr().err
    assert sorted(p.name for p in Path(settings.cache_dir).iterdir()) == [
        "CACHEDIR.TAG",  # the marker: a directory without it is not taken for the cache
        "session-k.json",
    ]


# --- the fingerprint ---------------------------------------------------------------------------


def key(tmp_path: Path, request: UseRequest, **env: str) -> str:
    return cache.fingerprint(request, env, make_settings(tmp_path))


@pytest.mark.parametrize(
    "field",
    ["duration", "session_name", "profile", "region", "mfa_serial", "external_id", "target"],
)
def test_every_request_field_changes_the_key(tmp_path: Path, field: str) -> None:
    base = UseRequest(target="s3Full")
    other = UseRequest(**{"target": "s3Full", field: "other-value"})  # type: ignore[arg-type]
    assert key(tmp_path, base) != key(tmp_path, other)


def test_token_code_and_refresh_do_not_change_the_key(tmp_path: Path) -> None:
    base = UseRequest(target="s3Full", mfa_serial="arn:aws:iam::1:mfa/t")
    again = UseRequest(
        target="s3Full", mfa_serial="arn:aws:iam::1:mfa/t", token_code="123456", refresh=True
    )
    assert key(tmp_path, base) == key(tmp_path, again)


@pytest.mark.parametrize("name", cache.SELECTION_VARS)
def test_source_selection_changes_the_key(tmp_path: Path, name: str) -> None:
    request = UseRequest(target="s3Full")
    assert key(tmp_path, request) != key(tmp_path, request, **{name: "x"})


def test_secrets_do_not_enter_the_key(tmp_path: Path) -> None:
    request = UseRequest(target="s3Full")
    assert key(tmp_path, request) == key(
        tmp_path, request, AWS_SECRET_ACCESS_KEY="s1", AWS_SESSION_TOKEN="t1"
    )


def test_editing_a_config_file_changes_the_key(tmp_path: Path) -> None:
    request = UseRequest(target="s3Full")
    aws_config = tmp_path / "aws-config"
    aws_config.write_text("[profile a]\n")
    before = key(tmp_path, request, AWS_CONFIG_FILE=str(aws_config))
    aws_config.write_text("[profile a]\nregion = eu-west-1\n")
    assert key(tmp_path, request, AWS_CONFIG_FILE=str(aws_config)) != before
    stsenv_config = tmp_path / "c.toml"
    before = key(tmp_path, request)
    stsenv_config.write_text("[roles.x]\n")
    assert key(tmp_path, request) != before


def test_role_name_resolutions_are_remembered_and_forgotten(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    k = cache.name_key("s3FullforAssumeRole", "AWS profile 'taro'", {}, settings)
    assert cache.load_role_arn(settings, k) is None
    cache.store_role_arn(settings, k, "arn:aws:iam::123456789012:role/s3FullforAssumeRole")
    assert cache.load_role_arn(settings, k) == "arn:aws:iam::123456789012:role/s3FullforAssumeRole"
    cache.forget_role_arn(settings, k)
    assert cache.load_role_arn(settings, k) is None
