"""Privacy bookkeeping: legal holds (customers exempt from retention purges and erasure)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, utcnow


class LegalHold(Base):
    """Customers exempt from retention purges while a hold is in place."""

    __tablename__ = "legal_holds"

    customer_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
    placed_by: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
