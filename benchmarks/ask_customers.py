"""Customer questions through Slack on the demo book: is the record value or the policy route stated?

A real `rapport serve` on demo data (the generator, seeded), questions sent as signed events from the local
Slack double, answers read from what the double shows the asker (thread answer or private reply). For each
picked customer, one question per kind, with the expected value read from the database (not from Rapport):

- renewal   "When does <name> renew?"                      -> the renewal date ("4 Jan 2027")
- owner     "Who owns the <name> account?"                 -> <@owner>
- tier      "What tier is <name> on?"                      -> the tier
- arr       "What is <name>'s ARR?" (asked by its owner)   -> the ARR ("$412,000")
- tickets   "What open tickets does <name> have?"         -> "<n> open ticket(s)" / "no open tickets"
- consent   "Is <name> ok to email about our new product?" -> Yes/No as the marketing consent says
- discount  "Can I give <name> a 12% discount on their renewal?"  -> the route ("auto-approved" / "needs approval")
- credit    "Can we give <name> a $2,000 service credit?"  -> the route
- expedite  "Can we expedite the shipment for <name>?"     -> the route
- free_months "Can we give <name> two free months on a $120k deal?" -> the $20,000 discount's route
- p1_count  "How many open P1s does <name> have?"          -> "<n> open P1 ticket(s)" / "no open tickets"
- ticket    "What's the status of ticket <n>?" (their newest) -> the customer's name and "ticket #<n>"
- book      "Which of my customers renew in <their renewal's month>?" (asked by the owner) -> how many of the
            owner's customers renew that month, counted in SQL

Prints the share stated per kind and overall (target >= 90%), question -> answer-posted latency p50/p95 with
the load average, and examples of misses. Thread follow-ups: benchmarks/thread_followups.py.

    python benchmarks/ask_customers.py                         # 12 customers, 2,000 demo customers
    python benchmarks/ask_customers.py --customers 100000 --picks 20 --home .bench/home100k

A home of your own is used as it is: run `rapport customers resolve` in it first, as a deployment does after a
sync. The generator plants duplicates (the same company from two sources, "mapleport  software inc" beside
"Mapleport Software Inc"); unresolved, a question naming one is rightly asked "which one?", and the picks
(unique by exact name) can land on one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from thread_followups import CHANNEL, Stack, pct, private_to, start_stack, wait_replies  # noqa: E402

ASKER = "U0SUPLEAD"
ROUTE = ("auto-approved", "needs approval from")
NO_TICKET = 999999999


def day(value: str) -> str:
    d = dt.date.fromisoformat(value[:10])
    return f"{d.day} {d:%b %Y}"


def customers(stack: Stack, n: int) -> list[dict[str, object]]:
    """Customers with a unique name, an owner and a renewal date, spread over the book."""
    con = stack.db()
    rows = con.execute(
        "SELECT MIN(id), name, tier, owner_slack_id, renewal_date, arr, consent_marketing FROM customers "
        "WHERE merged_into_id IS NULL AND owner_slack_id IS NOT NULL AND renewal_date IS NOT NULL "
        "GROUP BY name HAVING COUNT(*) = 1 ORDER BY MIN(id) LIMIT ?",
        (n * 20,),
    ).fetchall()
    step = max(1, len(rows) // n)
    out = []
    for cid, name, tier, owner, renewal, arr, marketing in rows[::step][:n]:
        [open_n] = con.execute(
            "SELECT COUNT(*) FROM tickets WHERE customer_id = ? AND status IN ('open', 'pending')", (cid,)
        ).fetchone()
        [p1_n] = con.execute(
            "SELECT COUNT(*) FROM tickets WHERE customer_id = ? AND status IN ('open', 'pending') AND priority = 'P1'",
            (cid,),
        ).fetchone()
        [ticket] = con.execute(  # their newest ticket, open or not: asked about by its number alone
            "SELECT MAX(id) FROM tickets WHERE customer_id = ?", (cid,)
        ).fetchone()
        month = str(renewal)[:7]  # their renewal's month: the owner's customers renewing then, counted here
        # the month under way is listed from today (its renewals already past are not upcoming), as Ask says
        start = max(f"{month}-01", dt.datetime.now(dt.UTC).date().isoformat())
        [book] = con.execute(
            "SELECT COUNT(*) FROM customers WHERE merged_into_id IS NULL AND owner_slack_id = ? "
            "AND renewal_date >= ? AND renewal_date < ?",
            (owner, start, f"{month}-32"),
        ).fetchone()
        out.append(
            {
                "ticket": ticket or NO_TICKET,  # none of theirs: a number nobody has, said to be unknown
                "id": cid,
                "name": name,
                "tier": tier,
                "owner": owner,
                "renewal": renewal,
                "arr": float(arr or 0),
                "marketing": bool(marketing),
                "open": int(open_n),
                "p1": int(p1_n),
                "month": f"{dt.date.fromisoformat(month + '-01'):%B %Y}",
                "book": int(book),
            }
        )
    con.close()
    return out


Check = Callable[[dict[str, object], str], bool]
KINDS: list[tuple[str, str, Check, bool]] = [
    # (kind, question, stated?, asked by the customer's owner)
    ("renewal", "When does {name} renew?", lambda c, t: day(str(c["renewal"])) in t, False),
    ("owner", "Who owns the {name} account?", lambda c, t: f"<@{c['owner']}>" in t, False),
    ("tier", "What tier is {name} on?", lambda c, t: str(c["tier"]).lower() in t.lower(), False),
    ("arr", "What is {name}'s ARR?", lambda c, t: f"${c['arr']:,.0f}" in t, True),
    (
        "tickets",
        "What open tickets does {name} have?",
        lambda c, t: (f"has {c['open']} open ticket" if c["open"] else "has no open tickets") in t,
        False,
    ),
    (
        "consent",
        "Is {name} ok to email about our new product?",
        lambda c, t: ("Yes: " if c["marketing"] else "No: ") in t and "marketing" in t,
        False,
    ),
    ("discount", "Can I give {name} a 12% discount on their renewal?", lambda c, t: any(r in t for r in ROUTE), False),
    ("credit", "Can we give {name} a $2,000 service credit?", lambda c, t: any(r in t for r in ROUTE), False),
    ("expedite", "Can we expedite the shipment for {name}?", lambda c, t: any(r in t for r in ROUTE), False),
    # free months count as discount value: 2/12 of the deal, routed as that discount
    (
        "free_months",
        "Can we give {name} two free months on a $120k deal?",
        lambda c, t: "discount ($20,000" in t and any(r in t for r in ROUTE),
        False,
    ),
    # a ticket named by our number alone: answered for its customer, about that ticket
    (
        "ticket",
        "What's the status of ticket {ticket}?",
        lambda c, t: (
            str(c["name"]) in t and f"ticket #{c['ticket']} " in t
            if c["ticket"] != NO_TICKET
            else f"find ticket *{NO_TICKET}*" in t
        ),
        False,
    ),
    # the open tickets of one priority, counted
    (
        "p1_count",
        "How many open P1s does {name} have?",
        lambda c, t: f"has {c['p1'] or 'no'} open P1 ticket" in t if c["open"] else "has no open tickets" in t,
        False,
    ),
    # the book: the owner's customers renewing in a month, counted (their renewal's month: never none)
    ("book", "Which of my customers renew in {month}?", lambda c, t: f"*{int(str(c['book'])):,} customer" in t, True),
]


def shown(stack: Stack, thread: str) -> tuple[str, float | None]:
    """What the asker sees as the answer (the placeholder replaced in place, or a private reply) and when."""
    replies = wait_replies(stack.double, thread, 1, timeout=60)
    private = private_to(stack.double, thread)
    deadline = time.monotonic() + 30
    while replies and "privately" in json.dumps(replies[0].get("blocks")) and private == "[]":
        if time.monotonic() > deadline:  # said "sent privately" and never sent: a miss
            break
        time.sleep(0.1)  # the thread says so first; the private reply follows
        private = private_to(stack.double, thread)
    if replies:
        r = replies[0]
        return json.dumps(r.get("blocks"), ensure_ascii=False) + str(r.get("text", "")) + private, float(r["at"])
    calls = [c for c in stack.double.calls_for("chat.postEphemeral") if c.params.get("thread_ts") == thread]
    return private, (calls[0].timestamp if calls else None)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--picks", type=int, default=12, help="customers asked about (each gets every kind)")
    ap.add_argument("--home", type=Path, default=None, help="reuse a RAPPORT_HOME with data + index")
    args = ap.parse_args()

    with start_stack(args.home, args.customers, scheduler=False) as stack:
        double = stack.double
        picked = customers(stack, args.picks)
        stated: dict[str, int] = {k: 0 for k, *_ in KINDS}
        misses: dict[str, list[str]] = {}
        latency: list[float] = []
        for c in picked:
            for kind, template, check, by_owner in KINDS:
                question = template.format(name=c["name"], ticket=c["ticket"], month=c["month"])
                asker = str(c["owner"]) if by_owner else ASKER
                t0 = time.time()
                d = double.send_message(asker, CHANNEL, f"{stack.bot} {question}")
                text, at = shown(stack, str(d.ts))
                if at is not None:
                    latency.append(at - t0)
                if check(c, text):
                    stated[kind] += 1
                else:
                    misses.setdefault(kind, []).append(f"{question} -> {text[:160]}")
        n = len(picked)
        total = sum(stated.values())
        print(f"customer questions through Slack, {args.customers:,} demo customers, {n} customers asked about:")
        for kind, k in stated.items():
            print(f"  {kind:9s} {k}/{n}")
        print(f"record value or policy route stated: {total}/{n * len(KINDS)} = {total / (n * len(KINDS)):.1%}")
        for kind, items in misses.items():
            print(f"  missed {kind}: e.g. {items[:2]}")
        if latency:
            print(
                f"question -> answer posted: p50 {pct(latency, 50) * 1000:.0f} ms, p95 {pct(latency, 95) * 1000:.0f} "
                f"ms, max {max(latency) * 1000:.0f} ms (n={len(latency)}, one at a time; load average "
                f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
            )


if __name__ == "__main__":
    main()
