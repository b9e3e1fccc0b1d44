"""shopcare's pages inside the host's layout, whatever blocks its base template has:
the stylesheet and page scripts always arrive, once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jinja2 import FileSystemLoader, nodes

from shopcare.core.layout import base_layout
from tests.conftest import ROOT

STYLESHEET = '<link rel="stylesheet" href="/care/static/shopcare/shopcare.css">'

#: A real shop's base: a title and the page, no head or scripts block.
CONTENT_ONLY = """<!doctype html>
<html><head><title>{% block title %}{% endblock %} · Tea & Co</title>
<link rel="stylesheet" href="/static/shop.css"></head>
<body><nav>Tea & Co</nav><main>{% block content %}{% endblock %}</main>
<script src="/static/shop.js"></script></body></html>"""

WITH_HEAD = CONTENT_ONLY.replace("</head>", "{% block head %}{% endblock %}</head>")
WITH_BOTH = WITH_HEAD.replace("</body>", "{% block scripts %}{% endblock %}</body>")
LOADS_IT = WITH_BOTH.replace(
    "</title>", "</title><link rel=stylesheet href=\"{{ url_for('shopcare.static', "
    "filename='shopcare/shopcare.css') }}\">"
)  # fmt: skip

#: A host page overriding shopcare's care home, with a page script.
HOME_WITH_SCRIPT = """{% extends shopcare_base %}
{% block title %}Help{% endblock %}
{% block content %}{{ super() }}<div class="shopcare"><h1 id="home">Help</h1></div>{% endblock %}
{% block scripts %}{{ super() }}<script src="/static/care-home.js" defer></script>{% endblock %}"""


def host_templates(app: Flask, folder: Path, templates: dict[str, str]) -> None:
    """Give the host app a templates folder of its own with ``templates`` in it."""
    for name, source in templates.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(source)
    app.jinja_loader = FileSystemLoader(str(folder))  # type: ignore[method-assign]


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"SHOPCARE_BASE_TEMPLATE": "layout.html"}


def page(client: Any, url: str = "/care/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return str(response.text)


def test_a_base_with_only_content_still_gets_the_stylesheet(app, client, tmp_path):
    host_templates(app, tmp_path, {"layout.html": CONTENT_ONLY})
    for url in ("/care/", "/care/tracking/"):
        html = page(client, url)
        assert html.count(STYLESHEET) == 1
        body = html.split("<main>", 1)[1]
        assert body.index(STYLESHEET) < body.index('<div class="shopcare')
    assert base_layout().missing == ["head", "scripts"]


def test_page_scripts_come_with_the_content_when_the_base_has_no_scripts_block(
    app, client, tmp_path
):
    host_templates(
        app, tmp_path, {"layout.html": CONTENT_ONLY, "shopcare/index.html": HOME_WITH_SCRIPT}
    )
    main = page(client).split("<main>", 1)[1].split("</main>", 1)[0]
    assert '<script src="/static/care-home.js" defer></script>' in main
    assert STYLESHEET in main


def test_a_base_with_head_and_scripts_gets_them_there(app, client, tmp_path):
    host_templates(
        app, tmp_path, {"layout.html": WITH_BOTH, "shopcare/index.html": HOME_WITH_SCRIPT}
    )
    html = page(client)
    head, body = html.split("</head>", 1)
    assert html.count(STYLESHEET) == 1 and STYLESHEET in head
    main, after = body.split("</main>", 1)
    assert "care-home.js" not in main and "care-home.js" in after


def test_a_base_with_head_but_no_scripts_block(app, client, tmp_path):
    host_templates(
        app, tmp_path, {"layout.html": WITH_HEAD, "shopcare/index.html": HOME_WITH_SCRIPT}
    )
    html = page(client)
    assert STYLESHEET in html.split("</head>", 1)[0]
    assert "care-home.js" in html.split("<main>", 1)[1].split("</main>", 1)[0]


def test_a_base_that_loads_the_stylesheet_itself_gets_it_once(app, client, tmp_path):
    host_templates(app, tmp_path, {"layout.html": LOADS_IT})
    assert page(client).count("shopcare/shopcare.css") == 1
    assert base_layout().stylesheet_in is None


def test_blocks_are_read_through_extends_and_includes(app, client, tmp_path):
    host_templates(
        app,
        tmp_path,
        {
            "root.html": "<html><head>{% include 'head.html' %}{% block head %}{% endblock %}"
            "</head><body>{% block body %}{% endblock %}</body></html>",
            "head.html": "<link rel=stylesheet href=\"{{ url_for('shopcare.static', "
            "filename='shopcare/shopcare.css') }}\">",
            # ``scripts`` here has nowhere to go: root.html renders no such block
            "layout.html": "{% extends 'root.html' %}{% block body %}<main>"
            "{% block content %}{% endblock %}</main>{% endblock %}"
            "{% block scripts %}{% endblock %}",
        },
    )
    layout = base_layout()
    assert layout.blocks == {"head", "body", "content"} and layout.resolved
    assert layout.loads_stylesheet
    assert page(client).count("shopcare/shopcare.css") == 1


def readme_adapter() -> tuple[str, str]:
    """The README's adapter template and the host layout it adapts."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Your layout", 1)[1].split("\n#", 1)[0]
    host, adapter = re.findall(r"```jinja\n(.*?)```", section, flags=re.S)[:2]
    return host, adapter


def test_the_readme_adapter_maps_other_block_names(app, client, tmp_path):
    host, adapter = readme_adapter()
    name = re.search(r"templates/(\S+\.html)", adapter)
    assert name, "the adapter's first line names its file"
    host_templates(
        app,
        tmp_path,
        {"layout.html": host, name.group(1): adapter, "shopcare/index.html": HOME_WITH_SCRIPT},
    )
    app.config["SHOPCARE_BASE_TEMPLATE"] = name.group(1)
    assert set(base_layout().missing) == set()
    html = page(client)
    head, body = html.split("</head>", 1)
    assert STYLESHEET in head and "<title>Help · Tea & Co</title>" in head
    assert body.index('id="home"') < body.index("care-home.js")


@pytest.mark.browser
def test_styled_in_a_real_browser_and_the_hosts_colours_win(app, tmp_path, live_server, page):
    # The host's own stylesheet sets shopcare's accent; shopcare's loads later, in <body>.
    host_templates(app, tmp_path, {"layout.html": CONTENT_ONLY})
    static = tmp_path / "static"
    static.mkdir()
    (static / "shop.css").write_text(":root { --sc-accent: rgb(10, 120, 60); }")
    (static / "shop.js").write_text("")
    app.static_folder = str(static)
    url = live_server(app)
    page.goto(f"{url}/care/")
    card = page.locator(".sc-card").first
    assert card.evaluate("e => getComputedStyle(e).borderTopLeftRadius") == "10px"
    accent = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--sc-accent').trim()"
    )
    assert accent == "rgb(10, 120, 60)"


def test_every_shopcare_page_lets_the_layout_into_its_content():
    """Pages extending ``shopcare_base`` start ``content`` with ``{{ super() }}``: where the
    host's base has no head block, that is where the stylesheet goes."""
    from jinja2 import Environment

    env = Environment()
    folder = ROOT / "shopcare" / "templates"
    offenders = []
    for path in sorted(folder.rglob("*.html")):
        tree = env.parse(path.read_text())
        extends = tree.find(nodes.Extends)
        if not (isinstance(extends, nodes.Extends) and isinstance(extends.template, nodes.Name)):
            continue
        assert extends.template.name == "shopcare_base", path
        for block in tree.find_all(nodes.Block):
            if block.name != "content":
                continue
            first = next(
                (
                    node
                    for node in block.body
                    if not (
                        isinstance(node, nodes.Output)
                        and all(
                            isinstance(part, nodes.TemplateData) and not part.data.strip()
                            for part in node.nodes
                        )
                    )
                ),
                None,
            )
            calls = list(first.find_all(nodes.Call)) if first is not None else []
            if not any(
                isinstance(call.node, nodes.Name) and call.node.name == "super" for call in calls
            ):
                offenders.append(str(path.relative_to(folder)))
    assert not offenders, f"start the content block with {{{{ super() }}}}: {offenders}"
