#!/usr/bin/env python3
"""Print the README's configuration table from shopcare/config.py (defaults and comments).

``tests/test_readme.py`` checks that the README holds exactly this table.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "shopcare" / "config.py"


def table() -> str:
    """The configuration table, as Markdown."""
    text = SOURCE.read_text()
    lines = text.splitlines()
    tree = ast.parse(text)
    defaults = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "DEFAULTS"
    )
    assert isinstance(defaults, ast.Dict)
    rows = ["| setting | default | meaning |", "|---|---|---|"]
    for key, value in zip(defaults.keys, defaults.values, strict=True):
        assert isinstance(key, ast.Constant)
        default = ast.get_source_segment(text, value) or ""
        # A long default is not repeated here (and no code span nests in another).
        shown = (
            "see [shopcare/config.py](shopcare/config.py)" if "\n" in default else f"`{default}`"
        )
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
        comment = re.sub(r"\s+", " ", comment).replace("|", "\\|").replace("``", "`")
        rows.append(f"| `{key.value}` | {shown} | {comment} |")
    return "\n".join(rows) + "\n"


def main() -> None:
    print(table(), end="")


if __name__ == "__main__":
    main()
