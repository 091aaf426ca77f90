"""Issue 16 finding 4 as a property: every outbound view registered on ``render`` (walked from its registry, so a
view added later is covered without touching this file), rendered from results whose every text field holds
hostile strings, shows no live ``<!everyone>``, ``<!here>``, ``<!channel>``, ``<!subteam^…>``, ``<@U…>``, ``<#C…>``
or ``<http…|…>`` except the ones the view itself deliberately adds: a mention of an id field (an owner, an
approver from the policy files), a link from a URL field (a citation) or a thread permalink it builds.

A few fields are mrkdwn a feature composed (an answer from the playbooks, a policy finding, a notice): features
build them from escaped outside text and trusted tokens, so they are generated that way here, plus raw broadcast
mentions, which the view must still defuse. Everything else gets raw hostile text. The notification text sent
beside the blocks is checked the same way (``fallback``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import re
import types
import typing
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.mrkdwn import CHANNEL_ID, GROUP_ID, USER_ID, escape
from bot.slack.views import render
from bot.slack.views.common import fallback

ATTACKS = [
    "<!everyone>",
    "<!here>",
    "<!channel>",
    "<!subteam^SEVIL0>",
    "<!subteam^SEVIL0|@admins>",
    "<@UEVIL0>",
    "<@WEVIL0|boss>",
    "<#CEVIL0>",
    "<https://evil.example|the signed contract>",
    "<http://evil.example/x>",
    "<mailto:ceo@evil.example|mail the CEO>",
    "<!date^1392734382^{date}|then>",
    "&lt;!channel&gt;",
    "https://evil.example|the signed contract",
    "@here",
    "<",
    ">",
    "&",
    "|",
    "*",
    "_",
    "`",
    "\n",
    " ",
]
hostile = st.lists(st.one_of(st.sampled_from(ATTACKS), st.text(max_size=6)), min_size=1, max_size=5).map("".join)

TRUSTED_IDS = ["U0OWNER", "U0CSLEAD", "S0CSLEADS", "C0PLATESC"]
TRUSTED_TOKENS = ["<@U0OWNER>", "<!subteam^S0CSLEADS>", "<#C0PLATESC>", "<https://playbooks.example/sla.md|SLA>"]
BROADCASTS = ["<!channel>", "<!here>", "<!everyone>"]
# Mrkdwn a feature composed from escaped outside text and trusted tokens (see the module docstring).
COMPOSED = {
    ("Answer", "text"),
    ("Notice", "text"),
    ("Help", "text"),
    ("Configured", "message"),
    ("Handoff", "reason"),
    ("Handoff", "next_step"),
    ("Reescalation", "next_step"),
    ("RequesterNotice", "headline"),
    ("PolicyFinding", "summary"),
    ("AlertMessage", "note"),
    ("AdminNote", "text"),
}
composed = st.lists(
    st.one_of(st.sampled_from(TRUSTED_TOKENS + BROADCASTS), hostile.map(escape)), min_size=1, max_size=5
).map(" ".join)
aware = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC))


def strategy(tp: Any, owner: str = "", name: str = "") -> st.SearchStrategy[Any]:
    """Values of type ``tp`` (for field ``name`` of class ``owner``) with hostile text wherever text goes."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is str:
        return composed if (owner, name) in COMPOSED else hostile
    if tp is type(None):
        return st.none()
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(0, 10**6)
    if tp is float:
        return st.floats(0, 1e7, allow_nan=False)
    if tp is Decimal:
        return st.decimals(0, 10**9, places=2, allow_nan=False, allow_infinity=False)
    if tp is dt.datetime:
        return aware
    if tp is dt.date:
        return st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1))
    if tp is dt.timedelta:
        return st.timedeltas(dt.timedelta(0), dt.timedelta(days=400))
    if tp in (Any, object):
        return st.one_of(hostile, st.integers(0, 1000), st.booleans(), st.none())
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy(a, owner, name) for a in args))
    if origin in (list, typing.Sequence, tuple, set, frozenset) or tp in (list, tuple):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return st.tuples(*(strategy(a, owner, name) for a in args))
        item = strategy(args[0] if args else Any, owner, name)
        made = origin if origin in (list, tuple, set, frozenset) else list
        return st.lists(item, max_size=3).map(made)
    if origin is dict or tp is dict:
        value = strategy(args[1] if args else Any, owner, name)
        return st.dictionaries(hostile, value, max_size=3)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return instances(tp)
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        model: type[pydantic.BaseModel] = tp
        hints = {k: f.annotation for k, f in model.model_fields.items()}
        return st.fixed_dictionaries({k: strategy(h, model.__name__, k) for k, h in hints.items()}).map(
            lambda kw: model.model_construct(**kw)
        )
    raise TypeError(f"no strategy for {tp!r} ({owner}.{name}): teach this test the type")


NON_EMPTY = {("DigestGroup", "alerts"), ("DigestMessage", "groups")}  # a view only ever gets these filled


def instances(cls: type) -> st.SearchStrategy[Any]:
    # Names a module imports only for type checking (a result holding an Answer, say) resolve among the views.
    hints = typing.get_type_hints(cls, localns={t.__name__: t for t in VIEWS})
    fields = {f.name: strategy(hints[f.name], cls.__name__, f.name) for f in dataclasses.fields(cls) if f.init}
    for owner, name in NON_EMPTY:
        if owner == cls.__name__ and name in fields:
            fields[name] = fields[name].filter(bool)
    return st.fixed_dictionaries(fields).map(lambda kw: fixed(cls(**kw)))


def fixed(obj: Any) -> Any:
    """Invariants the features keep that a view relies on (a current step within the chain, say)."""
    if type(obj).__name__ == "ApprovalCard" and obj.steps:
        return dataclasses.replace(obj, step=min(obj.step, len(obj.steps) - 1))
    if type(obj).__name__ == "ApprovalCard":
        return dataclasses.replace(obj, step=0)
    return obj


def texts(fields: dict[str, str], value: Any) -> None:
    """Every string inside ``value``, as the view could have received it."""
    if isinstance(value, str):
        fields[value] = value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            texts(fields, getattr(value, f.name))
    elif isinstance(value, pydantic.BaseModel):
        for k in type(value).model_fields:
            texts(fields, getattr(value, k, None))
    elif isinstance(value, dict):
        for k, v in value.items():
            texts(fields, k)
            texts(fields, v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            texts(fields, v)


def mrkdwn_of(blocks: Any) -> list[str]:
    """Every mrkdwn text in the blocks (plain_text is never parsed for mentions or links)."""
    out: list[str] = []
    if isinstance(blocks, dict):
        if blocks.get("type") == "mrkdwn" and isinstance(blocks.get("text"), str):
            out.append(blocks["text"])
        for v in blocks.values():
            out += mrkdwn_of(v)
    elif isinstance(blocks, list):
        for v in blocks:
            out += mrkdwn_of(v)
    return out


LIVE = re.compile(r"<([^<>]*)>")
PERMALINK = re.compile(rf"https://slack\.com/archives/{CHANNEL_ID.pattern}/p\d+")


def not_deliberate(text: str, given: set[str]) -> list[str]:
    """The live tokens in ``text`` that the view did not deliberately add from an id, URL or its own link."""
    bad = []
    for token in LIVE.findall(text):
        target = token.split("|", 1)[0]
        ok: object
        if token.startswith("@"):
            ok = USER_ID.fullmatch(target[1:]) and (target[1:] in given or target[1:] in TRUSTED_IDS)
        elif token.startswith("!subteam^"):
            ident = target.removeprefix("!subteam^")
            ok = GROUP_ID.fullmatch(ident) and (ident in given or ident in TRUSTED_IDS)
        elif token.startswith("#"):
            ok = CHANNEL_ID.fullmatch(target[1:]) and (target[1:] in given or target[1:] in TRUSTED_IDS)
        elif token.startswith("!"):
            ok = False  # <!everyone>, <!here>, <!channel>, <!date…>: Rapport never means these
        else:
            ok = target in given or PERMALINK.fullmatch(target) or f"<{token}>" in TRUSTED_TOKENS
        if not ok:
            bad.append(f"<{token}>")
    return bad


VIEWS = sorted((t for t in render.registry if t is not object), key=lambda t: f"{t.__module__}.{t.__qualname__}")


def test_the_registry_holds_the_views_issue_16_names() -> None:
    names = {t.__name__ for t in VIEWS}
    for expected in ("Handoff", "ApprovalCard", "Working", "AlertMessage", "CustomerCard", "DigestMessage", "Answer"):
        assert expected in names


@pytest.mark.parametrize("view", VIEWS, ids=lambda t: t.__name__)
def test_no_live_mention_or_link_from_outside_text(view: type) -> None:
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )
    @given(instances(view) if dataclasses.is_dataclass(view) else strategy(view))
    def check(result: Any) -> None:
        blocks = render(result)
        given_texts: dict[str, str] = {}
        texts(given_texts, result)
        allowed = set(given_texts)
        for text in mrkdwn_of(blocks):
            assert not_deliberate(text, allowed) == [], (text, result)
        for note in given_texts:  # whatever fallback text a feature sends with this view
            assert not_deliberate(fallback(note, blocks), allowed | _live(blocks)) == []

    check()


def _live(blocks: Any) -> set[str]:
    """Targets live in the blocks themselves (a fallback may repeat those)."""
    return {
        t.split("|", 1)[0].lstrip("@#").removeprefix("!subteam^") for s in mrkdwn_of(blocks) for t in LIVE.findall(s)
    }
