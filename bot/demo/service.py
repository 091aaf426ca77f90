"""Demo data as a feature: migrations + generator + progress, callable from the CLI and tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from rich.progress import Progress

from bot.app import engine_for
from bot.demo.generator import DEFAULT_OWNERS, DemoGenerator, GenerationStats, load
from bot.policies import load_policies
from bot.settings import Settings
from bot.store.migrate import upgrade


def _roster_and_tiers(settings: Settings) -> tuple[list[str], Callable[[float], str] | None]:
    """Owners and tier thresholds come from the policy files when they are present."""
    if not settings.policies_dir.is_dir():
        return [], None
    policies = load_policies(settings.policies_dir)
    owners = [s.id for s in policies.roles.staff if "account_manager" in s.roles]
    return owners, (lambda ltv: policies.tier_for_value(ltv, 0))


def generate_demo_data(
    settings: Settings,
    customers: int,
    seed: int = 42,
    now: dt.datetime | None = None,
    progress: bool = False,
    echo: Callable[[str], object] = print,
) -> GenerationStats:
    engine = engine_for(settings)
    upgrade(engine)
    owners, tier_for_value = _roster_and_tiers(settings)
    gen = DemoGenerator(customers, seed=seed, now=now, tier_for_value=tier_for_value, owners=owners or DEFAULT_OWNERS)
    if progress:
        with Progress(transient=True) as bar:
            task = bar.add_task("generating", total=customers)
            stats = load(engine, gen, on_batch=lambda s: bar.update(task, completed=s.rows["customers"]))
    else:
        stats = load(engine, gen)
    engine.dispose()
    return stats
