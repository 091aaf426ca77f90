"""Where each customer belongs, in one set-based query (SQLite and PostgreSQL), and what that would change.

The measures (tier-definitions.md: "the highest tier whose lifetime-value OR annual-recurring-revenue threshold
it meets", re-run "on the last 12 months' data"):

* **lifetime value**: the customer record's;
* **ARR**: the greater of the record's ARR and the revenue of its orders in the 12 months up to the as-of date
  (refunded orders left out; other currencies at ``tiers.yaml`` exchange rates; an order in a currency without a
  rate is not counted, and is reported);
* orders of merged duplicates count for their golden record; merged records are not placed.

A customer with no lifetime value, no ARR and no order in the 12 months has nothing to be placed by: it is
reported (``unplaceable``) and keeps its tier, never a silent default.

The query yields one row per customer whose tier would change, or that holds a promise or override, or that is
unplaceable, with the action a review takes:

* ``up``: to a higher tier, at once;
* ``down``: to a lower tier, at once (no renewal ahead of the as-of date);
* ``down_kept``: to a lower tier at its renewal: served by its current tier until then (a ``review`` promise);
* ``set``: from a tier no policy file knows (a source's own word, or none) to its placement;
* ``end_promise``: a kept promise no longer needed (placement is back at the served tier);
* ``held``: placement differs but an approved override holds the tier until its end;
* ``unplaceable``: no value on record and no orders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, and_, case, func, literal, null, or_, select
from sqlalchemy.orm import aliased

from bot.policies.tiers import TiersPolicy
from bot.segments.models import OVERRIDE, REVIEW, TierPromise
from bot.store.models import Customer, Order

AnySelect = Select[*tuple[Any, ...]]
WINDOW_DAYS = 365
UP, DOWN, DOWN_KEPT, SET, END_PROMISE, HELD, UNPLACEABLE = (
    "up",
    "down",
    "down_kept",
    "set",
    "end_promise",
    "held",
    "unplaceable",
)
MOVES = (UP, DOWN, DOWN_KEPT, SET)  # actions that change a customer's tier (now or at its renewal)
ACTIONS = (UP, DOWN, DOWN_KEPT, SET, END_PROMISE, HELD, UNPLACEABLE)
COLUMNS = (
    "customer_id",
    "name",
    "owner",
    "served",
    "placed",
    "action",
    "renewal_date",
    "lifetime_value",
    "arr",
    "revenue_12m",
    "unpriced_orders",
    "promise_kind",
    "promise_until",
    "request_id",
)


def window(as_of: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The 12 months of orders up to and including the as-of date: ``[as_of + 1 day - 365 days, as_of + 1 day)``."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
    return end - dt.timedelta(days=WINDOW_DAYS), end


def _rate(tiers: TiersPolicy) -> ColumnElement[Decimal]:
    """USD per unit of an order's currency; NULL for a currency without a rate."""
    o = Order.__table__.c
    whens = [(o.currency == tiers.currency, literal(Decimal(1)))]
    whens += [(o.currency == code, literal(Decimal(str(rate)))) for code, rate in sorted(tiers.exchange_rates.items())]
    return case(*whens, else_=null())


def revenue_by_golden(tiers: TiersPolicy, as_of: dt.date) -> AnySelect:
    """(golden customer id, revenue in USD, orders without a rate) over the window: orders grouped per customer
    first (one pass over the orders), then folded onto golden records (one look-up per customer with orders)."""
    o = Order.__table__.c
    since, until = window(as_of)
    rate = _rate(tiers)
    per_customer = (
        select(
            o.customer_id.label("customer_id"),
            func.sum(o.amount * rate).label("revenue"),
            func.sum(case((rate.is_(None), 1), else_=0)).label("unpriced"),
        )
        .where(o.ordered_at >= since, o.ordered_at < until, o.status != "refunded")
        .group_by(o.customer_id)
        .subquery("per_customer")
    )
    member = aliased(Customer, name="member")
    golden = func.coalesce(member.merged_into_id, member.id)
    query: AnySelect = (
        select(
            golden.label("golden_id"),
            func.sum(per_customer.c.revenue).label("revenue"),
            func.sum(per_customer.c.unpriced).label("unpriced"),
        )
        .select_from(per_customer.join(member, member.id == per_customer.c.customer_id))
        .group_by(golden)
    )
    return query


def _rank(tiers: TiersPolicy, column: ColumnElement[str]) -> ColumnElement[int]:
    ranked = tiers.ranked()
    return case(*((column == t.name, t.rank) for t in ranked), else_=literal(0))


def placement_query(
    tiers: TiersPolicy, as_of: dt.date, only: Sequence[int] | None = None, revenue: FromClause | None = None
) -> AnySelect:
    """The rows a review acts on (see the module doc), one per golden customer; ``only``: these customers.

    ``revenue``: :func:`revenue_by_golden`'s rows already materialised in a table keyed by ``golden_id`` (what a
    whole-book review passes: SQLite joins a grouped subquery by scanning it once per customer, quadratic in the
    book; a keyed table is one index look-up per customer)."""
    c = Customer.__table__.c
    p = TierPromise.__table__.c
    rev = revenue if revenue is not None else revenue_by_golden(tiers, as_of).subquery("revenue")
    ltv = func.coalesce(c.lifetime_value, 0)
    revenue = func.coalesce(rev.c.revenue, 0)
    record_arr = func.coalesce(c.arr, 0)
    arr = case((record_arr >= revenue, record_arr), else_=revenue)
    ranked = tiers.ranked()
    placed = case(
        *(
            (or_(ltv >= Decimal(str(t.min_lifetime_value)), arr >= Decimal(str(t.min_arr))), literal(t.name))
            for t in ranked[:-1]
        ),
        else_=literal(ranked[-1].name),
    )
    no_value = and_(ltv <= 0, record_arr <= 0, revenue <= 0)
    active = p.until >= as_of
    served_known = c.tier.in_([t.name for t in ranked])
    action = case(
        (no_value, literal(UNPLACEABLE)),
        (and_(p.kind == OVERRIDE, active), case((placed == c.tier, literal("none")), else_=literal(HELD))),
        (placed == c.tier, case((p.customer_id.is_not(None), literal(END_PROMISE)), else_=literal("none"))),
        (and_(p.kind == REVIEW, active, p.placed_tier == placed), literal("none")),  # already scheduled
        (~served_known, literal(SET)),
        (_rank(tiers, placed) < _rank(tiers, c.tier), literal(UP)),
        (and_(c.renewal_date.is_not(None), c.renewal_date > as_of), literal(DOWN_KEPT)),
        else_=literal(DOWN),
    )
    inner = (
        select(
            c.id.label("customer_id"),
            c.name.label("name"),
            c.owner_slack_id.label("owner"),
            c.tier.label("served"),
            placed.label("placed"),
            action.label("action"),
            c.renewal_date.label("renewal_date"),
            ltv.label("lifetime_value"),
            record_arr.label("arr"),
            revenue.label("revenue_12m"),
            func.coalesce(rev.c.unpriced, 0).label("unpriced_orders"),
            p.kind.label("promise_kind"),
            p.until.label("promise_until"),
            p.request_id.label("request_id"),
        )
        .select_from(
            Customer.__table__.outerjoin(rev, rev.c.golden_id == c.id).outerjoin(
                TierPromise.__table__, p.customer_id == c.id
            )
        )
        .where(c.merged_into_id.is_(None))
    )
    if only is not None:
        inner = inner.where(c.id.in_(list(only)))
    sub = inner.subquery("placement")
    return select(*(sub.c[name] for name in COLUMNS)).where(sub.c.action != "none")


def unpriced_currencies(tiers: TiersPolicy, as_of: dt.date) -> AnySelect:
    """Currencies of orders in the window that have no exchange rate, with how many orders: reported, not counted."""
    o = Order.__table__.c
    since, until = window(as_of)
    known = [tiers.currency, *tiers.exchange_rates]
    return (
        select(o.currency, func.count())
        .where(o.ordered_at >= since, o.ordered_at < until, o.status != "refunded", o.currency.not_in(known))
        .group_by(o.currency)
    )
