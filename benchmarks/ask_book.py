"""Questions about the book through Slack: how long a list of customers, tickets or shipments takes to post.

A real `rapport serve` on demo data, each question sent by an account owner as a signed event from the local Slack
double, the answer read from what the double shows. The lists are worked out from the whole book each time
(renewals in a window, open P1s, late shipments, tickets past their SLA target on each customer's clock, consent,
segment; the renewal decisions of a quarter; what waits on the asker today), so their cost grows with the book:
run it at 100k too. Prints each question's answer head and latency, then p50/p95.
Whether the count is right is the tests' job (tests/integration/ask) and ask_customers.py's `book` kind.

Then whether paraphrases are read as lists of the book: benchmarks/data/book_questions.jsonl holds questions
written without running them (set1, then set2 after set1's misses were fixed; set4: rankings; set5: totals,
bounds on a value and overdue invoices; set6: renewals at risk), each expected to be a
list or not (a question about one customer, a policy, a procedure); an answer is a list when it opens with a list's
head ("*12 customers ...", "*No open ticket ...").

    python benchmarks/ask_book.py                                   # 2,000 demo customers
    python benchmarks/ask_book.py --customers 100000 --home .bench/home100k
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ask_customers import shown  # noqa: E402
from thread_followups import CHANNEL, pct, start_stack  # noqa: E402

OWNER = "U0AMPLAT"
QUESTIONS = [
    "which customers renew next month?",
    "Who renews before March?",
    "What renewals are coming up next quarter?",
    "list my accounts",
    "show me our platinum customers",
    "How many open P1s do we have?",
    "Which gold customers have open P1s?",
    "Which shipments are late?",
    "Is anyone breaching right now?",
    "Which tickets are about to breach?",
    "which of my customers are breaching?",
    "which customers haven't consented to marketing?",
    "which customers are in the enterprise segment?",
    # the book ranked by a value of the record (the owner sees ARR and health)
    "top 5 customers by ARR",
    "which of my accounts has the lowest health score?",
    # computed over the book: the renewal decisions in a window, and what waits on the asker
    "what's our churn rate this quarter?",
    "which customers churned last month?",
    "how are we doing on SLA this week?",
    "what do I need to do today?",
]
ROUNDS = 3
PARAPHRASES = Path(__file__).resolve().parent / "data" / "book_questions.jsonl"
# a list's head ("*2,041 customers", "*No open ticket"), or the total a list is led by ("Total ARR: $1,200,000")
LIST_HEAD = re.compile(
    r'"text": "(?:\*(\d[\d,]*|No) (customers?|open tickets?|late shipments?)\b|(?:Total|Average) [a-zA-Z ]+: )'
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--home", type=Path, default=None, help="reuse a RAPPORT_HOME with data + index")
    args = ap.parse_args()
    with start_stack(args.home, args.customers, scheduler=False) as stack:
        latency: list[float] = []
        for round_ in range(ROUNDS):
            for question in QUESTIONS:
                t0 = time.time()
                d = stack.double.send_message(OWNER, CHANNEL, f"{stack.bot} {question}")
                text, at = shown(stack, str(d.ts))
                if at is not None:
                    latency.append(at - t0)
                if round_ == 0:
                    took = f"{(at - t0) * 1000:6.0f} ms" if at is not None else "   no answer"
                    head = text.split("\\n")[0].split('"text": "')[-1][:90]
                    print(f"{took}  {question} -> {head}")
        right: dict[str, list[int]] = {}
        misses = []
        for line in PARAPHRASES.read_text().splitlines():
            case = json.loads(line)
            d = stack.double.send_message(OWNER, CHANNEL, f"{stack.bot} {case['question']}")
            text, _ = shown(stack, str(d.ts))
            listed = bool(LIST_HEAD.search(text))
            ok = listed == (case["expect"] == "list")
            right.setdefault(f"{case['set']} {case['expect']}", []).append(ok)
            if not ok:
                misses.append(case["question"])
        for key, oks in sorted(right.items()):
            print(f"  paraphrases {key:9s} read right: {sum(oks)}/{len(oks)}")
        if misses:
            print(f"  missed: {misses}")
        print(
            f"book question -> answer posted, {args.customers:,} demo customers: p50 {pct(latency, 50) * 1000:.0f} ms, "
            f"p95 {pct(latency, 95) * 1000:.0f} ms, max {max(latency) * 1000:.0f} ms (n={len(latency)}, one at a "
            f"time; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )


if __name__ == "__main__":
    main()
