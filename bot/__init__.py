"""Rapport: a Slack bot for customer-intimacy operations."""
