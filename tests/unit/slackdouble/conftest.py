from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from slackdouble import SlackDouble
from slackdouble.scopes import ALL_SCOPES

SECRET = "test-signing-secret"


@pytest.fixture
def double() -> Iterator[SlackDouble]:
    """Granted every scope: these tests exercise the methods; the manifest's grant is tested on its own."""
    d = SlackDouble(SECRET, trigger_ttl=10.0, scopes=ALL_SCOPES)
    d.add_user("U1", "ana.silva", real_name="Ana Silva", tz="Europe/Lisbon", is_admin=True)
    d.add_user("U2", "ben.okafor", real_name="Ben Okafor", tz="America/New_York")
    d.add_channel("C1", "support")
    d.add_channel("C2", "private-team", is_private=True, members=["U1"])
    d.start()
    yield d
    d.stop()


class BoltServer:
    """A real slack_bolt App served over HTTP by a stdlib server around `App.dispatch`."""

    def __init__(self, app: Any) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from slack_bolt import App, BoltRequest

        assert isinstance(app, App)
        self.requests: list[tuple[dict[str, str], str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append((headers, body))
                resp = app.dispatch(BoltRequest(body=body, headers={k: [v] for k, v in headers.items()}))
                raw = (resp.body or "").encode()
                self.send_response(resp.status)
                for k, values in resp.headers.items():
                    for v in values:
                        if k.lower() != "content-length":
                            self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bolt_server() -> type[BoltServer]:
    return BoltServer
