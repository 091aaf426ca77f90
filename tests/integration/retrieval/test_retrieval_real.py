"""Real model + real Chroma (embedded and server). Marked slow: the model loads once per module."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

PLAYBOOKS = {
    "escalation.md": """---
title: Escalation matrix
owner: "@cs-ops"
tiers: [platinum, gold]
version: 4
---
# Escalation matrix

## Platinum

### Severity 1

Page the platinum duty manager within 15 minutes, open a bridge call and update the customer every 30 minutes.

### Severity 2

Respond within two hours and post a status update in the account channel.

## Gold

Gold customers get a first response within four business hours for any severity.
""",
    "refunds.md": """# Refunds and credits

## Eligibility

A customer can request a refund within 30 days of the invoice date.

## Approval thresholds

Credits above 5,000 dollars need approval from the finance director before they are promised.
""",
    "onboarding/kickoff.md": """# Kickoff

## Agenda

The kickoff meeting covers goals, success metrics, the implementation timeline and the named contacts.
""",
}


@pytest.fixture(scope="module")
def embedder():  # type: ignore[no-untyped-def]
    from retrieval.embedder import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder()
    emb.embed_query("load")
    return emb


@pytest.fixture
def playbooks(tmp_path: Path) -> Path:
    root = tmp_path / "playbooks"
    for rel, text in PLAYBOOKS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_real_model_finds_the_right_passage_and_knows_when_it_does_not(
    playbooks: Path, tmp_path: Path, embedder: object
) -> None:
    from retrieval import open_index

    idx = open_index(playbooks, chroma_path=tmp_path / "chroma", embedder=embedder)  # type: ignore[arg-type]
    rep = idx.sync()
    assert rep.added == 3 and rep.errors == []
    res = idx.search("how fast must we page someone for a sev 1 outage at a platinum account?")
    top = res.passages[0]
    assert top.path == "escalation.md" and top.heading_path.endswith("Severity 1")
    assert res.answerable
    res = idx.search("who has to sign off a large credit?")
    assert res.passages[0].heading_path == "Refunds and credits > Approval thresholds"
    ood = idx.search("what is the best recipe for sourdough bread?")
    assert not ood.answerable and ood.confidence < res.confidence
    # reopen: a new client on the same path sees everything, embeds nothing
    again = open_index(playbooks, chroma_path=tmp_path / "chroma", embedder=embedder)  # type: ignore[arg-type]
    r2 = again.sync()
    assert r2.unchanged == 3 and r2.embedded == 0
    assert again.search("kickoff agenda").passages[0].path == "onboarding/kickoff.md"


def test_embedder_vectors_are_normalised(embedder: object) -> None:
    vecs = embedder.embed_documents(["a", "b c d"])  # type: ignore[attr-defined]
    assert vecs.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)


def test_commands(playbooks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.commands.retrieval_cmds import eval_command, index_command

    (playbooks / "broken.md").write_bytes(b"\xff\xfe\x00")
    code = index_command(playbooks, tmp_path / "chroma", None, "playbooks")
    out = capsys.readouterr()
    assert code == 0 and "3 added" in out.out and "broken.md" in out.err
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(
        json.dumps({"question": "refund window in days", "relevant": ["refunds.md#Eligibility"]})
        + "\n"
        + json.dumps({"question": "kickoff meeting topics", "relevant": ["onboarding/kickoff.md"]})
        + "\n"
    )
    assert eval_command(playbooks, qfile) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result["document_level"]) == {"hybrid", "bm25", "dense"}
    assert result["document_level"]["hybrid"]["recall@1"] == 1.0
    assert result["section_level"]["hybrid"]["recall@1"] == 1.0
    assert index_command(tmp_path / "missing", tmp_path / "c2", None, "playbooks") == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    exe = shutil.which("chroma") or str(Path(__import__("sys").executable).parent / "chroma")
    if not Path(exe).exists():
        pytest.skip("the `chroma` CLI is not installed")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [exe, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None:
                    pytest.skip("chroma server exited at start")
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start within 60 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_vector_contract_on_chroma_server(chroma_server: str) -> None:
    import importlib.util

    from retrieval.vector import ChromaVectorIndex

    spec = importlib.util.spec_from_file_location(
        "retrieval_contract", Path(__file__).parents[2] / "unit" / "retrieval" / "test_retrieval_vector_contract.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.run_contract(ChromaVectorIndex("contract", url=chroma_server))


def test_playbook_index_over_http(chroma_server: str, playbooks: Path, embedder: object) -> None:
    from retrieval import open_index

    idx = open_index(playbooks, chroma_url=chroma_server, collection="http-pb", embedder=embedder)  # type: ignore[arg-type]
    assert idx.sync().added == 3
    (playbooks / "refunds.md").write_text(PLAYBOOKS["refunds.md"].replace("30 days", "45 days"))
    r = idx.sync()
    assert r.updated == 1 and r.unchanged == 2
    res = idx.search("how many days does a customer have to ask for a refund", tiers=["silver"])
    assert "45 days" in res.passages[0].text
    assert all(p.path != "escalation.md" for p in res.passages)  # platinum/gold only
