"""The CMD of the tests: a long-running boto3 program that the test drives over stdin, one
command a line, one JSON answer a line. It gets its credentials the way any boto3 program
does (the default chain); `fetch` and `probe` also talk to the endpoint directly.

Never time.sleep here: under libfaketime with FAKETIME_DONT_FAKE_MONOTONIC=1 (needed, or
every timed wait hangs) Python's sleep fails with EINVAL; Event.wait works.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
from typing import Any
from urllib.parse import urlsplit

import boto3

URL = os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
TOKEN = os.environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN", "")
PORT = urlsplit(URL).port or 0
HOST = f"127.0.0.1:{PORT}"
session = boto3.Session()
sts = session.client("sts")


def call(fresh: bool = False) -> dict[str, Any]:
    """One STS call; `fresh`: from a new session, which asks the endpoint again."""
    global session, sts
    if fresh:
        session = boto3.Session()
        sts = session.client("sts")
    try:
        arn = sts.get_caller_identity()["Arn"]
    except Exception as e:
        return {"ok": False, "error": f"{type(e).__name__}: {e}"}
    key = session.get_credentials().get_frozen_credentials().access_key
    return {"ok": True, "arn": arn, "key": key}


def request(
    method: str = "GET",
    path: str = "/",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> tuple[int, str]:
    where = urlsplit(URL)
    conn = http.client.HTTPConnection(where.hostname or "", where.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except OSError as e:
        return 0, f"{type(e).__name__}: {e}"
    finally:
        conn.close()


def fetch(n: int) -> dict[str, Any]:
    """n callers at once (they start together at a barrier)."""
    results: list[tuple[int, str]] = []
    barrier = threading.Barrier(n)
    lock = threading.Lock()

    def one() -> None:
        barrier.wait()
        answer = request(headers={"Authorization": TOKEN})
        with lock:
            results.append(answer)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = [
        json.loads(body).get("AccessKeyId") if status == 200 else None for status, body in results
    ]
    return {
        "statuses": [s for s, _ in results],
        "keys": keys,
        "bodies": [b for s, b in results if s != 200],
    }


def until_new(old: str) -> dict[str, Any]:
    """Call AWS again and again until the SDK signs with a key other than `old`."""
    errors: list[str] = []
    pause = threading.Event()
    for calls in range(1, 1201):
        answer = call()
        if not answer["ok"]:
            errors.append(answer["error"])
        elif answer["key"] != old:
            return {"calls": calls, "errors": errors, "key": answer["key"], "arn": answer["arn"]}
        pause.wait(0.05)
    return {"calls": 1200, "errors": [*errors, "the key never changed"], "key": old}


def until_served(old: str) -> dict[str, Any]:
    """Ask the endpoint again and again until it serves a key other than `old`."""
    pause = threading.Event()
    statuses: list[int] = []
    for _ in range(1200):
        status, body = request(headers={"Authorization": TOKEN})
        statuses.append(status)
        if status == 200 and json.loads(body)["AccessKeyId"] != old:
            return {"key": json.loads(body)["AccessKeyId"], "statuses": sorted(set(statuses))}
        pause.wait(0.1)
    return {"key": old, "statuses": sorted(set(statuses))}


def probe() -> dict[str, Any]:
    """Requests that must get no credentials: status and whether a secret came back."""
    cases = {
        "no token": request(),
        "wrong token": request(headers={"Authorization": "0" * len(TOKEN)}),
        "token prefix": request(headers={"Authorization": TOKEN[:-1]}),
        "post": request("POST", headers={"Authorization": TOKEN}, body=b"{}"),
        "put": request("PUT", headers={"Authorization": TOKEN}, body=b"{}"),
        "delete": request("DELETE", headers={"Authorization": TOKEN}),
        "head": request("HEAD", headers={"Authorization": TOKEN}),
        "other path": request(path="/other", headers={"Authorization": TOKEN}),
        "huge header": request(headers={"Authorization": TOKEN, "X-Pad": "a" * 100_000}),
        "huge body": request(headers={"Authorization": TOKEN}, body=b"a" * 100_000),
        "two tokens": raw(
            f"GET / HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: {TOKEN}\r\n"
            f"Authorization: {TOKEN}\r\n\r\n"
        ),
        # A page of a name rebound to 127.0.0.1 sends its own name as Host, even with the token.
        "other host": request(headers={"Authorization": TOKEN, "Host": f"evil.example:{PORT}"}),
        "host without port": request(headers={"Authorization": TOKEN, "Host": "127.0.0.1"}),
        "other port": request(headers={"Authorization": TOKEN, "Host": f"127.0.0.1:{PORT + 1}"}),
        "no host": raw(f"GET / HTTP/1.0\r\nAuthorization: {TOKEN}\r\n\r\n"),
        "two hosts": raw(
            f"GET / HTTP/1.1\r\nHost: {HOST}\r\nHost: {HOST}\r\nAuthorization: {TOKEN}\r\n\r\n"
        ),
        "not http": raw("hello\r\n\r\n"),
    }
    return {
        name: {"status": status, "secret": "SecretAccessKey" in body or 'Token"' in body}
        for name, (status, body) in cases.items()
    }


def raw(text: str) -> tuple[int, str]:
    import socket

    where = urlsplit(URL)
    with socket.create_connection((where.hostname or "", where.port or 0), timeout=30) as s:
        s.sendall(text.encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head = data.split(b"\r\n", 1)[0].split(b" ")
    return (int(head[1]) if len(head) > 1 and head[1].isdigit() else 0), data.decode("latin-1")


def argv_secrets() -> list[str]:
    """Every process whose argv holds the token or the served secret key."""
    status, body = request(headers={"Authorization": TOKEN})
    secrets = [TOKEN] + ([json.loads(body)["SecretAccessKey"]] if status == 200 else [])
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        found += [pid for secret in secrets if secret and secret in argv]
    return found


def main() -> None:
    for line in sys.stdin:
        word, _, rest = line.strip().partition(" ")
        if word == "call":
            answer: Any = call()
        elif word == "fresh-call":
            answer = call(fresh=True)
        elif word == "as-localhost":
            answer = request(headers={"Authorization": TOKEN, "Host": f"localhost:{PORT}"})
        elif word == "fetch":
            answer = fetch(int(rest))
        elif word == "until-new":
            answer = until_new(rest)
        elif word == "until-served":
            answer = until_served(rest)
        elif word == "probe":
            answer = probe()
        elif word == "argv":
            answer = argv_secrets()
        elif word == "env":
            answer = dict(os.environ)
        elif word == "exit":
            sys.exit(int(rest))
        else:
            answer = {"error": f"unknown command {word}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
