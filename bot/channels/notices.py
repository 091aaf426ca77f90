"""Notes to Rapport admins about customer channels, each sent once (per channel, kind and key).

Admins are who may change Rapport (``Policies.is_admin``: CS leads and the optional admins group). A note
is a DM: never a post in the channel it is about. The row in ``channel_notices`` is written before the DM
is sent, so two replicas seeing the same problem send one note; a failed DM is logged, not retried (the
problem, if it persists, is also visible in ``/rapport channel show``).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from bot.channels.models import ChannelNotice
from bot.channels.views import AdminNote
from bot.notify import DeliveryError, Outbound
from bot.policies import Policies
from bot.policies.bundle import ADMIN_GROUP
from bot.services import Services

log = logging.getLogger(__name__)


def admins(policies: Policies) -> list[str]:
    """Every admin's user id, in roster order."""
    out = [s.id for s in policies.roles.staff if policies.is_admin(s.id)]
    group = policies.group(ADMIN_GROUP)
    out += [m for m in (group.members if group else ()) if m not in out]
    return out


def claim(services: Services, channel: str, kind: str, key: str = "") -> bool:
    """Record that this note is being sent; False when it was sent before."""
    try:
        with services.sessions.begin() as session:
            session.add(ChannelNotice(channel_id=channel, kind=kind, key=key[:80], created_at=services.clock()))
    except IntegrityError:
        return False
    return True


def tell_admins(services: Services, channel: str, kind: str, text: str, key: str = "") -> int:
    """DM every admin once about (channel, kind, key); the number of DMs sent."""
    if not claim(services, channel, kind, key):
        return 0
    sent = 0
    note = AdminNote(channel, kind, text)
    for admin in admins(services.policies):
        try:
            services.notifier.send(Outbound(admin, text, note))
            sent += 1
        except DeliveryError as exc:
            log.warning("could not tell admin %s about %s in %s: %s", admin, kind, channel, exc)
    log.info("customer channel %s: %s (told %d admin(s))", channel, kind, sent)
    return sent
