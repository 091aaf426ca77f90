"""Who may see a customer field: computed from ``roles.yaml`` (public fields, each role's ``sees``), the same
rule the card and the record answers apply, so "who can see phone numbers?" is answered by the policy itself.

A question names fields by their words ("phone numbers", "health scores", "the contact's name") and roles by
theirs ("support agents"); "I" is the asker's own roles. Nothing named: None, and the playbooks answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot import mrkdwn
from bot.ask.facts import LABELS
from bot.ask.intents import USER_MENTION
from bot.ask.policy import PolicyFinding
from bot.policies import Policies
from retrieval.lexical import tokenize

# The words people use for a field that its key does not contain; its key's own words always name it too.
ALIASES = {
    "contact_phone": ("phone", "phone number", "telephone"),
    "contact_email": ("email", "email address", "e-mail"),
    "lifetime_value": ("ltv",),
    "arr": ("annual recurring revenue",),
    "health_score": ("health",),
    "nps": ("net promoter", "promoter score"),
    "payment_status": ("payments", "invoices"),
    "discount_history": ("past discounts", "discounts"),
}
SELF = frozenset({"i", "me", "my"})


def _label(key: str) -> str:
    return mrkdwn.escape(LABELS.get(key, key.replace("_", " ")))  # the YAML's words, inert like any data


def _cap(label: str) -> str:
    """A label opening a sentence: "Contact phone" (not "ARR" lowered: only the first letter changes)."""
    return label[:1].upper() + label[1:]


def _role(name: str) -> str:
    return mrkdwn.escape(name.replace("_", " "))


def _named(question: str, names: Sequence[str], aliases: dict[str, tuple[str, ...]]) -> list[str]:
    """The names whose words (or an alias's) all appear in the question, a name whose words lie inside another
    named one's dropped ("name" inside "contact name")."""
    words = set(tokenize(question))
    found: dict[str, set[str]] = {}
    for name in names:
        for phrase in (name.replace("_", " "), *aliases.get(name, ())):
            own = set(tokenize(phrase))
            if own and own <= words and len(own) > len(found.get(name, set())):
                found[name] = own
    return [n for n in names if n in found and not any(found[n] < found[m] for m in found if m != n)]


def _the_roles(roles: Sequence[str]) -> str:
    """ "the *logistics* role", "the *finance* and *legal* roles": a role is named as one, not as a person."""
    return f"the {mrkdwn.listed([f'*{_role(r)}*' for r in roles])} role{'s' if len(roles) > 1 else ''}"


def asks_self(question: str) -> bool:
    return bool(SELF & {w.lower().strip("?,.!") for w in question.split()})


def field_access_finding(policies: Policies, question: str, asker: str) -> PolicyFinding | None:
    """Who sees the fields the question names (or what the roles it names see); None when it names neither."""
    spec = policies.roles
    public, sensitive = list(spec.fields.public), list(spec.fields.sensitive)
    fields = _named(question, public + sensitive, dict(ALIASES))
    roles = _named(question, list(spec.roles), {})
    member = policies.staff(asker)
    someone = next((m for m in map(policies.staff, USER_MENTION.findall(question)) if m is not None), None)
    person = ""  # whose roles are asked about, when it is a person's: "you", or the one mentioned
    if not roles and asks_self(question) and member is not None:
        roles, person = list(member.roles), "you"
    elif not roles and someone is not None:  # "can @Dana see ARR?": the roles of the person mentioned
        roles = list(someone.roles)
        # named, not mentioned: an id the asker typed is never made a live mention (it would notify them)
        person = f"{mrkdwn.escape(someone.name)} ({mrkdwn.listed([_role(r) for r in roles])})"
    if not fields and not roles:
        return None
    plural = person == "you" or (not person and len(roles) > 1)
    lines = []
    if fields and roles:
        who = person or _the_roles(roles)
        for key in fields:
            seers = [r for r in roles if key in spec.roles[r].sees]
            if key in public:
                lines.append(f"Yes: *{_label(key)}* is public, every staff member sees it.")
            elif len(seers) == len(roles) or (person and seers):  # a person sees what any of their roles does
                lines.append(f"Yes: {who} {'see' if plural else 'sees'} *{_label(key)}*.")
            else:
                others = [_role(r) for r in policies.roles_seeing(key)]
                lines.append(
                    f"No: {who} {'do' if plural else 'does'} not see *{_label(key)}*"
                    + (f" ({mrkdwn.listed(others)} do)." if others else "; no role does.")
                )
    elif fields:
        for key in fields:
            if key in public:
                lines.append(f"*{_cap(_label(key))}* is public: every staff member sees it.")
                continue
            seers = [_role(r) for r in policies.roles_seeing(key)]
            said = f"only {mrkdwn.listed(seers)} see it" if seers else "no role sees it"
            lines.append(f"*{_cap(_label(key))}* is sensitive: {said}; everyone else sees it marked restricted.")
    else:
        views = (
            [(_cap(person), policies.visible_fields(roles))]
            if person
            else [(_cap(_the_roles([r])), set(spec.roles[r].sees)) for r in roles]
        )
        shown = ", ".join(_label(k) for k in public)
        for who, sees in views:
            own = [_label(k) for k in sensitive if k in sees]
            extra = f"; of the sensitive ones: {mrkdwn.listed(own)}" if own else "; none of the sensitive ones"
            lines.append(f"{who} {'see' if person == 'you' else 'sees'} the public fields ({shown}){extra}.")
    query = "sensitive fields who sees what roles"
    return PolicyFinding("\n".join(lines), "", citation_query=query, citation_title="access")
