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

from bot.kpi.metrics import Kpis

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
    _bars(left, tiers, fcr, "First-contact resolution", pct, COLORS[2])
    _bars(right, tiers, ack, "Alert ack rate", pct, COLORS[3])
    for ax in (left, right):
        ax.set_ylim(0, 1.15)
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    return Chart(
        "kpi-fcr-ack.png",
        "First-contact resolution and alert ack rate by tier",
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


def render_charts(k: Kpis) -> list[Chart]:
    return [cost_and_resolution(k), rates_by_tier(k), approvals(k)]
