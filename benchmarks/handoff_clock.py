"""Hand-off SLA clock on the local Slack double against a real `rapport serve` (scheduler on): how long after
an unclaimed hand-off's deadline is it re-escalated? Target: within 60 s.

Each hand-off is made the way a user makes one: a mention naming a customer, then "Get a person" on the
answer. Its deadline (minutes to hours away, from the tier's policy) is then moved to a few seconds ahead,
staggered so the deadlines fall at different points of the re-escalation job's cycle
(``bot.ask.jobs.REESCALATE_SECONDS``). The delay is the moment the double received the re-escalation post
minus the deadline.

    python benchmarks/handoff_clock.py                   # 12 hand-offs
    python benchmarks/handoff_clock.py --handoffs 20 --home .bench/home
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from thread_followups import ASKER, CHANNEL, Stack, pct, pick_customers, start_stack, wait_replies  # noqa: E402

from bot.ask.jobs import REESCALATE_SECONDS  # noqa: E402
from bot.slack import ids  # noqa: E402

TARGET = 60.0


def make_handoff(stack: Stack, name: str) -> tuple[int, str, str] | None:
    """Ask, click "Get a person"; returns (hand-off id, its channel, its message ts) once it is posted."""
    double = stack.double
    d = double.send_message(ASKER, CHANNEL, f"{stack.bot} what is the escalation path for {name}?")
    replies = wait_replies(double, str(d.ts), 1)
    if not replies:
        return None
    blocks = replies[0].get("blocks") or []
    button = next(
        (e for b in blocks for e in b.get("elements", []) if e.get("action_id") == ids.ASK_GET_PERSON),
        None,
    )
    if button is None:
        return None
    qid = int(json.loads(button["value"])["q"])
    double.click_button(ASKER, CHANNEL, str(replies[0]["ts"]), ids.ASK_GET_PERSON, value=button["value"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        con = stack.db()
        row = con.execute(
            "SELECT id, channel, message_ts FROM ask_handoffs WHERE question_id = ? AND message_ts IS NOT NULL",
            (qid,),
        ).fetchone()
        con.close()
        if row:
            return int(row[0]), str(row[1]), str(row[2])
        time.sleep(0.2)
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--handoffs", type=int, default=12)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--spread", type=float, default=45.0, help="deadlines spread over this many seconds")
    ap.add_argument("--home", type=Path, default=None, help="reuse a RAPPORT_HOME with data + index")
    args = ap.parse_args()

    from sqlalchemy import update

    from bot.ask.models import HandoffRecord
    from bot.store.db import make_engine, make_session_factory

    with start_stack(args.home, args.customers, scheduler=True) as stack:
        made: list[tuple[int, str, str]] = []
        for _, name in pick_customers(stack, args.handoffs * 2):
            if len(made) == args.handoffs:
                break
            h = make_handoff(stack, name)
            if h:
                made.append(h)
        if not made:
            raise SystemExit(f"no hand-off could be made; see {stack.home / 'serve.log'}")
        engine = make_engine(f"sqlite:///{stack.home / 'rapport.db'}")
        sessions = make_session_factory(engine)
        start = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
        due: dict[int, dt.datetime] = {}
        with sessions() as s, s.begin():
            for i, (hid, _, _) in enumerate(made):
                due[hid] = start + dt.timedelta(seconds=args.spread * i / max(1, len(made) - 1))
                s.execute(update(HandoffRecord).where(HandoffRecord.id == hid).values(due_at=due[hid]))
        print(
            f"{len(made)} hand-offs, deadlines moved to now+5s..+{5 + args.spread:.0f}s; "
            f"re-escalation job every {REESCALATE_SECONDS}s"
        )
        delays: dict[int, float] = {}
        wait_until = time.time() + 5 + args.spread + 3 * REESCALATE_SECONDS + 30
        while len(delays) < len(made) and time.time() < wait_until:
            for c in stack.double.calls_for("chat.postMessage"):
                for hid, channel, ts in made:
                    if (
                        hid not in delays
                        and c.params.get("channel") == channel
                        and c.params.get("thread_ts") == ts
                        and "unclaimed" in str(c.params.get("text", "")).lower()
                    ):
                        delays[hid] = c.timestamp - due[hid].timestamp()
            time.sleep(0.5)
        values = [delays[h] for h, _, _ in made if h in delays]
        missing = len(made) - len(values)
        print("deadline -> re-escalation posted (s): " + ", ".join(f"{v:.1f}" for v in values))
        if values:
            within = sum(1 for v in values if 0 <= v <= TARGET)
            print(
                f"p50 {pct(values, 50):.1f} s, p95 {pct(values, 95):.1f} s, max {max(values):.1f} s; "
                f"{within}/{len(made)} within {TARGET:.0f} s of the deadline; none early: {min(values) >= 0}"
            )
        if missing:
            print(f"{missing} hand-off(s) not re-escalated before the benchmark gave up")


if __name__ == "__main__":
    main()
