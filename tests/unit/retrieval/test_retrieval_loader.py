from pathlib import Path

import pytest

from retrieval.loader import LoadError, load_documents, parse_document


def test_front_matter_fields_are_parsed_and_normalised() -> None:
    raw = b"""---
title: Escalation matrix
owner: "@cs-ops"
tiers: [Platinum, gold]
regions: EMEA
review_by: 2025-03-01
version: 3
tags: [sla]
---
# Ignored heading

Body text.
"""
    doc = parse_document(raw, "esc.md")
    m = doc.meta
    assert (m.title, m.owner, m.version, m.review_by) == ("Escalation matrix", "@cs-ops", "3", "2025-03-01")
    assert m.tiers == ("gold", "platinum")
    assert m.regions == ("emea",)
    assert m.tags == ("sla",)
    assert doc.body_start == 10
    assert doc.lines[doc.body_start - 1] == "# Ignored heading"


def test_plain_markdown_takes_title_from_first_h1() -> None:
    doc = parse_document(b"intro line\n\n# Refund policy\n\ntext\n", "refunds.md")
    assert doc.meta.title == "Refund policy"
    assert doc.meta.tiers == () and doc.body_start == 1


def test_title_falls_back_to_banner_image_then_file_name() -> None:
    assert parse_document(b"![Team Norms](/img/x.png)\n\n## A\ntext\n", "people.md").meta.title == "Team Norms"
    assert parse_document(b"## A\ntext\n", "on_call-guide.md").meta.title == "On call guide"
    assert parse_document(b"## A\ntext\n", "billing/docs/index.md").meta.title == "Billing"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"---\ntitle: x\n---\n\n", "empty"),
        (b"\x89PNG\x00\x00binary", "binary"),
        (b"caf\xe9 au lait", "not UTF-8"),
        (b"---\ntitle: [unclosed\n---\nbody\n", "invalid YAML"),
        (b"---\n- a\n- b\n---\nbody\n", "not a mapping"),
        (b"---\ntitle: x\nbody never closed\n", "never closed"),
        (b"---\ntiers: 3\n---\nbody\n", "tiers"),
    ],
)
def test_bad_input_raises_a_named_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(LoadError, match=reason):
        parse_document(raw, "bad.md")


def test_bad_files_are_reported_and_the_rest_still_load(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\nfine\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "also.markdown").write_text("# Also\n\nfine\n")
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "latin1.md").write_bytes(b"caf\xe9")
    (tmp_path / "huge.md").write_bytes(b"a" * (5 * 1024 * 1024 + 1))
    (tmp_path / "notes.txt").write_text("not markdown")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.md").write_text("# hidden\n")
    docs, errors = load_documents(tmp_path)
    assert sorted(d.meta.path for d in docs) == ["good.md", "sub/also.markdown"]
    reasons = dict(errors)
    assert set(reasons) == {"empty.md", "latin1.md", "huge.md"}
    assert "too large" in reasons["huge.md"]
    assert "UTF-8" in reasons["latin1.md"]


def test_file_hash_changes_with_content_only() -> None:
    a = parse_document(b"# T\n\nx\n", "a.md")
    b = parse_document(b"# T\n\nx\n", "b.md")
    c = parse_document(b"# T\n\ny\n", "a.md")
    assert a.file_hash == b.file_hash != c.file_hash


def test_crlf_and_bom_are_normalised() -> None:
    doc = parse_document("\ufeff# Title\r\n\r\nline\r\n".encode(), "w.md")
    assert doc.lines == ("# Title", "", "line")
    assert doc.meta.title == "Title"
