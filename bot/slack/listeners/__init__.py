"""Bolt listeners, one module per Slack surface; ``bot.app.LISTENERS`` names the ones the app registers."""
