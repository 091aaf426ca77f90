"""Slack Web API reachability for ``/readyz``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient

from bot.settings import Settings

log = logging.getLogger(__name__)
SLACK_PROBE_OK_TTL = 30.0  # auth.test is cheap but rate-limited: one call per replica per 30 s
SLACK_PROBE_FAIL_TTL = 5.0  # a failure is re-checked sooner so a recovered Slack is seen quickly


class SlackProbe:
    """Slack Web API reachability for /readyz: ``auth.test``, cached so probes do not spend rate limit."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.clock = clock
        self._lock = threading.Lock()
        self._checked_at = float("-inf")
        self._ok = False

    def _call(self) -> bool:
        token = self.settings.slack_bot_token
        if token is None:
            return False
        # No retry handlers: readiness must answer within the probe's timeout.
        client = WebClient(token=token.get_secret_value(), base_url=self.settings.slack_api_url, timeout=3)
        try:
            return bool(client.auth_test().get("ok"))
        except Exception as exc:
            log.warning("readiness: Slack auth.test failed: %s", type(exc).__name__)
            return False

    def __call__(self) -> bool:
        with self._lock:  # one probe in flight; concurrent /readyz calls share its answer
            ttl = SLACK_PROBE_OK_TTL if self._ok else SLACK_PROBE_FAIL_TTL
            if self.clock() - self._checked_at >= ttl:
                self._ok = self._call()
                self._checked_at = self.clock()
            return self._ok
