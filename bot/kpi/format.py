"""Number formatting and the KPI tables as rows of strings: one source for Slack, the HTML page and the CLI."""

from __future__ import annotations

from bot.kpi.metrics import EFFORT_HOURS, HOURLY_COST, Kpis


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
        ("First-contact resolution", pct(k.fcr_rate)),
        ("Alerts", f"{k.alerts_total:,}"),
        ("Alert ack rate", pct(k.ack_rate)),
        ("Urgent alert ack rate", pct(k.urgent_ack_rate)),
        ("Approval requests", f"{k.approval_requests:,}"),
        ("Exception rate", pct(k.exception_rate)),
        ("Turnaround, standard", hours(std.median_turnaround_hours if std else None)),
        ("Turnaround, exception", hours(exc.median_turnaround_hours if exc else None)),
    ]


SERVICE_HEADER = ["Tier", "Customers", "Resolved", "Cost/customer", "Median res.", "Mean res.", "FCR"]
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
        "First-contact resolution: resolved tickets after which the customer opened no other ticket of the same "
        "category within 7 days of the resolution.",
        "Alert ack rate: alerts created in the window acknowledged (Ack button) before its end.",
        "Standard pathway: requests settled by an auto-approve rule; exception pathway: routed to a human approval "
        "chain. Exception rate: exception requests / requests created in the window. Turnaround: decided minus "
        "created, for requests decided in the window.",
    ]
