"""The asker's approvals. What waits on them: "what approvals are pending?", "what do I need to approve?" (the
requests waiting for their decision, as an approver of the current step, never their own, and their own open
requests, as App Home lists them: bot.approvals.queries.home_summary, the same read said in the answer). And what
was decided: "which requests did I approve this week?" (their decisions, from the audit trail's votes), "were my
requests approved?" (their own requests that reached an outcome)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from bot import mrkdwn
from bot.approvals.models import APPROVED, AUTO_APPROVED, CHANGES_REQUESTED, EXPIRED, FINAL_STATES, REJECTED
from bot.approvals.queries import decided_for, decisions_by, home_summary, of_customer, one_request, overdue
from bot.approvals.results import RequestSummary
from bot.ask.dates import day, latest_window
from bot.ask.people import person
from bot.ask.policy import PolicyFinding
from bot.customers.sla import human
from bot.services import Services

CITED = "approval request decision reminders escalation outcome"
SHOWN = 10  # decisions listed; the answer says how many more
RECENT_DAYS = 30  # the window when the question names none ("what have I approved recently?")

_OWN = re.compile(r"\bmy (\w+ ){0,2}requests?\b|\bi (requested|submitted|raised|asked for|filed)\b", re.I)
_APPROVE = re.compile(r"\b(approve[sd]?|approving|sign\w* off)\b", re.I)  # not "approval": "approval requests"
_REJECT = re.compile(r"\b(reject\w*|declin\w*|den(y|ied))\b", re.I)
# an outcome asked of the asker's requests ("were my requests approved?", "which were decided?"), not the requests
_OUTCOME = re.compile(r"\b(decided|decisions?|outcomes?|approv(?!al)\w*|reject\w*|declin\w*|den(y|ied))\b", re.I)
# a request's final state, or a vote's decision, as a list line says it
_SAID = {
    APPROVED: "approved",
    AUTO_APPROVED: "auto-approved",
    REJECTED: "rejected",
    EXPIRED: "expired",
    CHANGES_REQUESTED: "changes requested",
    "approve": "approved",
    "reject": "rejected",
    "changes": "changes requested",
}


# "what's the status of request #12?", "has request 45 been approved?": one request, by the number its messages show
REQUEST = re.compile(r"\b(?:approval\s+)?request\s*(?:(?:no\.?|number|id)\s*)?#?(\d{1,12})\b", re.I)


def named_request(question: str) -> int | None:
    """The number of the approval request the question names ("request #12"), or None."""
    found = REQUEST.search(question)
    return int(found.group(1)) if found else None


def request_finding(services: Services, asker: str, request_id: int) -> PolicyFinding:
    """Where request ``request_id`` stands: its step and who decides it, or its outcome, with each decision made
    on it (the audit trail's votes; a reason given is quoted, inert). Only to an admin, its requester, those who
    may decide its current step and the customer's owner; to anyone else it is a request they may not see."""
    found = one_request(services, request_id, asker, services.policies.is_admin(asker))
    if found is None:
        return _finding(f"I have no request #{request_id} that you raised, may decide or whose customer you own.")
    r, policies = found.summary, services.policies
    if found.approvers is not None:
        head = r.line(f"waiting on {mrkdwn.escape(r.step_name or '')}, decided by {person(policies, found.approvers)}")
    else:
        decided = f" on {day(found.decided_at)}" if found.decided_at else ""
        head = r.line(f"{_SAID.get(r.state, r.state)}{decided}")
    lines = [head.removeprefix("• "), f"Asked by {person(policies, r.requester)} on {day(r.created_at)}."]
    for step, approver, decision, reason, when in found.votes:
        why = f": _{mrkdwn.escape(reason)}_" if reason and decision != "approve" else ""
        lines.append(
            f"• {mrkdwn.escape(step)}: {_SAID.get(decision, decision)} by {person(policies, approver)}"
            f" on {day(when)}{why}"
        )
    return _finding("\n".join(lines), [r])


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
    return _finding("\n".join(parts), [*home.to_decide, *home.my_open])


# "which approvals are overdue?", "what's stuck in approvals?": the pending steps past their reminder time
_OVERDUE = re.compile(
    r"\b(overdue|late|stuck|stalled|waiting too long|past (their|its|the) (reminder|timeout|deadline))\b", re.I
)


def asks_overdue(question: str) -> bool:
    return bool(_OVERDUE.search(question))


def overdue_finding(services: Services, asker: str, now: dt.datetime) -> PolicyFinding:
    """The pending requests past their step's reminder time, the longest waiting first: all of them to an admin
    (a CS lead sees the whole queue), else those the asker may decide or raised."""
    everyone = services.policies.is_admin(asker)
    total, rows = overdue(services, asker, now, everyone, SHOWN)
    whose = "" if everyone else " of yours (to decide or raised)"
    if not rows:
        return _finding(f"No approval request{whose} has waited past its reminder time.")
    lines = [
        summary.line(
            f"{mrkdwn.escape(summary.step_name or '')} waiting {human(waiting)} (reminder after {human(reminder)})"
            + (", escalated" if escalated else "")
        )
        for summary, waiting, reminder, escalated in rows
    ]
    head = f"Approval requests{whose} past their step's reminder time, the longest waiting first"
    return _finding(_listed(head, lines, total), [summary for summary, _, _, _ in rows])


def customer_requests_finding(
    services: Services, asker: str, customer_id: int, name: str, owner: str | None
) -> PolicyFinding:
    """The approval requests made for one customer ("who still needs to approve the Acme request?", "has Acme's
    credit been approved?"): the pending ones with the step and who decides it (named, not mentioned), then the
    latest decided. All of them to an admin or the account's owner, else those the asker may decide or raised."""
    everyone = services.policies.is_admin(asker) or owner == asker
    total, rows = of_customer(services, customer_id, asker, everyone, SHOWN)
    whose = "" if everyone else " that you may decide or raised"
    if not rows:
        return _finding(f"No approval request{whose} has been made for {name}.")
    lines = []
    for summary, approvers, decided in rows:
        if approvers is not None:  # pending: the step, and who decides it
            lines.append(f"{summary.line()}, waiting on {person(services.policies, approvers)}")
        else:
            when = f" on {day(decided)}" if decided else ""
            lines.append(summary.line(f"{_SAID.get(summary.state, summary.state)}{when}"))
    listed = _listed(f"Approval requests for {name}{whose}, open first", lines, total)
    return _finding(listed, [summary for summary, _, _ in rows])


def decided_finding(services: Services, asker: str, questions: Sequence[str], now: dt.datetime) -> PolicyFinding:
    """The asker's decisions in the window the question names (or their own requests' outcomes, when it asks
    about "my requests"), only approvals or rejections when it names one. ``questions``: the thread's chain, the
    question last ("what did I approve this week?", "and last month?"): the latest line that names a window, a
    decision or whose requests says it."""
    said = list(reversed(questions))
    since, until, window = latest_window(questions, now, RECENT_DAYS)
    decided = next((q for q in said if _APPROVE.search(q) or _REJECT.search(q)), "")
    approve, reject = bool(_APPROVE.search(decided)), bool(_REJECT.search(decided))
    only = "approve" if approve and not reject else "reject" if reject and not approve else None
    opened = ""
    if any(_OWN.search(q) for q in said):
        states = {"approve": (APPROVED, AUTO_APPROVED), "reject": (REJECTED,), None: FINAL_STATES}[only]
        total, rows = decided_for(services, asker, since, until, states, SHOWN)
        what = {"approve": "approved", "reject": "rejected", None: "decided"}[only]
        head = f"Your requests {what} {window}"
        none = f"None of your requests was {what} {window}."
        if not _OUTCOME.search(questions[-1]):
            # their requests, whatever became of them ("what requests have I raised?"): the open ones first
            mine = home_summary(services, asker).my_open
            opened = _listed("Your open requests", [r.line() for r in mine]) if mine else "You have no open requests."
            opened += "\n"
    else:
        total, rows = decisions_by(services, asker, since, until, only, SHOWN)
        what = {"approve": "approvals", "reject": "rejections", None: "decisions"}[only]
        head = f"Your {what} {window}"
        none = f"You made no {what} {window}." if only else f"You decided no request {window}."
    if not rows:
        return _finding(opened + none)
    lines = [_line(summary, outcome, when) for summary, outcome, when in rows]
    return _finding(opened + _listed(head, lines, total), [summary for summary, _, _ in rows])


def _line(summary: RequestSummary, outcome: str, when: dt.datetime) -> str:
    return summary.line(f"{_SAID.get(outcome, outcome.replace('_', ' '))} on {day(when)}")


def _listed(head: str, lines: list[str], total: int | None = None) -> str:
    """ "Head (12):" and the lines; "…and N more." when ``total`` is more than the lines shown."""
    more = f"\n…and {total - len(lines)} more." if total is not None and total > len(lines) else ""
    return f"{head} ({len(lines) if total is None else total}):\n" + "\n".join(lines) + more


def _finding(text: str, summaries: Sequence[RequestSummary] = ()) -> PolicyFinding:
    """Cited to the approvals handbook's section on how requests are decided, reminded and escalated; a list of
    requests is the answer (no prose after it). A discount's size is the customer's discount history, a field
    only some roles see (roles.yaml): an answer stating one goes to the asker alone in a channel."""
    private = any(r.request_type == "discount" for r in summaries)
    return PolicyFinding(text, "", citation_query=CITED, citation_title="approv", supported=False, sensitive=private)
