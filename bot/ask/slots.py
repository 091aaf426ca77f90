"""The values a question gives for a policy computation or a record answer: a percentage, an amount, a priority,
a tier, a region, a risk, a moment ("tomorrow morning", "at 9pm"). Pure functions over the text; what is not a
valid value (a percentage over 100, a negative amount) is kept as a problem to tell the asker, never silently
dropped or clamped."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.approvals.amounts import MAX_AMOUNT, format_money, format_percent
from bot.ask.intents import PRIORITY, mask

# thousands with commas ("12,000"), a decimal comma ("12,5": not "5"), a decimal point
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+,\d{1,2}(?![\d,])|\d+(?:\.\d+)?|\.\d+"
_MINUS = r"(?P<neg>-|−|minus\s+|negative\s+)?"
PERCENT = re.compile(rf"(?<![\w.$,]){_MINUS}(?P<num>{_NUM})\s*(?:%|\s*per\s*cent\b|\s*percent\b|\s*pct\b)", re.I)
MONEY = re.compile(
    rf"(?<![\w.,]){_MINUS}(?:(?:usd|us\$|\$)\s*(?P<neg2>-|−)?(?P<num>{_NUM})\s*(?P<scale>[kmb]\b|thousand\b|million\b)?"
    rf"|(?P<num2>{_NUM})\s*(?P<scale2>[kmb]\b|thousand\b|million\b)?\s*(?:usd|dollars?|bucks)\b"
    rf"|(?P<num3>{_NUM})(?P<scale3>[km])\b)",
    re.I,
)
# An amount in another currency: approval thresholds are in USD, so it is said back, never read as dollars.
FOREIGN = re.compile(
    rf"(?<![\w.,])(?:[€£¥]\s*(?:{_NUM})\s*(?:[kmb]\b|thousand\b|million\b)?"
    rf"|(?:{_NUM})\s*(?:[kmb]\b|thousand\b|million\b)?\s*(?:eur|euros?|gbp|pounds?|jpy|yen|cad|aud)\b)",
    re.I,
)
COUNT = re.compile(
    rf"(?<![\w.]){_MINUS}(?P<num>{_NUM})\s+(?:customer\s+|contact\s+)?(?:records?|rows|contacts)\b", re.I
)
# An amount said as the deal a percentage is taken from, not as the request's own value: "12% on a $120k renewal",
# "15% off a $40,000 order", "a $120k deal at 12%" (but "a discount of $10,000" is the discount's value).
_BASE_BEFORE = re.compile(
    # ("a discount of $5k" is the discount's value, "a 12% discount on $120k" what it applies to)
    r"(?:(?<!discount )(?<!credit )(?<!value )\bof|\b(?:on|off))\s+(?:a|an|the|their|its|this|that)?\s*$"
    # the deal named before its size: "if the deal is $400k", "with a renewal worth $80k"
    r"|\b(?:deal|renewal|contract|order|quote|subscription|purchase|acv|tcv)(?:\s+(?:value|size|price|total))?\s+"
    # (its size said roughly or as a bound is still the deal: "a deal worth over $100k")
    r"(?:is|was|of|at|=|worth|comes to)(?:\s+(?:over|above|about|around|roughly|nearly|almost|under|at least|more "
    r"than))?\s*$",
    re.I,
)
_BASE_AFTER = re.compile(  # the deal noun right after the amount, or after a word or two describing it
    r"\s*(?:(?!(?:on|off|of|for|to|in|at|from|their|our|the|a|an)\b)[a-z-]+\s+){0,2}?"
    r"(?:deal|renewal|contract|order|invoice|quote|subscription|purchase|acv|tcv)s?\b",
    re.I,
)
# Free months, which the discount policy counts as discount value: "two free months", "3 months free", "a free
# month". Read as that share of a year's fees (n/12), the term a deal's price is quoted for.
_MONTHS_WORDS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
# A follow-up that says only another count ("what about three?", "and 4?"): after free months, that many months.
_COUNT_AGAIN = re.compile(
    r"^\s*(?:(?:and|or|what about|how about|what if|then)\s+)?(?:with\s+)?"
    rf"(?P<n>\d{{1,2}}|{'|'.join(w for w in _MONTHS_WORDS if w != 'a')})"
    # a count and nothing more: "20%?", "$5?" or "5k" are other values, read as such
    r"(?:\s+(?:free\s+)?months?)?(?:\s+(?:instead|then))?[\s?!.]*$",
    re.I,
)
FREE_MONTHS = re.compile(
    r"\b(?P<n>\d{1,2}|a|one|two|three|four|five|six)\s+(?:extra\s+)?(?:free\s+months?|months?\s+(?:for\s+)?free)\b",
    re.I,
)
# Values said with the request they belong to: "10% off", "a 10% discount", "$5k credit", "a refund of $300".
# A percentage for a discount and an amount for a credit in one question are two requests, each with its route.
_PERCENT_FOR_DISCOUNT = re.compile(r"^\s*(?:off|discount)\b", re.I)
_AMOUNT_FOR_CREDIT = re.compile(r"^\s*(?:(?:service|sla|goodwill|outage)\s+)?(?:credit|refund)s?\b", re.I)
_CREDIT_OF = re.compile(r"\b(?:credit|refund)s?\s+(?:of\s+)?$", re.I)
# An amount said as a customer's ARR or lifetime value: "$300k ARR", "ARR of $300k", "a $1M lifetime value".
_VALUE_WORDS = r"(arr|annual recurring revenue|ltv|lifetime value|clv)"
_VALUE_AFTER = re.compile(rf"^\s*(?:of\s+|in\s+)?{_VALUE_WORDS}\b", re.I)
_VALUE_BEFORE = re.compile(rf"\b{_VALUE_WORDS}\s*(?:of|is|=|:|at|around|about|near)?\s*(?:a|an|the)?\s*$", re.I)
RISK = re.compile(r"\b(low|medium|high)[- ]risk\b|\brisk (?:is |of )?(low|medium|high)\b", re.I)
_SCALE = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000, "b": 1_000_000_000}
REGION_WORDS = {
    "europe": "emea",
    "european": "emea",
    "eu": "emea",
    "uk": "emea",
    "north america": "na",
    "us": "na",
    "usa": "na",
    "canada": "na",
    "asia": "apac",
    "pacific": "apac",
    "australia": "apac",
    "japan": "apac",
    "latin america": "latam",
    "south america": "latam",
    "brazil": "latam",
    "mexico": "latam",
}


_NA = re.compile(r"\b(?:in|or|and)\s+na\b|\bna\s*(?:,|and\b|or\b)", re.I)
_CONTINENTS = ("europe", "european", "asia", "pacific", "north america", "latin america", "south america")


def _place(word: str, text: str) -> re.Match[str] | None:
    """``word`` (a REGION_WORDS key) in ``text``; "US" only in capitals: "renewed with us" names no country."""
    if word == "us":
        return re.search(r"\bUS\b", text)
    return re.search(rf"\b{word}\b", text, re.I)


# A moment: a day ("today", "tomorrow", a weekday), a part of the day, a clock time ("9pm", "9:30 am", "21:00").
_DAY = re.compile(r"\b(today|tonight|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.I)
_PART = re.compile(r"\b(morning|noon|midday|lunchtime|afternoon|evening|tonight)\b", re.I)
_PART_TIME = {"morning": 9, "noon": 12, "midday": 12, "lunchtime": 12, "afternoon": 14, "evening": 19, "tonight": 20}
_CLOCK_12 = re.compile(r"(?<![\d:.$])(1[0-2]|0?[1-9])(?::([0-5]\d))?\s*([ap])\.?m\b\.?", re.I)
_CLOCK_24 = re.compile(r"(?<![\d:.$])([01]?\d|2[0-3]):([0-5]\d)\b")
# "at 10" is ten o'clock, unless a unit or a percent follows ("at 10%", "at 10 days", "at 10k")
_CLOCK_AT = re.compile(
    r"\bat\s+([01]?\d|2[0-3])\b(?!\s*(?:[%.,:]\d|%|percent|[kmb]\b|usd|dollars?|days?|hours?|h\b|min|weeks?|months?|"
    r"years?|seats?|users?|records?|accounts?|customers?|tickets?))",
    re.I,
)


@dataclass(frozen=True)
class Moment:
    """When the question asks about, as said: placed in the customer's time zone by the answer that needs it."""

    day: str | None  # "today", "tomorrow" or a weekday ("mon"); None: the next time the time comes
    time: dt.time | None  # None: the day as a whole


def read_moment(text: str) -> Moment | None:
    """The moment ``text`` names, or None when it names no day, part of the day or clock time."""
    day = _DAY.search(text)
    clock = _CLOCK_12.search(text)
    time: dt.time | None = None
    if clock:
        hour = int(clock.group(1)) % 12 + (12 if clock.group(3).lower() == "p" else 0)
        time = dt.time(hour, int(clock.group(2) or 0))
    elif clock24 := _CLOCK_24.search(text):
        time = dt.time(int(clock24.group(1)), int(clock24.group(2)))
    elif bare := _CLOCK_AT.search(text):
        time = dt.time(int(bare.group(1)))
    elif part := _PART.search(text):
        time = dt.time(_PART_TIME[part.group(1).lower()])
    if day is None and time is None:
        return None
    name = day.group(1).lower() if day else None
    if name is not None and name not in ("today", "tonight", "tomorrow"):
        name = name[:3]  # a weekday as bot.customers.sla.WEEKDAYS writes it
    return Moment("today" if name == "tonight" else name, time)


@dataclass(frozen=True)
class Problem:
    """A value no request can carry, as said back ("150% is over 100%"), and what to give instead."""

    said: str
    need: str  # "a percentage between 0 and 100", "the amount in USD", ...

    def __str__(self) -> str:
        return self.said


# A value said as a lower bound ("who approves an expedite over $5,000?", "a discount above 25%"): the request is
# larger than it, so the route is the one just above it (was: the route at it, "up to $5,000 needs Logistics")
_ABOVE = re.compile(r"\b(?:over|above|more than|greater than|exceeding|in excess of|upwards of)\s*$|>\s*$", re.I)

PERCENT_NEEDED = "a percentage between 0 and 100"
AMOUNT_NEEDED = "a positive amount"


@dataclass(frozen=True)
class Slots:
    percent: float | None = None
    amount: Decimal | None = None
    priority: str | None = None  # P1..P4
    tier: str | None = None  # a tier the question names (the highest, when it names several)
    region: str | None = None  # a region the question names
    risk: str | None = None  # None: not said (requests default to low)
    problems: tuple[Problem, ...] = ()  # what the asker gave that no request can carry, said plainly
    tiers: tuple[str, ...] = ()  # every tier the question names, in the order it names them ("gold ... silver")
    moment: Moment | None = None  # when the question asks about ("can I call them tomorrow morning?")
    base: Decimal | None = None  # an amount said as what a percentage applies to ("12% on a $120k renewal")
    free_months: int | None = None  # "two free months": a discount of that share of a year (``percent`` set so)
    place: str = ""  # the country or union ``region`` was named by ("UK"): the record keeps regions, not countries
    other_tier: str = ""  # a tier name other teams use that the policy has none of ("diamond customers")
    above: str = ""  # the value said as a lower bound ("over $5,000"): "amount" or "percent"; the request is larger
    regions: tuple[str, ...] = ()  # every region the question names, in order ("emea and latam"); ``region`` first

    @property
    def percent_text(self) -> str:
        return format_percent(self.percent) if self.percent is not None else ""

    @property
    def amount_text(self) -> str:
        return format_money(self.amount) if self.amount is not None else ""


def _money(m: re.Match[str]) -> Decimal:
    """The value of a MONEY match, scale applied ("$12.5k" is 12,500), its sign aside."""
    raw = m["num"] or m["num2"] or m["num3"]
    scale = (m["scale"] or m["scale2"] or m["scale3"] or "").lower()
    return _number(raw) * _SCALE.get(scale, 1)


def _number(text: str) -> Decimal:
    if re.fullmatch(r"\d+,\d{1,2}", text):  # a decimal comma: "12,5" is 12.5
        return Decimal(text.replace(",", "."))
    return Decimal(text.replace(",", ""))


def read_slots(question: str, tiers: Sequence[str] = (), regions: Sequence[str] = (), name: str = "") -> Slots:
    """The values in ``question``. ``tiers``/``regions``: the policy's names (a plain handbook has none);
    ``name``: the customer's own mention, whose words are not values ("Route 66 Foods", "Gold Coast Mining"); it
    comes folded from linking ("gold coast mining"), so it is masked whatever the question's case."""
    text = mask(question, name, " ")
    problems: list[Problem] = []
    percent = None
    for_discount = False
    above = ""
    for m in PERCENT.finditer(text):
        value = float(_number(m["num"]))
        shown = f"{'-' if m['neg'] else ''}{format_percent(value)}"
        if m["neg"]:
            problems.append(Problem(f"{shown} is a negative percentage", PERCENT_NEEDED))
        elif value > 100:
            problems.append(Problem(f"{shown} is over 100%", PERCENT_NEEDED))
        elif percent is None:
            percent = value
            for_discount = bool(_PERCENT_FOR_DISCOUNT.match(text[m.end() :]))
            above = "percent" if _ABOVE.search(text[: m.start()]) else above
    amount = base = None
    for_credit = False
    foreign = [m.span() for m in FOREIGN.finditer(text)]
    abroad = [text[a:b].strip() for a, b in foreign]
    problems += [Problem(f"{x} is not in USD (approval thresholds are in USD)", "the amount in USD") for x in abroad]
    for m in MONEY.finditer(text):
        if any(a <= m.start() < b for a, b in foreign):
            continue  # said back above, never read as dollars
        money = _money(m)
        if m["neg"] or m["neg2"]:
            problems.append(Problem(f"-{format_money(money)} is a negative amount", AMOUNT_NEEDED))
        elif money > MAX_AMOUNT:
            problems.append(
                Problem(f"{format_money(money)} is larger than any amount a request can carry", AMOUNT_NEEDED)
            )
        elif amount is None and base is None:
            said = money.quantize(Decimal("0.01"))
            if _BASE_BEFORE.search(text[: m.start()]) or _BASE_AFTER.match(text[m.end() :]):
                base = said
            else:
                amount = said
                for_credit = bool(_AMOUNT_FOR_CREDIT.match(text[m.end() :]) or _CREDIT_OF.search(text[: m.start()]))
                above = "amount" if _ABOVE.search(text[: m.start()]) else above
    if for_discount and for_credit and percent is not None and amount is not None:
        two = f"{format_percent(percent)} off and a {format_money(amount)} credit are two requests, each with its route"
        problems.append(Problem(two, "one of them at a time"))
        percent = amount = None
    free = FREE_MONTHS.search(text)
    months = int(_MONTHS_WORDS.get(free["n"].lower(), free["n"])) if free else None
    if months is not None and percent is not None:
        months = None  # a percentage said is the one routed ("two free months and 5% off")
    if months is not None:
        if 0 < months <= 12:
            percent = round(months * 100 / 12, 1)  # as said back; the amount is taken from the months themselves
        else:
            problems.append(Problem(f"{months} free months is more than a year", "at most 12 free months"))
    if amount is None and base is None:
        for m in COUNT.finditer(text):
            if m["neg"]:
                problems.append(Problem(f"-{m['num']} records is a negative number of records", "a positive number"))
            elif amount is None:
                amount = _number(m["num"])
    prio = PRIORITY.search(text)
    order = re.findall(r"[a-z]+", text.lower())
    by_word = {t.lower(): t for t in tiers}
    tiers_named = tuple(dict.fromkeys(by_word[w] for w in order if w in by_word))
    tier = next((t for t in tiers if t in tiers_named), None)
    # "na" is a region only beside another or after "in" ("apac or na", "in na"): alone it is "not applicable"
    by_region = {r.lower(): r for r in regions if r.lower() != "na" or _NA.search(text)}
    direct = tuple(dict.fromkeys(by_region[w] for w in order if w in by_region))
    # places in the order the question names them
    named = sorted(
        ((k, v, found) for k, v in REGION_WORDS.items() if (found := _place(k, text))), key=lambda n: n[2].start()
    )
    region = direct[0] if direct else None
    place = ""
    if region is None:
        region = next((v for _, v, _ in named if v in regions), None)
        # the country or union named for that region ("the UK"), as written: not a continent, its own name
        place = next((found.group(0) for k, v, found in named if v == region and k not in _CONTINENTS), "")
    regions_named = tuple(dict.fromkeys([*direct, *(v for _, v, _ in named if v in regions)]))
    risk = RISK.search(text)
    return Slots(
        percent=percent,
        amount=amount,
        priority=f"P{prio.group(1)}" if prio else None,
        tier=tier,
        region=region,
        place=place,
        risk=(risk.group(1) or risk.group(2)).lower() if risk else None,
        problems=tuple(dict.fromkeys(problems)),
        tiers=tiers_named,
        moment=read_moment(text),
        base=base,
        free_months=months if percent is not None else None,
        other_tier=_other_tier(text, tiers),
        regions=regions_named,
        above=above if (percent if above == "percent" else amount) is not None else "",
    )


# Tier names in common use. One the policy does not have, said as a tier ("which diamond customers renew?", "the
# titanium tier", "a diamond P1"), is said back: dropped, the answer would be every tier's.
_TIER_WORDS = "diamond|titanium|platinum|gold|silver|bronze|copper|iron|emerald|sapphire|ruby|palladium"
_TIER_SAID = re.compile(
    rf"\b(?P<a>{_TIER_WORDS})(?=[- ]tier\b|\s+(?:customers?|accounts?|clients?|ones|p[1-4])\b)"
    rf"|\btier\s+(?P<b>{_TIER_WORDS})\b",
    re.I,
)


def _other_tier(text: str, tiers: Sequence[str]) -> str:
    known = {t.lower() for t in tiers}
    if not known:
        return ""  # a plain handbook: no tiers to compare with
    said = ((m["a"] or m["b"]).lower() for m in _TIER_SAID.finditer(text))
    return next((w for w in said if w not in known), "")


def count_again(question: str) -> int | None:
    """The count a follow-up says alone ("what about three?"), or None when it says more than that."""
    found = _COUNT_AGAIN.match(question)
    return int(_MONTHS_WORDS.get(found["n"].lower(), found["n"])) if found else None


def read_values(question: str) -> dict[str, Decimal]:
    """The customer values a question states, by what they are ("arr", "lifetime_value"): "a customer with $300k
    ARR" is {"arr": 300000}. Negative or unlabelled amounts are not values of either."""
    out: dict[str, Decimal] = {}
    for m in MONEY.finditer(question):
        if m["neg"] or m["neg2"]:
            continue
        word = _VALUE_AFTER.match(question[m.end() :]) or _VALUE_BEFORE.search(question[: m.start()])
        if word is None:
            continue
        key = "arr" if word.group(1).lower() in ("arr", "annual recurring revenue") else "lifetime_value"
        out.setdefault(key, _money(m).quantize(Decimal("0.01")))
    return out


# "what's 15% of X's ARR?": a share of a value on the record, worked out (150% too: arithmetic, not a discount)
_SHARE_OF = re.compile(rf"(?<![\w.$,])(?P<num>{_NUM})\s*(?:%|per\s?cent\b|pct\b)\s+of\b", re.I)


def share_of(question: str) -> float | None:
    """The percentage the question asks to take of an amount on the record, if it asks one."""
    found = _SHARE_OF.search(question)
    return float(_number(found["num"])) if found else None
