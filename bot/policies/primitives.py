"""Value types shared by the policy schemas: durations, local times, Slack ids, enums."""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

_DURATION = re.compile(r"^\s*(\d+)\s*(m|min|h|d|w)\s*$")
_UNIT_SECONDS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_LOCAL_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_duration(value: Any) -> timedelta:
    """Parse ``15m``, ``4h``, ``2d``, ``1w`` into a positive timedelta."""
    if isinstance(value, timedelta):
        if value <= timedelta(0):
            raise ValueError("duration must be positive")
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"invalid duration {value!r}: write a number and a unit, e.g. 30m, 4h, 7d")
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"invalid duration {value!r}: write a number and a unit, e.g. 30m, 4h, 7d")
    amount = int(match.group(1))
    if amount <= 0:
        raise ValueError(f"invalid duration {value!r}: must be positive")
    return timedelta(seconds=amount * _UNIT_SECONDS[match.group(2)])


def format_duration(value: timedelta) -> str:
    """Inverse of :func:`parse_duration` for whole minutes: 15m, 4h, 2d."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


def parse_local_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not _LOCAL_TIME.match(value):
        raise ValueError(f'invalid local time {value!r}: write "HH:MM" in quotes, e.g. "08:30"')
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _pattern(regex: str, example: str, what: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise ValueError(f"{value!r} is not a {what} (like {example})")
        return value

    return AfterValidator(check)


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]
LocalTime = Annotated[time, BeforeValidator(parse_local_time)]
UserId = Annotated[str, _pattern(r"^U[A-Z0-9]{2,}$", "U0CSLEAD", "Slack user id")]
GroupId = Annotated[str, _pattern(r"^S[A-Z0-9]{2,}$", "S0DEALDESK", "Slack user-group id")]
Principal = Annotated[str, _pattern(r"^[US][A-Z0-9]{2,}$", "U0CSLEAD or S0DEALDESK", "Slack user or group id")]
ChannelId = Annotated[str, _pattern(r"^[CG][A-Z0-9]{2,}$", "C0ESCALATE", "Slack channel id")]
Slug = Annotated[str, _pattern(r"^[a-z][a-z0-9_-]*$", "platinum", "lower-case name")]

Priority = Literal["P1", "P2", "P3", "P4"]
PRIORITIES: tuple[Priority, ...] = ("P1", "P2", "P3", "P4")
Severity = Literal["sev1", "sev2", "sev3", "sev4"]
SEVERITIES: tuple[Severity, ...] = ("sev1", "sev2", "sev3", "sev4")
Coverage = Literal["24x7", "business_hours"]
Risk = Literal["low", "medium", "high"]
RISKS: tuple[Risk, ...] = ("low", "medium", "high")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Strict(BaseModel):
    """Base for every policy model: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def normalize_priority(value: str | int) -> Priority:
    """``P1``, ``p1``, ``1`` -> ``P1``."""
    text = str(value).strip().upper().removeprefix("P")
    candidate = f"P{text}"
    for priority in PRIORITIES:
        if priority == candidate:
            return priority
    raise ValueError(f"unknown priority {value!r}: expected one of {', '.join(PRIORITIES)}")


def normalize_severity(value: str | int) -> Severity:
    """``sev1``, ``SEV1``, ``S1``, ``P1``, ``1`` -> ``sev1`` (ticket priority Pn maps to severity n)."""
    text = str(value).strip().lower()
    for prefix in ("sev", "s", "p"):
        if text.startswith(prefix) and text[len(prefix) :].isdigit():
            text = text[len(prefix) :]
            break
    candidate = f"sev{text}"
    for severity in SEVERITIES:
        if severity == candidate:
            return severity
    raise ValueError(f"unknown severity {value!r}: expected one of {', '.join(SEVERITIES)}")
