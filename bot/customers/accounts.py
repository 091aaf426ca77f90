"""The accounts a staff member owns, largest first (App Home's "My accounts"), and how many each owner has by
tier (the workload report, the segmentation review and Ask's caps read the same count)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from bot.services import Services
from bot.store.models import Customer


@dataclass(frozen=True)
class AccountLine:
    name: str
    tier: str
    renewal: dt.date | None


@dataclass(frozen=True)
class Accounts:
    owner: str
    lines: list[AccountLine] = field(default_factory=list)


def owned_by(services: Services, user_id: str, limit: int = 10) -> Accounts:
    with services.sessions() as session:
        rows = session.execute(
            select(Customer.name, Customer.tier, Customer.renewal_date)
            .where(Customer.owner_slack_id == user_id, Customer.merged_into_id.is_(None))
            .order_by(Customer.arr.desc())
            .limit(limit)
        ).all()
    return Accounts(user_id, [AccountLine(name, tier, renewal) for name, tier, renewal in rows])


def tiers_owned(session: Session, user_id: str) -> dict[str, int]:
    """How many accounts ``user_id`` owns, by tier (merged-away records not counted)."""
    rows = session.execute(
        select(Customer.tier, func.count())
        .where(Customer.owner_slack_id == user_id, Customer.merged_into_id.is_(None))
        .group_by(Customer.tier)
    ).all()
    return {str(tier): int(n) for tier, n in rows}


def accounts_per_owner(conn: Connection | Session) -> dict[str | None, dict[str, int]]:
    """How many accounts each owner has, by tier (``None``: the accounts nobody owns; merged-away records not
    counted): one GROUP BY over the book."""
    c = Customer.__table__.c
    counted = select(c.owner_slack_id, c.tier, func.count()).where(c.merged_into_id.is_(None))
    rows = conn.execute(counted.group_by(c.owner_slack_id, c.tier))
    out: dict[str | None, dict[str, int]] = {}
    for owner, tier, n in rows:
        out.setdefault(str(owner) if owner is not None else None, {})[str(tier)] = int(n)
    return out
