"""``rapport demo``: everything a newcomer needs on embedded defaults, in one command."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from bot.demo.service import generate_demo_data
from bot.settings import Settings
from bot.store import models as m
from bot.store.db import make_engine
from bot.store.migrate import upgrade


def prepare_data(settings: Settings, customers: int, progress: bool, echo: Callable[[str], object]) -> None:
    """Migrate, and generate demo data unless the database already holds customers."""
    engine = make_engine(settings.effective_database_url)
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


def run_demo(settings: Settings, customers: int, progress: bool, echo: Callable[[str], object]) -> int:
    echo(f"database: {settings.effective_database_url}")
    prepare_data(settings, customers, progress, echo)
    from bot.commands.retrieval_cmds import index_command

    return index_command(
        settings.playbooks_dir,
        None if settings.chroma_url else settings.effective_chroma_path,
        settings.chroma_url,
        settings.chroma_collection,
    )
