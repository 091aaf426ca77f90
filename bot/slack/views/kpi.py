"""Block Kit for the weekly KPI digest: headline figures as fields, the per-tier tables as code blocks."""

from __future__ import annotations

from bot.customers.outcomes import Outcomes
from bot.kpi import format as f
from bot.kpi.conversations import CONVERSATION_HEADER, ConversationKpis, conversation_table_rows
from bot.kpi.digest import KpiDigest
from bot.kpi.outcomes import OUTCOME_HEADER, by_depth_rows, outcome_rows
from bot.kpi.pack import Pack
from bot.kpi.workload import WORKLOAD_HEADER, Workload, WorkloadReport, workload_rows
from bot.segments.present import SegmentReviewPost
from bot.slack.views.common import Block, context, divider, fields_section, header, inert, section
from bot.slack.views.render import render


def _table(title: str, table: str) -> Block:
    return section(f"*{inert(title)}*\n```{inert(table)}```")  # cells hold names from the data


def conversation_blocks(c: ConversationKpis | None) -> list[Block]:
    """Customer channels: first response (SLA time) and breach rate, per tier and per owner."""
    if c is None or not c.conversations:
        return []
    header_row = CONVERSATION_HEADER
    return [
        _table(
            "Customer channels: first response by tier", f.text_table(header_row, conversation_table_rows(c.by_tier))
        ),
        _table(
            "Customer channels: first response by owner",
            f.text_table(["owner", *header_row[1:]], conversation_table_rows(c.by_owner)),
        ),
    ]


def pack_blocks(p: Pack | None) -> list[Block]:
    """kpis-per-tier.md figures against target and last period, promises broken, alert volume per rule."""
    if p is None:
        return []
    blocks = [_table("Per tier against target (kpis-per-tier.md)", f.text_table(f.PACK_HEADER, f.pack_rows(p)))]
    if p.broken:
        blocks.append(section("*Promises not kept*\n" + "\n".join(f"• {inert(b)}" for b in p.broken)))
    if p.rules:
        blocks.append(_table("Alerts per rule", f.text_table(f.RULE_HEADER, f.rule_rows(p))))
    blocks.append(context(*(inert(n) for n in f.pack_notes(p))))
    return blocks


def outcome_blocks(o: Outcomes | None) -> list[Block]:
    if o is None or not o.by_tier:
        return []
    return [
        _table("Relationship outcomes by tier", f.text_table(OUTCOME_HEADER, outcome_rows(o, o.by_tier))),
        _table("By relationship depth (check-in cadence kept)", f.text_table(OUTCOME_HEADER, by_depth_rows(o))),
    ]


def workload_blocks(w: Workload | None) -> list[Block]:
    if w is None or not w.owners:
        return []
    return [_table("Owner workload", f.text_table(WORKLOAD_HEADER, workload_rows(w, limit=15)))]  # 3,000-char section


@render.register
def _workload(r: WorkloadReport) -> list[Block]:
    if r.refused:
        return [section(inert(r.refused))]
    blocks: list[Block] = [header(r.title), _table("Accounts, hand-offs, alerts and pages", r.table)]
    if r.flags:
        blocks.append(section("*Burnout-risk signals*\n" + "\n".join(f"• {inert(x)}" for x in r.flags)))
    return blocks


@render.register
def _kpi_digest(d: KpiDigest) -> list[Block]:
    k = d.kpis
    figures = f.headline(k)
    blocks: list[Block] = [
        header(d.title),
        context(f"{f.period(k)}"),
        fields_section(figures[:10]),
        divider(),
        _table("Cost-to-serve and resolution by tier", f.text_table(f.SERVICE_HEADER, f.service_rows(k))),
    ]
    if k.alerts:
        blocks.append(_table("Alert acknowledgement by tier", f.text_table(f.ALERT_HEADER, f.alert_rows(k))))
    blocks.append(_table("Approvals: standard vs exception pathway", f.text_table(f.PATHWAY_HEADER, f.pathway_rows(k))))
    blocks += pack_blocks(d.pack)
    blocks += outcome_blocks(d.outcomes)
    blocks += workload_blocks(d.workload)
    blocks += conversation_blocks(d.conversations)
    notes = [" ".join(f.definitions(k))]
    if d.chart_titles:
        notes.append("Charts in the thread: " + "; ".join(inert(t) for t in d.chart_titles))
    blocks.append(context(*notes))
    return blocks


@render.register
def _segment_review(p: SegmentReviewPost) -> list[Block]:
    """The segmentation review in the governance channel: what moves, the largest moves, each owner's book."""
    blocks: list[Block] = [header(p.title), section("\n".join(inert(line) for line in p.summary))]
    if p.moves:
        blocks.append(_table("Largest moves", p.moves))
    if p.owners:
        blocks.append(_table("Owner impact", p.owners))
    if p.notes:
        blocks.append(context(*(inert(n) for n in p.notes)))
    return blocks
