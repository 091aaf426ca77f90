"""What waits on the asker in approvals: "what approvals are pending?", "what do I need to approve?". The requests
waiting for their decision (as an approver of the current step, never their own) and their own open requests,
as App Home lists them (bot.approvals.queries.home_summary): the same read, said in the answer."""

from __future__ import annotations

from bot.approvals.queries import home_summary
from bot.ask.policy import PolicyFinding
from bot.services import Services

CITED = "approval request decision reminders escalation outcome"


def pending_finding(services: Services, asker: str) -> PolicyFinding:
    home = home_summary(services, asker)
    parts = [
        _listed("Waiting for your decision", [r.line() for r in home.to_decide])
        if home.to_decide
        else "Nothing waits for your decision.",
        _listed("Your open requests", [r.line() for r in home.my_open])
        if home.my_open
        else "You have no open requests.",
    ]
    # cited: the approvals handbook's section on how requests are decided, reminded and escalated
    return PolicyFinding("\n".join(parts), "", citation_query=CITED, citation_title="approv")


def _listed(head: str, lines: list[str]) -> str:
    return f"{head} ({len(lines)}):\n" + "\n".join(lines)
