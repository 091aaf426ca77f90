"""KPI charts as PNG bytes, drawn with matplotlib's Agg canvas (no display, no pyplot global state).

matplotlib keeps a font cache under ``MPLCONFIGDIR`` (default ``~/.config/matplotlib``); a service account's
home may be read-only, so an unset ``MPLCONFIGDIR`` is pointed at a per-user temp directory. Only the
bundled DejaVu fonts are used: nothing is fetched.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.customers.outcomes import Outcomes
from bot.kpi.metrics import Kpis
from bot.kpi.pack import Pack
from bot.kpi.workload import Workload

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52")


@dataclass(frozen=True)
class Chart:
    filename: str
    title: str
    alt: str  # what the chart shows, for screen readers and the Slack file title
    png: bytes


def _figure(width: float = 8.0, height: float = 3.4) -> Any:
    os.environ.setdefault("MPLCONFIGDIR", os.path.join(tempfile.gettempdir(), f"rapport-mpl-{os.getuid()}"))
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _bars(ax: Any, labels: Sequence[str], values: Sequence[float | None], title: str, fmt: str, color: str) -> None:
    heights = [v or 0.0 for v in values]
    bars = ax.bar(labels, heights, color=color)
    ax.set_title(title, fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    ax.bar_label(bars, labels=["-" if v is None else fmt.format(v) for v in values], fontsize=8, padding=2)
    ax.margins(y=0.2)
    # Counts and rates are never negative: an empty series would otherwise get matplotlib's -0.05..0.05 axis
    ax.set_ylim(bottom=0, top=None if max(heights, default=0) > 0 else 1)


def cost_and_resolution(k: Kpis) -> Chart:
    tiers = [t.tier for t in k.service]
    fig = _figure()
    left, right = fig.subplots(1, 2)
    _bars(
        left, tiers, [t.cost_per_customer for t in k.service], "Cost-to-serve per customer (USD)", "${:,.0f}", COLORS[0]
    )
    _bars(
        right,
        tiers,
        [t.median_resolution_hours for t in k.service],
        "Median resolution time (hours)",
        "{:.1f}",
        COLORS[1],
    )
    return Chart(
        "kpi-cost-resolution.png",
        "Cost-to-serve and resolution time by tier",
        "Bar charts: cost-to-serve per customer and median ticket resolution hours, per tier",
        _png(fig),
    )


def rates_by_tier(k: Kpis) -> Chart:
    service = {t.tier: t for t in k.service}
    alerts = {a.tier: a for a in k.alerts}
    tiers = list(dict.fromkeys([*service, *alerts]))
    fcr = [service[t].fcr_rate if t in service else None for t in tiers]
    ack = [alerts[t].ack_rate if t in alerts else None for t in tiers]
    fig = _figure()
    left, right = fig.subplots(1, 2)
    pct = "{:.0%}"
    _bars(left, tiers, fcr, "No repeat contact in 7 days", pct, COLORS[2])
    _bars(right, tiers, ack, "Alert ack rate", pct, COLORS[3])
    for ax in (left, right):
        ax.set_ylim(0, 1.15)
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    return Chart(
        "kpi-fcr-ack.png",
        "Repeat-contact-free resolution and alert ack rate by tier",
        "Bar charts: first-contact resolution rate and alert acknowledgement rate, per tier",
        _png(fig),
    )


def approvals(k: Kpis) -> Chart:
    names = [p.pathway for p in k.approvals]
    fig = _figure()
    left, right = fig.subplots(1, 2)
    _bars(left, names, [float(p.requests) for p in k.approvals], "Requests by pathway", "{:,.0f}", COLORS[0])
    _bars(
        right, names, [p.median_turnaround_hours for p in k.approvals], "Median turnaround (hours)", "{:.1f}", COLORS[1]
    )
    from matplotlib.ticker import MaxNLocator

    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    rate = k.exception_rate
    left.set_xlabel(f"exception rate {rate:.0%}" if rate is not None else "no requests", fontsize=9)
    return Chart(
        "kpi-approvals.png",
        "Approval turnaround and exception rate (standard vs exception pathway)",
        "Bar charts: approval requests and median turnaround hours, standard vs exception pathway",
        _png(fig),
    )


def sla_against_targets(p: Pack) -> Chart:
    """First-response and resolution SLA met per tier, each with its target as a tick."""
    tiers = [t.tier for t in p.tiers]
    fig = _figure()
    left, right = fig.subplots(1, 2)
    for ax, label, color in ((left, "First-response SLA met", COLORS[0]), (right, "Resolution SLA met", COLORS[2])):
        figs = [next((f for f in p.of(t) if f.label == label), None) for t in tiers]
        _bars(ax, tiers, [f.value if f else None for f in figs], label, "{:.0%}", color)
        targets = [(i, f.target) for i, f in enumerate(figs) if f is not None and f.target is not None]
        if targets:
            ax.scatter([i for i, _ in targets], [v for _, v in targets], marker="_", s=600, color="#1d1c1d", zorder=3)
        ax.set_ylim(0, 1.15)
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    return Chart(
        "kpi-sla-targets.png",
        "SLA met by tier against target",
        "Bar charts: share of closed tickets meeting first-response and resolution targets per tier; "
        "black ticks mark the tier's target",
        _png(fig),
    )


def workload_chart(w: Workload, limit: int = 15) -> Chart:
    """Per owner: accounts as a share of the tightest cap, and pages with the out-of-hours ones."""
    owners = list(w.owners[:limit])
    names = [o.name.split()[0] if o.on_roster else o.owner for o in owners]
    fill = [max((n / o.caps[t] for t, n in o.accounts.items() if t in o.caps), default=None) for o in owners]
    fig = _figure(width=9.0)
    left, right = fig.subplots(1, 2)
    _bars(left, names, fill, "Accounts against cap", "{:.0%}", COLORS[0])
    left.axhline(1.0, color=COLORS[3], linewidth=1)
    _bars(right, names, [float(o.pages) for o in owners], "Pages (out of hours in red)", "{:,.0f}", COLORS[1])
    right.bar(names, [o.pages_out_of_hours for o in owners], color=COLORS[3])
    for ax in (left, right):
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    return Chart(
        "kpi-workload.png",
        "Owner workload: accounts against cap, pages and out-of-hours pages",
        "Bar charts per owner: accounts as a share of the tier cap (red line = cap) and pages this week, "
        "out-of-hours pages in red",
        _png(fig),
    )


def outcomes_chart(o: Outcomes, p: Pack | None) -> Chart:
    """Per tier: churn rate and net revenue retention, beside cost to serve (% of ARR) when the pack is there."""
    tiers = [r.group for r in o.by_tier]
    cost = {t.tier: t.cost_to_serve for t in p.tiers} if p is not None else {}
    fig = _figure(width=9.0)
    left, mid, right = fig.subplots(1, 3)
    _bars(left, tiers, [r.churn_rate for r in o.by_tier], "Churn rate", "{:.0%}", COLORS[3])
    _bars(mid, tiers, [r.nrr for r in o.by_tier], "Net revenue retention", "{:.0%}", COLORS[2])
    _bars(right, tiers, [cost.get(t) for t in tiers], "Cost to serve (% of ARR)", "{:.1%}", COLORS[0])
    for ax in (left, mid, right):
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    return Chart(
        "kpi-outcomes.png",
        "Relationship outcomes by tier: churn, net revenue retention, cost to serve",
        "Bar charts per tier: churn rate and net revenue retention of renewal decisions, cost to serve as a share "
        "of ARR",
        _png(fig),
    )


def render_charts(k: Kpis, p: Pack | None = None, w: Workload | None = None, o: Outcomes | None = None) -> list[Chart]:
    charts = [cost_and_resolution(k), rates_by_tier(k), approvals(k)]
    if o is not None and o.by_tier:
        charts.append(outcomes_chart(o, p))
    if p is not None and p.tiers:
        charts.append(sla_against_targets(p))
    if w is not None and w.owners:
        charts.append(workload_chart(w))
    return charts
