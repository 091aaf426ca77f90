"""Live policy files: the one place ``rapport serve`` reloads ``playbooks/policies`` while it runs.

Every consumer reads ``services.policies`` when it acts (Ask, approvals, alerts, hand-offs, App Home), so a
good edit applies to the next request. A bad edit never takes effect: the last good policy stays in force, the
error is logged at error level, shown in ``/readyz`` (``policy_error``) and told once to the Rapport admins by
DM (once per broken content of the folder, across replicas: the event dedupe table remembers it). A fix clears
the error. ``sources.yaml`` (read by the sync service on each run) is validated and reported the same way.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bot.mrkdwn import escape
from bot.notify import DeliveryError, Notice, Outbound
from bot.policies import Policies, PolicyError, load_policies
from bot.policies.bundle import ADMIN_GROUP
from bot.services import Services
from bot.store import events
from bot.sync.config import load_sources

log = logging.getLogger(__name__)
CHECK_EVERY = 2.0  # seconds between looks at the folder: a few small files hashed


def folder_digest(directory: Path) -> str:
    """The policy folder's YAML files, names and bytes (a file being replaced reads as absent, then new)."""
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.y*ml")):
        try:
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        except OSError:
            digest.update(path.name.encode() + b"\0?\0")
    return digest.hexdigest()


def admins(policies: Policies) -> list[str]:
    """Who is told about a policy edit that was refused: the Rapport admins (admin roles, the admins group)."""
    group = policies.group(ADMIN_GROUP)
    candidates = [s.id for s in policies.roles.staff] + (list(group.members) if group else [])
    return sorted({u for u in candidates if policies.is_admin(u)})


class PolicyWatch:
    """Reloads the policy folder when its bytes change; :meth:`status` is the ``/readyz`` detail."""

    def __init__(
        self,
        services: Services,
        first_report: Callable[[str], bool] | None = None,
        interval: float = CHECK_EVERY,
    ) -> None:
        self.services = services
        self.directory = Path(services.policies.directory)
        self.interval = interval
        self.error: PolicyError | None = None
        self._digest = folder_digest(self.directory)
        self._lock = threading.Lock()
        self._first = first_report or partial(events.first_delivery, services.engine, now=services.clock)

    def check(self) -> bool:
        """Reload if the folder changed; True when a new policy came into force."""
        with self._lock:
            digest = folder_digest(self.directory)
            if digest == self._digest:
                return False
            self._digest = digest
            try:
                fresh = load_policies(self.directory)
                load_sources(self.directory)  # read by sync on each run: refused here so it is reported too
            except PolicyError as exc:
                self._refuse(exc, digest)
                return False
            self.error = None
            self.services.policies = fresh
            log.info("policy files reloaded (version %s)", fresh.version[:12])
            return True

    def _refuse(self, exc: PolicyError, digest: str) -> None:
        self.error = exc
        kept = self.services.policies.version[:12]
        log.error("policy edit not applied, the last good policy (version %s) stays in force: %s", kept, exc)
        if not self._first(f"policy-error:{digest[:48]}"):
            return  # told already (by this process or another replica)
        text = (
            f":warning: A policy edit was not applied: `{escape(self._shown(exc))}`. Rapport keeps the last "
            f"good policy (version `{kept}`) in force until the file is fixed."
        )
        for admin in admins(self.services.policies):
            try:
                self.services.notifier.send(Outbound(admin, text, Notice(text, warning=True)))
            except DeliveryError:
                log.warning("could not tell admin %s about the refused policy edit", admin, exc_info=True)

    def _shown(self, exc: PolicyError) -> str:
        """The error with the file named from the playbooks folder (``policies/approvals.yaml:12``)."""
        path = Path(exc.file)
        name = f"{self.directory.name}/{path.name}" if path.parent.resolve() == self.directory.resolve() else path.name
        return str(PolicyError(name, exc.reason, exc.line, exc.column, exc.more))

    def status(self) -> dict[str, object]:
        error = self.error
        if error is None:
            return {"policies": True}
        # Still ready: the last good policy serves; the note says what to fix.
        return {"policies": True, "policy_error": self._shown(error)}

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            try:
                self.check()
            except Exception:
                log.exception("checking the policy files failed; the policy in force is unchanged")
