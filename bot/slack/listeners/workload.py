"""``/rapport workload [@owner]``: an owner's load (accounts against cap, hand-offs, alerts, pages, out-of-hours
pages, SLA breaches), shown only to the asker; someone else's only to their leads (``bot.kpi.workload``)."""

from __future__ import annotations

from functools import partial

from slack_bolt import App

from bot.kpi.workload import workload_report
from bot.slack.inbound import Command
from bot.slack.wiring import Rapport


def workload(r: Rapport, cmd: Command) -> None:
    report = workload_report(r.services, cmd.user, cmd.rest)
    r.tell(cmd.user, cmd.channel, report.refused or report.title, report, response_url=cmd.response_url)


def register(app: App, r: Rapport) -> None:
    r.commands.add(
        "workload",
        "[@owner] — accounts against cap, hand-offs, pages this week (only you see it)",
        partial(workload, r),
    )
