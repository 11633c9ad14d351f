"""The endpoint itself: who gets credentials (only the right token, only GET /), that many
callers share one credential and one STS call, and that nothing outlives the command."""

from __future__ import annotations

import http.client
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from support.local_aws import LocalAws

from server.support import Caller, assume_role_count


@pytest.fixture
def caller(server_env: dict[str, str], tmp_path: Path) -> Caller:
    return Caller(server_env, "s3Full", tmp_path)


def test_only_the_right_token_gets_credentials(caller: Caller) -> None:
    try:
        probed = caller.ask("probe")
    finally:
        assert caller.finish() == 0
    expected = {
        "no token": 401,
        "wrong token": 403,
        "token prefix": 403,
        "post": 405,
        "put": 405,
        "delete": 405,
        "head": 405,
        "other path": 404,
        "huge header": 431,
        "huge body": 413,
        "two tokens": 403,
        "not http": 400,
        "other host": 421,
        "host without port": 421,
        "other port": 421,
        "no host": 421,
        "two hosts": 421,
    }
    assert {name: answer["status"] for name, answer in probed.items()} == expected
    assert not any(answer["secret"] for answer in probed.values())


def test_localhost_is_a_host_too(caller: Caller) -> None:
    """Host 127.0.0.1:PORT (what every SDK sends) and localhost:PORT are answered."""
    try:
        status, body = caller.ask("as-localhost")
    finally:
        assert caller.finish() == 0
    assert status == 200 and "SecretAccessKey" in body


def test_fifty_callers_one_credential_one_sts_call(caller: Caller, aws_world: LocalAws) -> None:
    try:
        first = caller.ask("fetch 1")  # stsenv has assumed the role and CMD runs
        before = assume_role_count(aws_world)
        fetched = caller.ask("fetch 50")
        again = caller.ask("fetch 50")
        after = assume_role_count(aws_world)
        called = caller.ask("call")
    finally:
        assert caller.finish() == 0
    assert fetched["statuses"] == [200] * 50 and again["statuses"] == [200] * 50
    keys = set(fetched["keys"]) | set(again["keys"]) | set(first["keys"])
    assert len(keys) == 1 and next(iter(keys)).startswith("ASIA")
    assert after == before  # served from what was assumed at start: no call per caller
    assert called["ok"] and called["key"] in keys


def test_no_secret_in_any_argv(caller: Caller) -> None:
    try:
        found = caller.ask("argv")
    finally:
        assert caller.finish() == 0
    assert found == []


def test_the_endpoint_is_gone_when_the_command_exits(caller: Caller) -> None:
    url = caller.ask("env")["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
    assert caller.ask("fetch 1")["statuses"] == [200]
    assert caller.finish(5) == 5
    where = urlsplit(url)
    conn = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    with pytest.raises(ConnectionRefusedError):
        conn.request("GET", "/")
    conn.close()
