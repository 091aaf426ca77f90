"""A local OpenAI-compatible chat server for the LLM writer's tests (loopback only, started per test module).

``POST /v1/chat/completions`` answers as the requested ``model`` behaves:
- ``quote``: an honest model: the first sentence of source [1], cited (or the steps of source [1] when asked);
- ``invent``: the honest sentence, then one stating a number no source has;
- ``channel``: the honest sentence wrapped in ``<!channel>``, a mention and a disguised link;
- ``slow``: the honest answer, after longer than any test's timeout;
- ``idk``: "I don't know.";
- ``uncited``: a claim citing nothing; ``badcite``: a claim citing a source that was not given;
- ``error``: HTTP 500.
Every request body is kept in ``server.requests``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from retrieval.chunker import chunk_document
from retrieval.loader import parse_document
from retrieval.types import Passage

SLOW_SECONDS = 3.0


def first_source(prompt: str) -> str:
    m = re.search(r"^\[1\] [^\n]*\n(.*?)(?:\n\n\[2\] |\n\nQUESTION)", prompt, re.S | re.M)
    return m.group(1).strip() if m else ""


def honest(prompt: str) -> str:
    body = first_source(prompt)
    lines = [ln for ln in body.splitlines() if re.match(r"^\d+\. ", ln)]
    if "steps" in prompt.rsplit("QUESTION", 1)[-1].lower() and lines:
        return "\n".join(f"{ln} [1]" for ln in lines)
    sentence = re.split(r"(?<=[.!?])\s+", body.replace("\n", " "))[0]
    return f"{sentence.rstrip('.')} [1]."


def reply_for(model: str, prompt: str) -> str:
    if model == "quote":
        return honest(prompt)
    if model == "invent":
        return f"{honest(prompt)} Refunds are always processed within 48 hours [1]."
    if model == "channel":
        return f"<!channel> {honest(prompt)} Ask <@UBOSSX> or see <https://evil.example|the policy> [1]."
    if model == "slow":
        time.sleep(SLOW_SECONDS)
        return honest(prompt)
    if model == "idk":
        return "I don't know."
    if model == "uncited":
        return "Everything is handled by the finance team."
    if model == "badcite":
        return "Everything is handled by the finance team [7]."
    raise ValueError(model)


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenAI

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.server.requests.append(body)
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send(404, {"error": {"message": "not found"}})
            return
        model = body.get("model", "")
        if model == "error":
            self._send(500, {"error": {"message": "the model crashed", "type": "server_error"}})
            return
        prompt = "\n".join(m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user")
        content = reply_for(model, prompt)
        self._send(
            200,
            {
                "id": f"chatcmpl-{len(self.server.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            },
        )

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (the timeout test)
            pass


class FakeOpenAI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


@pytest.fixture(scope="module")
def openai_server() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def passages_of(markdown: str, path: str = "handbook.md") -> list[Passage]:
    """Passages exactly as the index stores them: the real parser and chunker."""
    doc = parse_document(markdown.encode(), path)
    meta = doc.meta
    return [
        Passage(
            c.path, c.heading_path, c.line_start, c.line_end, meta.title, meta.owner, "", (), (), 1.0, c.text, c.kinds
        )
        for c in chunk_document(doc)
    ]


@pytest.fixture(scope="session")
def parsed() -> Callable[[str], list[Passage]]:
    return passages_of
