"""What a question asks for, and whether a piece of text carries that kind of fact (pure functions, no model).

Used twice: by the search's confidence (does the top passage carry the asked type of fact? are the question's key
terms in it?) and by the answer composer (prefer the sentences that carry it). Nothing here is fitted to a
corpus: the patterns are the English of time, people, numbers and procedures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.lexical import STOPWORDS, stem, tokenize
from retrieval.markdown import ENUMERATOR

TIME = "time"  # when / how often / how soon / how long / by when
PERSON = "person"  # who / whom / which team
NUMBER = "number"  # how many / how much / what percent / what limit
STEPS = "steps"  # how do I / what are the steps / process
META = "meta"  # about the playbook itself: who owns it, when it is reviewed or was updated

# "when" asks for a time where it opens the question or a clause ("When does access expire?", "..., and when?");
# inside a clause it sets a condition and asks nothing ("Does the discount carry over when the customer renews?").
_WHEN_ASKED = re.compile(r"(?:^|[,;:?!(]\s*|\b(?:and|so|but|then|ok|okay|hi|hey)\s+)when\b", re.I)
# "When I leave, can I keep my laptop?": an opening "when" clause followed by the question itself is a condition.
_WHEN_CONDITION = re.compile(
    r"^\s*when\b[^,?]{3,},\s*(?:can|could|do|does|did|should|shall|is|are|am|will|would|may|must|have|has|what|"
    r"how|who|whom|which|where|why)\b",
    re.I,
)
# "How much notice": a lead time, asked as an amount; a time question, and nothing is counted.
_NOTICE = r"how much (?:notice|lead time|advance notice|warning|time)"
_NOTICE_Q = re.compile(rf"\b{_NOTICE}\b", re.I)
_TIME_Q = re.compile(
    r"\b(how (?:often|soon|long|quickly|fast|frequently|late|early)|by when|until when|what time|how many "
    r"(?:days|hours|minutes|weeks|months|years)|deadline|within how|what (?:is|'s) the (?:deadline|timeline|"
    rf"turnaround|response time|cadence|frequency)|how far (?:ahead|in advance|out|before)|{_NOTICE})\b",
    re.I,
)
_PERSON_Q = re.compile(r"\b(who|whom|whose|which (?:team|role|person|people|group|manager|channel))\b", re.I)
_NUMBER_Q = re.compile(
    r"\b(how (?:many|much|big|large|high|low)|what (?:percent(?:age)?|share|amount|limit|threshold|number|"
    r"maximum|minimum|cap)|up to what|what is the (?:maximum|minimum|limit|cap|threshold)"
    # a quantity asked by its noun: "what's the 401k match?", "what is our training budget?"
    r"|what(?:'s|’s| is| are) (?:the|our|my) (?:[\w-]+ ){0,2}(?:match|rate|budget|allowance|stipend|price|cost|fee|"
    r"amount|percentage|quota|headcount))\b",
    re.I,
)
_STEPS_Q = re.compile(
    r"\b(steps?|procedure|process|checklist|walk me through|how (?:do|should|can|would) (?:i|we|you)|how to|"
    r"what do (?:i|we) do|what should (?:i|we) do|in what order)\b",
    re.I,
)
# Questions answered by a list: what a thing contains or includes, which items, the checklist.
_LIST_Q = re.compile(
    r"\b(includes?|contains?|what (?:has|needs|must|should) (?:to )?be in|what goes in|what information|"
    r"what(?:'s|’s| is) (?:in|on) (?:the|a|an|our|their|my) |"
    r"which (?:fields|items|things|details)|what (?:are|is) (?:on|in) the (?:list|checklist))\b",
    re.I,
)
# A question asking for a sequence of stages ("what's the renewal timeline?"): a table of them is answered whole,
# in order, like steps (a question naming one stage, "what happens 90 days before renewal?", gets its row).
_SEQUENCE_Q = re.compile(r"\b(timelines?|stages|phases|milestones)\b", re.I)
# The words that say what kind of document a question names ("the renewal runbook"), and (stemmed) the same words
# left out of a file's or title's name when matching it: renewal-runbook.md is named by "renewal" (the name words
# are those before the kind word, see _DOC_NAME).
KIND_WORDS = ("playbook", "runbook", "handbook", "document", "doc", "page", "policy", "guide", "article")
_KIND = "(" + "|".join(f"{w[:-1]}(?:y|ies)" if w.endswith("y") else f"{w}s?" for w in KIND_WORDS) + ")"
DOC_KINDS = frozenset(tokenize(" ".join(KIND_WORDS)))
_META_DOC = re.compile(rf"\b{_KIND}\b", re.I)
_DOC_NAME = re.compile(rf"((?:[\w'-]+\s+){{1,4}}){_KIND}\b", re.I)
# Asked of a document even when the question names no kind of document ("when was the escalation matrix last
# updated?"): the words before it name the document (two or more, so that one common word names no file).
_META_ALONE = re.compile(r"^(?P<name>.*?)\b(?:last (?:updated|changed|edited|reviewed)|due for (?:a )?review)\b", re.I)
_META_ASK = re.compile(
    r"\b(owns?|owner|maintain(?:s|er|ed)?|responsible for (?:the|this) (?:playbook|document|page|doc)|review(?:ed)?|"
    r"due for review|last (?:updated|changed|edited|reviewed)|updated|version)\b",
    re.I,
)

_DURATION = re.compile(
    r"\b\d+(?:[.,]\d+)?\s*(?:-|to|–)?\s*\d*\s*(?:business |working |calendar )?(?:seconds?|secs?|minutes?|mins?|"
    r"hours?|hrs?|h|m|days?|d|weeks?|wks?|months?|years?|quarters?)\b|\b\d+x\d+\b|\b\d{1,2}(?::\d{2})?\s*(?:am|pm)\b|"
    r"\b(?:[01]?\d|2[0-3]):[0-5]\d\b",  # a 24-hour clock time: "at 18:00"
    re.I,
)
_TIME_WORDS = re.compile(
    r"\b(daily|weekly|fortnightly|monthly|quarterly|annually|yearly|hourly|every (?:day|week|month|quarter|year|"
    r"\w+ (?:days|weeks|months|hours|minutes))|each (?:day|week|month|quarter|year|shift)|once a|twice a|per "
    r"(?:day|week|month|quarter|year)|immediately|same day|next (?:business )?day|overnight|before|after|"
    r"until|deadline|annual|biweekly|weekend|weekdays?|business hours|end of (?:day|week|month|quarter)|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|january|february|march|april|may|june|july|august|september|"
    r"october|november|december|\d{4}-\d{2}-\d{2}|one|two|three|four|five|six|seven|eight|nine|ten|twelve|"
    r"thirty|sixty|ninety)\b",
    re.I,
)
_TIME_STRONG = re.compile(
    r"\b(?:daily|weekly|monthly|quarterly|annually|yearly|hourly|every|each|once|twice|immediately|same day|"
    r"next (?:business )?day|overnight|deadline|annual|biweekly|\d{4}-\d{2}-\d{2}|"
    # "within" a time ("within the hour", "within a business day"), not a place ("within a larger organization")
    r"within (?:an?|one|the|the same|\w+) (?:business |working |calendar )?(?:minutes?|hours?|days?|weeks?|months?|"
    r"quarters?|years?|shift|sla|target)|within \d)\b",
    re.I,
)
# Who does, gets or is told: a person, a role, a team, or a channel ("The monthly KPI pack goes to #cs-leadership").
_PERSON_WORDS = re.compile(
    r"(<@[UW][A-Z0-9]+>|<!subteam\^[A-Z0-9]+[^>]*>|@[\w.-]+|<#C[A-Z0-9]+[^>]*>|(?<![\w&/#])#[a-z][a-z0-9_-]{2,}|"
    r"\b(?:manager|managers|lead|leads|owner|owners|team|teams|"
    r"director|directors|head of|vp|chief|officer|engineer|engineers|developers?|responders?|commander|on-call|"
    r"oncall|admin|admins|administrators?|approvers?|desk|finance|legal|security|sales|support|success|csm|csms|"
    r"account executive|executive|sponsor|champion|staff|employees?|everyone|people|person|individual|agent|"
    r"agents|analyst|specialist|supervisor|ops|operations|sre|dba|dbas|noc|customer|customers|member|members|"
    r"colleague|colleagues|peer|peers|reviewer|reviewers|coordinator|liaison|representative|rep|reps|"
    r"ceo|cto|cfo|coo|cio|ciso|cpo|founders?|hr|recruiters?|"
    r"he|she|they|them|whoever)\b)",
    re.I,
)
_NUMBER_WORDS = re.compile(
    r"(\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|million|dozen|half|double|single|percent|all|none|no more than|at least|at most|up to)\b)",
    re.I,
)
_STEP_WORDS = re.compile(r"\b(first|then|next|after|before|finally|once|step)\b", re.I)

# Words of a question that say what kind of answer is wanted, not what it is about.
_ASKING = frozenset(
    stem(w)
    for w in """ask asked asking tell know explain describe mean means meaning happen happens happened need needs
    needed want wants wanted someone something anything anyone thing things way ways kind sort example examples
    good best better usual usually typically generally actually really right correct okay ok fine please
    supposed expected expect expects handle handled handling deal dealing long often soon quickly quick fast
    much many frequently differ differs compare compared comparison versus vs distinguish now""".split()
)
# Of those, the words asking how often or how soon: not searched for by words either, since a handbook uses them
# in passing ("What goes wrong most often" outranked the tier table for "how often should I check in with a silver
# customer?"). The rest stay searched: "deal", "handle", "need" name topics too ("deal desk"), as do "generally"
# and "quickly", whose stems are topics ("General Services Administration", "quick start").
HOW_OFTEN = frozenset(stem(w) for w in "often soon frequently".split())
# A comparison is asked of the things it names ("the difference between P2 and P3"): its frame words are in no
# handbook's answer. "Difference" alone stays a key term ("can I expense the difference?").
_DIFFERENCE = re.compile(r"\bdifferences? (?=between|among)", re.I)


@dataclass(frozen=True)
class Intent:
    """What a question asks for: the fact type (None: an explanation), its key terms (stemmed), steps wanted."""

    answer_type: str | None
    key_terms: tuple[str, ...]
    steps: bool = False
    meta: bool = False
    doc_name: tuple[str, ...] = ()  # the words naming a document ("the escalation-matrix playbook"), stemmed
    counted: tuple[str, ...] = ()  # what "how many/how much" counts ("how many holiday days" -> holiday, day)
    sequence: bool = False  # a sequence of stages is asked for ("the renewal timeline")
    defines: bool = False  # what a term means is asked ("what counts as a P1?", "what does NRR mean?")
    permission: bool = False  # whether something is allowed or expected is asked ("can I ...?", "should we ...?")


def analyse(question: str) -> Intent:
    q = " ".join(question.split())
    meta = bool(_META_DOC.search(q) and _META_ASK.search(q))
    named = tuple(t for m in _DOC_NAME.finditer(q) for t in tokenize(m.group(1)))
    if not meta and (alone := _META_ALONE.search(q)):
        words = tuple(t for t in tokenize(alone["name"]) if t not in _ASKING)
        meta, named = len(words) >= 2, words if len(words) >= 2 else named
    steps = bool(_STEPS_Q.search(q) or _LIST_Q.search(q))
    answer_type: str | None = None
    if meta:
        answer_type = META
    elif _TIME_Q.search(q) or (_WHEN_ASKED.search(q) and not _WHEN_CONDITION.search(q)):
        answer_type = TIME
    elif _NUMBER_Q.search(q):
        answer_type = NUMBER
    elif _PERSON_Q.search(q):
        answer_type = PERSON
    elif steps:
        answer_type = STEPS
    framed = _DIFFERENCE.sub("", q)
    keys = tuple(dict.fromkeys(t for t in tokenize(framed) if t not in _ASKING and t not in STOPWORDS))
    counted = None if _NOTICE_Q.search(q) else _COUNTED.search(q)  # "how much notice": a time, not a count
    return Intent(
        answer_type,
        keys,
        steps=steps and answer_type in (STEPS, None),
        meta=meta,
        doc_name=named,
        counted=tuple(t for t in tokenize(counted.group(1)) if t not in STOPWORDS) if counted else (),
        sequence=bool(_SEQUENCE_Q.search(q)),
        defines=bool(_DEFINES_Q.search(q)),
        permission=bool(_PERMISSION_Q.search(q)),
    )


# Whether something is allowed or expected, asked by the question's opening words: "Can I keep my laptop?",
# "Should people be shamed for ...?", "Am I allowed to sign it?". Such a question is answered by a rule.
_PERMISSION_Q = re.compile(
    r"^\W*(?:(?:so|ok|okay|and|but|hi|hey),?\s+)?(?:can|could|may|should|shall|must|am i allowed|are we allowed|"
    r"is it (?:ok|okay|fine|allowed|possible|acceptable)|do (?:i|we) (?:have|need) to)\b",
    re.I,
)
# A sentence stating a rule: what must, may or may not be done ("Users are prohibited from deleting messages.",
# "We will not shame you.").
_RULE = re.compile(
    r"\b(?:must(?:n't| not)?|should(?:n't| not)?|shall|may not|can't|cannot|can not|(?:not )?allowed|prohibited|"
    r"forbidden|(?:not )?permitted|required?|never|always|will not|won't|do not|don't|need to|have to|"
    r"recommend(?:ed)?|best practice|exceptions?)\b",
    re.I,
)


def states_rule(text: str) -> bool:
    """Whether ``text`` states a rule (must, may not, never, is prohibited ...): what a permission question wants."""
    return bool(_RULE.search(text))


# What a term means: "what counts as a P1?", "what does NRR mean?", "define churn", "what is meant by ...".
_DEFINES_Q = re.compile(
    r"^\W*(?:what|which)\s+(?:counts as|qualifies as|is meant by|is the (?:meaning|definition) of|does .{1,40}\bmean)\b"
    r"|^\W*define\b|\bdefinition of\b",
    re.I,
)


# "How many <thing> ...": the words between "how many/much" and the verb (or a preposition) name what is counted.
_COUNTED = re.compile(
    r"\bhow (?:many|much)\s+((?:[\w'-]+\s+){1,3}?)(?=(?:do|does|did|can|could|may|might|must|should|shall|will|"
    r"would|is|are|was|were|have|has|had|am|i|we|you|they|he|she|it|a|an|the|per|each|every|before|after|in|on|"
    r"for|to|of|at|from|with|within)\b)",
    re.I,
)
_CARDINALS = "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty fifty sixty"
_NUMERAL = re.compile(
    r"\d|\b(?:" + "|".join(_CARDINALS.split() + ["hundred", "thousand", "dozen", "half"]) + r")\b", re.I
)
# "108. Desk drawers ...": a list or heading number, not a quantity
_ENUMERATOR = re.compile(rf"^{ENUMERATOR.pattern}(?:\s+|$)")


def quantifies(intent: Intent, text: str, context: str = "") -> bool:
    """``text`` states a quantity of what a "how many/how much" question counts: a numeral and every counted word
    (in the text or its ``context``, the headings). True when the question counts nothing."""
    if not intent.counted:
        return True
    plain = _ENUMERATOR.sub("", text)
    if not _NUMERAL.search(plain):
        return False
    return set(intent.counted) <= set(tokenize(f"{plain} {context}"))


def carries(answer_type: str | None, text: str) -> float:
    """How clearly ``text`` carries a fact of the asked type: 0 (not at all) to 1 (a clear instance)."""
    if answer_type is None or answer_type == META:
        return 0.0
    if answer_type == TIME:
        if _DURATION.search(text) or _TIME_STRONG.search(text):
            return 1.0
        return 0.5 if _TIME_WORDS.search(text) else 0.0
    if answer_type == PERSON:
        hits = len(_PERSON_WORDS.findall(text))
        return 1.0 if hits >= 2 else 0.6 if hits else 0.0
    if answer_type == NUMBER:
        if re.search(r"\d", text):
            return 1.0
        return 0.6 if _NUMBER_WORDS.search(text) else 0.0
    if answer_type == STEPS:
        return 0.5 if _STEP_WORDS.search(text) else 0.0
    return 0.0


# What a page recommends doing: how-to questions are answered by it as by a step ("A best practice with any
# escalation policy is a multi-tiered approach", "We recommend ...").
_RECOMMENDS = re.compile(r"\b(?:best practices?|recommend(?:s|ed)?|we suggest)\b", re.I)


def recommends(text: str) -> bool:
    """Whether ``text`` states a recommended practice: what a "how do I ...?" question wants, as a step is."""
    return bool(_RECOMMENDS.search(text))


def prescribes(text: str) -> bool:
    """Whether ``text`` says who does what by when ("The owner calls the contact within 2 business days"): what a
    question asking what to do wants. (Not part of ``carries``: most handbook passages have such a sentence, so it
    would not tell an answerable question from another.)"""
    return bool(_PERSON_WORDS.search(text)) and bool(_DURATION.search(text) or _TIME_STRONG.search(text))


def key_coverage(intent: Intent, text: str) -> float:
    """Share of the question's key terms found in text (stemmed), in [0, 1]; 1 when the question has none."""
    if not intent.key_terms:
        return 1.0
    have = set(tokenize(text))
    return sum(1 for t in intent.key_terms if t in have) / len(intent.key_terms)
