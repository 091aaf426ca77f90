"""The relationship outcomes (``bot.customers.outcomes``) as the KPI report's table rows: text, HTML and Slack."""

from __future__ import annotations

from bot.customers.outcomes import OutcomeRow, Outcomes, percent, signed_usd

OUTCOME_HEADER = ["", "Renewed", "Churned", "Churn", "Expansion", "GRR", "NRR", "Touches/decision", "Recovery"]


def outcome_rows(o: Outcomes, rows: tuple[OutcomeRow, ...]) -> list[list[str]]:
    """Rows for :func:`bot.kpi.format.text_table`; GRR/NRR with the tier's target in brackets."""

    def share(v: float | None, target: float | None) -> str:
        return percent(v) + (f" ({percent(target)})" if v is not None and target is not None else "")

    out = []
    for row in rows:
        grr_t, nrr_t = o.targets.get(row.group.split(" / ")[0], (None, None))
        per = row.touches_per_decision
        out.append(
            [
                row.group,
                f"{row.renewed:,}",
                f"{row.churned:,}",
                percent(row.churn_rate),
                signed_usd(row.expansion),
                share(row.grr, grr_t),
                share(row.nrr, nrr_t),
                "-" if per is None else f"{per:.1f}",
                "-" if row.recovery_hours is None else f"{row.recovery_hours:.1f} h",
            ]
        )
    return out


def by_depth_rows(o: Outcomes) -> list[list[str]]:
    return outcome_rows(o, o.by_depth)
