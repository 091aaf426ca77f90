"""Customer channels, replayed: a simulated week of Slack Connect traffic through `rapport serve` and the Slack
double, checked against a hand calculation made apart from the code under test.

50 channels shared with 50 customers of the demo book (every tier; their own time zones; 24x7 and business-
hours tiers), each linked by an admin's `/rapport channel link` through the double. 2,000 customer messages
over a week (Monday 00:00 UTC to Sunday 24:00): conversations opened by a customer member at the top level
(priority words in some), follow-ups in their threads, and staff replies in the thread at delays drawn as a
share of the target (10% .. 200%, some never), all sent by the double as Slack would (signed events, Slack
Connect fields, the message's own ts in simulated time). The scheduled work the leased scheduler does in
`serve` (the clock sweep, the alert outbox) runs here in simulated time, every simulated minute, so the
bot is run with `--no-scheduler` (its scheduler would use the wall clock).

Checked, independently (`sla.yaml` read as YAML; deadlines by stepping business minutes in the customer's
zone, not by bot.channels.clock):

* every conversation's clock (due and 75% nudge) within 1 minute of the hand calculation;
* every conversation the hand calculation says breached has exactly one alert, and every one answered in time
  none; breach alerts sent to owners and escalation channels (or put in a digest, for the lowest band) once;
* Rapport posted nothing visible in any of the 50 shared channels (the double's own log);
* event-to-clock latency: from the double sending a customer's message to its conversation row (and a staff
  reply to the clock's stop) being in the database, p50/p95/p99.

    .venv/bin/python benchmarks/channels_replay.py                    # SQLite under .bench/channels-replay
    .venv/bin/python benchmarks/channels_replay.py --database-url postgresql+psycopg2://user:pw@host/db
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import Engine, func, select, text  # noqa: E402

from bot.alerts.delivery import deliver_due  # noqa: E402
from bot.alerts.models import Alert, AlertNotification, AlertOutbox  # noqa: E402
from bot.channels.breaches import RULE  # noqa: E402
from bot.channels.facts import posting_forbidden  # noqa: E402
from bot.channels.models import Conversation  # noqa: E402
from bot.channels.sweep import sweep  # noqa: E402
from bot.policies import load_policies  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.slack.app import make_client  # noqa: E402
from bot.slack.notifier import SlackNotifier  # noqa: E402
from bot.store.db import make_engine, make_session_factory  # noqa: E402
from slackdouble import SlackDouble, seed_demo_workspace  # noqa: E402

WEEK = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)  # a Monday
TOKEN = "xoxb-bench-replay"
STAFF = ["U0SUPAGT1", "U0SUPAGT2", "U0SUPLEAD", "U0AMPLAT", "U0AMGOLD", "U0AMEMEA", "U0AMAPAC"]
TIERS = {"platinum": 10, "gold": 12, "silver": 14, "bronze": 14}
TEXTS = {
    "P1": [
        "Our production API is down, every call fails",
        "Urgent: checkout outage for all our users",
        "We have data loss after last night's sync, emergency",
    ],
    "P2": [
        "The nightly export fails with an error again",
        "SSO login is broken for our EU users",
        "Reports are degraded and blocked for the finance team",
    ],
    "P3": [
        "Could you check why some contacts did not sync?",
        "We need the February usage report, please",
        "Can you confirm the maintenance window this weekend?",
        "Some dashboards load slowly, anything known?",
    ],
    "P4": [
        "Feature request: filter reports by region",
        "How do I add another admin to our workspace?",
        "FYI we are onboarding a new team next month",
    ],
}
WEIGHTS = {"P1": 0.05, "P2": 0.15, "P3": 0.65, "P4": 0.15}
FOLLOW_UPS = [
    "Any news on this?",
    "Adding a screenshot of what we see",
    "Thanks, waiting for your reply",
    "More details: it started around 9am our time",
]
REPLY_SHARES = [0.1, 0.3, 0.5, 0.7, 0.9, 1.1, 1.4, 2.0, None]  # of the target; None: never answered


# ---- the hand calculation (independent of bot.channels) -----------------------------------------------------
@dataclass(frozen=True)
class Sla:
    coverage: str
    first_response: dt.timedelta


def read_sla(path: Path) -> tuple[dict[tuple[str, str], Sla], dict[str, Any]]:
    raw = yaml.safe_load(path.read_text())
    units = {"m": 60, "h": 3600, "d": 86400}
    table = {}
    for tier, spec in raw["targets"].items():
        for prio in ("P1", "P2", "P3", "P4"):
            v = spec[prio]["first_response"]
            table[(tier, prio)] = Sla(spec["coverage"], dt.timedelta(seconds=int(v[:-1]) * units[v[-1]]))
    return table, raw["business_hours"]


def hand_deadline(start: dt.datetime, target: dt.timedelta, coverage: str, tz: str, bh: dict[str, Any]) -> dt.datetime:
    """Count business minutes one by one in the customer's zone (jumping over closed hours) until ``target``."""
    if coverage == "24x7":
        return start + target
    zone = ZoneInfo(tz)
    open_h, close_h = (dt.time.fromisoformat(bh["start"]), dt.time.fromisoformat(bh["end"]))
    days = set(bh["days"])
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    left = target.total_seconds()
    t = start
    while left > 0:
        local = t.astimezone(zone)
        if names[local.weekday()] not in days or local.time() >= close_h:
            day = local.date() + dt.timedelta(days=1)
            while names[day.weekday()] not in days:
                day += dt.timedelta(days=1)
            t = dt.datetime.combine(day, open_h, zone).astimezone(dt.UTC)  # the next opening
            continue
        if local.time() < open_h:
            t = dt.datetime.combine(local.date(), open_h, zone).astimezone(dt.UTC)
            continue
        step = min(60.0 - local.second - local.microsecond / 1e6, left)  # to the next whole minute, or done
        t += dt.timedelta(seconds=step)
        left -= step
    return t


# ---- the scenario ---------------------------------------------------------------------------------------
@dataclass
class Convo:
    channel: str
    customer_id: int
    tier: str
    tz: str
    member: str
    priority: str
    start: dt.datetime
    text: str
    follow_ups: list[dt.datetime] = field(default_factory=list)
    reply_at: dt.datetime | None = None
    due: dt.datetime | None = None
    nudge: dt.datetime | None = None
    ts: str = ""


def build_scenario(
    rng: random.Random,
    customers: list[dict[str, Any]],
    sla: dict[tuple[str, str], Sla],
    bh: dict[str, Any],
    messages: int,
) -> list[Convo]:
    convos: list[Convo] = []
    roots = int(messages * 0.65)
    follow = messages - roots
    roots_of: dict[tuple[str, str], list[dt.datetime]] = {}  # every root so far, not just the last drawn
    week_s = 7 * 86400
    while len(convos) < roots:
        c = rng.choice(customers)
        start = WEEK + dt.timedelta(seconds=rng.uniform(0, week_s - 3600))
        # Customers write mostly in their own working day
        local = start.astimezone(ZoneInfo(c["tz"]))
        if not 7 <= local.hour < 20 and rng.random() < 0.7:
            continue
        member = rng.choice(c["members"])
        key = (c["channel"], member)
        # One member's top-level messages this close are one conversation (group_window). Times are drawn in
        # random order, so compare with every earlier root of the member (the last one drawn is not the nearest).
        if any(abs((start - t).total_seconds()) < 20 * 60 for t in roots_of.get(key, ())):
            continue
        roots_of.setdefault(key, []).append(start)
        prio = rng.choices(list(WEIGHTS), list(WEIGHTS.values()))[0]
        s = sla[(c["tier"], prio)]
        convo = Convo(c["channel"], c["id"], c["tier"], c["tz"], member, prio, start, rng.choice(TEXTS[prio]))
        convo.due = hand_deadline(start, s.first_response, s.coverage, c["tz"], bh)
        convo.nudge = hand_deadline(start, s.first_response * 0.75, s.coverage, c["tz"], bh)
        share = rng.choice(REPLY_SHARES)
        if share is not None:
            convo.reply_at = hand_deadline(start, s.first_response * share, s.coverage, c["tz"], bh)
        convos.append(convo)
    for _ in range(follow):
        convo = rng.choice(convos)
        end = convo.reply_at or convo.start + dt.timedelta(hours=2)
        convo.follow_ups.append(convo.start + (end - convo.start) * rng.uniform(0.05, 0.95))
    return convos


# ---- running it ------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, want: str, timeout: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("rapport serve exited")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if want in resp.read().decode():
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(url)


def pick_customers(engine: Engine, rng: random.Random) -> list[dict[str, Any]]:
    chosen: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for tier, n in TIERS.items():
            rows = conn.execute(
                text(
                    "SELECT c.id, c.name, c.timezone, c.owner_slack_id, "
                    "(SELECT value FROM customer_identifiers i WHERE i.customer_id = c.id AND i.kind = 'domain' "
                    " LIMIT 1) AS domain, "
                    "(SELECT value FROM customer_identifiers i WHERE i.customer_id = c.id AND i.kind = 'external_id' "
                    " AND i.value LIKE 'crm-%' LIMIT 1) AS crm "
                    "FROM customers c WHERE c.tier = :tier AND c.merged_into_id IS NULL ORDER BY c.id"
                ),
                {"tier": tier},
            ).all()
            rows = [r for r in rows if r.domain and r.crm]
            for r in rng.sample(rows, n):
                chosen.append(
                    {
                        "id": r.id,
                        "name": r.name,
                        "tz": r.timezone,
                        "tier": tier,
                        "domain": r.domain,
                        "crm": r.crm,
                        "owner": r.owner_slack_id,
                    }
                )
    return chosen


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", default=str(REPO / ".bench" / "channels-replay"))
    ap.add_argument("--database-url", default=None)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--messages", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=18)
    ap.add_argument("--keep", action="store_true", help="reuse the demo book and index of an earlier run (SQLite)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    home = Path(args.home).resolve()
    if home.exists() and not args.keep:
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    db_url = args.database_url or f"sqlite:///{home / 'rapport.db'}"
    env = {
        **os.environ,
        "RAPPORT_HOME": str(home),
        "DATABASE_URL": db_url,
        "PLAYBOOKS_DIR": str(REPO / "playbooks"),
        "CI": "true",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("SLACK_APP_TOKEN", None)
    cli = [sys.executable, "-m", "bot.cli"]
    if not args.keep or not (home / "ready").exists():
        t = time.perf_counter()
        subprocess.run(
            [
                *cli,
                "demo-data",
                "--customers",
                str(args.customers),
                "--seed",
                "11",
                "--now",
                (WEEK - dt.timedelta(days=1)).isoformat(),
            ],
            check=True,
            env=env,
            cwd=home,
            capture_output=True,
        )
        subprocess.run([*cli, "index"], check=True, env=env, cwd=home, capture_output=True)
        (home / "ready").write_text("ok")
        print(
            f"setup: demo book of {args.customers:,} customers and the playbook index "
            f"in {time.perf_counter() - t:.0f} s"
        )
        if not args.database_url:  # a pristine copy for --keep: each replay starts from the same book
            with sqlite3.connect(home / "rapport.db") as con:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copyfile(home / "rapport.db", home / "pristine.db")
    elif not args.database_url:
        for suffix in ("-wal", "-shm"):
            (home / f"rapport.db{suffix}").unlink(missing_ok=True)
        shutil.copyfile(home / "pristine.db", home / "rapport.db")

    policies = load_policies(REPO / "playbooks" / "policies")
    engine = make_engine(db_url)
    customers = pick_customers(engine, rng)
    sla, bh = read_sla(REPO / "playbooks" / "policies" / "sla.yaml")

    secret = secrets.token_hex(16)
    port = free_port()
    double = SlackDouble(
        secret, bot_url=f"http://127.0.0.1:{port}/slack/events", bot_token=TOKEN, delivery_timeout=30
    ).start()
    seed_demo_workspace(
        double,
        [(s.id, s.name, s.tz) for s in policies.roles.staff],
        [(c.id, c.name) for c in policies.channels.channels],
        groups=[(g.id, g.handle, g.name, g.members) for g in policies.roles.groups],
    )
    for n, c in enumerate(customers):
        team, channel = f"T0CUST{n:03d}", f"C0SHARED{n:03d}"
        double.add_team(team, c["name"])
        c["channel"], c["members"] = channel, []
        for k in range(2):
            uid = f"W0C{n:03d}M{k}"
            double.add_user(uid, f"member{k}.{n}", team_id=team, email=f"member{k}@{c['domain']}", tz=c["tz"])
            c["members"].append(uid)
        double.add_channel(channel, f"ext-customer-{n:03d}")
        double.share_channel(channel, team, c["members"], deliver=False)
    shared = {c["channel"] for c in customers}

    serve_env = {**env, "SLACK_API_URL": double.api_url, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": secret}
    log = open(home / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--host", "127.0.0.1", "--no-scheduler", "--no-watch"],
        env=serve_env,
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/readyz", '"index": true', 600, proc)
        return replay(args, rng, engine, db_url, policies, double, customers, shared, sla, bh)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        double.stop()
        engine.dispose()


def replay(
    args: argparse.Namespace,
    rng: random.Random,
    engine: Engine,
    db_url: str,
    policies: Any,
    double: SlackDouble,
    customers: list[dict[str, Any]],
    shared: set[str],
    sla: dict[tuple[str, str], Sla],
    bh: dict[str, Any],
) -> int:
    # Link every channel as an admin would
    t = time.perf_counter()
    for c in customers:
        double.send_slash_command("U0CSLEAD", c["channel"], "/rapport", f"channel link {c['crm']}")
    with engine.connect() as conn:
        deadline = time.monotonic() + 120
        while conn.execute(text("SELECT COUNT(*) FROM channel_links")).scalar_one() < len(customers):
            if time.monotonic() > deadline:
                raise TimeoutError("channels not linked")
            time.sleep(0.2)
            conn.rollback()
    print(f"linked {len(customers)} shared channels by /rapport channel link in {time.perf_counter() - t:.1f} s")

    convos = build_scenario(rng, customers, sla, bh, args.messages)
    events: list[tuple[dt.datetime, int, str, Convo]] = []
    for i, cv in enumerate(convos):
        events.append((cv.start, i, "root", cv))
        for f in cv.follow_ups:
            events.append((f, i, "follow", cv))
        if cv.reply_at is not None:
            events.append((cv.reply_at, i, "reply", cv))
    events.sort(key=lambda e: (e[0], e[1], e[2] != "root"))
    customer_msgs = sum(1 for e in events if e[2] != "reply")
    print(
        f"scenario: {len(convos)} conversations, {customer_msgs} customer messages, "
        f"{sum(1 for e in events if e[2] == 'reply')} staff replies over a week, "
        f"tiers {dict((t_, sum(c['tier'] == t_ for c in customers)) for t_ in TIERS)}, "
        f"{len({c['tz'] for c in customers})} time zones"
    )

    client = make_client(TOKEN, double.api_url)
    notifier = SlackNotifier(client)
    now = [WEEK]
    services = Services(
        settings=Settings(),
        engine=engine,
        sessions=make_session_factory(engine),
        policies=policies,
        notifier=notifier,
        clock=lambda: now[0],
    )
    notifier.guard = lambda ch: posting_forbidden(services, ch)
    reader = engine.connect()

    def seen(sql: str, **params: Any) -> bool:
        reader.rollback()
        return reader.execute(text(sql), params).first() is not None

    latencies: dict[str, list[float]] = {"start": [], "stop": []}
    used_ts: set[str] = set()

    def ts_for(when: dt.datetime) -> str:
        ts = f"{when.timestamp():.6f}"
        while ts in used_ts:
            when += dt.timedelta(microseconds=1)
            ts = f"{when.timestamp():.6f}"
        used_ts.add(ts)
        return ts

    tick = WEEK
    sweeps = sent = 0
    sweep_s = 0.0
    started = time.perf_counter()

    c = Conversation.__table__.c
    waiting = c.state == "open", c.first_response_at.is_(None)

    swept_at: list[dt.datetime | None] = [None]

    def next_due() -> dt.datetime | None:
        """The earliest nudge or breach not yet handled (minutes with nothing due are skipped, not swept).

        A nudge already due at the last sweep and still unsent is held for the owner's quiet hours; it is tried
        again every HELD_RETRY simulated minutes rather than every minute (which made a week's replay sweep
        every minute of every night). Only when held nudges go out depends on this, and nothing checks that."""
        reader.rollback()
        unsent = (*waiting, c.nudged_at.is_(None))
        last = swept_at[0]
        new_nudges = (c.nudge_at > last,) if last is not None else ()
        nudge = reader.execute(select(func.min(c.nudge_at)).where(*unsent, *new_nudges)).scalar()
        held = last is not None and reader.execute(select(c.id).where(*unsent, c.nudge_at <= last).limit(1)).first()
        due = reader.execute(select(func.min(c.due_at)).where(*waiting, c.breached_at.is_(None))).scalar()
        found = [x for x in (nudge, due, last + HELD_RETRY if held and last else None) if x is not None]
        return min(found) if found else None

    def run_until(limit: dt.datetime) -> None:
        nonlocal tick, sweeps, sent, sweep_s
        while tick <= limit:
            upcoming = next_due()
            if upcoming is None or upcoming > limit:
                return  # nothing falls due before the next event
            if upcoming > tick:
                tick += -((tick - upcoming) // dt.timedelta(minutes=1)) * dt.timedelta(minutes=1)  # next minute
            now[0] = tick
            s0 = time.perf_counter()
            report = sweep(services, tick)
            swept_at[0] = tick
            sweeps += 1
            if report.breaches or report.nudged:
                sent += deliver_due(engine, notifier, notifier, clock=lambda t=tick: t).sent
            sweep_s += time.perf_counter() - s0
            tick += dt.timedelta(minutes=1)

    for when, _i, kind, cv in events:
        run_until(when)
        ts = ts_for(when)
        t0 = time.perf_counter()
        if kind == "root":
            cv.ts = ts
            double.send_message(cv.member, cv.channel, cv.text, ts=ts)
            sql = "SELECT 1 FROM conversations WHERE channel_id = :c AND started_ts = :ts"
        elif kind == "follow":
            double.send_message(cv.member, cv.channel, rng.choice(FOLLOW_UPS), thread_ts=cv.ts, ts=ts)
            sql = "SELECT 1 FROM channel_messages WHERE channel_id = :c AND ts = :ts"
        else:
            double.send_message(rng.choice(STAFF), cv.channel, "Thanks, looking into it now", thread_ts=cv.ts, ts=ts)
            sql = "SELECT 1 FROM channel_messages WHERE channel_id = :c AND ts = :ts"
        while not seen(sql, c=cv.channel, ts=ts):
            if time.perf_counter() - t0 > 120:  # a stall shows in the max latency; only a lost event fails
                raise TimeoutError(f"{kind} {cv.channel} {ts} never tracked")
            time.sleep(0.002)
        latencies["stop" if kind == "reply" else "start"].append((time.perf_counter() - t0) * 1000)
    horizon = max(cv.due for cv in convos if cv.due) + dt.timedelta(minutes=2)
    run_until(horizon)  # every clock of the week has run out or been answered
    wall = time.perf_counter() - started
    reader.close()
    return check(engine, double, convos, shared, latencies, wall, sweeps, sweep_s, sent, horizon)


HELD_RETRY = dt.timedelta(minutes=15)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))]


def check(
    engine: Engine,
    double: SlackDouble,
    convos: list[Convo],
    shared: set[str],
    latencies: dict[str, list[float]],
    wall: float,
    sweeps: int,
    sweep_s: float,
    sent: int,
    end: dt.datetime,
) -> int:
    with engine.connect() as conn:
        rows = {(r.channel_id, r.started_ts): r for r in conn.execute(select(Conversation.__table__))}
        alerts_by = {}
        for a in conn.execute(select(Alert.__table__).where(Alert.__table__.c.rule == RULE)):
            conv = next(f["value"] for f in a.evidence["facts"] if f["key"] == "conversation")
            alerts_by.setdefault(int(conv), []).append(a)
        outbox = conn.execute(select(AlertOutbox.__table__)).all()
        notes = conn.execute(select(AlertNotification.__table__)).all()
    missing = [cv for cv in convos if (cv.channel, cv.ts) not in rows]
    if missing:
        print(f"NOT TRACKED: {len(missing)} conversation(s), e.g. {missing[0]}")
        return 1
    due_err = [abs((rows[(cv.channel, cv.ts)].due_at - cv.due).total_seconds()) for cv in convos if cv.due]
    nudge_err = [abs((rows[(cv.channel, cv.ts)].nudge_at - cv.nudge).total_seconds()) for cv in convos if cv.nudge]
    prio_wrong = sum(rows[(cv.channel, cv.ts)].priority != cv.priority for cv in convos)
    expected = {
        rows[(cv.channel, cv.ts)].id
        for cv in convos
        if cv.due and cv.due < end and (cv.reply_at is None or cv.reply_at > cv.due)
    }
    in_time = {rows[(cv.channel, cv.ts)].id for cv in convos} - expected
    once = sum(1 for cid in expected if len(alerts_by.get(cid, [])) == 1)
    twice = sum(1 for cid in alerts_by if len(alerts_by[cid]) > 1)
    false_alarms = sum(1 for cid in in_time if alerts_by.get(cid))
    alert_ids = {a.id: a for v in alerts_by.values() for a in v}
    per_recipient: dict[tuple[int, str], int] = {}
    for n in notes:
        if n.alert_id in alert_ids and n.purpose == "alert":
            per_recipient[(n.alert_id, n.recipient)] = per_recipient.get((n.alert_id, n.recipient), 0) + 1
    duplicate_notes = sum(1 for v in per_recipient.values() if v > 1)
    modes: dict[str, int] = {}
    for n in notes:
        if n.alert_id in alert_ids:
            modes[n.mode] = modes.get(n.mode, 0) + 1
    delivered = sum(1 for o in outbox if o.alert_id in alert_ids and o.state == "sent")
    visible = [
        m
        for ch in shared
        for m in double.messages(ch, include_ephemeral=True)
        if m.get("bot_id") and not m.get("ephemeral_for")
    ]
    posts_in_shared = [c for c in double.calls_for("chat.postMessage") if c.params.get("channel") in shared]
    nudges = [
        c for c in double.calls_for("chat.postMessage") if "% of its first-response target" in str(c.params.get("text"))
    ]

    print(
        f"replayed in {wall:.0f} s wall: {sweeps:,} sweeps in simulated minutes ({sweep_s:.1f} s, "
        f"{sweep_s / max(1, sweeps) * 1000:.1f} ms each), {sent} messages delivered from the outbox"
    )
    print(
        f"conversations tracked: {len(convos) - len(missing)}/{len(convos)}; priority as the words ask: "
        f"{len(convos) - prio_wrong}/{len(convos)}"
    )
    print(
        f"clocks vs the hand calculation: due max error {max(due_err):.1f} s (mean {statistics.mean(due_err):.2f} s), "
        f"75% nudge max error {max(nudge_err):.1f} s; within 1 minute: "
        f"{sum(e <= 60 for e in due_err)}/{len(due_err)} due, {sum(e <= 60 for e in nudge_err)}/{len(nudge_err)} nudge"
    )
    print(
        f"breaches by the hand calculation: {len(expected)}; alerted exactly once: {once}; alerted twice or more: "
        f"{twice}; alerts for conversations answered in time: {false_alarms}"
    )
    print(
        f"breach alert notifications: {modes} (per alert and recipient more than once: {duplicate_notes}); "
        f"delivered now through the outbox: {delivered}; owners nudged at 75%: {len(nudges)}"
    )
    print(
        f"visible messages by Rapport in the {len(shared)} shared channels: {len(visible)} "
        f"(chat.postMessage calls there: {len(posts_in_shared)})"
    )
    for kind, label in (("start", "customer message -> clock started"), ("stop", "staff reply -> clock stopped")):
        xs = latencies[kind]
        print(
            f"event-to-clock latency, {label} (n={len(xs)}): p50 {pct(xs, 50):.0f} ms, p95 {pct(xs, 95):.0f} ms, "
            f"p99 {pct(xs, 99):.0f} ms, max {max(xs):.0f} ms"
        )
    ok = (
        not missing
        and max(due_err) <= 60
        and max(nudge_err) <= 60
        and once == len(expected)
        and not twice
        and not false_alarms
        and not duplicate_notes
        and not visible
        and not posts_in_shared
        and pct(latencies["start"], 95) < 200
        and pct(latencies["stop"], 95) < 200  # stopping a clock is an event-to-clock path too
    )
    print("all checks: " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
