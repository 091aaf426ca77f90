"""Tier placement (the segmentation review of playbooks/service/tier-definitions.md).

``placement`` places every customer in the highest tier whose lifetime-value or ARR threshold (tiers.yaml) it
meets, from its record and its last 12 months of orders, in one set-based query. ``review`` turns that into
proposed moves (terminal table, CSV, a post to the governance channel) and, applied, moves customers: up at once,
down at once or, when a renewal is ahead, keeping the current promises until then (``customer_tier_promises``).
``customers.tier`` is always the tier whose promises the customer is served by, so every SLA, escalation and
alert lookup honours a kept promise without knowing about it. ``overrides`` applies approved ``tier_override``
requests; ``jobs`` runs the yearly review, places customers a sync created without a tier, and ends promises.
"""
