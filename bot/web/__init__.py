"""The HTTP edge of ``rapport serve``: Slack events, ingest webhooks, health and metrics on one WSGI server."""
