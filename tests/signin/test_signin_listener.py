"""The loopback redirect listener (aws/redirect.py) with real sockets: bound when made, a
silent preconnected socket does not hold the redirect, other paths and methods are 404 and do
not end the wait, an oversized request is dropped, the first redirect ends it and closes the
port, and no redirect in time is one error."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from stsenv.aws.redirect import MAX_REQUEST, Listener
from stsenv.errors import AwsDenied, EnvironmentProblem


def _send(port: int, raw: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(raw)
        chunks = []
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def _get(port: int, path: str) -> bytes:
    return _send(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())


def test_the_first_redirect_to_the_path_ends_the_wait_and_closes_the_port() -> None:
    listener = Listener()
    port = listener.port
    silent = socket.create_connection(("127.0.0.1", port))  # a browser's preconnect
    answers: dict[str, bytes] = {}

    def browser() -> None:
        time.sleep(0.2)
        answers["post"] = _send(port, b"POST /oauth/callback?code=a&state=b HTTP/1.1\r\n\r\n")
        answers["other"] = _get(port, "/favicon.ico")
        answers["big"] = _send(port, b"GET /oauth/callback?x=" + b"a" * MAX_REQUEST + b"\r\n\r\n")
        answers["real"] = _get(port, "/oauth/callback?code=abc&state=xyz&extra=%3Cb%3E")

    thread = threading.Thread(target=browser)
    thread.start()
    query = listener.wait(10, lambda q: f"got <{q['code']}>")
    thread.join()
    silent.close()
    assert query == {"code": "abc", "state": "xyz", "extra": "<b>"}
    assert answers["post"].startswith(b"HTTP/1.1 404") and answers["other"].startswith(
        b"HTTP/1.1 404"
    )
    assert answers["big"] == b""  # dropped unanswered
    assert answers["real"].startswith(b"HTTP/1.1 200 OK")
    assert b"You may close this page." in answers["real"] and b"got &lt;abc&gt;" in answers["real"]
    with pytest.raises(OSError):
        _get(port, "/oauth/callback?code=again&state=xyz")  # nobody listens any more


def test_no_redirect_in_time() -> None:
    listener = Listener()
    started = time.monotonic()
    with pytest.raises(AwsDenied, match="within 1 s"):
        listener.wait(1, lambda q: "")
    assert time.monotonic() - started < 5


def test_a_port_in_use_is_one_error() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        with pytest.raises(EnvironmentProblem, match=f"127.0.0.1:{taken.getsockname()[1]}"):
            Listener(taken.getsockname()[1])
    finally:
        taken.close()
