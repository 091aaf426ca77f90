"""``rapport demo``: the main job on embedded defaults. Demo data, migrations and the playbook index, then
the local Slack double (a web page at http://127.0.0.1:3001/) and the bot itself, talking over real HTTP."""

from __future__ import annotations

import errno
import secrets
import socket
import threading
import time
import urllib.request
from collections.abc import Callable

from sqlalchemy import func, select

from bot.app import engine_for, open_playbook_index
from bot.demo.service import generate_demo_data
from bot.demo.shared_channel import how_to, seed_customer_channels, share_second_channel
from bot.demo.transcript import transcript
from bot.offline import offline_env
from bot.policies import load_policies
from bot.serve import serve_http
from bot.settings import Settings
from bot.store import models as m
from bot.store.migrate import upgrade
from slackdouble import SlackDouble, seed_demo_workspace

DEMO_TOKEN = "xoxb-local-sandbox"
SAMPLE_QUESTION = "What is the first response target for a Platinum P1, and who do we escalate to?"


def prepare_data(settings: Settings, customers: int, progress: bool, echo: Callable[[str], object]) -> None:
    """Migrate, and generate demo data unless the database already holds customers."""
    engine = engine_for(settings)
    upgrade(engine)
    with engine.connect() as conn:
        existing = conn.scalar(select(func.count()).select_from(m.Customer)) or 0
    engine.dispose()
    if existing:
        echo(f"database: {existing:,} customers already present; keeping them")
        return
    stats = generate_demo_data(settings, customers=customers, progress=progress, echo=echo)
    echo(
        f"demo data: {stats.rows['customers']:,} customers, {stats.total_rows:,} rows "
        f"({stats.rows_per_second:,.0f} rows/s)"
    )


def build_index(settings: Settings, progress: bool, echo: Callable[[str], object]) -> None:
    echo(open_playbook_index(settings).sync(progress=progress).summary())


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``port`` is taken, tried as the servers bind it (address reuse on, as both servers set)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def busy_ports_message(bot_port: int, ui_port: int) -> str | None:
    """One line naming the busy port(s) and free ones to use instead; None when both are free."""
    busy = [
        f"{port} ({what})"
        for what, port in (("--port, the bot", bot_port), ("--ui-port, the sandbox page", ui_port))
        if port_in_use(port)
    ]
    if not busy:
        return None
    free = _free_pair(max(bot_port, ui_port) + 100)
    return (
        f"port {' and '.join(busy)} {'is' if len(busy) == 1 else 'are'} already in use (another `rapport demo`?); "
        f"stop it, or pick other ports: rapport demo --port {free[0]} --ui-port {free[1]} "
        f'(make demo ARGS="--port {free[0]} --ui-port {free[1]}")'
    )


def _free_pair(start: int) -> tuple[int, int]:
    port = start
    while port < 65000 and (port_in_use(port) or port_in_use(port + 1)):
        port += 2
    return port, port + 1


def run_demo(
    settings: Settings,
    customers: int,
    progress: bool,
    echo: Callable[[str], object],
    bot_port: int = 3000,
    ui_port: int = 3001,
    check: bool = False,
) -> int:
    offline_env()
    echo(f"database: {settings.database_url_for_display}")
    prepare_data(settings, customers, progress, echo)
    build_index(settings, progress, echo)

    if not settings.offline_slack:
        echo("SLACK_BOT_TOKEN is set: run `rapport serve` to connect to your workspace; the demo uses a local double")
    secret = secrets.token_hex(16)
    double = SlackDouble(
        secret,
        bot_url=f"http://127.0.0.1:{bot_port}/slack/events",
        port=ui_port,
        bot_token=DEMO_TOKEN,
        trigger_ttl=10.0,
    ).start()
    policies = load_policies(settings.policies_dir)
    seed_demo_workspace(
        double,
        [(s.id, s.name, s.tz) for s in policies.roles.staff],
        [(c.id, c.name) for c in policies.channels.channels],
        admins=["U0CSLEAD"],
        groups=[(g.id, g.handle, g.name, g.members) for g in policies.roles.groups],
    )
    engine = engine_for(settings)
    persona = seed_customer_channels(double, engine, echo)  # a Slack Connect channel with a customer persona
    engine.dispose()
    bot_settings = settings.model_copy(
        update={
            "slack_api_url": double.api_url,
            "slack_bot_token": DEMO_TOKEN,
            "slack_signing_secret": secret,
            "slack_app_token": None,
        }
    )
    bot_settings = type(settings).model_validate(bot_settings.model_dump())
    stop = threading.Event()
    bot = threading.Thread(
        target=serve_http,
        args=(bot_settings, bot_port, "127.0.0.1"),
        kwargs={"stop": stop, "watch": not check},
        daemon=True,
    )
    bot.start()
    _wait_ready(bot_port)
    share_second_channel(double, persona)
    echo(f"Slack sandbox: open {double.url}/ and ask @rapport in #support-queue, or DM it")
    if persona is not None:
        echo(how_to(persona))
    try:
        if check:
            return _self_check(double, echo)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        echo("stopping")
        return 0
    finally:
        stop.set()
        bot.join(timeout=30)  # the bot's running jobs still talk to the double: stop it last
        double.stop()


def _wait_ready(port: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as resp:
                if b'"index": true' in resp.read():
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the bot did not become ready on port {port} within {timeout:.0f}s")


def _self_check(double: SlackDouble, echo: Callable[[str], object]) -> int:
    """Ask one question through the double, as a person would, and print the exchange as the page shows it."""
    d = double.send_message("U0SUPLEAD", "C0SUPPORT", f"<@{double.bot_user_id}> {SAMPLE_QUESTION}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = [msg for msg in double.thread("C0SUPPORT", d.ts or "") if msg.get("bot_id") and msg.get("edited")]
        if replies:  # the placeholder, edited in place into the answer
            echo("\n".join(transcript(f"@rapport {SAMPLE_QUESTION}", replies[-1])))
            return 0
        time.sleep(0.3)
    echo("no answer within 60 s")
    return 1
