"""Schema of ``roles.yaml``: staff roster, roles with field-level access, groups, on-duty owners."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from bot.policies.primitives import GroupId, Principal, Slug, Strict, UserId


class FieldCatalog(Strict):
    public: list[Slug]
    sensitive: list[Slug]


class Role(Strict):
    description: str = ""
    sees: list[Slug] = Field(default_factory=list)
    # reads the access log: who viewed a customer's record (the audit trail's card views), for privacy requests
    audit: bool = False


class StaffMember(Strict):
    id: UserId
    name: str = Field(min_length=1)
    title: str = ""
    roles: list[Slug] = Field(min_length=1)
    tz: str

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/London)") from None
        return value


class Group(Strict):
    id: GroupId
    handle: Slug
    name: str
    members: list[UserId] = Field(min_length=1)


class RolesPolicy(Strict):
    fields: FieldCatalog
    roles: dict[Slug, Role] = Field(min_length=1)
    staff: list[StaffMember] = Field(min_length=1)
    groups: list[Group] = Field(default_factory=list)
    on_duty: dict[str, Principal] = Field(default_factory=dict)
