"""Bolt listeners, one module per feature, each exposing ``register(app, services)``.

Listeners stay thin: parse the Slack payload, call a feature with plain values, render the result with
``bot.slack.views.render``. ``bot.slack.app`` imports every module named in ``LISTENER_MODULES``.
"""

LISTENER_MODULES = ("ask", "alerts", "approvals", "handoff", "home", "admin")
