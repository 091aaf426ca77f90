"""The page's mrkdwn renderer (static/mrkdwn.js), run under Node when available."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import slackdouble

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
}


@pytest.mark.skipif(NODE is None, reason="node not installed")
def test_mrkdwn_rendering() -> None:
    script = (
        "global.window = {};\n"
        + JS.read_text()
        + "\nconst cases = "
        + json.dumps(list(CASES))
        + ";\nconst lookup = {user: id => id === 'U1' ? 'ana' : null, channel: () => null};\n"
        + "console.log(JSON.stringify(cases.map(c => window.Mrkdwn.mrkdwn(c, lookup))));\n"
    )
    assert NODE is not None
    out = subprocess.run([NODE, "-e", script], capture_output=True, text=True, timeout=20, check=True).stdout
    assert dict(zip(CASES, json.loads(out), strict=True)) == CASES
