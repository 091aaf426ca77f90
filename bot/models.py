"""The whole schema: every package's models, imported explicitly so ``metadata`` holds every table.

Import this where the complete schema matters (schema tests, metrics over feature tables). Migrations are
the source of truth for the database itself; erasure and retention reflect the live schema instead.
"""

from __future__ import annotations

from bot.alerts import models as alerts_models
from bot.approvals import models as approvals_models
from bot.ask import models as ask_models
from bot.channels import models as channels_models
from bot.customers import models as customers_models
from bot.privacy import models as privacy_models
from bot.segments import models as segments_models
from bot.store import models as store_models
from bot.sync import models as sync_models

MODEL_MODULES = (
    store_models,
    customers_models,
    sync_models,
    privacy_models,
    ask_models,
    alerts_models,
    approvals_models,
    channels_models,
    segments_models,
)
metadata = store_models.Base.metadata
