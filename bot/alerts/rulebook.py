"""The alert rules in force, reloaded when ``alerts.yaml`` changes; a bad edit never stops alerting.

``RuleBook.current()`` re-reads the file when its bytes change. A file that fails validation (schema or
reference checks) is refused with :class:`PolicyError` (file, line, reason), logged and kept in
``last_error``; the previously loaded rules stay in force.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
from pathlib import Path

from bot.policies import AlertPolicy, Policies, PolicyError, checks
from bot.policies.loader import validate
from bot.policies.yamldoc import YamlDoc

log = logging.getLogger(__name__)


def load_alert_rules(path: Path, policies: Policies) -> AlertPolicy:
    """Validate ``path`` as alerts.yaml against the other policy files in force; raise PolicyError."""
    doc = YamlDoc.parse(path.read_bytes(), str(path))
    alerts = validate(doc, AlertPolicy)
    checks.check_alerts(doc, alerts, checks.Known(policies.tiers, policies.roles, policies.channels))
    return alerts


class RuleBook:
    def __init__(self, policies: Policies, path: Path | None = None) -> None:
        self._policies = policies
        self.path = path or policies.directory / "alerts.yaml"
        self._digest = self._hash()
        self.last_error: PolicyError | None = None
        self._lock = threading.Lock()

    def _hash(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None

    def current(self) -> Policies:
        with self._lock:
            digest = self._hash()
            if digest is not None and digest != self._digest:
                self._digest = digest
                try:
                    alerts = load_alert_rules(self.path, self._policies)
                except PolicyError as exc:
                    self.last_error = exc
                    log.error("alert rules not reloaded, previous rules stay in force: %s", exc)
                else:
                    self.last_error = None
                    self._policies = dataclasses.replace(self._policies, alerts=alerts)
                    log.info("alert rules reloaded from %s (%d rules)", self.path, len(alerts.rules))
            return self._policies
