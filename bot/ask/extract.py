"""Extractive answers: pick the few pieces of the retrieved passages that answer the question.

A piece is a sentence of a paragraph, a list item or a table row (labelled with its header), as the index stores
them (clean Slack text, see retrieval.markdown). Pieces are scored by the question's key terms they contain, the
heading they sit under, and whether they carry the kind of fact asked for (a time for "when", a role for "who", a
number for "how many"); near-duplicates (the same sentence on two pages) are dropped. Steps are answered as the
list they are, in order. Questions about a playbook itself (owner, review date) are answered from its front
matter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot import mrkdwn
from bot.ask.overview import named_document
from retrieval.confidence import names
from retrieval.lexical import tokenize
from retrieval.markdown import BULLET, PARAGRAPH, ROW, ROW_SEP, STEP, passage_pieces, slack_to_plain
from retrieval.question import META, Intent, analyse, carries, prescribes, recommends, states_rule
from retrieval.types import DocMeta, Passage

MAX_PASSAGES = 5  # passages whose pieces may be quoted (those the search scored by meaning)
MAX_PIECES = 3  # sentences in an answer (steps excepted)
MAX_STEPS = 6  # steps shown before "the rest in ..."
SHOWN_STEPS = 5
COLUMN_ROWS = 12  # rows of a table shown for one tier (one cell each): a tier's KPI targets read whole
DUPLICATE = 0.7  # word-set overlap (Jaccard) at which two pieces say the same thing
KEEP_SHARE = 0.6  # a piece scoring under this share of the best one adds noise, not an answer
CONTEXT_SHARE = 0.5  # the best sentence's neighbour in its paragraph is read with it from this share of its score
TIER_ROW = 0.3
LIST_SHARE = 0.8  # a list asked for: the best list item may score this much under the best piece
QUESTION = 0.5  # a piece that is itself a question scores this share
RULE = 0.3  # a permission question ("can I ...?"): a piece stating a rule scores this much more
# A piece of the passage the search ranked k-th (from 0) scores 1 / (1 + RANK * k) of its own score: the search's
# order counts, but a sentence that answers outranks the first passage's near miss (0.15: dev +1 and 18f +1 over
# 0.2, every other set unchanged; 0.1 cost a mattermost answer, 0.3 a dev and a playbooks one)
RANK = 0.15
W_MEANING = 0.75  # the piece's cosine to the question vs the share of its key terms it contains
_TIERS = ("platinum", "gold", "silver", "bronze", "enterprise", "standard", "premium", "basic")
# when the question is asked about, not what: "who's on duty for gold this week?" is not about a weekly digest
_WHEN = frozenset(tokenize("today tomorrow tonight now day week month quarter year"))


@dataclass(frozen=True)
class Piece:
    passage: int  # index into the passages
    order: int  # position within the passage
    kind: str
    text: str  # Slack mrkdwn, list marker included for list items
    words: frozenset[str]
    score: float
    number: int = 0
    depth: int = 0
    terms: float = -1.0  # rarity-weighted share of the question's key terms (the search's); -1: not scored
    line: int = 0  # the passage line (paragraph, list item, row) it comes from
    plain: str = ""  # the text as a reader sees it (slack_to_plain), read once here for every rule below


@dataclass(frozen=True)
class Selection:
    """What to say: pieces grouped by passage (in the order to show them), or the numbered steps of one list."""

    groups: list[tuple[int, list[Piece]]]
    steps_rest: int = 0  # steps left out (shown as "the rest in <source>")
    meta: str = ""  # an answer from the front matter (owner, review date), when that was asked


def pieces(passage: Passage, index: int) -> list[Piece]:
    out: list[Piece] = []
    scores, terms = passage.piece_scores, passage.piece_terms
    for i, pc in enumerate(passage_pieces(passage.text, passage.kinds)):
        cosine = scores[i] if i < len(scores) else -1.0
        share = terms[i] if i < len(terms) else -1.0
        words = frozenset(tokenize(pc.plain))
        plain = slack_to_plain(pc.text)  # the list marker included, as the rules read it
        out.append(Piece(index, i, pc.kind, pc.text, words, cosine, pc.number, pc.depth, share, pc.line, plain))
    return out


def _score(intent: Intent, piece: Piece, heading: frozenset[str], rank: int, tiers: Sequence[str]) -> float:
    """Meaning (the piece's cosine to the question, when the search scored it) and words (the question's key
    terms in the piece, half for those only in its heading), then the asked type of fact, length and rank."""
    keys = set(intent.key_terms)
    if not piece.words:
        return 0.0
    if piece.terms >= 0:  # weighted by rarity in this handbook: "shame" counts for more than "link"
        lexical = piece.terms
    else:
        own = len(keys & piece.words)
        context = 0.5 * len((keys - piece.words) & heading)
        lexical = (own + context) / max(1, len(keys))
    cosine = piece.score  # set by pieces(): -1 when the search did not score this passage's pieces
    score = W_MEANING * max(0.0, cosine) + (1 - W_MEANING) * lexical if cosine >= 0 else lexical
    fact = carries(intent.answer_type, piece.plain)
    if intent.steps and (piece.kind in (STEP, BULLET, ROW) or prescribes(piece.plain) or recommends(piece.plain)):
        # a list asked for: an item of a list, a sentence saying who does what by when, or the practice a page
        # recommends ("How do I set up escalation policies?": "A best practice ... is a multi-tiered approach")
        fact = 1.0
    if intent.answer_type and intent.answer_type != META:
        score *= 0.6 + 0.6 * fact  # a piece without the asked fact can still explain, but ranks lower
    elif intent.permission and intent.answer_type is None and states_rule(piece.plain):
        score *= 1 + RULE  # "can I delete a message?" is answered by "users are prohibited from deleting ..."
    if piece.plain.rstrip(" _*").endswith("?"):
        score *= QUESTION  # a question (an FAQ's, a slide's title) asks, it does not answer
    n = len(piece.words)
    if n < 4:
        score *= 0.6  # a fragment ("Yes.", a bare label) rarely answers alone
    elif n > 60:
        score *= 0.8
    if piece.kind == ROW and tiers and _names_tier(piece, tiers) and _on_topic(piece, keys):
        score += TIER_ROW  # the customer's (or the named) tier's row of a table
    elif piece.kind in (ROW, BULLET, STEP) and _label_asked(piece, intent):
        score += TIER_ROW  # the row or item the question names by its label ("High" in "... with High severity")
    return score / (1.0 + RANK * rank)


# A row of a table of stages, whose first column orders them (a step, or a number: "Days before renewal: 180"), so
# steps asked for are its rows in order, as a timeline asked for is ("list the steps for a renewal"); a table whose
# first column names cases ("Request type: discount · Step: Deal desk") is not one sequence.
_STAGED = re.compile(r"^\s*(?:(?:steps?|stages?|phases?|milestones?)\s*:|[^:·]{1,40}:\s*\d)", re.I)
# A table row's cells as the index writes them ("Tier: Platinum · Priority: P4 · Resolution: 5 days"), the first
# one's value being the row's label; and a list item's label, what it opens with before a dash or a colon ("High -
# 2 hours", "Gold: 24x7").
_CELL_VALUE = re.compile(r"(?:^|·)\s*[^:·]{1,40}:\s*([^·]{1,40}?)\s*(?=·|$)")
_ITEM_LABEL = re.compile(r"^(?:[•*-]|\d{1,3}[.)])?\s*([^:–—-]{1,30}?)\s*(?:[:–—]|\s-\s)")


def _named(value: str, keys: set[str]) -> bool:
    """The question names ``value`` (a label, a cell): one to three words, all among its key terms, not a bare
    number (the "4" of "4 h" is not the "4" of the "P4" asked about)."""
    words = tokenize(value)
    return 0 < len(words) <= 3 and set(words) <= keys and not all(w.isdigit() for w in words)


def _label_asked(piece: Piece, intent: Intent) -> bool:
    """The question names this row or item by its label."""
    found = (_CELL_VALUE if piece.kind == ROW else _ITEM_LABEL).match(piece.plain)
    return found is not None and _named(found.group(1), set(intent.key_terms))


def _cells_named(piece: Piece, keys: set[str]) -> int:
    """How many of a row's cells the question names by their whole value ("platinum" and "P4" in "how long do we
    have to fix a platinum P4"): the row that matches on more of them is the one asked about."""
    if piece.kind != ROW:
        return 0
    return sum(_named(value, keys) for value in _CELL_VALUE.findall(piece.plain))


_CELL = re.compile(r"(?:^|·)\s*([^:·]{1,40}):\s*([^·]*?)\s*(?=·|$)")
_TIER_WORDS = frozenset(_TIERS) | {"and", "or", "all", "tiers", "tier"}


def _names_tier(piece: Piece, tiers: Sequence[str]) -> bool:
    """A row for the tier: a cell is labelled by it ("Gold: 24x7") or holds tiers alone ("Tier: Gold", "Segment:
    platinum, gold"). A tier named inside a cell's sentence ("... or a platinum customer threatening to leave")
    is a case the row describes, not the tier's row."""
    asked = {t.lower() for t in tiers}
    for label, value in _CELL.findall(piece.plain):
        words = re.findall(r"[a-z0-9]+", value.lower())
        if label.strip(" *_").lower() in asked or (asked & set(words) and set(words) <= _TIER_WORDS):
            return True
    return False


# What a tier question is asked about besides the tier: "how often should I check in with a silver customer?" is
# about checking in; "what does a gold customer get?" about the tier alone.
_NOT_TOPIC = frozenset(_TIERS) | {"customer", "account", "client", "tier"}
# ... and, as the question's key terms (stemmed), with the words that ask to be shown something
_NOT_TOPIC_TERMS = frozenset(tokenize(" ".join([*_NOT_TOPIC, "customers accounts clients tiers show list give see"])))


def _on_topic(piece: Piece, keys: set[str]) -> bool:
    """A row names the tier asked and shares the question's subject, when it has one: the alert rules' row for
    "Segment: platinum, gold, silver" is no answer to how often a silver customer gets a check-in."""
    topic = keys - _NOT_TOPIC
    return not topic or bool(topic & piece.words)


def _tier_columns(pieces: Sequence[Piece], tiers: Sequence[str]) -> bool:
    """Whether every row of a passage names the tier: the tiers are its columns ("KPI · Gold: 45 · Silver: 35"),
    so the tier does not pick a row; the question's other words do."""
    rows = [p for p in pieces if p.kind == ROW]
    return len(rows) > 1 and all(_names_tier(p, tiers) for p in rows)


def _project(piece: Piece, tiers: Sequence[str]) -> Piece:
    """A row of a table whose columns are the tiers, with only the tiers asked about ("KPI: NPS · Gold: 45"):
    the other tiers' cells answer for other customers. The row unchanged when it names none of them."""
    asked = {t.lower() for t in tiers}
    cells = piece.text.split(ROW_SEP)
    label = [c.split(":", 1)[0].strip(" *_").lower() for c in cells]
    keep = [c for c, lab in zip(cells, label, strict=True) if lab not in _TIERS or lab in asked]
    if len(keep) == len(cells) or not any(lab in asked for lab in label):
        return piece
    text = ROW_SEP.join(keep)
    return replace(piece, text=text, plain=slack_to_plain(text))


# A table cell that says what its row's label means: a glossary's, a priority table's.
_DEFINING = re.compile(r"(?:^|·)\s*(?:meaning|definition|defined as|description|means|what it means)\s*:", re.I)


# A sentence that leans on the one before it: read alone it does not say what "this" or "they" is.
_LEANS_BACK = re.compile(
    r"^(?:this|that|these|those|it|they|such|so|then|also|however|but|otherwise|as a result|in (?:that|this|which) "
    r"case|for (?:example|instance))\b",
    re.I,
)
# A sentence that finishes the one before it: an example, the case it names, what it means.
_CARRIES_ON = re.compile(r"^(?:for (?:example|instance)|in (?:that|this) case|this means|that means|e\.g\.)\b", re.I)
_YES_NO = re.compile(r"\s*(?:does|do|did|is|are|was|were|can|could|should|would|will|may|must|has|have|shall)\b", re.I)
SHORT_PIECE = 8  # words: a piece this short (or ending in a colon) rarely answers without the next one


def _neighbour(best: Piece, scored: Sequence[Piece]) -> Piece | None:
    """The sentence before or after the best piece that goes with it, if any (paragraphs only): the one it leans
    on ("This ..."), or the one that leans on it or finishes it ("It ...", "For example ...")."""
    if best.kind != PARAGRAPH:
        return None
    same = {p.order: p for p in scored if p.passage == best.passage}
    before, after = same.get(best.order - 1), same.get(best.order + 1)
    if before is not None and before.kind == PARAGRAPH and _LEANS_BACK.match(best.plain):
        return before
    if after is not None and after.kind == PARAGRAPH:
        text = best.plain.rstrip()
        if len(best.words) < SHORT_PIECE or text.endswith(":"):
            return after
        if _CARRIES_ON.match(after.plain) or _LEANS_BACK.match(after.plain):
            return after  # "It may affect your taxes.": the next sentence is about the best one (often the why)
    return None


def _context(best: Piece, scored: Sequence[Piece]) -> Piece | None:
    """The better of the sentences before and after ``best`` in its paragraph, if it scores at least
    CONTEXT_SHARE of it."""
    if best.kind != PARAGRAPH:
        return None
    around = [
        p
        for p in scored
        if p.passage == best.passage and p.line == best.line and p.kind == PARAGRAPH and abs(p.order - best.order) == 1
    ]
    near = max(around, key=lambda p: (p.score, -p.order), default=None)
    return near if near is not None and near.score >= CONTEXT_SHARE * best.score else None


# A sentence that announces a list without ending in a colon: "submit the following paperwork to ...".
_ANNOUNCES = re.compile(r"\b(the following|as follows)\b", re.I)


def _introduced(best: Piece, scored: Sequence[Piece]) -> list[Piece]:
    """The list items or table rows right after a sentence ending in a colon (at most MAX_STEPS): what it
    introduces. A sentence that says "the following" introduces the list right after its paragraph (the rest of
    the paragraph, a note, comes between). None when the sentence introduces nothing or no list follows it."""
    if not _introduces(best):
        return []
    colon = best.plain.rstrip().endswith(":")
    after = sorted((p for p in scored if p.passage == best.passage and p.order > best.order), key=lambda p: p.order)
    if not colon:
        after = [p for p in after if not (p.kind == PARAGRAPH and p.line == best.line)]  # its paragraph's rest
    out: list[Piece] = []
    for p in after:
        if p.kind not in (STEP, BULLET, ROW) or len(out) >= MAX_STEPS:
            break
        out.append(p)
    return out


def _closing(best: Piece, scored: Sequence[Piece]) -> Piece | None:
    """The last sentence of the best sentence's paragraph, when it comes after it."""
    if best.kind != PARAGRAPH:
        return None
    after = [p for p in scored if p.passage == best.passage and p.line == best.line and p.order > best.order]
    return max(after, key=lambda p: p.order, default=None)


def _introduces(piece: Piece) -> bool:
    """A paragraph sentence that announces what follows: it ends in a colon or says "the following"."""
    return piece.kind == PARAGRAPH and (piece.plain.rstrip().endswith(":") or bool(_ANNOUNCES.search(piece.plain)))


def _dangles(piece: Piece, best: Piece, scored: Sequence[Piece]) -> bool:
    """A sentence ending in a colon ("... recover in these steps:") whose list is not the answer: quoted without
    what it introduces, it promises an answer and stops. (Before the best piece's own list it leads it in.)"""
    return piece.kind == PARAGRAPH and piece.plain.rstrip().endswith(":") and best not in _introduced(piece, scored)


def _parent(item: Piece, scored: Sequence[Piece]) -> Piece | None:
    """The list item a nested item sits under (the nearest one before it, one level up), if any: a sub-item is
    read under its parent, as a table row under its header."""
    if item.kind not in (STEP, BULLET) or item.depth == 0:
        return None
    before = sorted((p for p in scored if p.passage == item.passage and p.order < item.order), key=lambda p: -p.order)
    for p in before:
        if p.kind not in (STEP, BULLET):
            return None
        if p.depth < item.depth:
            return p
    return None


def _near_duplicate(a: Piece, b: Piece) -> bool:
    if not a.words or not b.words:
        return False
    return len(a.words & b.words) / len(a.words | b.words) >= DUPLICATE


def _around(ps: list[Piece], best: Piece, joins: Callable[[Piece, Piece], bool]) -> list[Piece]:
    """The contiguous pieces of ``best``'s passage around it, in order, each joined to its neighbour towards
    ``best`` (``joins(piece, neighbour)``): the list or the table it belongs to."""
    same = [p for p in ps if p.passage == best.passage]
    i = next(k for k, p in enumerate(same) if p.order == best.order)
    lo = hi = i
    while lo > 0 and joins(same[lo - 1], same[lo]):
        lo -= 1
    while hi + 1 < len(same) and joins(same[hi + 1], same[hi]):
        hi += 1
    return same[lo : hi + 1]


def _steps(ps: list[Piece], best: Piece, bullets: bool = False) -> tuple[list[Piece], int]:
    """The numbered list around ``best`` (top-level steps and their sub-items), in order; ``bullets``: a list was
    asked for ("what does the digest contain?"), so a bulleted list is read whole too, after the sentence that
    introduces it."""

    def joins(p: Piece, _: Piece) -> bool:
        return p.kind == STEP or (p.kind == BULLET and (p.depth > 0 or bullets))

    run = _around(ps, best, joins)
    if bullets:
        same = {p.order: p for p in ps if p.passage == best.passage}
        intro = same.get(run[0].order - 1)
        if intro is not None and intro.kind == PARAGRAPH and intro.plain.rstrip().endswith(":"):  # not "the following"
            run = [intro, *run]
    top = [p for p in run if p.depth == 0 and p.kind != PARAGRAPH]
    if len(top) <= MAX_STEPS:
        return run, 0
    last = top[SHOWN_STEPS - 1]
    keep = [p for p in run if p.order <= last.order or (p.depth > 0 and p.order < top[SHOWN_STEPS].order)]
    return keep, len(top) - SHOWN_STEPS


def _table(ps: list[Piece], best: Piece, most: int = MAX_STEPS) -> tuple[list[Piece], int]:
    """The rows of the table ``best`` is a row of (the contiguous rows around it in its passage), in order: at
    most ``most``, else the first ``most - 1`` and how many are left out."""
    run = _around(ps, best, lambda p, q: p.kind == ROW and abs(p.order - q.order) == 1)
    return (run, 0) if len(run) <= most else (run[: most - 1], len(run) - most + 1)


def _names_table(intent: Intent, best: Piece, heading: str) -> bool:
    """The question asks for a table whole, by its first column's label or its section's heading, and nothing
    else but a tier ("what are the KPIs for silver?", "what are the targets for gold customers?"), not one of its
    rows ("what is the NPS target for platinum?")."""
    topic = {_singular(w) for w in intent.key_terms} - _NOT_TOPIC_TERMS
    label = best.plain.split(":", 1)[0] if ":" in best.plain else ""
    return bool(topic) and topic <= {_singular(w) for w in tokenize(f"{label} {heading}")}


def _singular(term: str) -> str:
    return term[:-1] if term.endswith("s") and len(term) > 3 else term  # "kpis" as "kpi"


def _listed_answer(
    ranked: Sequence[Piece], scored: list[Piece], passage: int, run: list[Piece], rest: int, skip: str = ""
) -> Selection:
    """A list (steps, a table's rows) as the answer; when it is not from the passage ranked first (by retrieval,
    or a maintainer's boost), that passage still leads, in one sentence (not a piece of kind ``skip``). When that
    sentence announces a list of its own ("... recover in these steps:"), its list is the answer: an announcement
    is never shown without what it announces, and the passage ranked first outranks another page's list."""
    lead = [p for p in ranked if p.passage == 0 and p.kind not in (skip, STEP)]  # a step alone is out of its list
    if passage != 0 and lead:
        items = _introduced(lead[0], scored)
        if items and items[0].kind in (STEP, BULLET):
            own, left = _steps(scored, items[0], bullets=True)
            return Selection([(0, [lead[0], *(p for p in own if p is not lead[0])])], steps_rest=left)
        return Selection([(0, lead[:1]), (passage, run)], steps_rest=rest)
    return Selection([(passage, run)], steps_rest=rest)


def meta_answer(question: str, passages: Sequence[Passage]) -> tuple[int, str]:
    """Owner, review date, last update and version of the playbook the question names (best title match):
    (index of that passage, the sentence), or (0, "") when its front matter has none of them."""
    q = set(tokenize(question))
    intent = analyse(question)
    named = [i for i, p in enumerate(passages) if names(intent, p.title, p.path)]
    if not named:
        return 0, ""
    index = max(named, key=lambda i: (len(q & set(tokenize(passages[i].title + " " + passages[i].path))), -i))
    best = passages[index]
    parts: list[str] = []
    if best.owner:
        parts.append(f"is owned by {mrkdwn.mention(best.owner.strip()).replace('*', '')}")
    if best.review_by:
        parts.append(f"is due for review on {best.review_by[:10]}")
    if best.updated:
        parts.append(f"was last updated on {best.updated[:10]}")
    if best.version:
        parts.append(f"is at version {escape(best.version)}")
    if not parts:
        return 0, ""
    return index, f"{mrkdwn.bold(best.title)} {mrkdwn.listed(parts)}."


def escape(text: str) -> str:
    """Front-matter text (an owner, a version) inert, and without asterisks that would start bold."""
    return mrkdwn.escape(text).replace("*", "")


def select(
    question: str,
    passages: Sequence[Passage],
    tiers: Sequence[str] = (),
    max_pieces: int = MAX_PIECES,
    supporting: bool = False,
) -> Selection:
    """``supporting``: a computed answer leads (the record, the policy) and these pieces only support it, so a
    procedure or a list is quoted only when the question asks for steps."""
    intent = analyse(question)
    if intent.meta and passages:
        index, meta = meta_answer(question, passages)
        if meta:
            return Selection([(index, [])], meta=meta)
    opening_first = bool(passages) and " > " not in passages[0].heading_path
    if opening_first and named_document(question, [DocMeta(passages[0].path, passages[0].title)]):
        # the playbook the question names as a whole ("what's the discount policy?"), its opening passage first
        # (bot.ask.overview, the same test the search ran): what the document says it is for, its first paragraph
        # as written, not the sentences nearest the question's words
        own = pieces(passages[0], 0)
        opening = [p for p in own if p.kind == PARAGRAPH and p.line == own[0].line][:max_pieces] if own else []
        if opening:
            return Selection([(0, opening)])
    named_tiers = [t for t in _TIERS if re.search(rf"\b{t}\b", question, re.I)]
    tiers = [*tiers, *named_tiers]
    scored: list[Piece] = []
    by_column: set[int] = set()  # passages whose table has the tiers as columns
    for pi, passage in enumerate(passages[:MAX_PASSAGES]):
        heading = frozenset(tokenize(f"{passage.title} {passage.heading_path}"))
        own = pieces(passage, pi)
        if _tier_columns(own, tiers):
            by_column.add(pi)
        rows_by_tier = () if pi in by_column else tiers
        for piece in own:
            s = _score(intent, piece, heading, pi, rows_by_tier)
            scored.append(replace(piece, score=s))
    if supporting and not intent.steps:
        scored = [p for p in scored if p.kind != STEP]  # a step read alone, out of its procedure, supports nothing
        if topic := set(intent.key_terms) - set(_TIERS) - _WHEN:
            # and a sentence supports the computed answer only on the question's subject: one sharing nothing with
            # it but a tier ("The first 90 days decide whether a new platinum or gold customer trusts us.") is noise
            scored = [p for p in scored if topic & p.words]
    defined = [
        p for p in scored if intent.defines and p.kind == ROW and _DEFINING.search(p.plain) and _label_asked(p, intent)
    ]
    if defined:  # a glossary's row for the term asked, its meaning labelled: the answer, whatever ranks higher
        row = max(defined, key=lambda p: (p.score, -p.passage))
        return Selection([(row.passage, [row])])
    if not scored:
        return Selection([])
    ranked = sorted(scored, key=lambda p: (-p.score, p.passage, p.order))
    best = ranked[0]
    if best.score <= 0:
        best = min(scored, key=lambda p: (p.passage, p.order))  # nothing matches: the opening of the best passage
        return Selection([(best.passage, [best])])
    # The best piece is a step: the procedure is the answer, unless the question asks yes or no ("Does the clock
    # stop ...?"), which the one step that says so answers.
    list_asked = intent.steps or (
        best.kind == STEP and intent.answer_type is None and not _YES_NO.match(question) and not supporting
    )
    listed = [p for p in ranked if p.kind in (STEP, BULLET) and p.score >= LIST_SHARE * best.score]
    if list_asked and listed and (best.kind != ROW or intent.steps):
        run, rest = _steps(scored, listed[0], bullets=intent.steps)
        if sum(1 for p in run if p.kind == STEP) >= 2 or (intent.steps and len(run) >= 2):
            return _listed_answer(ranked, scored, listed[0].passage, run, rest)
    tabled = [p for p in ranked if p.kind == ROW and p.score >= KEEP_SHARE * best.score]
    staged = bool(tabled) and (intent.sequence or (intent.steps and bool(_STAGED.search(tabled[0].plain))))
    if staged and not supporting:
        rows, rest = _table(scored, tabled[0])
        if len(rows) >= 2:  # the timeline asked for: its table's rows, in order (led by a sentence, not a row)
            return _listed_answer(ranked, scored, tabled[0].passage, rows, rest, skip=ROW)
    by_tier = [p for p in tabled if p.passage in by_column] if tiers and not supporting else []
    if by_tier and _names_table(intent, by_tier[0], passages[by_tier[0].passage].heading_path.rsplit(" > ", 1)[-1]):
        # the table asked for, for one tier: every row with that tier's cell (short, so all of them)
        rows, rest = _table(scored, by_tier[0], most=COLUMN_ROWS)
        if len(rows) >= 2:
            cells = [_project(r, tiers) for r in rows]
            return _listed_answer(ranked, scored, by_tier[0].passage, cells, rest, skip=ROW)
    typed = intent.answer_type not in (None, META, "steps")
    best_fact = carries(intent.answer_type, best.plain) if typed else 0.0
    # The best sentence is read with its better neighbour in the same paragraph when that one is on the question
    # too: the two say more together ("... a hybrid model with a NOC. An established NOC can serve as first-level
    # responders.") than the best one with a sentence from another page.
    context = _context(best, scored)
    if context is not None and best_fact >= 0.5 and carries(intent.answer_type, context.plain) < 0.5:
        context = None  # the best piece states the asked fact: a neighbour without it only dilutes the answer
    chosen: list[Piece] = [best, context] if context is not None and max_pieces > 1 else []
    for p in ranked:
        if p in chosen:
            continue
        if len(chosen) >= max_pieces or p.score < KEEP_SHARE * best.score:
            break
        if best_fact >= 0.5 and carries(intent.answer_type, p.plain) < 0.5:
            continue  # the best piece states the asked fact: pieces without it only dilute the answer
        if any(_near_duplicate(p, c) for c in chosen) or _dangles(p, best, scored):
            continue
        chosen.append(p)
    if best.kind == ROW:
        # rows of the best row's table that the question names by fewer cells (the platinum P2 and P3 rows, when
        # it asks about a platinum P4) are other cases, not the answer
        keys = set(intent.key_terms) | set(tokenize(" ".join(tiers)))
        most = _cells_named(best, keys)
        chosen = [p for p in chosen if p.kind != ROW or p.passage != best.passage or _cells_named(p, keys) >= most]
        if (set(intent.key_terms) - _NOT_TOPIC) & best.words:  # and rows on nothing the question is about
            chosen = [p for p in chosen if p.kind != ROW or p.passage != best.passage or _on_topic(p, keys)]
    near = _neighbour(best, scored)
    if near is not None and near not in chosen and len(chosen) < max_pieces:
        chosen.append(near)  # the sentence the best one leans on ("This...", "In that case...") or finishes
    items = _introduced(best, scored) if intent.steps or not supporting else []
    if items:
        chosen = [best, *items]  # "You get a daily allowance while you travel:" the answer is the list it introduces
    elif intent.steps and (closing := _closing(best, scored)) is not None and (items := _introduced(closing, scored)):
        # what to do was asked, and the best sentence's paragraph leads into a list ("... is at risk at once. When
        # the alert fires or the customer says so:"): the list is what to do
        chosen = [best, closing, *items]
    lead = [best]
    for p in list(chosen):
        up = _parent(p, scored)
        if up is not None and up not in chosen:
            chosen.append(up)  # "Three to five weeks in advance for:" is what its sub-item answers with
        if up is not None and p is best:
            lead.append(up)  # and it leads with it
    if best.kind in (STEP, BULLET):
        # the sentence that introduces the best item's list ("... is treated like a new ticket's first contact:")
        # is read before it, as the page reads
        lead += [p for p in chosen if p.passage == best.passage and p.order < best.order and _introduces(p)]
    # Passages keep the order retrieval and the maintainers' boosts gave them (the first citation is the passage
    # they ranked first); within its passage the best piece leads, the rest follow in reading order.
    first = [p for p in ranked if p.passage == 0 and not _dangles(p, best, scored)]
    if first and not any(p.passage == 0 for p in chosen):
        # The passage ranked first (by retrieval, or a maintainer's boost) always speaks: a boost is a decision.
        chosen = [*(chosen if items else chosen[: max_pieces - 1]), first[0]]
    groups: dict[int, list[Piece]] = {}
    # steps of one procedure keep their numbers' order ("3." never before "1."), the best one leading or not
    ordered = best.kind == STEP and any(p.kind == STEP and p is not best and p.passage == best.passage for p in chosen)
    in_order = best.passage if ordered else -1
    for p in sorted(chosen, key=lambda p: (p.passage, p.passage != in_order and p not in lead, p.order)):
        shown = _project(p, tiers) if p.kind == ROW and p.passage in by_column else p
        groups.setdefault(p.passage, []).append(shown)
    return Selection(sorted(groups.items()))
