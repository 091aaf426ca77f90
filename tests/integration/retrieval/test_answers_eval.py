"""`rapport eval --answers`: answer figures from the real model and Chroma on a small handbook with messy markup."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

HANDBOOK = {
    "access.md": """---
title: Access requests
owner: U0IAM
updated: 2025-09-15
---
# Access requests {#top}

![banner](img/banner.png)
{: .banner}

<table>
<thead><tr><th>Level</th><th>Approved by</th><th>Granted within</th></tr></thead>
<tbody>
<tr><td>Team</td><td>Your <b>line manager</b></td><td>1 business day</td></tr>
<tr><td>Privileged</td><td>System owner and the security team</td><td>3 business days</td></tr>
</tbody>
</table>

Privileged access **expires after 90 days** unless renewed. See [the portal](portal.md).
""",
    "changes.md": """# Change management

## Implementing a change

1. Announce the change window in #changes.
2. Take a backup or snapshot.
3. Implement the change in the approved window only.
""",
}

KEYS = [
    {"question": "Who approves privileged access?", "facts": [["system owner"]]},
    {"question": "When does privileged access expire?", "facts": [["90 days"]]},
    {"question": "What are the steps to implement a change?", "facts": [["announce the change window"], ["backup"]]},
    {"question": "Who owns the access requests page?", "facts": [["u0iam"]]},
    {"question": "What is the parental leave policy?", "facts": [], "out_of_scope": True},
    {"question": "Which health insurance plan covers dental care?", "facts": []},
]


def write_handbook(root: Path) -> Path:
    for rel, text in HANDBOOK.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_eval_reports_answer_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.commands.retrieval_cmds import eval_command

    root = write_handbook(tmp_path / "handbook")
    answers = tmp_path / "answers.jsonl"
    answers.write_text("".join(json.dumps(k) + "\n" for k in KEYS))
    assert eval_command(root, None, [answers]) == 0
    result = json.loads(capsys.readouterr().out)
    a = result["answers"]
    assert (a["in_scope"], a["out_of_scope"]) == (4, 2)
    assert a["answers_with_raw_markup"] == 0
    assert a["out_of_scope_declined"] == "2/2" and a["in_scope_declined"] == "0/4"
    assert a["key_fact_coverage"] == 1.0, [(r["question"], r["answer"]) for r in a["per_question"]]
    assert a["key_facts_retrieved"] == 1.0
    shown = "\n".join(r["answer"] for r in a["per_question"])
    for raw in ("**", "](", "![", "<th", "<td", "{:", "<b>"):
        assert raw not in shown


def test_eval_rejects_a_malformed_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.commands.retrieval_cmds import eval_command

    (tmp_path / "a.md").write_text("# A\n\ntext\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"question": "q", "facts": ["not a group"]}) + "\n")
    assert eval_command(tmp_path, None, [bad]) == 1
    assert "expected" in capsys.readouterr().err


def test_eval_tells_a_search_miss_from_a_writer_miss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A key fact the handbook never states cannot be in the passages the writer chose from."""
    from bot.commands.retrieval_cmds import eval_command

    root = write_handbook(tmp_path / "handbook")
    answers = tmp_path / "answers.jsonl"
    keys = [KEYS[0], {"question": "Who approves privileged access?", "facts": [["the security council"]]}]
    answers.write_text("".join(json.dumps(k) + "\n" for k in keys))
    assert eval_command(root, None, [answers]) == 0
    rows = json.loads(capsys.readouterr().out)["answers"]["per_question"]
    assert [(r["covered"], r["facts_retrieved"]) for r in rows] == [(True, True), (False, False)]


def test_eval_scores_the_answer_the_service_posts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With approval policies beside the Markdown, 'who approves an expedite?' is answered by the route computed
    from approvals.yaml, which the Markdown never states: the posted answer covers the key, the passage answer
    (the playbook path alone) does not, and both figures are reported."""
    import shutil

    from bot.commands.retrieval_cmds import eval_command

    root = write_handbook(tmp_path / "handbook")
    shutil.copytree(Path(__file__).resolve().parents[3] / "playbooks" / "policies", root / "policies")
    answers = tmp_path / "answers.jsonl"
    keys = [KEYS[1], {"question": "Who approves an expedite?", "facts": [["logistics"], ["auto-approved"]]}]
    answers.write_text("".join(json.dumps(k) + "\n" for k in keys))
    assert eval_command(root, None, [answers]) == 0
    a = json.loads(capsys.readouterr().out)["answers"]
    rows = a["per_question"]
    assert [(r["covered"], r["passage_covered"]) for r in rows] == [(True, True), (True, False)], rows
    assert rows[1]["answer"].startswith("An expedite: up to $500 for platinum or gold at low risk is auto-approved")
    assert (a["key_fact_coverage"], a["passage_coverage"]) == (1.0, 0.5)
