"""Number formatting and the KPI tables as rows of strings: one source for Slack, the HTML page and the CLI."""

from __future__ import annotations

from bot.customers.outcomes import beside_target
from bot.customers.surveys import nps_text
from bot.kpi.metrics import EFFORT_HOURS, HOURLY_COST, Kpis
from bot.kpi.pack import MEASURES, Figure, Pack


def pct(v: float | None) -> str:
    return "-" if v is None else f"{v:.0%}"


def hours(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f} h"


def minutes(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f} min"


def usd(v: float | None) -> str:
    return "-" if v is None else f"${v:,.2f}"


def period(k: Kpis) -> str:
    return f"{k.since:%Y-%m-%d %H:%M} to {k.until:%Y-%m-%d %H:%M} UTC"


def headline(k: Kpis) -> list[tuple[str, str]]:
    """The figures a reader needs first: (label, value)."""
    std, exc = k.pathway("standard"), k.pathway("exception")
    return [
        ("Tickets resolved", f"{k.tickets_resolved:,}"),
        ("Cost-to-serve", usd(k.cost_usd)),
        ("No repeat contact in 7 d", pct(k.fcr_rate)),
        ("Alerts", f"{k.alerts_total:,}"),
        ("Alert ack rate", pct(k.ack_rate)),
        ("Urgent alert ack rate", pct(k.urgent_ack_rate)),
        ("Approval requests", f"{k.approval_requests:,}"),
        ("Exception rate", pct(k.exception_rate)),
        ("Turnaround, standard", hours(std.median_turnaround_hours if std else None)),
        ("Turnaround, exception", hours(exc.median_turnaround_hours if exc else None)),
    ]


SERVICE_HEADER = ["Tier", "Customers", "Resolved", "Cost/customer", "Median res.", "Mean res.", "No repeat 7 d"]
ALERT_HEADER = ["Tier", "Alerts", "Acked", "Ack rate", "Urgent ack", "Escalated", "Median to ack"]
PATHWAY_HEADER = ["Pathway", "Requests", "Decided", "Approved", "Median turnaround", "Mean turnaround"]


def service_rows(k: Kpis) -> list[list[str]]:
    return [
        [
            t.tier,
            f"{t.customers:,}",
            f"{t.tickets_resolved:,}",
            usd(t.cost_per_customer),
            hours(t.median_resolution_hours),
            hours(t.mean_resolution_hours),
            pct(t.fcr_rate),
        ]
        for t in k.service
    ]


def alert_rows(k: Kpis) -> list[list[str]]:
    return [
        [
            a.tier,
            f"{a.alerts:,}",
            f"{a.acked:,}",
            pct(a.ack_rate),
            pct(a.urgent_ack_rate),
            f"{a.escalated:,}",
            minutes(a.median_minutes_to_ack),
        ]
        for a in k.alerts
    ]


def pathway_rows(k: Kpis) -> list[list[str]]:
    return [
        [
            p.pathway,
            f"{p.requests:,}",
            f"{p.decided:,}",
            f"{p.approved:,}",
            hours(p.median_turnaround_hours),
            hours(p.mean_turnaround_hours),
        ]
        for p in k.approvals
    ]


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """A fixed-width table (for a Slack code block and the terminal)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in [header, *rows]
    )


def definitions(k: Kpis) -> list[str]:
    """What each figure means (the definitions in ``bot.kpi.metrics``), for readers of Slack and the page."""
    effort = ", ".join(f"{p} {h:g} h" for p, h in EFFORT_HOURS.items())
    hourly = k.service[0].hourly_cost if k.service else HOURLY_COST
    return [
        "Tickets count for the tier of their customer's golden record; customers per tier count golden records.",
        f"Cost-to-serve per customer: tickets resolved in the window x a handling-hours proxy by priority ({effort}) "
        f"x ${hourly:,.0f}/h, divided by the tier's customers.",
        "Resolution time: resolved minus opened, for tickets resolved in the window.",
        "No repeat contact in 7 d: resolved tickets after which the customer opened no other ticket of the same "
        "category within 7 days of the resolution (first-contact resolution as kpis-per-tier.md defines it is in "
        "the per-tier table).",
        "Alert ack rate: alerts created in the window acknowledged (Ack button) before its end.",
        "Standard pathway: requests settled by an auto-approve rule; exception pathway: routed to a human approval "
        "chain. Exception rate: exception requests / requests created in the window. Turnaround: decided minus "
        "created, for requests decided in the window.",
    ]


PACK_HEADER = ["Tier", "1st response SLA", "Resolution SLA", "FCR", "CSAT", "NPS", "Cost % ARR"]


# how a pack figure is shown, by its attribute: a share unless said here
_SHOWN = {
    "cost_to_serve": lambda v: f"{v:.1%}",  # a small share of ARR: one decimal
    "csat": lambda v: f"{v:.1f}",  # a mean score, 1-5
    "nps": nps_text,  # -100..100
}

# one more digit, for a value that misses its target but rounds to it
_FINER = {"cost_to_serve": "{:.2%}".format, "csat": "{:.2f}".format, "nps": "{:+.1f}".format}


def _vs(fig: Figure, attr: str = "") -> str:
    """``94% (target 98%, was 96% ↓) !``: the value, its target, last period's value and the trend; ``!`` when the
    target is missed. ``attr``: the figure's attribute, which says how its values are shown (:data:`_SHOWN`)."""

    def show(v: float | None) -> str:
        return "-" if v is None else _SHOWN[attr](v) if attr in _SHOWN else pct(v)

    if fig.value is None:
        return "-"
    parts = [f"target {'' if fig.higher_is_better else '≤'}{show(fig.target)}"] if fig.target is not None else []
    if fig.previous is not None:
        parts.append(f"was {show(fig.previous)} {fig.trend}".rstrip())
    extra = f" ({', '.join(parts)})" if parts else ""
    value = show(fig.value)
    if fig.target is not None:  # "94.7% (target 95%) !", not "95% (target 95%) !"
        value = beside_target(fig.value, fig.target, fig.missed, show, _FINER.get(attr, "{:.1%}".format))
    return f"{value}{extra}{' !' if fig.missed else ''}"


def pack_rows(p: Pack) -> list[list[str]]:
    """One row per tier: each playbook figure against its target and last period."""
    rows = []
    for t in p.tiers:
        figs = {f.label: f for f in p.of(t.tier)}
        rows.append(
            [
                t.tier,
                *(
                    _vs(figs[label], attr) if label in figs else "—"  # no figure: a dash
                    for attr, label, _, _ in MEASURES
                ),
            ]
        )
    return rows


RULE_HEADER = ["Rule", "Alerts", "Acked", "Ack rate"]


def rule_rows(p: Pack, limit: int = 15) -> list[list[str]]:
    return [[r.rule, f"{r.alerts:,}", f"{r.acked:,}", pct(r.ack_rate)] for r in p.rules[:limit]]


def pack_notes(p: Pack) -> list[str]:
    notes = [
        "Definitions per kpis-per-tier.md over tickets closed in the window: SLA met = first response (resolution) "
        "within the tier's and priority's sla.yaml target (business time for business-hours tiers); FCR = one agent "
        "response and no reopen within 7 days; cost to serve = support (handling-hours proxy x support hour) + "
        "account management (owner cost / accounts cap) + approved special handling, over the tier's ARR for the "
        "window. '!' = target missed; arrows compare with the previous period of the same length."
    ]
    if p.fcr_unknown:
        notes.append(f"{p.fcr_unknown:,} closed tickets carry no agent-response count: left out of FCR.")
    return notes
