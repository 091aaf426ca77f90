"""Markdown (CommonMark + tables + mkdocs admonitions + inline/block HTML) -> clean text with its structure.

A playbook is parsed once with markdown-it-py into headings and *units*: one line of text each, a paragraph, a
list item (numbered steps keep their number and order), a table row (the header cells as labels, so one row can
answer on its own) or a line of code. Every unit knows the file lines it came from, so a citation's line range
stays exact. Each unit has two renderings:

- ``text``: Slack mrkdwn, what an answer may quote: ``*bold*``, ``<url|label>`` links (relative links resolved
  against a base URL, or reduced to their label), Slack's control characters escaped so nothing in a playbook
  becomes a live mention, and none of the source's markup (``**``, ``](``, ``![``, HTML tags, kramdown ``{: }``).
- ``plain``: the same words without any formatting, what is embedded and indexed for BM25.

Passage text stored in the index is the units' ``line()`` joined by newlines; :func:`passage_lines` reads it back
with the kind of each line (kept alongside as a string of one letter per line).

One module because one markdown-it-py token walk produces units, headings and both renderings; the
walk's state is shared by them.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.admon import admon_plugin
from sentencex import segment

# Unit kinds, one letter each (stored per passage line in the index metadata).
PARAGRAPH = "p"
STEP = "o"  # an item of a numbered list
BULLET = "b"  # an item of a bulleted list
ROW = "r"  # a table row, "Label: value · Label: value"
CODE = "c"
HEADING = "h"  # a section's heading, opening its first chunk (context, not an answer)
KINDS = (PARAGRAPH, STEP, BULLET, ROW, CODE, HEADING)
ROW_SEP = " · "
BULLET_MARK = "•"

# kramdown / attr_list attribute lists: "{: .class #id}", "{:toc}", "{#id .class}". Not Markdown to a CommonMark
# parser, so they reach the text and are removed there.
_ATTR_LIST = re.compile(r"\{:[^{}\n]*\}|\{\s*[#.][\w\-.#= \"']*\}")
_SPACES = re.compile(r"\s+")
# Template tags of static-site generators (Liquid in Jekyll, Nunjucks in Eleventy, Jinja): not Markdown, so a
# CommonMark parser would show them raw. A comment goes with its content, a link whose target is a tag
# ("[Leave]({% page "/leave/" %})") points at the tag's path, a tag whose one argument is a plain word or name
# shows it ('{% slack_channel "people-ops" %}': people-ops), any other tag is dropped (a file, a path, an
# include, a variable); code (fenced or inline) and {% raw %} blocks keep theirs, as the site shows them.
_TEMPLATE_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.S)
_TEMPLATE_LINK = re.compile(r"\]\(\s*\{[%{]-?\s*[\w.]*\s*[\"']([^\"'\n]*)[\"'][^\n]*?-?[%}]\}\s*\)")
_TEMPLATE_TAG = re.compile(r"\{%-?[^\n]*?-?%\}|\{\{-?[^\n]*?-?\}\}")
_TEMPLATE_WORD = re.compile(r"\{%-?\s*[\w.]+\s+[\"']([^\"'/.\n]+)[\"']\s*-?%\}")
_TEMPLATE_KEPT = re.compile(
    r"(^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?^ {0,3}\2[^\n]*$|(?<!`)(`+)(?!`)[^\n]*?(?<!`)\3(?!`)"
    r"|\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\})",
    re.S | re.M,
)
_RAW_TAG = re.compile(r"\{%-?\s*(?:end)?raw\s*-?%\}")
# In a heading (a citation label) what looks like an HTML tag, from a code span, is shown with look-alike brackets.
_TAG_LIKE = re.compile(r"<(/?[a-zA-Z!])")
_PIPE_ROW = re.compile(r"^\|[^|]*[^|\s][^|]*\|.*$|^.*\|[^|]*[^|\s][^|]*\|$")
_SAFE_SCHEMES = ("http", "https", "mailto")
_BLOCK_TAGS = frozenset(
    "address article aside blockquote body caption center dd details div dl dt figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre section summary table tbody td tfoot th thead tr ul "
    "br".split()
)
_DROP_TAGS = frozenset("script style head title noscript template svg button select option textarea".split())
# Tags a browser knows: anything else in angle brackets ("confirm by <date>") is a placeholder the author meant to
# be read, so it stays as text.
_HTML_TAGS = (
    _BLOCK_TAGS
    | _DROP_TAGS
    | frozenset(
        "a abbr b bdi bdo big cite code del dfn em font i img input ins kbd label link mark meta picture q rp rt "
        "ruby s samp small source span strike strong sub sup tt u var video audio iframe object embed canvas "
        "area map col colgroup wbr".split()
    )
)


@dataclass(frozen=True)
class Unit:
    """One line of clean text and where it came from."""

    kind: str
    text: str  # Slack mrkdwn
    plain: str
    line_start: int  # 1-based, inclusive, in the file
    line_end: int
    depth: int = 0  # list nesting
    number: int = 0  # a numbered step's number
    cells: str = ""  # a table row's plain cells, "Gold   1 hour" (what is indexed, under its header once)
    header: str = ""  # a table row's plain header, "Tier   First response"

    def line(self) -> str:
        """How the unit is written in a passage (one line; lists keep their marker and indentation)."""
        indent = "  " * self.depth
        if self.kind == STEP:
            return f"{indent}{self.number}. {self.text}"
        if self.kind == BULLET:
            return f"{indent}{BULLET_MARK} {self.text}"
        return self.text

    def plain_line(self) -> str:
        """The plain words as read in a passage: list items keep their marker ("- ", "2. ")."""
        indent = "  " * self.depth
        if self.kind == STEP:
            return f"{indent}{self.number}. {self.plain}"
        if self.kind == BULLET:
            return f"{indent}- {self.plain}"
        if self.kind == ROW and self.cells:
            return self.cells
        return self.plain

    @property
    def words(self) -> int:
        return len(self.plain_line().split())


@dataclass(frozen=True)
class Heading:
    level: int
    text: str  # plain; never empty
    line: int  # 1-based


Block = Heading | Unit


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).use(admon_plugin)


_MD = _parser()


# ---------------------------------------------------------------------------------------------------- inline
def literal(text: str) -> str:
    """Source text as inert Slack text: control characters escaped, markup-like sequences broken apart."""
    text = _ATTR_LIST.sub("", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("](", "] (").replace("![", "! [").replace("{:", "{ :")


def finish(text: str) -> str:
    """One clean line: whitespace collapsed, no doubled emphasis marker left between adjacent spans, and a line
    that still looks like a pipe-table row (a table the parser did not accept) written as its cells."""
    text = _SPACES.sub(" ", text).strip()
    if _PIPE_ROW.match(text):
        text = ROW_SEP.join(c.strip() for c in text.strip("|").split("|") if c.strip())
    text = text.replace("](", "] (").replace("![", "! [").replace("{:", "{ :")
    while "**" in text:
        text = text.replace("**", "* *")
    return text


def _plain_literal(text: str) -> str:
    return _ATTR_LIST.sub("", text)


@dataclass
class _Links:
    """How links are written: absolute ones kept, relative ones resolved against base_url (else dropped to text)."""

    doc_path: str = ""
    base_url: str | None = None

    def resolve(self, href: str) -> str | None:
        href = href.strip()
        if not href:
            return None
        parts = urlsplit(href)
        if parts.scheme:
            return href if parts.scheme.lower() in _SAFE_SCHEMES else None
        if href.startswith("//"):
            return None
        if not self.base_url:
            return None
        base = self.base_url.rstrip("/") + "/"
        folder = posixpath.dirname(self.doc_path)
        if folder and not href.startswith("/"):
            base = urljoin(base, folder.rstrip("/") + "/")
        return urljoin(base, href.lstrip("/") if href.startswith("/") else href)

    def slack(self, url: str, label: str) -> str:
        safe_url = quote(url, safe=":/?#@!$&'()*+,;=%~-._")
        label = label.replace("|", "/").strip()
        return f"<{safe_url}|{label}>" if label else f"<{safe_url}>"


@dataclass
class _Inline:
    slack: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)

    def add(self, slack: str, plain: str) -> None:
        self.slack.append(slack)
        self.plain.append(plain)

    def texts(self) -> tuple[str, str]:
        return "".join(self.slack), "".join(self.plain)


_WRAP = {"strong": "*", "em": "_", "s": "~"}
_HTML_WRAP = {"b": "*", "strong": "*", "i": "_", "em": "_", "s": "~", "del": "~", "strike": "~"}
_TAG = re.compile(r"^<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)([^>]*)>$", re.S)
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def _render_inline(nodes: Iterable[SyntaxTreeNode], links: _Links) -> tuple[str, str]:
    """Inline nodes -> (Slack mrkdwn, plain). Inline HTML tags are dropped, but <b>/<a href> keep their meaning."""
    out = _Inline()
    stack: list[tuple[str, str, _Inline]] = []  # (kind, extra, outer buffer) for inline HTML spans
    cur = out

    def emit(slack: str, plain: str) -> None:
        cur.add(slack, plain)

    for node in nodes:
        t = node.type
        if t == "text":
            emit(literal(node.content), _plain_literal(node.content))
        elif t in ("softbreak", "hardbreak"):
            emit(" ", " ")
        elif t == "code_inline":
            code = node.content.replace("`", "'").strip()
            if code:
                emit(f"`{literal(code)}`", code)
        elif t in _WRAP:
            s, p = _render_inline(node.children, links)
            s = s.strip()
            if s:
                emit(f"{_WRAP[t]}{s}{_WRAP[t]}", p)
        elif t == "link":
            s, p = _render_inline(node.children, links)
            url = links.resolve(str(node.attrs.get("href", "")))
            label = literal(_SPACES.sub(" ", p).strip())
            if url and (label or node.info == "auto" or node.markup == "autolink"):
                emit(links.slack(url, label if label != literal(url) else ""), p if p.strip() != url else "")
            else:
                emit(s, p)
        elif t == "image":
            continue  # images disappear, alt text included: a screenshot's caption is not an answer
        elif t == "html_inline":
            m = _TAG.match(node.content.strip())
            if not m:
                continue
            if m.group(2).lower() not in _HTML_TAGS:
                emit(literal(node.content), node.content)
                continue
            closing, tag = m.group(1) == "/", m.group(2).lower()
            if tag in ("br", "hr", "p", "div"):
                emit(" ", " ")
            elif tag in _HTML_WRAP or tag == "a":
                if not closing:
                    extra = ""
                    if tag == "a":
                        h = _HREF.search(m.group(3))
                        extra = next((g for g in h.groups() if g), "") if h else ""
                    stack.append((tag, extra, cur))
                    cur = _Inline()
                elif stack and stack[-1][0] == tag:
                    tag_, extra, outer = stack.pop()
                    s, p = cur.texts()
                    cur = outer
                    s = s.strip()
                    if tag_ == "a":
                        url = links.resolve(extra)
                        label = literal(_SPACES.sub(" ", p).strip())
                        emit(links.slack(url, label) if url and label else s, p)
                    elif s:
                        emit(f"{_HTML_WRAP[tag_]}{s}{_HTML_WRAP[tag_]}", p)
        elif node.children:
            s, p = _render_inline(node.children, links)
            emit(s, p)
    while stack:  # unclosed inline HTML: keep its text
        _, _, outer = stack.pop()
        s, p = cur.texts()
        cur = outer
        cur.add(s, p)
    s, p = out.texts()
    return s, p


def inline_text(source: str, doc_path: str = "", base_url: str | None = None) -> tuple[str, str]:
    """One line of inline Markdown (a title, a heading) -> (Slack mrkdwn, plain)."""
    tree = SyntaxTreeNode(_MD.parse(without_templates(source.replace("\n", " "))))
    for node in _walk(tree):
        if node.type == "inline":
            s, p = _render_inline(node.children, _Links(doc_path, base_url))
            return finish(s), finish(p)
    return "", ""


def plain_inline(source: str) -> str:
    return inline_text(source)[1]


def _walk(node: SyntaxTreeNode) -> Iterator[SyntaxTreeNode]:
    yield node
    for child in node.children:
        yield from _walk(child)


# ---------------------------------------------------------------------------------------------------- HTML
class _HtmlUnits(HTMLParser):
    """An HTML block reduced to units: tables to labelled rows, lists to items, everything else to paragraphs."""

    def __init__(self, links: _Links) -> None:
        super().__init__(convert_charrefs=True)
        self.links = links
        self.out: list[tuple[str, str, str, int, int]] = []  # kind, slack, plain, depth, number
        self.headings: list[tuple[int, str]] = []
        self.buf = _Inline()
        self.drop = 0
        self.lists: list[list[int]] = []  # per open list: [ordered(0/1), next number]
        self.item: tuple[str, int, int] | None = None
        self.spans: list[tuple[str, str, _Inline]] = []
        self.table: list[list[tuple[str, str, bool]]] | None = None  # rows of (slack, plain, is_header)
        self.cell: _Inline | None = None
        self.cell_header = False
        self.heading_level = 0
        self.rows: dict[int, tuple[str, str]] = {}  # out index -> (cells, header) of a table row

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        """``<![`` that opens no marked section (``<![CDATA[``, ``<![if ...``) is text, as a browser shows it; the
        standard parser raises AssertionError on it, which would fail the whole page."""
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            self.handle_data(self.rawdata[i : i + 3])
            return i + 3

    # the buffer text goes to the current cell, else to the open item/paragraph
    def _target(self) -> _Inline:
        if self.spans:
            return self.spans[-1][2]
        return self.cell if self.cell is not None else self.buf

    def _flush(self) -> None:
        s, p = self.buf.texts()
        self.buf = _Inline()
        s, p = finish(s), finish(p)
        if self.heading_level:
            if p:
                self.headings.append((self.heading_level, p))
                self.out.append(("h", s, p, self.heading_level, 0))
            return
        if not p:
            return
        if self.item is not None:
            kind, depth, number = self.item
            self.out.append((kind, s, p, depth, number))
            self.item = (kind, depth, 0) if kind == STEP else self.item
        else:
            self.out.append((PARAGRAPH, s, p, 0, 0))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        if tag in _DROP_TAGS:
            self.drop += 1
            return
        if self.drop:
            return
        if tag in ("ul", "ol"):
            self._flush()
            start = next((v for k, v in attrs if k == "start" and v and v.isdigit()), "1")
            self.lists.append([1 if tag == "ol" else 0, int(start)])
        elif tag == "li":
            self._flush()
            depth = max(0, len(self.lists) - 1)
            if self.lists and self.lists[-1][0]:
                self.item = (STEP, depth, self.lists[-1][1])
                self.lists[-1][1] += 1
            else:
                self.item = (BULLET, depth, 0)
        elif tag == "table":
            self._flush()
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("td", "th") and self.table is not None:
            self.cell = _Inline()
            self.cell_header = tag == "th"
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush()
            self.heading_level = int(tag[1])
        elif tag == "img":
            return
        elif tag == "a" or tag in _HTML_WRAP:
            href = next((v for k, v in attrs if k == "href" and v), "") if tag == "a" else ""
            self.spans.append((tag, href, _Inline()))
        elif tag in _BLOCK_TAGS:
            if self.cell is not None:
                self.cell.add(" ", " ")
            else:
                self._flush()

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag in _DROP_TAGS:
            self.drop = max(0, self.drop - 1)
            return
        if self.drop:
            return
        if (tag == "a" or tag in _HTML_WRAP) and self.spans and self.spans[-1][0] == tag:
            tag_, href, inner = self.spans.pop()
            s, p = inner.texts()
            s = s.strip()
            if tag_ == "a":
                url = self.links.resolve(href)
                label = literal(_SPACES.sub(" ", p).strip())
                self._target().add(self.links.slack(url, label) if url and label else s, p)
            elif s:
                self._target().add(f"{_HTML_WRAP[tag_]}{s}{_HTML_WRAP[tag_]}", p)
            return
        if tag in ("td", "th") and self.table is not None and self.cell is not None:
            s, p = self.cell.texts()
            if not self.table:
                self.table.append([])
            self.table[-1].append((finish(s), finish(p), self.cell_header))
            self.cell = None
        elif tag == "table" and self.table is not None:
            rows, self.table = self.table, None
            header: list[str] = []
            for row in rows:
                if row and all(h for _, _, h in row) and not header:
                    header = [p for _, p, _ in row]
                    continue
                cells = [(s, p) for s, p, _ in row]
                s, p = labelled_row(header, cells)
                if p:
                    self.out.append((ROW, s, p, 0, 0))
                    self.rows[len(self.out) - 1] = compact(header, cells)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush()
            self.heading_level = 0
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            self.item = None
        elif tag == "li":
            self._flush()
            self.item = None
        elif tag in _BLOCK_TAGS and self.cell is None:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.drop:
            return
        self._target().add(literal(data), _plain_literal(data))

    def close(self) -> None:
        super().close()
        while self.spans:
            _, _, inner = self.spans.pop()
            s, p = inner.texts()
            self._target().add(s, p)
        self._flush()


def compact(header: list[str], cells: list[tuple[str, str]]) -> tuple[str, str]:
    """A row's plain cells and its plain header as the index reads them, cells apart by spaces as in the source
    table ("Gold   1 hour"): pipes between cells cost the model's ranking of table sections."""
    return "   ".join(p for _, p in cells if p.strip()), "   ".join(h for h in header if h.strip())


def labelled_row(header: list[str], cells: list[tuple[str, str]]) -> tuple[str, str]:
    """A table row with the header cells as labels: "Tier: Gold · First response: 1 hour"."""
    slack: list[str] = []
    plain: list[str] = []
    for i, (s, p) in enumerate(cells):
        if not p.strip():
            continue
        label = header[i] if i < len(header) else ""
        if label and label.strip().lower() != p.strip().lower():
            slack.append(f"{literal(label)}: {s}")
            plain.append(f"{label}: {p}")
        else:
            slack.append(s)
            plain.append(p)
    return finish(ROW_SEP.join(slack)), finish(ROW_SEP.join(plain))


def _html_units(html: str, links: _Links, start: int, end: int) -> list[Block]:
    parser = _HtmlUnits(links)
    parser.feed(html)
    parser.close()
    out: list[Block] = []
    for i, (kind, s, p, depth, number) in enumerate(parser.out):
        if kind == "h":
            out.append(Heading(depth, p, start))
        else:
            cells, header = parser.rows.get(i, ("", ""))
            out.append(Unit(kind, s, p, start, end, depth, number, cells, header))
    return out


# ---------------------------------------------------------------------------------------------------- blocks
class _Blocks:
    def __init__(self, first_line: int, links: _Links) -> None:
        self.first = first_line
        self.links = links
        self.out: list[Block] = []

    def lines(self, node: SyntaxTreeNode, fallback: tuple[int, int]) -> tuple[int, int]:
        if node.map:
            a, b = node.map
            return self.first + a, self.first + max(a, b - 1)
        return fallback

    def walk(self, node: SyntaxTreeNode, depth: int = -1, where: tuple[int, int] = (0, 0)) -> None:
        for child in node.children:
            self.block(child, depth, self.lines(child, where))

    def block(self, node: SyntaxTreeNode, depth: int, where: tuple[int, int]) -> None:
        t = node.type
        if t == "heading":
            inline = node.children[0] if node.children else None
            _, plain = _render_inline(inline.children, self.links) if inline else ("", "")
            plain = _TAG_LIKE.sub(lambda m: "‹" + m.group(1), finish(plain))
            if plain:
                self.out.append(Heading(int(node.tag[1]), plain, where[0]))
        elif t == "paragraph":
            self.paragraph(node, PARAGRAPH, 0, 0, where)
        elif t in ("bullet_list", "ordered_list"):
            number = int(node.attrs.get("start", 1) or 1) if t == "ordered_list" else 0
            for item in node.children:
                self.item(item, STEP if t == "ordered_list" else BULLET, depth + 1, number, self.lines(item, where))
                number += 1
        elif t == "table":
            self.table(node, where)
        elif t in ("fence", "code_block"):
            first, _ = where
            for k, raw in enumerate(node.content.split("\n")):
                code = raw.strip().replace("`", "'")
                if code:
                    line = first + k + (1 if t == "fence" else 0)
                    self.out.append(Unit(CODE, finish(f"`{literal(code)}`"), finish(_plain_literal(code)), line, line))
        elif t == "html_block":
            self.out.extend(_html_units(node.content, self.links, *where))
        elif t == "admonition_title":
            return  # "!!! note "Title"": a label, not a sentence
        elif t in ("blockquote", "admonition", "root") or node.children:
            self.walk(node, depth, where)

    def paragraph(self, node: SyntaxTreeNode, kind: str, depth: int, number: int, where: tuple[int, int]) -> None:
        inline = node.children[0] if node.children else None
        if inline is None:
            return
        s, p = _render_inline(inline.children, self.links)
        s, p = finish(s), finish(p)
        if p:
            self.out.append(Unit(kind, s, p, where[0], where[1], max(0, depth), number))

    def item(self, node: SyntaxTreeNode, kind: str, depth: int, number: int, where: tuple[int, int]) -> None:
        """A list item: its own paragraphs are one unit with the item's marker; nested blocks follow it."""
        slack: list[str] = []
        plain: list[str] = []
        span = [where[0], where[0]]
        emitted = False

        def flush() -> None:
            nonlocal emitted, slack, plain
            s, p = finish(" ".join(slack)), finish(" ".join(plain))
            if p:
                self.out.append(Unit(kind, s, p, span[0], span[1], depth, number if not emitted else 0))
                emitted = True
            slack, plain = [], []

        for child in node.children:
            cw = self.lines(child, where)
            if child.type == "paragraph" and child.children:
                s, p = _render_inline(child.children[0].children, self.links)
                if not slack:
                    span[0] = cw[0]
                span[1] = cw[1]
                slack.append(s)
                plain.append(p)
            else:
                flush()
                self.block(child, depth, cw)
        flush()

    def table(self, node: SyntaxTreeNode, where: tuple[int, int]) -> None:
        header: list[str] = []
        for section in node.children:
            for tr in section.children:
                cells = [
                    _render_inline(c.children[0].children, self.links) if c.children else ("", "") for c in tr.children
                ]
                cells = [(finish(s), finish(p)) for s, p in cells]
                if section.type == "thead":
                    header = [p for _, p in cells]
                    continue
                s, p = labelled_row(header, cells)
                if p:
                    a, b = self.lines(tr, where)
                    self.out.append(Unit(ROW, s, p, a, b, 0, 0, *compact(header, cells)))


def without_templates(text: str) -> str:
    """Markdown with its static-site template tags resolved or removed (see ``_TEMPLATE_LINK``), line count kept."""
    if "{%" not in text and "{{" not in text:
        return text

    def clean(part: str) -> str:
        part = _TEMPLATE_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), part)
        part = _TEMPLATE_LINK.sub(lambda m: f"]({m.group(1).strip()})", part)
        part = _TEMPLATE_WORD.sub(lambda m: m.group(1).strip(), part)
        return _TEMPLATE_TAG.sub("", part)

    out: list[str] = []
    at = 0
    for m in _TEMPLATE_KEPT.finditer(text):
        out.append(clean(text[at : m.start()]))
        kept = m.group(0)
        out.append(kept if m.group(2) or m.group(3) else _RAW_TAG.sub("", kept))  # code as written
        at = m.end()
    out.append(clean(text[at:]))
    return "".join(out)


def parse_markdown(text: str, first_line: int = 1, doc_path: str = "", base_url: str | None = None) -> list[Block]:
    """Headings and units of a Markdown body, in document order. ``first_line``: the file line of text's first."""
    tree = SyntaxTreeNode(_MD.parse(without_templates(text)))
    blocks = _Blocks(first_line, _Links(doc_path, base_url))
    blocks.walk(tree, where=(first_line, first_line))
    return blocks.out


def to_plain(text: str) -> str:
    """Markdown -> plain text, one unit a line (for text that was never chunked: a query, an outline)."""
    return "\n".join(u.plain for u in parse_markdown(text) if isinstance(u, Unit))


# ---------------------------------------------------------------------------------------------------- passages
@dataclass(frozen=True)
class PassageLine:
    kind: str
    text: str  # Slack mrkdwn without the list marker
    depth: int = 0
    number: int = 0

    def line(self) -> str:
        return Unit(self.kind, self.text, "", 0, 0, self.depth, self.number).line()


_STEP_LINE = re.compile(r"^( *)(\d{1,9})\. (.*)$")
_BULLET_LINE = re.compile(rf"^( *){BULLET_MARK} (.*)$")


def list_marker(line: str) -> str:
    """The marker a shown list item opens with ("  • ", "3. "), indentation included; "" for any other line."""
    m = _STEP_LINE.match(line) or _BULLET_LINE.match(line)
    return line[: m.start(m.lastindex or 0)] if m else ""


def passage_lines(text: str, kinds: str = "") -> list[PassageLine]:
    """A stored passage back into its lines and their kinds (``kinds``: one letter a line, as indexed). Without
    kinds (older index, text from elsewhere) the list markers tell steps and bullets apart; the rest are
    paragraphs."""
    out: list[PassageLine] = []
    for i, raw in enumerate(line for line in text.split("\n") if line.strip()):
        kind = kinds[i] if i < len(kinds) and kinds[i] in KINDS else ""
        m = _STEP_LINE.match(raw)
        if m and kind in ("", STEP):
            out.append(PassageLine(STEP, m.group(3).strip(), len(m.group(1)) // 2, int(m.group(2))))
            continue
        b = _BULLET_LINE.match(raw)
        if b and kind in ("", BULLET):
            out.append(PassageLine(BULLET, b.group(2).strip(), len(b.group(1)) // 2))
            continue
        out.append(PassageLine(kind or PARAGRAPH, raw.strip()))
    return out


_SLACK_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>|<([^<>|]+)>")
_FORMAT = re.compile(r"(?<![\w*_~`])[*_~`]+|[*_~`]+(?![\w*_~`])")


def slack_to_plain(text: str) -> str:
    """Our own Slack rendering back to plain words (links to their labels, formatting marks and entities gone)."""

    def link(m: re.Match[str]) -> str:
        if m.group(1):
            return m.group(2)
        target = m.group(3)
        if target.startswith(("@", "#")):  # a mention or a channel: keep who or where
            return target
        if target.startswith("!subteam^"):
            return "@" + target[len("!subteam^") :].split("|")[0]
        return ""

    return unescape(_FORMAT.sub("", _SLACK_LINK.sub(link, text)))


def unescape(text: str) -> str:
    """Slack's three escapes as a reader sees them (``&amp;`` last, so ``&amp;gt;`` stays ``&gt;``)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def markup_tokens(text: str) -> list[str]:
    """Raw Markdown/HTML that must never reach an answer or a citation label (the eval counts these)."""
    found = [tok for tok in ("**", "](", "![", "{:", "<th", "<td", "<li>", "<br") if tok in text]
    if _TEMPLATE_TAG.search(re.sub(r"`[^`\n]*`", "", text)):  # a tag shown as code is the author's example
        found.append("template tag")
    if any(_PIPE_ROW.match(line.strip()) for line in text.split("\n")):
        found.append("| table |")
    if re.search(r" > \s*(\(|$)| >  ", text):
        found.append("empty heading")
    return found


@dataclass(frozen=True)
class Piece:
    """What an answer may quote: a sentence of a paragraph, a list item, a table row (labelled), a code line."""

    kind: str
    text: str  # Slack mrkdwn as shown (list items with their marker)
    plain: str
    number: int = 0
    depth: int = 0
    line: int = 0  # which line of the passage (paragraph, item, row) it comes from: sentences of one paragraph share it


def sentences(text: str) -> list[str]:
    """A paragraph's sentences, by sentencex's rules (abbreviations such as "e.g.", "Dr.", "U.S." do not end one).
    A piece with no word in it (the "_" closing Slack italics after "right?") belongs to the sentence before."""
    out: list[str] = []
    for part in segment("en", text):
        part = part.strip()
        if out and part and not _WORDLIKE.search(part):
            out[-1] = f"{out[-1]}{part}"
        elif part:
            out.append(part)
    return out


_WORDLIKE = re.compile(r"[^\W_]")


# "108." or "_3)": the number of a list item or slide, not a quantity (retrieval.question reads past it too)
ENUMERATOR = re.compile(r"[\W_]*\d+[.)]")


def passage_pieces(text: str, kinds: str = "") -> list[Piece]:
    """A stored passage cut into quotable pieces, in reading order (headings are context, not pieces). The index
    scores these same pieces against the question, so the composer and the search agree on what a piece is."""
    out: list[Piece] = []
    for n, line in enumerate(passage_lines(text, kinds)):
        if line.kind == HEADING:
            continue
        if line.kind == PARAGRAPH:
            sents = sentences(line.text)
            for i in range(len(sents) - 1):
                if ENUMERATOR.fullmatch(sents[i]):  # "_108. Desk drawers ..." split at its slide number: one piece
                    sents[i + 1] = f"{sents[i]} {sents[i + 1]}"
                    sents[i] = ""
            for sent in filter(None, sents):
                out.append(Piece(PARAGRAPH, sent, slack_to_plain(sent).strip(), line=n))
        else:
            out.append(Piece(line.kind, line.line(), slack_to_plain(line.text).strip(), line.number, line.depth, n))
    return out
