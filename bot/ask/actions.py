"""Requests to act, which Ask does not carry out: "remind me to call X tomorrow", "add a note to X: ...", "can you
reassign X to someone else?", "draft an email to X about their renewal". Each gets one sentence saying so and where
it is done, instead of an answer to a question nobody asked (the renewal date for "add a note to X: called about
renewal", whether X may be called for "remind me to call X").

Only a request put to Rapport is one: an imperative opening the message ("remind me ...", "please add ...") or one
asked of it ("can you ...", "could you ..."); "can I send X our newsletter?" and "how do I add a note?" are
questions, answered as such."""

from __future__ import annotations

import re

_TO_RAPPORT = r"^\W*(?:(?:hey |hi )?rapport[,:]?\s+)?(?:please\s+|pls\s+|(?:can|could|would|will) you (?:please )?)?"

# (what is asked, the reply): the first that matches wins
_ACTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(f"{_TO_RAPPORT}(?:{pattern})", re.I), reply)
    for pattern, reply in (
        (
            r"(?:remind|ping|nudge) me\b|set (?:up )?(?:a |me a )?reminder\b",
            "I don't set reminders: Slack's `/remind` does (`/remind me to call Acme tomorrow at 9am`).",
        ),
        (
            r"(?:add|log|write|record|save|create|put)\b(?: \w+){0,2} (?:notes?|calls?|meetings?|comments?)\b"
            r"|(?:note|log) (?:that|down)\b"
            r"|(?:update|change|edit|set) (?:the |their |its |\w+'s )?(?:record|renewal|arr|health|contact|consent"
            r"|region|segment)\b",
            "I don't write to the customer record: notes, calls, meetings and field changes are made in the CRM or "
            "helpdesk, which Rapport syncs from. Ask me what the record says.",
        ),
        (
            r"(?:re-?assign|transfer|hand (?:over|off)|move|give)\b.{0,60}\bto (?:me|someone|somebody|another|a new|"
            r"(?:the |a )?(?:new |other )?(?:owner|account manager|am|csm)|<@)"
            r"|re-?assign\b"
            r"|(?:change|switch) (?:the |their )?(?:account )?owner\b",
            "I don't change owners: the CS lead changes the owner on the record after the handover (`how do I hand an "
            "account over to another account manager?`).",
        ),
        (
            r"(?:draft|write|compose|send|email|e-mail|message)\b(?: \w+){0,3} (?:an? )?(?:emails?|e-mails?"
            r"|messages?|letters?|notes? to|replies|reply|follow[- ]?ups?)\b"
            r"|send\b.{0,40}\b(?:quote|proposal|invoice|contract)\b",
            "I don't write or send messages to customers. Ask me whether they may be contacted now and by which "
            "channel (`can I email Acme today?`), or what the communication policy says.",
        ),
        (
            r"(?:snooze|ack|acknowledge|dismiss|mute|silence|resolve|close)\b(?: \w+){0,2} alerts?\b",
            "I don't act on alerts from here: use the alert's Ack, Snooze or Assign buttons, or `/rapport alerts`.",
        ),
        (
            # (not "open tickets by tier": "open" before the noun itself is what they are, not a request)
            r"(?:open(?! (?:tickets?|cases?|incidents?|p[1-4]s?|sev ?[1-4]s?)\b)|create|raise|file|log|submit)\b"
            r"(?: \w+){0,2} (?:tickets?|cases?|incidents?|p[1-4]s?|sev ?[1-4]s?)\b",
            "I don't open tickets: log it in the helpdesk, or react 🎫 to the customer's message in their shared "
            "channel. Ask me who to escalate it to (`Acme has a P1 open, who do I escalate to?`).",
        ),
        (
            r"(?:schedule|book|set up|arrange)\b(?: \w+){0,2} (?:meetings?|calls?|qbrs?|ebrs?|business reviews?|"
            r"check-?ins?)\b",
            "I don't book meetings. Ask me when it is due (`when is the next business review with Acme due?`) or "
            "whether they may be called then.",
        ),
    )
)


def action_reply(question: str) -> str:
    """What Rapport says to a request to act that Ask does not carry out; "" for a question."""
    return next((reply for pattern, reply in _ACTIONS if pattern.search(question)), "")
