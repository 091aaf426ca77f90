"""HttpServer.shutdown when waitress has already closed its trigger (the pipe into the loop thread)."""

from __future__ import annotations

from bot.metrics import Registry
from bot.web.server import HttpServer
from bot.web.wsgi import Edge


def test_shutdown_after_waitress_closed_its_trigger_closes_the_rest_without_raising() -> None:
    server = HttpServer(Edge(None, Registry(), lambda: {"database": True}), "127.0.0.1", 0).start()
    waitress = server._server
    waitress.trigger.close()  # as waitress's own BaseWSGIServer.close() does: the loop cannot be reached now
    server.shutdown(grace=1.0)  # used to raise OSError EBADF from the trigger
    assert not waitress.accepting
    assert waitress.socket is None  # the listener was closed from here (waitress drops a closed socket)
