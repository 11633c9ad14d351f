"""A fault-injecting HTTP proxy on 127.0.0.1, between stsenv and the moto server.

Every request is forwarded to moto unchanged, except AssumeRole calls while a fault is set:
those get the fault instead (an error answer, a hang, a broken or doctored body). The proxy
counts the AssumeRole calls it saw, so tests can check that retries are bounded.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from support.loopback import QuietHandler, serve

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


def _sts_error(code: str, status: int) -> tuple[int, bytes]:
    body = (
        f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>injected {code}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )
    return status, body.encode()


# fault -> what AssumeRole gets instead of moto's answer
ANSWERS = {
    "http-500": _sts_error("InternalFailure", 500),
    "throttling-400": _sts_error("Throttling", 400),
    "too-many-429": _sts_error("TooManyRequests", 429),
    "not-xml": (200, b"<html><body>Proxy login required</body></html>"),
    "empty": (200, b""),
}
# fault -> how moto's real answer is doctored
REWRITES: dict[str, Callable[[bytes], bytes]] = {
    "truncated": lambda body: body[: len(body) // 2],
    "missing-token": lambda body: re.sub(
        rb"<SessionToken>.*?</SessionToken>", b"", body, flags=re.S
    ),
    "missing-secret": lambda body: re.sub(
        rb"<SecretAccessKey>.*?</SecretAccessKey>", b"", body, flags=re.S
    ),
    "expired": lambda body: re.sub(
        rb"<Expiration>.*?</Expiration>", b"<Expiration>2020-01-01T00:00:00Z</Expiration>", body
    ),
}
FAULTS = ("hang", "cut", *ANSWERS, *REWRITES)


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.fault: str | None = None
        self.assume_calls = 0
        self.calls_seen = threading.Event()  # set at each AssumeRole call
        self.release = threading.Event()  # ends every hang
        outer = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                action = parse_qs(body.decode(errors="replace")).get("Action", [""])[0]
                fault = outer.fault if action == "AssumeRole" else None
                if action == "AssumeRole":
                    outer.assume_calls += 1
                    outer.calls_seen.set()
                if fault == "hang":
                    outer.release.wait(120)
                    self.close_connection = True
                    return
                if fault in ANSWERS:
                    self.reply(*ANSWERS[fault], "text/xml")
                    return
                status, headers, answer = outer._forward(
                    self.command, self.path, self.headers, body
                )
                if fault == "cut":  # promise the whole body, send half, hang up
                    self.send_response(status)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer[: len(answer) // 2])
                    self.close_connection = True
                    return
                if fault in REWRITES:
                    answer = REWRITES[fault](answer)
                self.reply(status, answer, headers.get("Content-Type", "text/xml"))

            do_GET = do_POST

        self.server, self.endpoint = serve(Handler)

    def _forward(
        self, method: str, path: str, headers: object, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(
            self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=30
        )
        try:
            # Host stays as the client signed it (SigV4 covers it); moto does not mind.
            forwarded = {k: v for k, v in headers.items()}  # type: ignore[attr-defined]
            connection.request(method, path, body=body, headers=forwarded)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def set_fault(self, fault: str | None) -> None:
        self.fault = fault
        self.assume_calls = 0
        self.calls_seen.clear()
        self.release.clear()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
