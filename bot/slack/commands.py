"""``/rapport <subcommand>``: the subcommands of one app, registered by the listener modules that serve them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.slack.inbound import Command

Handler = Callable[[Command], None]


# What Ask answers, one example of each kind (bot.ask): a customer's record, a policy computed for them, the book, the
# asker's approvals, the staff roster and the playbooks.
EXAMPLES = (
    "a customer (`when does Northwave Foods renew?`, `can I give Northwave Foods 15%?`, `what changed on Northwave "
    "Foods this week?`, `how much does Northwave Foods owe us?`), the book (`which gold customers renew next "
    "month?`, `top 5 customers by ARR`, `which renewals are at risk?`, `how much ARR renews next quarter?`, "
    "`what's our churn rate this quarter?`, `how are we doing on SLA this week?`, `what's breaching right now?`, "
    "`which of my accounts have gone quiet?`, `who is due a check-in?`, `how many customers do we have per tier?`, "
    "`what's our total ARR by region?`, `how many alerts did we send last week?`), "
    "your day (`what do I need to do today?`, `what alerts fired today?`), your approvals (`what do I need to "
    "approve?`, `what can I approve?`, `what's the status of request #12?`), people (`who is the DPO?`) or the "
    "playbooks (`what's the discount policy?`, `how do we handle a GDPR erasure request?`)"
)


@dataclass(frozen=True)
class Subcommand:
    name: str
    help: str  # one line after `/rapport NAME`
    run: Handler


@dataclass
class Commands:
    """This app's subcommands (one object per Bolt app: two apps in one process never share a list)."""

    by_name: dict[str, Subcommand] = field(default_factory=dict)

    def add(self, name: str, help: str, run: Handler) -> None:
        if name in self.by_name:
            raise ValueError(f"/rapport {name} is registered twice")
        self.by_name[name] = Subcommand(name, help, run)

    def get(self, word: str) -> Subcommand | None:
        return self.by_name.get(word)

    def help_text(self) -> str:
        """The subcommands, and what Ask answers, by one example of each kind of question."""
        lines = ["*Rapport* answers from the playbooks and the customer record. Try:"]
        lines += [f"• `/rapport {c.name}` {c.help}" for c in sorted(self.by_name.values(), key=lambda c: c.name)]
        lines.append("• `/rapport help` — this help")
        lines.append("• or mention me in a channel: `@Rapport what is the escalation path for Northwave Foods?`")
        lines.append(f"Ask about {EXAMPLES}.")
        return "\n".join(lines)
