"""A message as Ask reads it (bot/slack/inbound.py question_text): Slack's wire format turned into the words the
asker typed, Rapport's own mention dropped and a colleague's kept."""

from __future__ import annotations

import pytest

from bot.slack.inbound import question_text

BOT = "U0RAPPORTBOT"


@pytest.mark.parametrize(
    ("wire", "read"),
    [
        # Slack escapes "&", "<" and ">" in what people type (was: "smith and amp sons", no customer linked; and
        # "ARR &gt; $100k" was no bound)
        ("<@U0RAPPORTBOT> when does Smith &amp; Sons renew?", "when does Smith & Sons renew?"),
        ("which customers have ARR &gt; $100k?", "which customers have ARR > $100k?"),
        # a link reads as its label, a bare one as its address (was: the URL's words)
        ("who owns <https://crm.example.com/a/1|Atlaspeak Media>?", "who owns Atlaspeak Media?"),
        ("is <https://crm.example.com/a/1> up to date?", "is https://crm.example.com/a/1 up to date?"),
        ("email <mailto:ops@acme.com|ops@acme.com>", "email ops@acme.com"),
        # a colleague stays a mention, which Ask reads as that person (was: dropped with Rapport's)
        (
            "<@U0RAPPORTBOT> which of <@U0AMAPAC>'s customers renew next month?",
            "which of <@U0AMAPAC>'s customers renew next month?",
        ),
        ("<@U0RAPPORTBOT|rapport> hi", "hi"),
        # channels, @here and groups as the words Slack shows
        ("<!here> who is on duty in <#C0SUPPORT|support>?", "@here who is on duty in #support?"),
        ("ask <!subteam^S0DEALDESK|@deal-desk>", "ask @deal-desk"),
    ],
)
def test_slack_markup_is_read_as_the_words_it_shows(wire: str, read: str) -> None:
    assert question_text(wire, BOT) == read


def test_without_the_bots_id_no_mention_is_dropped() -> None:
    # a message another app posted, asked about with the shortcut: every mention in it is content
    assert question_text("<@U0AMGOLD> please check &amp; reply", None) == "<@U0AMGOLD> please check & reply"
