"""The page's mrkdwn renderer (static/mrkdwn.js), run under Node when available, with the emoji table the
page loads (GET /ui/emoji: iamcal's emoji-data, where Slack's shortcodes come from)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import slackdouble
from slackdouble.emoji_table import shortcodes

JS = Path(slackdouble.__file__).parent / "static" / "mrkdwn.js"
NODE = shutil.which("node")

CASES = {
    "*bold* and _italic_ and ~gone~": "<b>bold</b> and <i>italic</i> and <s>gone</s>",
    "line1\nline2": "line1<br>line2",
    "use `rapport ask`": "use <code>rapport ask</code>",
    "```a *not bold*```": "<pre>a *not bold*</pre>",
    "<https://x.test/a?b=1&amp;c=2|the doc>": '<a href="https://x.test/a?b=1&amp;c=2" target="_blank" '
    'rel="noopener noreferrer">the doc</a>',
    "hi <@U1>": 'hi <span class="mention" data-user="U1">@ana</span>',
    "<#C1|support>": '<span class="mention channel">#support</span>',
    "<!here> now": '<span class="mention">@here</span> now',
    "<script>alert(1)</script>": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&lt;b&gt; literal": "&lt;b&gt; literal",
    "<javascript:alert(1)|click>": "&lt;javascript:alert(1)|click&gt;",
    "> quoted": "<blockquote>quoted</blockquote>",
    "snake_case_name stays": "snake_case_name stays",
    # Slack's markers open after a non-letter/digit, close before one, and hug their text.
    "**bold**": "*<b>bold</b>*",
    "__init__": "_<i>init</i>_",
    "~~double~~": "~<s>double</s>~",
    "2 * 3 * 4": "2 * 3 * 4",
    "a*b*c and x_y_z": "a*b*c and x_y_z",
    "* not bold *": "* not bold *",
    "*bold*text": "*bold*text",
    "*two\nlines*": "*two<br>lines*",
    "(*aside*), _really_!": "(<b>aside</b>), <i>really</i>!",
    "*bold _and italic_*": "<b>bold <i>and italic</i></b>",
    "*it's here*": "<b>it&#39;s here</b>",
    "*<@U1>* owns it": '<b><span class="mention" data-user="U1">@ana</span></b> owns it',
    "café *olé*": "café <b>olé</b>",
    "é*x*": "é*x*",
    # Emoji shortcodes, as Slack names them.
    ":+1: Helpful": "\U0001f44d Helpful",
    ":office: *Acme*": "\U0001f3e2 <b>Acme</b>",
    ":large_orange_circle: at risk": "\U0001f7e0 at risk",
    ":wave::skin-tone-3:": "\U0001f44b\U0001f3fc",
    ":lock::skin-tone-2:": "\U0001f512\U0001f3fb",
    ":not_an_emoji: stays": ":not_an_emoji: stays",
    "`:tada:` is code": "<code>:tada:</code> is code",
    "at 12:30:45": "at 12:30:45",
    ":white_check_mark:_done_": "\u2705<i>done</i>",
    # User groups show their handle; a label wins; an unknown group shows its id.
    "<!subteam^S0SALESMGR> approves": '<span class="mention group" data-subteam="S0SALESMGR">@sales-managers</span>'
    " approves",
    "<!subteam^S0X|@legal>": '<span class="mention group" data-subteam="S0X">@legal</span>',
    "<!subteam^S0NOPE>": '<span class="mention group" data-subteam="S0NOPE">@S0NOPE</span>',
    "<!date^1392734382^{date}|Feb 18, 2014>": "Feb 18, 2014",
    ">>> one\ntwo": "<blockquote>one<br>two</blockquote>",
    "before\n>>>after\nmore": "before<br><blockquote>after<br>more</blockquote>",
    "> a\n> b\nc": "<blockquote>a</blockquote><blockquote>b</blockquote>c",
}
PLAIN = {
    ":+1: Helpful": "\U0001f44d Helpful",
    "*not* <b>": "*not* &lt;b&gt;",
}


def run_node(body: str) -> Any:
    assert NODE is not None
    script = "global.window = {};\n" + JS.read_text() + "\n" + body
    out = subprocess.run([NODE], input=script, capture_output=True, text=True, timeout=30, check=True).stdout
    return json.loads(out)


LOOKUP = (
    "const table = " + json.dumps(shortcodes()) + ";\n"
    "const lookup = {user: id => id === 'U1' ? 'ana' : null, channel: () => null,\n"
    "  subteam: id => id === 'S0SALESMGR' ? 'sales-managers' : null,\n"
    "  emoji: window.Mrkdwn.emojiLookup(table)};\n"
)


@pytest.mark.skipif(NODE is None, reason="node not installed")
def test_mrkdwn_rendering() -> None:
    got = run_node(
        LOOKUP
        + "const cases = "
        + json.dumps(list(CASES))
        + ";\nconsole.log(JSON.stringify(cases.map(c => window.Mrkdwn.mrkdwn(c, lookup))));\n"
    )
    assert dict(zip(CASES, got, strict=True)) == CASES


@pytest.mark.skipif(NODE is None, reason="node not installed")
def test_plain_text_renders_emoji_unless_told_not_to() -> None:
    got = run_node(
        LOOKUP
        + "const cases = "
        + json.dumps(list(PLAIN))
        + ";\nconsole.log(JSON.stringify([cases.map(c => window.Mrkdwn.plain(c, lookup)),"
        + " window.Mrkdwn.plain(':+1: Helpful', lookup, false), window.Mrkdwn.mrkdwn(':+1: hi')]));\n"
    )
    plain, no_emoji, no_table = got
    assert dict(zip(PLAIN, plain, strict=True)) == PLAIN
    assert no_emoji == ":+1: Helpful"  # "emoji": false on the plain_text object
    assert no_table == ":+1: hi"  # before the table has loaded: as typed


def test_the_table_is_slacks_shortcodes() -> None:
    table = shortcodes()
    names = table["names"]
    # The shortcodes the bot's own messages use, in Slack's spelling (not GitHub's `orange_circle`).
    used = ["+1", "-1", "office", "red_circle", "large_orange_circle", "large_green_circle", "lock", "warning"]
    assert all(n in names for n in used)
    assert names["thumbsup"] == names["+1"] and names["flag-pt"] == "\U0001f1f5\U0001f1f9"
    assert len(names) > 1800 and table["skin"]["+1"][0] == "\U0001f44d\U0001f3fb"
