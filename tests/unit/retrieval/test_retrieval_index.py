"""PlaybookIndex with the hashing embedder: incremental sync, interruption, filters, search edge cases."""

from pathlib import Path

import pytest

from retrieval.embedder import HashingEmbedder
from retrieval.index import PlaybookIndex
from retrieval.markdown import passage_pieces
from retrieval.vector import InMemoryVectorIndex

ESCALATION = """---
title: Escalation matrix
owner: "@cs-ops"
tiers: [platinum]
regions: [emea]
version: 2
review_by: 2024-01-31
---
# Escalation matrix

## Severity 1

Page the duty manager within fifteen minutes and open a bridge call.

## Severity 2

Open a ticket and answer within four business hours.
"""

REFUNDS = """# Refund policy

## Eligibility

Customers may request a refund within thirty days of purchase.

## Approvals

Refunds above one thousand dollars need finance approval.
"""

ONBOARDING = """# Onboarding

## Kickoff call

Schedule the kickoff call with the customer champion in week one.
"""


def _write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "playbooks"
    _write(r, "escalation.md", ESCALATION)
    _write(r, "billing/refunds.md", REFUNDS)
    _write(r, "onboarding.md", ONBOARDING)
    return r


def _index(root: Path, vectors: InMemoryVectorIndex | None = None, emb: HashingEmbedder | None = None) -> PlaybookIndex:
    return PlaybookIndex(root, vectors or InMemoryVectorIndex(), emb or HashingEmbedder())


def _ids_by_path(vectors: InMemoryVectorIndex) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    got = vectors.get()
    for m in got.metadatas:
        out.setdefault(str(m["path"]), set()).add(str(m["file_hash"]))
    return out


def test_first_sync_then_nothing_to_do(root: Path) -> None:
    emb = HashingEmbedder()
    idx = _index(root, emb=emb)
    r1 = idx.sync()
    assert (r1.added, r1.updated, r1.deleted, r1.unchanged) == (3, 0, 0, 0)
    assert r1.embedded == emb.calls > 0 and r1.errors == []
    assert "3 added" in r1.summary()
    r2 = idx.sync()
    assert (r2.added, r2.updated, r2.deleted, r2.unchanged, r2.embedded) == (0, 0, 0, 3, 0)
    assert emb.calls == r1.embedded


def test_edit_reembeds_only_changed_chunks(root: Path) -> None:
    emb = HashingEmbedder()
    vectors = InMemoryVectorIndex()
    idx = _index(root, vectors, emb)
    idx.sync()
    before = emb.calls
    _write(root, "billing/refunds.md", REFUNDS.replace("thirty days", "sixty days"))
    r = idx.sync()
    assert (r.added, r.updated, r.unchanged) == (0, 1, 2)
    # the edited section + the document outline; the untouched "Approvals" section is reused
    assert r.embedded == emb.calls - before == 2
    assert len(_ids_by_path(vectors)["billing/refunds.md"]) == 1  # old version gone
    hit = idx.search("how many days to ask for a refund", k=1).passages[0]
    assert "sixty days" in hit.text and hit.path == "billing/refunds.md"


def test_reopen_uses_the_index_as_truth(root: Path) -> None:
    vectors = InMemoryVectorIndex()
    _index(root, vectors).sync()
    emb = HashingEmbedder()
    again = _index(root, vectors, emb)  # a new process: nothing in memory but the vector index
    r = again.sync()
    assert r.unchanged == 3 and r.embedded == 0 and emb.calls == 0
    assert again.search("kickoff call champion").passages[0].path == "onboarding.md"


def test_rename_reuses_embeddings_and_deletes_old_path(root: Path) -> None:
    emb = HashingEmbedder()
    vectors = InMemoryVectorIndex()
    idx = _index(root, vectors, emb)
    idx.sync()
    before = emb.calls
    (root / "onboarding.md").rename(root / "kickoff.md")
    r = idx.sync()
    assert (r.added, r.deleted) == (1, 1)
    assert emb.calls == before and r.embedded == 0 and r.reused > 0
    assert set(_ids_by_path(vectors)) == {"escalation.md", "billing/refunds.md", "kickoff.md"}
    assert idx.search("kickoff call").passages[0].path == "kickoff.md"


def test_delete_removes_chunks(root: Path) -> None:
    vectors = InMemoryVectorIndex()
    idx = _index(root, vectors)
    idx.sync()
    (root / "escalation.md").unlink()
    r = idx.sync()
    assert r.deleted == 1
    assert "escalation.md" not in _ids_by_path(vectors)
    assert all(p.path != "escalation.md" for p in idx.search("duty manager bridge call", k=5).passages)


def test_file_turning_bad_is_reported_and_removed(root: Path) -> None:
    idx = _index(root)
    idx.sync()
    (root / "onboarding.md").write_bytes(b"\xff\xfe bad bytes")
    r = idx.sync()
    assert r.errors == [("onboarding.md", r.errors[0][1])] and "UTF-8" in r.errors[0][1]
    assert r.deleted == 1 and {d.path for d in idx.documents()} == {"escalation.md", "billing/refunds.md"}
    assert "warning: skipped onboarding.md" in r.summary()


class _Crash(Exception):
    pass


def test_interrupt_between_write_and_delete_is_finished_by_next_sync(root: Path) -> None:
    vectors = InMemoryVectorIndex()
    idx = _index(root, vectors)
    idx.sync()
    _write(root, "billing/refunds.md", REFUNDS.replace("thirty days", "ninety days"))
    real_delete = vectors.delete

    def crash(ids: object) -> None:
        raise _Crash()

    vectors.delete = crash  # type: ignore[method-assign]
    with pytest.raises(_Crash):
        idx.sync()
    vectors.delete = real_delete  # type: ignore[method-assign]
    assert len(_ids_by_path(vectors)["billing/refunds.md"]) == 2  # both versions present, each complete
    fresh = _index(root, vectors)  # restart
    r = fresh.sync()
    assert r.updated == 1 and r.embedded == 0
    assert len(_ids_by_path(vectors)["billing/refunds.md"]) == 1
    texts = [p.text for p in fresh.search("refund days", k=5).passages]
    assert any("ninety" in t for t in texts) and not any("thirty" in t for t in texts)


def test_interrupt_while_embedding_leaves_old_version_intact(root: Path) -> None:
    vectors = InMemoryVectorIndex()
    _index(root, vectors).sync()
    _write(root, "billing/refunds.md", REFUNDS.replace("thirty days", "ninety days"))

    class Boom(HashingEmbedder):
        def embed_documents(self, texts):  # type: ignore[no-untyped-def]
            raise _Crash()

    with pytest.raises(_Crash):
        _index(root, vectors, Boom()).sync()
    idx = _index(root, vectors)
    assert any("thirty" in p.text for p in idx.search("refund within days", k=3).passages)
    assert idx.sync().updated == 1
    assert any("ninety" in p.text for p in idx.search("refund within days", k=3).passages)


def test_passages_carry_citation_data(root: Path) -> None:
    idx = _index(root)
    idx.sync()
    res = idx.search("page the duty manager severity 1", k=3)
    p = res.passages[0]
    assert (p.path, p.title, p.owner, p.version) == ("escalation.md", "Escalation matrix", "@cs-ops", "2")
    assert p.heading_path == "Escalation matrix > Severity 1"
    assert p.tiers == ("platinum",) and p.regions == ("emea",)
    lines = (root / "escalation.md").read_text().splitlines()
    cited = "\n".join(lines[p.line_start - 1 : p.line_end])
    assert "## Severity 1" in cited and "Page the duty manager" in cited  # the range covers the source
    assert p.text.split("\n")[0] == "Severity 1" and "Page the duty manager" in p.text  # the text is clean
    assert len(p.piece_scores) == len(passage_pieces(p.text, p.kinds))  # every piece scored by meaning
    assert 0.0 <= res.confidence <= 1.0
    assert [x.score for x in res.passages] == sorted((x.score for x in res.passages), reverse=True)


def test_results_are_deduplicated_per_section(root: Path) -> None:
    long = "# Big\n\n## Only section\n\n" + "\n".join(f"refund rule number {i} applies." for i in range(200))
    _write(root, "big.md", long)
    idx = _index(root)
    idx.sync()
    res = idx.search("refund rule", k=10)
    keys = [(p.path, p.heading_path) for p in res.passages]
    assert len(keys) == len(set(keys))


def test_a_split_section_reads_on_into_its_next_chunk_once(tmp_path: Path) -> None:
    # one section cut into chunks: the first hit brings the chunk of its section before it and the one after it
    # (each overlap once, no other section), and its line range covers what it now quotes
    intro = " ".join(f"Filler sentence number {i} about rotas." for i in range(12))
    steps = "\n".join(f"{i}. Step {i} of the handover goes here." for i in range(1, 9))
    body = f"# Guide\n\n## Before\n\nUnrelated words.\n\n## On call\n\n{intro}\n\n"
    body += f"The pager rotation is weekly:\n\n{steps}\n\n## After\n\nOther section words.\n"
    root = tmp_path / "playbooks"
    _write(root, "guide.md", body)
    idx = PlaybookIndex(root, InMemoryVectorIndex(), HashingEmbedder(), max_words=60, overlap_words=12)
    idx.sync()
    section = sorted((r for r in idx._state.records if r.heading_path == "Guide > On call"), key=lambda r: r.line_start)
    assert len(section) >= 3
    hit = idx.search("pager rotation is weekly", k=3).passages[0]
    first = next(r for r in section if "pager rotation" in r.text)
    before, nxt = section[section.index(first) - 1], section[section.index(first) + 1]
    assert hit.heading_path == "Guide > On call" and hit.text.startswith(before.text)
    lines = hit.text.split("\n")
    assert len(lines) == len(set(lines)) == len(hit.kinds)  # the overlaps are kept once; kinds line up
    assert all(line in lines for chunk in (first, nxt) for line in chunk.text.split("\n"))
    assert "Unrelated words." not in hit.text and "Other section words." not in hit.text
    assert (hit.line_start, hit.line_end) == (before.line_start, nxt.line_end)
    assert len(hit.piece_scores) == len(passage_pieces(hit.text, hit.kinds))
    last = idx.search("Step 8 of the handover", k=1).passages[0]
    assert last.text.startswith(section[-2].text) and last.text.endswith(section[-1].text.split("\n")[-1])
    assert last.line_end == section[-1].line_end  # the last chunk has nothing after it


def test_only_the_first_passage_reads_back_into_its_section(tmp_path: Path) -> None:
    # two split sections: the one ranked first reads the chunk before its hit, the second one does not
    def section(name: str, word: str) -> str:
        lines = " ".join(f"{word.title()} filler sentence {i} about {word}." for i in range(14))
        return f"## {name}\n\n{lines}\n\nThe {word} target is stated here.\n\n"

    root = tmp_path / "playbooks"
    _write(root, "guide.md", "# Guide\n\n" + section("Pagers", "pager") + section("Rotas", "rota"))
    idx = PlaybookIndex(root, InMemoryVectorIndex(), HashingEmbedder(), max_words=40, overlap_words=8)
    idx.sync()
    hits = idx.search("pager target stated rota target stated", k=2).passages
    assert len(hits) == 2 and hits[0].heading_path != hits[1].heading_path
    for n, hit in enumerate(hits):
        chunks = sorted(
            (r for r in idx._state.records if r.heading_path == hit.heading_path), key=lambda r: r.line_start
        )
        assert len(chunks) >= 3
        assert hit.text.startswith(chunks[-2].text) is (n == 0), (n, hit.text[:60])


def test_scores_do_not_depend_on_how_many_passages_are_asked_for(root: Path) -> None:
    # more sections than one candidate pool (60): asking for more fetches deeper lists, but the fusion's
    # normalisation comes from the fixed top of each list, so the first hits keep their order and scores
    words = "refund credit invoice ticket renewal discount escalation bridge manager customer".split()
    body = "\n\n".join(f"## Rule {i}\n\n{words[i % 10]} {words[(i * 3) % 10]} rule number {i}." for i in range(90))
    _write(root, "rules.md", "# Rules\n\n" + body)
    idx = _index(root)
    idx.sync()
    few = idx.search("refund credit for a customer ticket", k=3)
    many = idx.search("refund credit for a customer ticket", k=40)
    assert len(many.passages) == 40
    assert [(p.heading_path, p.score) for p in few.passages] == [(p.heading_path, p.score) for p in many.passages[:3]]
    assert few.confidence == many.confidence


def test_numbers_are_query_terms(root: Path) -> None:
    from retrieval.lexical import tokenize

    assert "1" in tokenize("sev 1 outage") and "a" not in tokenize("a sev 1")
    idx = _index(root)
    idx.sync()
    assert idx.search("what do we do for a sev 2", k=1).passages[0].heading_path.endswith("Severity 2")
    # written together or apart, "sev2" and "Sev 2" are the same words (was: "sev2" matched nothing, and the
    # question's key terms were missing from every passage, so "what is a sev2?" was declined at 4%)
    _write(
        root,
        "severity.md",
        "# Severity levels\n\n| Severity | Meaning |\n|---|---|\n| Sev 1 | Outage |\n| Sev 2 | Major impairment |\n",
    )
    idx = _index(root)
    idx.sync()
    found = idx.search("what is a sev2?", k=1)
    assert found.passages[0].path == "severity.md" and found.signals["coverage"] == 1.0
    assert found.signals["vocabulary"] == 1.0


def test_sentence_rerank_uses_the_best_unit_and_caches_unit_vectors(root: Path) -> None:
    from retrieval.index import SearchParams, _units

    emb = HashingEmbedder()
    idx = _index(root, emb=emb)
    idx.sync()
    rec = next(r for r in idx._state.records if r.heading_path == "Refund policy > Approvals")
    assert _units(rec) == ["Approvals: Refunds above one thousand dollars need finance approval."]
    idx.params = SearchParams(sentence_top=5, w_sentence=0.5)
    before = emb.calls
    res = idx.search("refunds above one thousand dollars need finance approval", k=3)
    assert res.passages[0].heading_path == "Refund policy > Approvals" and "rerank_model" in res.timings_ms
    embedded = emb.calls - before
    assert embedded > 0
    idx.search("refunds above one thousand dollars need finance approval", k=3)
    assert emb.calls - before == embedded  # second time: every unit vector comes from the cache


def test_tier_region_and_path_filters(root: Path) -> None:
    idx = _index(root)
    idx.sync()
    q = "page the duty manager"

    def paths(**kw: list[str]) -> set[str]:
        return {p.path for p in idx.search(q, k=10, **kw).passages}

    assert "escalation.md" in paths()
    assert "escalation.md" in paths(tiers=["Platinum"])
    assert "escalation.md" not in paths(tiers=["gold"])
    assert "onboarding.md" in paths(tiers=["gold"])  # no tiers in front matter: applies to every tier
    assert "escalation.md" not in paths(regions=["amer"])
    assert "escalation.md" in paths(tiers=["gold", "platinum"], regions=["emea"])
    assert paths(paths=["billing/"]) == {"billing/refunds.md"}
    assert paths(paths=["onboarding.md"]) == {"onboarding.md"}
    assert paths(paths=["nope.md"]) == set()


def test_selective_filter_searches_the_allowed_chunks_exactly(root: Path) -> None:
    for i in range(12):
        _write(root, f"filler/f{i}.md", f"# Filler {i}\n\nduty manager notes {i}\n")
    vectors = InMemoryVectorIndex()
    idx = _index(root, vectors)
    idx.sync()
    res = idx.search("duty manager", k=3, tiers=["platinum"], regions=["emea"], paths=["escalation.md"])
    assert {p.path for p in res.passages} == {"escalation.md"}
    # the in-memory scan ranks exactly as the vector index's own filtered query does
    state = idx._state
    mask = state.allowed_mask(None, None, ["filler/"])
    qv = idx.embedder.embed_query("duty manager notes 7")
    exact = idx._dense(state, qv, 5, mask, None, None, ["filler/"])
    assert state.matrix is not None
    where = {"$and": [state.where(None, None, ["filler/"]), {"kind": "chunk"}]}

    def ranked(hits: list[tuple[str, float]]) -> list[tuple[float, str]]:
        return sorted((-round(s, 5), i) for i, s in hits)  # equal scores in either order

    assert ranked(exact) == ranked(vectors.query(qv, 5, where=where))
    # after an edit the next snapshot fetches only the added chunks' vectors
    fetched: list[int] = []
    real_get = vectors.get

    def counting_get(ids=None, where=None, include_embeddings=False):  # type: ignore[no-untyped-def]
        if include_embeddings and ids is not None:
            fetched.append(len(ids))
        return real_get(ids, where, include_embeddings)

    vectors.get = counting_get  # type: ignore[method-assign]
    _write(root, "filler/f3.md", "# Filler 3\n\nduty manager notes, revised\n")
    idx.sync()
    fetched.clear()
    res = idx.search("duty manager", k=3, paths=["filler/f3.md"])
    assert res.passages[0].path == "filler/f3.md" and fetched == [1]


def test_query_validation(root: Path) -> None:
    idx = _index(root)
    idx.sync()
    for bad in ("", "   \n\t"):
        with pytest.raises(ValueError, match="non-empty"):
            idx.search(bad)
    with pytest.raises(ValueError):
        idx.search("refund", k=0)
    res = idx.search("refund " * 2000)  # 14,000 characters
    assert res.truncated and len(res.query) <= 2000 and res.passages


def test_empty_index_says_i_dont_know(tmp_path: Path) -> None:
    idx = _index(tmp_path)
    assert idx.sync().chunks == 0
    res = idx.search("anything")
    assert res.passages == [] and res.confidence == 0.0 and not res.answerable


def test_documents_for_stale_reporting(root: Path) -> None:
    idx = _index(root)
    idx.sync()
    docs = {d.path: d for d in idx.documents()}
    assert set(docs) == {"escalation.md", "billing/refunds.md", "onboarding.md"}
    assert docs["escalation.md"].review_by == "2024-01-31"
    assert docs["onboarding.md"].title == "Onboarding" and docs["onboarding.md"].owner == ""


def test_progress_is_quiet_without_a_terminal(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _index(root).sync(progress=True)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


def test_document_prior_favours_the_document_that_uses_the_words_throughout(tmp_path: Path) -> None:
    from retrieval.index import SearchParams

    root = tmp_path / "playbooks"
    _write(
        root,
        "overview.md",
        "# Operations handbook\n\n## Contents\n\n### Regulated change\nRegulated change needs an audit trail.\n\n"
        "### Deploys\nPipelines ship software to production twice a day.\n\n"
        "### Paging\nResponders are paged and triage the alert.\n",
    )
    _write(
        root,
        "change-control.md",
        "# Change control\n\n## Approval\nEvery change to a regulated system needs a recorded approval.\n\n"
        "## Audit trail\nAuditors read the audit trail: who changed what, when, and who approved it.\n\n"
        "## Retention\nKeep change records and their audit trail for seven years.\n",
    )
    for name, topic in [("billing", "invoices and refunds"), ("onboarding", "kickoff calls"), ("support", "queues")]:
        _write(root, f"{name}.md", f"# {name.title()}\n\n## Basics\nThis page covers {topic}.\n")
    query = "which regulated change needs an audit trail"

    def scores(w: float) -> dict[str, float]:
        idx = PlaybookIndex(root, InMemoryVectorIndex(), HashingEmbedder(), params=SearchParams(w_doc_lexical=w))
        idx.sync()
        return {f"{p.path}#{p.heading_path}": p.score for p in idx.search(query, k=10).passages}

    without, with_prior = scores(0.0), scores(0.3)
    detail = "change-control.md#Change control > Audit trail"
    overview = "overview.md#Operations handbook > Contents > Regulated change"
    assert with_prior[detail] - without[detail] > with_prior[overview] - without[overview] > 0


def test_sections_are_the_headings_under_a_heading_in_document_order(root: Path) -> None:
    _write(root, "guide.md", "# Guide\n\nWhat it is.\n\n## Zeta\n\nA.\n\n### Inner\n\nB.\n\n## Alpha\n\nC.\n")
    _write(root, "flat.md", "## First\n\nA.\n\n## Second\n\nB.\n")  # no title heading: its sections are top level
    idx = _index(root)
    idx.sync()
    assert idx.sections("guide.md", "Guide") == ["Zeta", "Alpha"]  # its order, not sorted
    assert idx.sections("guide.md", "Guide > Zeta") == ["Inner"]
    assert idx.sections("flat.md", "") == ["First", "Second"]
    assert idx.sections("missing.md", "") == []
