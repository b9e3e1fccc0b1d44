#!/usr/bin/env python3
"""Print the README's configuration table from the settings' sources (defaults and comments):
the core's ``DEFAULTS`` and each domain's ``SETTINGS``."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "shopcare"
#: (file, name of its settings dict), in the order the table lists them.
SOURCES = [
    (PACKAGE / "core" / "config.py", "DEFAULTS"),
    (PACKAGE / "tracking" / "settings.py", "SETTINGS"),
    (PACKAGE / "cases" / "settings.py", "SETTINGS"),
]


def main() -> None:
    print("| setting | default | meaning |")
    print("|---|---|---|")
    for source, name in SOURCES:
        table(source.read_text(), name, str(source.relative_to(PACKAGE.parent)))


def table(text: str, name: str, path: str) -> None:
    lines = text.splitlines()
    tree = ast.parse(text)
    defaults = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == name
    )
    assert isinstance(defaults, ast.Dict)
    for key, value in zip(defaults.keys, defaults.values, strict=True):
        assert isinstance(key, ast.Constant)
        default = f"`{ast.get_source_segment(text, value) or ''}`"
        if isinstance(value, ast.Name):
            default = f"{default} (see `{imported_from(tree, value.id)}`)"
        elif "\n" in default:
            default = f"(see `{path}`)"
        line = lines[value.end_lineno - 1]
        comment = (
            line.split("#", 1)[1].strip()
            if "#" in line and not line.strip().startswith('"http')
            else ""
        )
        if not comment:
            # a comment block right above the key
            above = []
            index = key.lineno - 2
            while index >= 0 and lines[index].strip().startswith("#") and "--" not in lines[index]:
                above.insert(0, lines[index].strip().lstrip("# "))
                index -= 1
            comment = " ".join(above)
        comment = re.sub(r"\s+", " ", comment).replace("|", "\\|")
        print(f"| `{key.value}` | {default} | {comment} |")


def imported_from(tree: ast.Module, name: str) -> str:
    """The file a module-level ``from x import name`` reads ``name`` from."""
    module = next(
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and any(alias.name == name for alias in node.names)
    )
    return f"{(module or '').replace('.', '/')}.py"


if __name__ == "__main__":
    main()
