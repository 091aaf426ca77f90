"""Serving :class:`bot.web.wsgi.Edge` with waitress, in process, started and stopped by ``rapport serve``.

Why waitress rather than uvicorn: Rapport's Bolt app is synchronous, and waitress is a production WSGI
server that gives every limit the edge needs out of the box: a bounded worker pool (``threads``),
a cap on open connections (``connection_limit``), an inactivity timeout on every connection
(``channel_timeout``, also while a request is half sent), strict ``Content-Length`` parsing (``-1``,
``abc`` are a 400 before the app runs) and a body limit enforced while reading, with bodies over 512 KB
spooled to a temporary file, not memory. uvicorn would need the sync app pushed to a thread pool by
hand and has no timeout on a connection that never finishes its request headers.

Two small additions through waitress's own seams (the server's ``channel_class`` and the channel's
``parser_class``, both class attributes it instantiates):
the body limit depends on the route (1 MiB for Slack, 10 MiB for ingest, none elsewhere), decided as
soon as the request line is parsed, so a 400 MB upload is refused after its headers, not read; and a
request must arrive whole within ``request_deadline`` seconds, so a client dripping one byte at a
time cannot hold a connection forever (the inactivity timeout alone would not close it).
"""

from __future__ import annotations

import logging
import resource
import threading
import time
from collections.abc import Callable
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.server import BaseWSGIServer, create_server

from bot.web.wsgi import Edge, body_limit

log = logging.getLogger(__name__)

THREADS = 16  # requests handled at once; the ack path is short (signature, dedupe insert, listener ack)
# Open connections; past it waitress stops accepting until some close. An idle connection costs a socket,
# not a thread, so the limit is set by file descriptors: 500 stalled clients must not lock Slack out.
CONNECTION_LIMIT = 1000
CHANNEL_TIMEOUT = 20  # seconds without a byte in or out before a connection is closed
REQUEST_DEADLINE = 30  # seconds to receive one whole request (headers and body)
MAX_HEADER_BYTES = 64 << 10
BACKLOG = 1024  # Slack delivers bursts of events
CLEANUP_INTERVAL = 2  # how often idle connections are looked for (seconds)


class _RouteLimit:
    """The server's adjustments with the body limit of one request's route."""

    def __init__(self, adj: Any, limit: int) -> None:
        self._adj = adj
        self.max_request_body_size = limit + 1  # waitress refuses at >= max: allow exactly ``limit``

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adj, name)


class _RoutedLimitParser(HTTPRequestParser):
    """Applies the route's body limit: waitress checks ``adj.max_request_body_size`` right after the
    headers (declared ``Content-Length``) and while a chunked body arrives."""

    def parse_header(self, header_plus: bytes) -> None:
        super().parse_header(header_plus)
        parser: Any = self  # waitress is untyped
        parser.adj = _RouteLimit(parser.adj, body_limit(parser.path or ""))


class _DeadlineChannel(HTTPChannel):
    """A connection whose current request must arrive whole within ``REQUEST_DEADLINE``."""

    parser_class = _RoutedLimitParser
    request_deadline: float = REQUEST_DEADLINE
    _request_started = 0.0

    def received(self, data: bytes) -> bool:
        now = time.monotonic()
        if self.request is None:
            self._request_started = now
        elif now - self._request_started > self.request_deadline:
            log.warning("closed a connection from %s: its request took over %ss", self.addr, self.request_deadline)
            self.will_close = True
            return False
        return bool(super().received(data))


class HttpServer:
    """One listening socket, served by waitress on a background-able loop; stop it from any thread."""

    def __init__(
        self,
        edge: Edge,
        host: str = "0.0.0.0",
        port: int = 3000,
        *,
        threads: int = THREADS,
        connection_limit: int = CONNECTION_LIMIT,
        channel_timeout: float = CHANNEL_TIMEOUT,
        request_deadline: float = REQUEST_DEADLINE,
    ) -> None:
        _quiet_request_body_logs()
        _allow_descriptors(connection_limit + 256)
        server = create_server(
            edge,
            host=host,
            port=port,
            threads=threads,
            connection_limit=connection_limit,
            channel_timeout=channel_timeout,
            cleanup_interval=CLEANUP_INTERVAL,
            backlog=BACKLOG,
            max_request_header_size=MAX_HEADER_BYTES,
            max_request_body_size=max(body_limit("/slack/events"), body_limit("/ingest/x")) + 1,
            expose_tracebacks=False,
            asyncore_use_poll=True,  # select() cannot watch descriptors past 1024
            ident="rapport",
        )
        if not isinstance(server, BaseWSGIServer):  # several sockets: not how serve is started
            raise ValueError(f"expected one listening socket for {host}:{port}")
        channel = type("Channel", (_DeadlineChannel,), {"request_deadline": request_deadline})
        server.channel_class = channel
        self._server = server
        self._loop: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return int(self._server.effective_port)

    @property
    def server_address(self) -> tuple[str, int]:
        return str(self._server.effective_host), self.port

    def serve_forever(self) -> None:
        """Run the loop in this thread until :meth:`shutdown`."""
        self._loop = threading.current_thread()
        try:
            self._server.run()
        finally:
            self._stopped.set()

    def start(self) -> HttpServer:
        """Run the loop in a daemon thread and return at once."""
        threading.Thread(target=self.serve_forever, name="http", daemon=True).start()
        return self

    def shutdown(self, grace: float = 5.0) -> None:
        """Stop accepting, let requests being handled finish (up to ``grace`` s), close every connection."""
        server = self._server
        handed = _in_loop(server, lambda: _close_listener(server))
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(ch.requests for ch in list(server.active_channels.values())):
            time.sleep(0.05)
        handed = handed and _in_loop(server, lambda: _close_all(server))
        if self._loop is not None and self._loop is not threading.current_thread():
            self._stopped.wait(grace)
        if not handed:  # the loop had closed its trigger: what it left open is closed from here
            _close_all(server)
        server.task_dispatcher.shutdown(timeout=grace)

    def server_close(self) -> None:
        """Kept for callers of the old http.server front end: everything was closed by :meth:`shutdown`."""


def _in_loop(server: BaseWSGIServer, thunk: Callable[[], None]) -> bool:
    """Run ``thunk`` in the server's loop thread (waitress's objects belong to it); False when the loop can no
    longer be reached: once waitress has closed the server (its close() closes the trigger too), pulling the
    trigger is EBADF. Seen once at shutdown in the demo's end-to-end test; the path into it was not pinned down."""
    try:
        server.trigger.pull_trigger(thunk)
    except OSError:
        return False
    return True


def _close_listener(server: BaseWSGIServer) -> None:
    server.accepting = False
    server.del_channel()
    server.socket.close()


def _close_all(server: BaseWSGIServer) -> None:
    for dispatcher in list(server._map.values()):
        dispatcher.handle_close()


def _allow_descriptors(needed: int) -> None:
    """Raise the soft open-files limit towards ``needed`` (within the hard limit): a soft limit of 1024, common
    in containers, would make accept() fail before waitress's connection limit is reached."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if target < needed:
            log.warning("open files limited to %d: fewer connections than the server's limit can be held", target)


def _quiet_request_body_logs() -> None:
    """Bolt logs a request's body when its signature fails (INFO) and every response body (DEBUG), and
    slack_sdk logs outgoing message bodies (DEBUG): keep those out of the logs whatever LOG_LEVEL says.

    Bolt gives each of its loggers the root's level when it creates them (with the App), so the loggers
    that exist already are raised one by one, as well as their parents for any made later."""
    limits = {"slack_bolt": logging.WARNING, "slack_sdk": logging.INFO}
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in limits]
    for name in [*limits, *names]:
        logger = logging.getLogger(name)
        floor = limits[name.split(".")[0]]
        if logger.level == logging.NOTSET or logger.level < floor:
            logger.setLevel(floor)
