"""What the host's base template (``SHOPCARE_BASE_TEMPLATE``) offers shopcare's pages.

Every shopcare page extends ``shopcare/_host_layout.html``, which extends the host's
base and puts shopcare's stylesheet and page scripts where that base can show them:
in its ``head`` and ``scripts`` blocks when it has them, otherwise at the top of
``content`` (each page's ``content`` block starts with ``{{ super() }}`` for this).
Which blocks the base renders is read once per template from its Jinja syntax tree,
following ``{% extends %}`` to the root layout.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask, current_app
from jinja2 import Environment, Template, TemplateNotFound, nodes

from shopcare.core.config import setting

#: shopcare's stylesheet, as a base template that loads it itself names it.
STYLESHEET = "shopcare/shopcare.css"
#: Blocks shopcare's pages fill; ``content`` is the one they cannot do without.
PAGE_BLOCKS = ("title", "head", "content", "scripts")


@dataclass(frozen=True)
class BaseLayout:
    """The host's base template as shopcare's pages see it.

    :ivar name: the template's name (``SHOPCARE_BASE_TEMPLATE``).
    :ivar blocks: the names of the blocks it renders (a child template's blocks
        count only where its parent renders them).
    :ivar loads_stylesheet: whether it (or a template it extends or includes)
        links shopcare's stylesheet itself.
    :ivar resolved: ``False`` when part of it could not be read (an ``extends`` or
        ``include`` of a computed name, or a missing template): ``blocks`` is then a guess.
    """

    name: str
    blocks: frozenset[str]
    loads_stylesheet: bool
    resolved: bool = True

    @property
    def missing(self) -> list[str]:
        """Which of :data:`PAGE_BLOCKS` it lacks."""
        return [block for block in PAGE_BLOCKS if block not in self.blocks]

    @property
    def stylesheet_in(self) -> str | None:
        """Where shopcare adds its stylesheet: ``"head"``, ``"content"`` or ``None``
        (the base loads it itself)."""
        if self.loads_stylesheet:
            return None
        return "head" if "head" in self.blocks else "content"


# Per Jinja template object (so per app, and afresh when a template is reloaded):
# the templates it was read from, and what was read.
_seen: weakref.WeakKeyDictionary[Template, tuple[tuple[Template, ...], BaseLayout]] = (
    weakref.WeakKeyDictionary()
)


def base_layout(app: Flask | None = None, *, name: str | None = None) -> BaseLayout:
    """The :class:`BaseLayout` of ``SHOPCARE_BASE_TEMPLATE`` (or of the template
    ``name``: the staff pages' ``SHOPCARE_STAFF_BASE_TEMPLATE``) in ``app`` (default:
    the current app). Read once; read again when one of its templates is reloaded.

    :raises jinja2.TemplateNotFound: when the base template does not exist.
    """
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    env = app.jinja_env
    name = name or str(setting("SHOPCARE_BASE_TEMPLATE", app))
    template = env.get_template(name)
    known = _seen.get(template)
    if known is not None:
        chain, layout = known
        if all(env.get_template(t.name) is t for t in chain if t.name):
            return layout
    reader = _Reader(env)
    layout = reader.read(name)
    _seen[template] = (tuple(reader.templates), layout)
    return layout


class _Reader:
    """Reads a template's blocks and stylesheet link through its ``extends`` chain."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.templates: list[Template] = []
        self.resolved = True

    def read(self, name: str) -> BaseLayout:
        blocks, stylesheet = self._template(name, set())
        return BaseLayout(name, frozenset(blocks), stylesheet, self.resolved)

    def _parse(self, name: str) -> tuple[nodes.Template, str] | None:
        try:
            self.templates.append(self.env.get_template(name))
            source = self.env.loader.get_source(self.env, name)[0] if self.env.loader else ""
        except TemplateNotFound:
            self.resolved = False
            return None
        return self.env.parse(source, name), source

    def _template(self, name: str, seen: set[str]) -> tuple[set[str], bool]:
        if name in seen:  # a loop: Jinja would refuse it when rendering
            self.resolved = False
            return set(), False
        seen = seen | {name}
        parsed = self._parse(name)
        if parsed is None:
            return set(), False
        tree, source = parsed
        stylesheet = STYLESHEET in source or self._includes_stylesheet(tree, seen)
        extends = tree.find(nodes.Extends)
        if extends is None:
            return {block.name for block in tree.find_all(nodes.Block)}, stylesheet
        parent = _constant(extends.template)
        outer = list(_outer_blocks(tree))
        if parent is None:
            self.resolved = False
            return {block.name for block in tree.find_all(nodes.Block)}, stylesheet
        rendered, parent_stylesheet = self._template(parent, seen)
        blocks = set(rendered)
        for block in outer:
            if block.name in rendered:  # a block the parent has no place for never renders
                blocks.update(inner.name for inner in block.find_all(nodes.Block))
        return blocks, stylesheet or parent_stylesheet

    def _includes_stylesheet(self, tree: nodes.Template, seen: set[str]) -> bool:
        for include in tree.find_all(nodes.Include):
            name = _constant(include.template)
            if name is None or name in seen:
                continue
            parsed = self._parse(name)
            if parsed is not None and (
                STYLESHEET in parsed[1] or self._includes_stylesheet(parsed[0], seen | {name})
            ):
                return True
        return False


def _constant(node: nodes.Expr) -> str | None:
    """A template name written as a string literal, or ``None`` (a computed name)."""
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value
    return None


def _outer_blocks(node: nodes.Node) -> Iterator[nodes.Block]:
    """The blocks of ``node`` that are not inside another block."""
    for child in node.iter_child_nodes():
        if isinstance(child, nodes.Block):
            yield child
        else:
            yield from _outer_blocks(child)
