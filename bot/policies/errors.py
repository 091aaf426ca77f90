"""Errors raised by the policy loader and the policy look-up helpers."""

from __future__ import annotations


class PolicyError(ValueError):
    """A policy file is missing or invalid.

    ``str(err)`` is one line: ``FILE:LINE:COLUMN: reason`` (line and column are 1-based and
    omitted when unknown), fit to print as-is for a user error.
    """

    def __init__(
        self,
        file: str,
        reason: str,
        line: int | None = None,
        column: int | None = None,
        more: int = 0,
    ) -> None:
        self.file = file
        self.reason = reason
        self.line = line
        self.column = column
        self.more = more
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        extra = f" (and {self.more} more error{'s' if self.more != 1 else ''})" if self.more else ""
        reason = " ".join(self.reason.split())
        return f"{where}: {reason}{extra}"


class UnknownPolicyKey(LookupError):
    """A helper was asked about a tier, priority, severity, request type... the policy does not define."""
