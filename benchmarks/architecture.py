"""Architecture figures: lines per package, the longest modules, function-level imports of project code.

Usage: python benchmarks/architecture.py [ROOT]   (ROOT defaults to the repository this file is in)
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from pathlib import Path

PROJECT = ("bot", "retrieval", "connectors", "slackdouble")


def python_files(root: Path) -> list[Path]:
    return sorted(p for top in PROJECT if (root / top).is_dir() for p in (root / top).rglob("*.py"))


def package_of(root: Path, path: Path) -> str:
    parts = path.relative_to(root).parts
    return "/".join(parts[:2]) if parts[0] == "bot" and len(parts) > 2 else parts[0]


def function_level_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """Imports of project modules inside a function body (the hidden edges a reader cannot see at the top)."""
    found: list[tuple[int, str]] = []
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PROJECT:
                found.append((node.lineno, node.module))
            elif isinstance(node, ast.Import):
                found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] in PROJECT]
    return found


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    lines: Counter[str] = Counter()
    sizes: list[tuple[int, str]] = []
    inner: list[tuple[str, int, str]] = []
    for path in python_files(root):
        text = path.read_text()
        n = text.count("\n")
        rel = str(path.relative_to(root))
        lines[package_of(root, path)] += n
        sizes.append((n, rel))
        inner += [(rel, line, mod) for line, mod in function_level_imports(ast.parse(text))]
    print("lines per package:")
    for pkg, n in sorted(lines.items(), key=lambda kv: -kv[1]):
        print(f"  {pkg:28s} {n:6d}")
    print("longest modules:")
    for n, rel in sorted(sizes, reverse=True)[:10]:
        print(f"  {rel:50s} {n:6d}")
    print(f"function-level imports of project modules: {len(inner)}")
    per_file = Counter(rel for rel, _, _ in inner)
    for rel, n in per_file.most_common(5):
        print(f"  {rel:50s} {n:4d}")


if __name__ == "__main__":
    main()
