"""Load Markdown playbooks (YAML front matter optional) and report bad files instead of failing."""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from retrieval.dates import front_matter_date
from retrieval.markdown import Heading, parse_markdown, plain_inline
from retrieval.types import DocMeta, Document

log = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MARKDOWN_SUFFIXES = (".md", ".markdown")
# Bumped whenever chunking changes, so every file is re-chunked (embeddings stay cached by content hash).
PIPELINE_VERSION = "c5-markdown-it"

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster
_GENERIC_NAMES = {"index", "readme", "docs", "doc", "content", "pages", "src", "_index"}


class LoadError(Exception):
    """A file that cannot be indexed; the message is the human-readable reason."""


def iter_markdown_files(root: Path) -> list[Path]:
    """All Markdown files under root (sorted, hidden directories and files skipped)."""
    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            if name.lower().endswith(MARKDOWN_SUFFIXES):
                out.append(Path(dirpath) / name)
    return out


def relpath(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _as_list(value: Any, field: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        items: Iterable[Any] = [v for v in re.split(r"[,\s]+", value) if v]
    elif isinstance(value, list | tuple | set):
        items = value
    else:
        raise LoadError(f"front matter field {field!r} must be a string or a list, got {type(value).__name__}")
    return tuple(sorted({str(v).strip().lower() for v in items if str(v).strip()}))


def _as_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    return str(value).strip()


def split_front_matter(text: str) -> tuple[dict[str, Any], int]:
    """Return (front matter dict, number of lines it occupies). Raises LoadError on bad YAML."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            raw = "\n".join(lines[1:i])
            try:
                data = yaml.load(raw, Loader=_YAML_LOADER) if raw.strip() else {}  # noqa: S506 - a safe loader
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f" at line {mark.line + 2}" if mark is not None else ""
                problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
                raise LoadError(f"invalid YAML front matter{where}: {problem}") from None
            if data is None:
                data = {}
            if not isinstance(data, dict):
                raise LoadError("front matter is not a mapping of fields")
            return data, i + 1
    raise LoadError("front matter starts with '---' but is never closed")


_LEAD_IMAGE = re.compile(r"^\s*!\[([^\]]{3,})\]\([^)]*\)\s*$")


def _fallback_title(lines: list[str], rel: str) -> str:
    """First H1 (as plain text); else the alt text of a banner image opening the page; else the file (or folder)
    name."""
    for block in parse_markdown("\n".join(lines)):
        if isinstance(block, Heading) and block.level == 1:
            return block.text
    first = next((line for line in lines if line.strip()), "")
    banner = _LEAD_IMAGE.match(first)
    if banner:
        return " ".join(banner.group(1).split())
    p = Path(rel)
    parts = [p.stem, *reversed(p.parent.parts)]
    # "team/docs/index.md" -> "team": skip generic names
    stem = next((x for x in parts if x.lower() not in _GENERIC_NAMES), p.stem)
    return re.sub(r"[_\-]+", " ", stem).strip().capitalize() or rel


def parse_document(raw: bytes, rel: str, salt: str = "") -> Document:
    """Parse one file's bytes. Raises LoadError with a reason for empty/binary/huge/non-UTF-8/bad YAML.
    ``salt``: anything else the chunks depend on (the links' base URL), mixed into the file hash."""
    if len(raw) > MAX_BYTES:
        raise LoadError(f"file too large ({len(raw)} bytes > {MAX_BYTES} bytes)")
    if b"\x00" in raw[:8192]:
        raise LoadError("binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"not UTF-8 (invalid byte at offset {exc.start})") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise LoadError("empty file")
    fm, fm_lines = split_front_matter(text)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    body = lines[fm_lines:]
    if not any(line.strip() for line in body):
        raise LoadError("empty file (no content after front matter)")
    title = plain_inline(_as_str(fm.get("title"))) or _fallback_title(body, rel)
    meta = DocMeta(
        path=rel,
        title=title,
        owner=_as_str(fm.get("owner")),
        review_by=_as_str(fm.get("review_by")),
        version=_as_str(fm.get("version")),
        tiers=_as_list(fm.get("tiers", fm.get("tier")), "tiers"),
        regions=_as_list(fm.get("regions", fm.get("region")), "regions"),
        tags=_as_list(fm.get("tags"), "tags"),
        updated=front_matter_date(fm),
    )
    digest = hashlib.sha256(raw)
    digest.update(PIPELINE_VERSION.encode())
    digest.update(salt.encode())
    return Document(meta=meta, lines=tuple(lines), body_start=fm_lines + 1, file_hash=digest.hexdigest()[:16])


def load_file(path: Path, root: Path, salt: str = "") -> Document:
    rel = relpath(path, root)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise LoadError(f"file too large ({size} bytes > {MAX_BYTES} bytes)")
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read: {exc.strerror or exc}") from None
    return parse_document(raw, rel, salt)


def load_documents(root: Path, salt: str = "") -> tuple[list[Document], list[tuple[str, str]]]:
    """Load every Markdown file under root. Returns (documents, errors as (path, reason))."""
    docs: list[Document] = []
    errors: list[tuple[str, str]] = []
    for path in iter_markdown_files(root):
        try:
            docs.append(load_file(path, root, salt))
        except LoadError as exc:
            rel = relpath(path, root)
            log.warning("skipping playbook %s: %s", rel, exc)
            errors.append((rel, str(exc)))
    return docs, errors
