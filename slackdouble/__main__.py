"""Run the Slack double standalone:

python -m slackdouble --port 3001 --bot-url http://127.0.0.1:3000/slack/events --signing-secret S
"""

from __future__ import annotations

import argparse
import logging
import os

from slackdouble.demo import seed_demo_workspace
from slackdouble.scopes import manifest_scopes
from slackdouble.server import SlackDouble

DEMO_ROSTER = [
    ("U0ANA", "ana.silva", "Europe/Lisbon"),
    ("U0BEN", "ben.okafor", "America/New_York"),
    ("U0CHLOE", "chloe.martin", "Europe/Paris"),
    ("U0DEV", "dev.patel", "Asia/Kolkata"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m slackdouble", description="Local Slack double and sandbox page")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--bot-url", default=os.environ.get("RAPPORT_BOT_URL", "http://127.0.0.1:3000/slack/events"))
    parser.add_argument("--signing-secret", default=os.environ.get("SLACK_SIGNING_SECRET", "sandbox-signing-secret"))
    parser.add_argument("--bot-token", default=None, help="accept only this token (default: any)")
    parser.add_argument(
        "--manifest", default=None, help="grant the bot scopes of this app manifest (default: Rapport's)"
    )
    parser.add_argument("--socket-mode", action="store_true", help="deliver over Socket Mode, not to --bot-url")
    parser.add_argument("--trigger-ttl", type=float, default=3.0, help="seconds a trigger_id stays valid")
    parser.add_argument("--no-seed", action="store_true", help="start with an empty workspace")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    double = SlackDouble(
        args.signing_secret,
        bot_url=args.bot_url or None,
        host=args.host,
        port=args.port,
        bot_token=args.bot_token,
        trigger_ttl=args.trigger_ttl,
        scopes=manifest_scopes(args.manifest) if args.manifest else None,
        socket_mode=args.socket_mode,
    )
    if not args.no_seed:
        seed_demo_workspace(double, DEMO_ROSTER)
    double.start()
    target = "Socket Mode (apps.connections.open)" if args.socket_mode else args.bot_url
    print(f"Slack double: sandbox {double.url}/  Web API {double.api_url}  -> bot {target}", flush=True)
    double.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
