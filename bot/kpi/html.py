"""The KPI report as one self-contained HTML page: figures, tables, and the charts embedded as data: URIs."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

from bot.customers.outcomes import Outcomes
from bot.kpi import format as f
from bot.kpi.charts import Chart
from bot.kpi.metrics import Kpis
from bot.kpi.outcomes import OUTCOME_HEADER, by_depth_rows, outcome_rows
from bot.kpi.pack import Pack

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:960px;color:#1d1c1d}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem}
.period{color:#616061;margin-top:0}
.figures{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:.75rem}
.figure{border:1px solid #ddd;border-radius:8px;padding:.6rem .8rem}
.figure .label{font-size:.8rem;color:#616061} .figure .value{font-size:1.3rem;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.9rem} th,td{padding:.35rem .6rem;border-bottom:1px solid #eee}
th{text-align:right;background:#f8f8f8} td{text-align:right} th:first-child,td:first-child{text-align:left}
img{max-width:100%;height:auto;display:block;margin:1rem 0} .notes{font-size:.85rem;color:#454245}
"""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], caption: str) -> str:
    head = "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    if not rows:
        body = f"<tr><td colspan='{len(header)}'>none in this window</td></tr>"
    return f"<table><caption hidden>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>{body}</table>"


def _img(chart: Chart) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    return (
        f"<figure><img src='data:image/png;base64,{data}' alt='{html.escape(chart.alt, quote=True)}'>"
        f"<figcaption>{html.escape(chart.title)}</figcaption></figure>"
    )


def _extra(p: Pack | None, o: Outcomes | None) -> str:
    """The kpis-per-tier.md pack and the relationship outcomes, when computed."""
    out = ""
    if p is not None:
        broken = "".join(f"<li>{html.escape(b)}</li>" for b in p.broken)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in f.pack_notes(p))
        out += f"""<h2>Per tier against target (kpis-per-tier.md)</h2>
{_table(f.PACK_HEADER, f.pack_rows(p), "Per tier against target")}
{f"<h3>Promises not kept</h3><ul>{broken}</ul>" if broken else ""}
<h2>Alerts per rule</h2>
{_table(f.RULE_HEADER, f.rule_rows(p), "Alerts per rule")}
<ul class="notes">{notes}</ul>"""
    if o is not None:
        header = ["Tier", *OUTCOME_HEADER[1:]]
        out += f"""<h2>Relationship outcomes by tier</h2>
{_table(header, outcome_rows(o, o.by_tier), "Relationship outcomes by tier")}
<h2>By relationship depth (check-in cadence kept before the decision)</h2>
{_table(header, by_depth_rows(o), "Relationship outcomes by depth")}"""
    return out


def render_html(
    k: Kpis,
    charts: Sequence[Chart],
    title: str = "Rapport KPI report",
    pack: Pack | None = None,
    outcomes: Outcomes | None = None,
) -> str:
    figures = "".join(
        f"<div class='figure'><div class='label'>{html.escape(label)}</div>"
        f"<div class='value'>{html.escape(value)}</div></div>"
        for label, value in f.headline(k)
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in f.definitions(k))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="period">{html.escape(f.period(k))}</p>
<section class="figures" aria-label="Headline figures">{figures}</section>
<h2>Cost-to-serve and resolution time by tier</h2>
{_table(f.SERVICE_HEADER, f.service_rows(k), "Cost-to-serve and resolution time by tier")}
<h2>Alert acknowledgement by tier</h2>
{_table(f.ALERT_HEADER, f.alert_rows(k), "Alert acknowledgement by tier")}
<h2>Approvals: standard vs exception pathway</h2>
{_table(f.PATHWAY_HEADER, f.pathway_rows(k), "Approvals by pathway")}
{_extra(pack, outcomes)}
<h2>Charts</h2>
{"".join(_img(c) for c in charts)}
<h2>Definitions</h2>
<ul class="notes">{notes}</ul>
</body></html>
"""
