"""Schema of ``sla.yaml``: first-response and resolution targets per tier and priority."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import Field, model_validator

from bot.policies.primitives import Coverage, Duration, LocalTime, Priority, Strict, Weekday


class BusinessHours(Strict):
    start: LocalTime
    end: LocalTime
    days: list[Weekday] = Field(min_length=1)
    timezone: str = "customer"

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class Target(Strict):
    first_response: Duration
    resolution: Duration

    @model_validator(mode="after")
    def _response_within_resolution(self) -> Target:
        if self.first_response > self.resolution:
            raise ValueError("first_response target is longer than the resolution target")
        return self


class TierSla(Strict):
    coverage: Coverage
    P1: Target
    P2: Target
    P3: Target
    P4: Target

    def target(self, priority: Priority) -> Target:
        result: Target = getattr(self, priority)
        return result


class SlaPolicy(Strict):
    business_hours: BusinessHours
    # When a customer may be contacted proactively (the communication policy's quiet hours for customers);
    # None: not configured, and no answer states a contact window.
    contact_hours: BusinessHours | None = None
    priorities: dict[Priority, str]
    targets: dict[str, TierSla] = Field(min_length=1)


@dataclass(frozen=True)
class SlaTarget:
    """The SLA clock for one ticket: what :meth:`Policies.sla_target` returns.

    For ``coverage == "business_hours"`` the durations count business time
    (``sla.yaml: business_hours``, in the customer's time zone); for ``24x7`` calendar time.
    """

    tier: str
    priority: Priority
    first_response: timedelta
    resolution: timedelta
    coverage: Coverage
