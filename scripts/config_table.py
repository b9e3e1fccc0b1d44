#!/usr/bin/env python3
"""Print the README's configuration table from the settings' sources (defaults and comments):
the core's ``DEFAULTS`` and each domain's ``SETTINGS``.

``tests/test_readme.py`` checks that the README holds exactly this table.
"""

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
    (PACKAGE / "surveys" / "settings.py", "SETTINGS"),
    (PACKAGE / "feedback" / "settings.py", "SETTINGS"),
    (PACKAGE / "insights" / "settings.py", "SETTINGS"),
]


def table() -> str:
    """The configuration table, as Markdown."""
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for source, name in SOURCES:
        rows += _rows(source.read_text(), name, str(source.relative_to(PACKAGE.parent)))
    return "\n".join(rows) + "\n"


def _rows(text: str, name: str, path: str) -> list[str]:
    lines = text.splitlines()
    tree = ast.parse(text)
    defaults = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == name
    )
    assert isinstance(defaults, ast.Dict)
    rows = []
    for key, value in zip(defaults.keys, defaults.values, strict=True):
        assert isinstance(key, ast.Constant)
        source = ast.get_source_segment(text, value) or ""
        # A long default is not repeated here (and no code span nests in another).
        if isinstance(value, ast.Name):
            shown = f"`{source}` (see [{_imported_from(tree, value.id)}]({_imported_from(tree, value.id)}))"
        elif "\n" in source:
            shown = f"see [{path}]({path})"
        else:
            shown = f"`{source}`"
        line = lines[value.end_lineno - 1]  # type: ignore[operator]
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
        comment = re.sub(r"\s+", " ", comment).replace("|", "\\|").replace("``", "`")
        rows.append(f"| `{key.value}` | {shown} | {comment} |")
    return rows


def _imported_from(tree: ast.Module, name: str) -> str:
    """The file a module-level ``from x import name`` reads ``name`` from."""
    module = next(
        node.module
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and any(alias.name == name for alias in node.names)
    )
    return f"{(module or '').replace('.', '/')}.py"


def main() -> None:
    print(table(), end="")


if __name__ == "__main__":
    main()
