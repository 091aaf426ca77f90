"""Line-aware YAML: parse a file once, keep its node tree, and map a data path back to a line.

A pydantic error path such as ``("rules", 3, "cooldown")`` is walked through the composed
node tree (mapping keys, sequence items) to the deepest node that exists; its start mark gives
the 1-based line and column. Keys that do not exist in the file (a missing required field, a
discriminated-union tag) are skipped, so the error points at the enclosing mapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.policies.errors import PolicyError

Loc = Sequence[str | int]


def format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class YamlDoc:
    display: str
    data: Any
    root: yaml.Node | None

    @classmethod
    def parse(cls, raw: bytes, display: str) -> YamlDoc:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyError(display, f"not UTF-8 text (byte {exc.start})") from None
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            if root is not None:
                _reject_duplicate_keys(root, display)
            data = loader.construct_document(root) if root is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or "invalid YAML"
            context = f" {exc.context}" if exc.context else ""
            reason = f"YAML syntax error: {problem}{context}"
            if mark is None:
                raise PolicyError(display, reason) from None
            raise PolicyError(display, reason, mark.line + 1, mark.column + 1) from None
        except yaml.YAMLError as exc:
            raise PolicyError(display, f"YAML error: {exc}") from None
        finally:
            loader.dispose()
        if data is None:
            raise PolicyError(display, "file is empty")
        return cls(display=display, data=data, root=root)

    @classmethod
    def read(cls, path: Path, display: str | None = None) -> YamlDoc:
        return cls.parse(path.read_bytes(), display or str(path))

    def node_at(self, loc: Loc) -> yaml.Node | None:
        """The node ``loc`` names; for a key whose value is a block collection, the key itself
        (so ``matrix.tin`` points at the ``tin:`` line, not the line below it)."""
        node = self.root
        key: yaml.Node | None = None
        for part in loc:
            found = _child_with_key(node, part)
            if found is not None:
                key, node = found
            else:
                key = None
        if key is not None and isinstance(node, yaml.CollectionNode) and not node.flow_style:
            return key
        return node

    def clean_loc(self, loc: Loc) -> list[str | int]:
        """Drop path parts that are not in the file (e.g. a union tag pydantic adds), except the last."""
        node = self.root
        kept: list[str | int] = []
        for index, part in enumerate(loc):
            child = _child(node, part)
            if child is not None:
                node = child
                kept.append(part)
            elif index == len(loc) - 1:
                kept.append(part)
        return kept

    def position(self, loc: Loc) -> tuple[int | None, int | None]:
        node = self.node_at(loc)
        if node is None:
            return None, None
        return node.start_mark.line + 1, node.start_mark.column + 1

    def error(self, loc: Loc, reason: str, more: int = 0) -> PolicyError:
        line, column = self.position(loc)
        where = format_loc(loc)
        text = f"{where}: {reason}" if where else reason
        return PolicyError(self.display, text, line, column, more)


def _child_with_key(node: yaml.Node | None, part: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    """(key node or None for sequence items, value node) for one path part, or None if absent."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
        return None
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None


def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
    found = _child_with_key(node, part)
    return found[1] if found is not None else None


def _reject_duplicate_keys(node: yaml.Node, display: str) -> None:
    stack: list[yaml.Node] = [node]
    seen_nodes: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen_nodes:
            continue
        seen_nodes.add(id(current))
        if isinstance(current, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    if key.value in keys:
                        mark = key.start_mark
                        raise PolicyError(display, f"duplicate key {key.value!r}", mark.line + 1, mark.column + 1)
                    keys.add(key.value)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
