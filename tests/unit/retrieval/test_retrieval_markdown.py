"""Markdown -> clean Slack text with structure (retrieval.markdown)."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from retrieval.markdown import (
    BULLET,
    CODE,
    PARAGRAPH,
    ROW,
    STEP,
    Heading,
    Unit,
    inline_text,
    markup_tokens,
    parse_markdown,
    passage_lines,
    passage_pieces,
    slack_to_plain,
)

RAW = ("**", "](", "![", "<th", "<li>", "{:", "<td", "<br")


def units(text: str, **kw: object) -> list[Unit]:
    return [b for b in parse_markdown(text, **kw) if isinstance(b, Unit)]  # type: ignore[arg-type]


def test_table_rows_carry_the_header_as_labels_and_their_own_lines() -> None:
    text = "# T\n\n| Tier | First response |\n|---|---|\n| Gold | 1 hour |\n| **Silver** | 4 hours |\n"
    rows = [u for u in units(text) if u.kind == ROW]
    assert [u.text for u in rows] == ["Tier: Gold · First response: 1 hour", "Tier: *Silver* · First response: 4 hours"]
    assert [(u.line_start, u.line_end) for u in rows] == [(5, 5), (6, 6)]


def test_numbered_steps_keep_number_and_order_and_nesting() -> None:
    text = "3. third\n4. fourth\n   - sub\n5. fifth\n"
    us = units(text)
    assert [(u.kind, u.number, u.depth, u.line()) for u in us] == [
        (STEP, 3, 0, "3. third"),
        (STEP, 4, 0, "4. fourth"),
        (BULLET, 0, 1, "  • sub"),
        (STEP, 5, 0, "5. fifth"),
    ]


def test_html_tables_and_lists_are_reduced_to_rows_and_items() -> None:
    html = (
        "<table><thead><tr><th>Level</th><th>Approved by</th></tr></thead>"
        "<tbody><tr><td>Team</td><td>Your <b>line</b> manager</td></tr></tbody></table>\n\n"
        "<ol><li>one</li><li>two<ul><li>inner</li></ul></li></ol>\n"
    )
    us = units(html)
    assert us[0].kind == ROW and us[0].text == "Level: Team · Approved by: Your *line* manager"
    assert [(u.kind, u.line()) for u in us[1:]] == [(STEP, "1. one"), (STEP, "2. two"), (BULLET, "  • inner")]


def test_links_images_attributes_and_bold() -> None:
    text = (
        "See [the guide](guide.md#x) and [site](https://e.com/a) ![shot](a.png) **now**.\n{: .lead}\n\n"
        '<a href="/abs">abs</a> and <img src="x.png"> {: #id}\n'
    )
    resolved = units(text, doc_path="team/page.md", base_url="https://docs.example.com/hb/")
    assert resolved[0].text == (
        "See <https://docs.example.com/hb/team/guide.md#x|the guide> and <https://e.com/a|site> *now*."
    )
    assert resolved[1].text == "<https://docs.example.com/hb/abs|abs> and"
    dropped = units(text)  # no base URL: relative links become their text
    assert dropped[0].text == "See the guide and <https://e.com/a|site> *now*."
    assert dropped[0].plain == "See the guide and site now."


def test_headings_are_plain_and_empty_ones_vanish() -> None:
    blocks = parse_markdown("# **Bold** [title](x.md) {#top}\n\n## ![](icon.png)\n\n## <a name='a'></a>Named\n\ntext\n")
    assert [b.text for b in blocks if isinstance(b, Heading)] == ["Bold title", "Named"]


def test_admonitions_are_text_not_code() -> None:
    us = units('!!! warning "Careful"\n    Shared accounts are **not** allowed.\n')
    assert [(u.kind, u.text) for u in us] == [(PARAGRAPH, "Shared accounts are *not* allowed.")]


def test_slack_control_characters_are_escaped_and_placeholders_kept() -> None:
    (u,) = units("Say <!channel> & confirm by <date>; a <@U123> is text here.")
    assert u.text == "Say &amp; confirm by &lt;date&gt;; a &lt;@U123&gt; is text here."
    assert "<" not in u.text.replace("&lt;", "")


def test_passage_lines_round_trip_kinds() -> None:
    us = units("Intro.\n\n1. a\n2. b\n\n- c\n\n| H |\n|---|\n| v |\n")
    text = "\n".join(u.line() for u in us)
    lines = passage_lines(text, "".join(u.kind for u in us))
    assert [(pl.kind, pl.number, pl.text) for pl in lines] == [
        (PARAGRAPH, 0, "Intro."),
        (STEP, 1, "a"),
        (STEP, 2, "b"),
        (BULLET, 0, "c"),
        (ROW, 0, "H: v"),
    ]


def test_slack_to_plain_keeps_labels_and_mentions() -> None:
    assert (
        slack_to_plain("*Gold* <https://x|the guide> <@U1> <!subteam^S2> a &amp; b") == "Gold the guide @U1 @S2 a & b"
    )


def test_inline_text_for_titles() -> None:
    assert inline_text("**Escalation** [matrix](x.md)") == ("*Escalation* matrix", "Escalation matrix")


_piece = st.one_of(
    st.sampled_from(
        [
            "**",
            "*",
            "_",
            "`",
            "](",
            "![",
            "[",
            "]",
            "(",
            ")",
            "<th>",
            "</th>",
            "<li>",
            "</li>",
            "<td>",
            "<br>",
            "<table>",
            "<tr>",
            "{: .x}",
            "{:",
            "}",
            "|",
            "---",
            "# ",
            "## ",
            "- ",
            "1. ",
            "> ",
            "!!! note ",
            "\n",
            "\n\n",
            "    ",
            "<b>",
            "</b>",
            '<a href="x">',
            "</a>",
            "<img src=x>",
            "http://e.com",
            "&",
            "<!channel>",
            "<@U1>",
            "word",
            "Two words",
            ".",
            ":",
        ]
    ),
    st.text(alphabet="abc XY*_[]()!<>{}:|#-.`&\n", max_size=8),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_piece, max_size=40).map("".join), st.booleans())
@example("<th><![**", False)  # "<![" opening no marked section: the standard HTML parser raised AssertionError
def test_no_raw_markup_ever_reaches_the_text(source: str, with_base: bool) -> None:
    base = "https://docs.example.com/" if with_base else None
    for block in parse_markdown(source, doc_path="a/b.md", base_url=base):
        shown = block.text if isinstance(block, Heading) else block.line()
        assert "\n" not in shown
        assert shown.strip(), "no empty unit or heading"
        assert not [tok for tok in RAW if tok in shown], (source, shown)
        if isinstance(block, Unit):
            # Slack control characters only ever start a link we made (headings are plain text, escaped where
            # they are shown)
            for m in shown.split("<")[1:]:
                assert m.startswith(("https://", "http://", "mailto:")), (source, shown)
        assert not markup_tokens(shown)


def test_a_slide_number_stays_with_its_sentence_and_pieces_know_their_line() -> None:
    ps = passage_pieces("_108. Desk drawers are secure, right?_\nOK, so. Fine.", "pp")
    assert [(p.text, p.line) for p in ps] == [
        ("_108. Desk drawers are secure, right?_", 0),
        ("OK, so.", 1),
        ("Fine.", 1),
    ]


def test_an_abbreviation_does_not_end_a_sentence() -> None:
    # "(e.g. 2025 profits ...)" was cut at "e.g." into a fragment "2025 profits distributed in March 2026)."
    ps = passage_pieces(
        "Profits are paid around March (e.g. 2025 profits distributed in March 2026). Ask Dr. Lee at the U.S. office.",
        "p",
    )
    assert [p.text for p in ps] == [
        "Profits are paid around March (e.g. 2025 profits distributed in March 2026).",
        "Ask Dr. Lee at the U.S. office.",
    ]


def test_static_site_template_tags_never_reach_the_text() -> None:
    """Jekyll/Eleventy handbooks (18F's) link pages with {% page %} and carry comments, shortcodes and variables:
    links point where the tag says, a comment goes with its content (its lines still counted), a shortcode's
    one word stays, the rest goes; fenced code and {% raw %} blocks keep theirs."""
    source = (
        'Follow the [incident guide]({% page "/security/incidents/" %}) within 1 hour.\n'
        'Ask in {% slack_channel "people-ops" %} first. {% include "warning.html" %}{{ site.host }}\n'
        "{% comment %}TODO link to\nthe old page{% endcomment %}\n"
        "Last line.\n\n"
        '```liquid\n{% include "x.html" %}\n```\n\n'
        "{% raw %}Write {{ page.title }} in a layout.{% endraw %}\n"
    )
    blocks = parse_markdown(source, doc_path="tools/a.md", base_url="https://handbook.example.gov/")
    units = [b for b in blocks if isinstance(b, Unit)]
    assert units[0].text == (
        "Follow the <https://handbook.example.gov/security/incidents/|incident guide> within 1 hour. "
        "Ask in people-ops first."
    )
    assert (units[1].text, units[1].line_start) == ("Last line.", 5)  # the comment's two lines are still counted
    assert units[2].kind == CODE and units[2].plain == '{% include "x.html" %}'
    assert units[3].plain == "Write {{ page.title }} in a layout."
    assert parse_markdown(source)[0].text.startswith("Follow the incident guide within 1 hour.")  # no base URL
    ember = "In Ember you wrap variables with `{{ }}`: it encodes them."  # inline code is the author's example
    assert parse_markdown(ember)[0].plain == ember.replace("`", "")
    assert markup_tokens('see {% page "/x/" %}') == ["template tag"]
    assert markup_tokens("`{% raw %}` is how you quote a tag") == []
