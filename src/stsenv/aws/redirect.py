"""The loopback redirect of a browser sign-in (RFC 8252 7.3): one listener on 127.0.0.1,
bound BEFORE the browser is opened (so a redirect can never arrive before it), that takes the
one redirect to its one path, answers the browser with a small page saying it may be closed,
and stops. Used by the console sign-in (aws/signin.py) and IAM Identity Center's
authorization-code grant (aws/sso.py); its browser opener (browser_available,
open_in_background) is also the device code's: one rule for opening a browser. Standard
library only.

The listener holds several connections at once: a browser opens spare connections ahead of
need (Chromium's preconnect) and may send the redirect on any of them, so a silent one must
never block the others. Anything but `GET <path>?...` is answered 404 and ignored; a request
larger than MAX_REQUEST is dropped. The query is data: the caller checks `state` and reads
`code` or `error`, and nothing of it is printed unescaped.
"""

from __future__ import annotations

import selectors
import socket
import time
from urllib.parse import parse_qsl, urlsplit

from stsenv.errors import AwsDenied, EnvironmentProblem

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

CALLBACK_PATH = "/oauth/callback"  # as the AWS CLI v2 (awscli/customizations/sso/utils.py)
MAX_REQUEST = 16 * 1024
_DONE_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>stsenv</title></head><body>"
    "<p>{text}</p><p>You may close this page.</p></body></html>"
)


class Listener:
    """Bound and listening when constructed; `wait` returns the one redirect's query."""

    def __init__(self, port: int = 0, path: str = CALLBACK_PATH) -> None:
        self.path = path
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self._sock.bind(("127.0.0.1", port))
            self._sock.listen(16)
        except OSError as e:
            self._sock.close()
            raise EnvironmentProblem(
                f"cannot listen on 127.0.0.1:{port} for the browser's redirect ({e.strerror}): "
                "free the port, or sign in without a browser (--no-browser)"
            ) from None
        self._sock.setblocking(False)
        self.port = int(self._sock.getsockname()[1])

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def wait(
        self,
        timeout: float,
        page_text: Callable[[dict[str, str]], str],
        now: Callable[[], float] = time.monotonic,
    ) -> dict[str, str]:
        """The query of the first `GET <path>` within `timeout` seconds; the browser is
        answered with `page_text(query)` and the listener is closed at once, so a second
        redirect finds no one. No redirect in time: AwsDenied."""
        deadline = now() + timeout
        selector = selectors.DefaultSelector()
        buffers: dict[socket.socket, bytes] = {}
        selector.register(self._sock, selectors.EVENT_READ)
        try:
            while True:
                left = deadline - now()
                if left <= 0:
                    raise AwsDenied(
                        f"no sign-in came back from the browser within {int(timeout)} s: "
                        "sign in again, or use --no-browser"
                    )
                for key, _ in selector.select(min(left, 1.0)):
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if sock is self._sock:
                        try:
                            conn, _addr = self._sock.accept()
                        except (BlockingIOError, InterruptedError):
                            continue
                        conn.setblocking(False)
                        buffers[conn] = b""
                        selector.register(conn, selectors.EVENT_READ)
                        continue
                    query = self._read(sock, buffers, selector, page_text)
                    if query is not None:
                        return query
        finally:
            for conn in buffers:
                conn.close()
            selector.close()
            self.close()

    def _read(
        self,
        conn: socket.socket,
        buffers: dict[socket.socket, bytes],
        selector: selectors.BaseSelector,
        page_text: Callable[[dict[str, str]], str],
    ) -> dict[str, str] | None:
        try:
            chunk = conn.recv(4096)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            chunk = b""
        data = buffers[conn] + chunk
        if not chunk or len(data) > MAX_REQUEST:
            self._drop(conn, buffers, selector)
            return None
        buffers[conn] = data
        if b"\r\n\r\n" not in data and b"\n\n" not in data:
            return None  # the headers are not all here yet
        line = data.split(b"\n", 1)[0].decode("latin-1").strip()
        parts = line.split(" ")
        target = urlsplit(parts[1]) if len(parts) == 3 and parts[0] == "GET" else None
        if target is None or target.path != self.path:
            self._answer(conn, "404 Not Found", "Not the sign-in address of stsenv.")
            self._drop(conn, buffers, selector)
            return None
        query = dict(parse_qsl(target.query, keep_blank_values=True))
        self._answer(conn, "200 OK", page_text(query))
        self._drop(conn, buffers, selector)
        return query

    @staticmethod
    def _answer(conn: socket.socket, status: str, text: str) -> None:
        body = _DONE_PAGE.format(text=_html(text)).encode("utf-8")
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
        ).encode("ascii")
        try:
            conn.setblocking(True)
            conn.settimeout(2)
            conn.sendall(head + body)
        except OSError:
            pass  # the browser went away: the redirect still counts

    @staticmethod
    def _drop(
        conn: socket.socket, buffers: dict[socket.socket, bytes], selector: selectors.BaseSelector
    ) -> None:
        selector.unregister(conn)
        buffers.pop(conn, None)
        conn.close()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def open_browser(url: str) -> bool:
    """Open `url` in the browser Python's webbrowser finds (BROWSER honoured as it honours
    it); never a text browser that would take over the terminal. False: none was opened."""
    if not browser_available():
        return False
    import webbrowser

    try:
        return bool(webbrowser.open_new_tab(url))
    except Exception:  # webbrowser.Error, or a broken browser command
        return False


def open_in_background(url: str) -> None:
    """open_browser on a thread of its own: a BROWSER command that runs until its window
    closes (as webbrowser waits for it) must not hold the listener from answering."""
    import threading

    threading.Thread(target=open_browser, args=(url,), daemon=True).start()


def browser_available() -> bool:
    """Whether a browser can be opened here: BROWSER is set, or (on Linux) a display is, and
    not in an SSH session, where a browser would open on the wrong machine if at all."""
    import os
    import sys

    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return False
    if os.environ.get("BROWSER"):
        return True
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True
