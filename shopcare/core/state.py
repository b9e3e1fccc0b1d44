"""What shopcare keeps for one app, and what each domain declares into it.

``ShopCare.init_app`` makes one :class:`State` per app and hands it to each part of
its one list of features (the core's own parts, then each domain's
``init_app(app, state)``); each declares what it adds — settings, blueprints, CLI
commands, jobs and periodic tasks, home cards, order-page panels, staff pages, API
operations and their schemas, template folders, event names — and ``shopcare.core.wiring.mount``
then installs all of it on the app. Nothing registers itself when a module is
imported, and nothing is kept per process: two apps in one process stay apart.

The state lives in ``app.extensions["shopcare"]``; code reaches it with
:func:`get_state`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import Blueprint, Flask, current_app

F = TypeVar("F", bound=Callable[..., Any])
Schema = dict[str, Any]
#: A job handler: runs one job of its kind with the job's payload.
JobHandler = Callable[[dict[str, Any]], None]
#: A periodic task: runs with no arguments, in an app context.
Task = Callable[[], None]
#: A mail hook: called by the worker just before it sends an e-mail queued with
#: ``hook=`` (its payload as argument); returns extra headers, or ``None`` not to send it.
MailHook = Callable[[dict[str, Any]], "dict[str, str] | None"]

#: The ``kind`` of an outbox e-mail item; every other kind is a job (``State.add_job``).
MAIL_KIND = "mail"
#: The places on the order page where features add panels.
ORDER_PANEL_SLOTS = ("returns", "guarantees", "questions")


# -- what features declare -------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One view routed on an area the declaring module does not own (the JSON API, the
    staff pages). Its endpoint is ``<area>.<endpoint>`` (``shopcare.api.record_order``)."""

    rule: str
    view: Callable[..., Any]
    methods: tuple[str, ...]
    endpoint: str


class Routes:
    """The views one module routes on a shared area, declared beside them and added to
    an app by the domain's wiring (a blueprint's deferred routes, without the blueprint)::

        routes = Routes()

        @routes.post("/orders")
        def record_order(): ...

        # wiring: state.add_api(routes)
    """

    def __init__(self) -> None:
        self._routes: list[Route] = []

    def route(
        self, rule: str, *, methods: Iterable[str] = ("GET",), endpoint: str | None = None
    ) -> Callable[[F], F]:
        """Decorator: route the view at ``rule`` (relative to the area's URL prefix)."""

        def decorator(view: F) -> F:
            name = endpoint or view.__name__
            self._routes.append(Route(rule, view, tuple(m.upper() for m in methods), name))
            return view

        return decorator

    def get(self, rule: str, *, endpoint: str | None = None) -> Callable[[F], F]:
        return self.route(rule, methods=("GET",), endpoint=endpoint)

    def post(self, rule: str, *, endpoint: str | None = None) -> Callable[[F], F]:
        return self.route(rule, methods=("POST",), endpoint=endpoint)

    def __iter__(self) -> Iterator[Route]:
        return iter(self._routes)


@dataclass(frozen=True)
class HomeCard:
    """One thing a shopper can do, shown as a card on the care home page."""

    title: str
    text: str
    url: str


@dataclass(frozen=True)
class OrderPanel:
    """A section a feature adds to the shopper's order page: a template rendered with
    the page's context (``order``, its lines loaded) plus ``context``.

    Panels render on every request, outside the cached tracking part of the page, so
    they may show per-request things (forms with CSRF tokens, what this viewer may
    do); ``tracking`` is not in their context (a cache hit never loads it)."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    #: The panel already written (``Markup``) by the template's Python twin, while the
    #: app loads the feature's own template; ``None``: the page includes ``template``.
    html: Any = None


@dataclass(frozen=True)
class NavItem:
    """One entry of the staff navigation: an endpoint and its (lazy) label."""

    endpoint: str
    label: Any
    #: How many things wait there, for the staff home (``None``: no count); one query.
    count: Callable[[], int] | None = None


@dataclass(frozen=True)
class Periodic:
    """A task run by the workers at most once per ``every``."""

    kind: str
    every: timedelta
    run: Task


def check_kind(kind: Any) -> str:
    from shopcare.core.errors import ValidationError

    if not isinstance(kind, str) or not kind.strip() or len(kind) > 64:
        raise ValidationError("kind", "a name of 1 to 64 characters is required")
    return kind


# -- the state -------------------------------------------------------------------------


@dataclass(eq=False)
class State:
    """Everything shopcare keeps for one app (``app.extensions["shopcare"]``).

    :param care: the :class:`~shopcare.ShopCare` mounted on the app.
    :param db: the host's Flask-SQLAlchemy object.
    """

    care: Any
    db: Any
    #: every setting shopcare knows on this app, with its default
    settings: dict[str, Any] = field(default_factory=dict)
    #: the domains' child blueprints (or functions that make one when the app is mounted)
    blueprints: list[Blueprint | Callable[[], Blueprint]] = field(default_factory=list)
    #: the commands under ``flask shopcare``
    commands: list[click.Command] = field(default_factory=list)
    #: job kind -> the function that runs a job of that kind
    jobs: dict[str, JobHandler] = field(default_factory=dict)
    #: periodic task kind -> the task
    periodic_tasks: dict[str, Periodic] = field(default_factory=dict)
    #: mail hook name -> the function the worker asks before sending (``add_mail_hook``)
    mail_hooks: dict[str, MailHook] = field(default_factory=dict)
    home_cards: list[Callable[[], HomeCard | None]] = field(default_factory=list)
    order_panels: dict[str, list[Callable[[Any], OrderPanel | None]]] = field(
        default_factory=lambda: {slot: [] for slot in ORDER_PANEL_SLOTS}
    )
    #: shopcare's own timeline template name -> the same entry rendered in Python
    #: (``add_timeline_entry``)
    timeline_entries: dict[str, Callable[[Any, Mapping[str, Any]], str]] = field(
        default_factory=dict
    )
    staff_pages: list[Route] = field(default_factory=list)
    staff_nav: list[NavItem] = field(default_factory=list)
    #: Endpoints a visitor without a login can use instead (a host without Flask-Login).
    guest_pages: list[str] = field(default_factory=list)
    api_routes: list[Route] = field(default_factory=list)
    #: pydantic models the document includes though no operation refers to them
    api_models: list[Any] = field(default_factory=list)
    #: the OpenAPI document's ``components.securitySchemes``
    security_schemes: dict[str, Schema] = field(default_factory=dict)
    #: where shopcare's templates are looked up, after the host's own templates
    template_folders: list[str] = field(default_factory=list)
    #: the event-log actions ``record_event`` accepts on this app (the vocabulary)
    event_names: set[str] = field(default_factory=set)
    #: each domain's part in a person's export and erasure (``shopcare.core.privacy``)
    privacy_parts: list[Any] = field(default_factory=list)

    # -- made when the app is mounted, or on first use
    #: the app's ``api`` child blueprint
    api_blueprint: Blueprint | None = None
    #: the Flask-Limiter that counts shopcare's rate limits (``None``: limits are off)
    limiter: Any = None
    #: the rendered-fragment cache (``shopcare.core.cache``)
    page_cache: Any = None
    #: compiled JSON-schema validators, by schema
    api_validators: dict[str, Any] = field(default_factory=dict)
    #: what a domain derives from its settings once per app (keyed by the domain's name)
    memo: dict[str, Any] = field(default_factory=dict)

    # -- declaring ---------------------------------------------------------------------

    def add_settings(self, defaults: Mapping[str, Any]) -> None:
        """Declare settings and their defaults (read with ``shopcare.core.config.setting``).

        :raises ValueError: if a setting is declared twice.
        """
        twice = sorted(set(defaults) & set(self.settings))
        if twice:
            raise ValueError(f"settings declared twice: {', '.join(twice)}")
        self.settings.update(defaults)

    def add_blueprint(self, blueprint: Blueprint | Callable[[], Blueprint]) -> None:
        """Nest a domain's child blueprint under ``shopcare`` (endpoints
        ``shopcare.<name>.<view>``); a function is called when the app is mounted."""
        self.blueprints.append(blueprint)

    def add_command(self, command: click.Command) -> None:
        """Add a command (or group) under ``flask shopcare``."""
        self.commands.append(command)

    def add_job(self, kind: str, handler: JobHandler) -> None:
        """Run ``handler(payload)`` for each outbox job of ``kind``.

        The worker calls it in an app context; what it writes through the session is
        committed together with marking the job done (do not commit yourself). Raising
        rolls that back and retries the job with back-off. A handler must be safe to
        run twice: a job is run *at least* once.

        :raises ValueError: if another function already handles ``kind``.
        """
        check_kind(kind)
        if kind == MAIL_KIND:
            raise ValueError(f"{MAIL_KIND!r} is the outbox's own kind for e-mails")
        known = self.jobs.get(kind)
        if known is not None and known is not handler:
            raise ValueError(f"job kind {kind!r} is already handled by {known.__qualname__}")
        self.jobs[kind] = handler

    def add_periodic(self, kind: str, task: Task, *, every: timedelta) -> None:
        """Run ``task()`` every ``every``, once per interval across all workers.

        Runs in an app context; its writes are committed after it returns (rolled back
        if it raises; the next run is still one interval later).

        :raises ValueError: for a bad interval, or a kind another task has.
        """
        check_kind(kind)
        if not isinstance(every, timedelta) or every <= timedelta(0):
            raise ValueError("every must be a positive timedelta")
        known = self.periodic_tasks.get(kind)
        if known is not None and known.run is not task:
            raise ValueError(f"periodic task {kind!r} is already {known.run.__qualname__}")
        self.periodic_tasks[kind] = Periodic(kind, every, task)

    def add_mail_hook(self, name: str, hook: MailHook) -> None:
        """Let ``hook(payload)`` decide, at send time, whether an e-mail queued with
        ``enqueue_mail(..., hook=name)`` still goes out (``None``: it is dropped, marked
        done unsent) and which extra headers it carries (``List-Unsubscribe`` …).

        What was true when the mail was queued may no longer be when a worker sends it
        (the survey was answered, the address unsubscribed meanwhile).

        :raises ValueError: if another function already has ``name``.
        """
        check_kind(name)
        known = self.mail_hooks.get(name)
        if known is not None and known is not hook:
            raise ValueError(f"mail hook {name!r} is already {known.__qualname__}")
        self.mail_hooks[name] = hook

    def add_home_card(self, factory: Callable[[], HomeCard | None]) -> None:
        """Show a card on the care home page: ``factory()`` returns it (``None`` hides it)."""
        self.home_cards.append(factory)

    def add_order_panel(self, slot: str, factory: Callable[[Any], OrderPanel | None]) -> None:
        """Add a panel to the order page's ``slot`` (``returns``, ``guarantees``,
        ``questions``). ``factory(order)`` (its lines are loaded) returns the panel, or
        ``None`` to show nothing; it runs on every request, so it must be cheap (at
        most a query or two, never one per line).

        :raises ValueError: for an unknown slot.
        """
        if slot not in self.order_panels:
            raise ValueError(
                f"unknown order page slot {slot!r}; known: {', '.join(self.order_panels)}"
            )
        self.order_panels[slot].append(factory)

    def add_timeline_entry(
        self, template: str, render: Callable[[Any, Mapping[str, Any]], str]
    ) -> None:
        """Render shopcare's own timeline template ``template`` (``shopcare/timeline/…``)
        on the order page with ``render(event, names)`` instead: the same HTML (as
        ``Markup``), made in Python without Jinja's call machinery. ``names`` are what
        the template sees (``_sc``, ``tracking``, ``shopcare_status_label`` …) and ``memo``, a
        dict the renderers may keep per-page results in (a label translated once). The
        order page uses it only while the app loads shopcare's own file under that name:
        a host's template of the same name is rendered as a template.

        :raises ValueError: if another function already renders ``template``.
        """
        known = self.timeline_entries.get(template)
        if known is not None and known is not render:
            raise ValueError(f"{template!r} is already rendered by {known.__qualname__}")
        self.timeline_entries[template] = render

    def add_staff_pages(self, routes: Iterable[Route]) -> None:
        """Route pages under the staff area (``/care/staff``, endpoints
        ``shopcare.staff.<view>``); each view must be ``@staff_required``."""
        self.staff_pages.extend(routes)

    def add_staff_nav(
        self, endpoint: str, label: Any, count: Callable[[], int] | None = None
    ) -> None:
        """List a staff page in the staff navigation (once per endpoint); ``count()``
        says how many things wait there (the staff home shows it; keep it to one query)."""
        if all(item.endpoint != endpoint for item in self.staff_nav):
            self.staff_nav.append(NavItem(endpoint, label, count))

    def add_guest_page(self, endpoint: str) -> None:
        """Offer ``endpoint`` to visitors when a page needs a login the host does not
        have (no Flask-Login): they are sent there instead of getting a bare 401."""
        if endpoint not in self.guest_pages:
            self.guest_pages.append(endpoint)

    def add_api(
        self,
        routes: Iterable[Route],
        *,
        models: Iterable[Any] = (),
        security_schemes: Mapping[str, Schema] | None = None,
    ) -> None:
        """Route JSON endpoints under the API (``/care/api/v1``, endpoints
        ``shopcare.api.<view>``), with the security schemes their OpenAPI operations
        refer to. The pydantic shapes the operations use are found from the operations
        (their component schemas come from the models); ``models`` adds others."""
        self.api_routes.extend(routes)
        self.api_models.extend(model for model in models if model not in self.api_models)
        self.security_schemes.update(security_schemes or {})

    def add_events(self, names: Iterable[str]) -> None:
        """Declare event-log actions (``"<kind>.<what happened>"``) that
        :func:`~shopcare.core.events.record_event` may write on this app; it refuses any
        other. Declaring a name twice is harmless (two domains may share one).

        :raises ValueError: for a name that is not 1 to 64 characters of text.
        """
        if isinstance(names, str):
            raise ValueError("give a list of event names, not one string")
        for name in names:
            if not isinstance(name, str) or not name.strip() or len(name) > 64:
                raise ValueError(f"an event name is 1 to 64 characters of text, not {name!r}")
            self.event_names.add(name)

    def add_privacy_part(self, part: Any) -> None:
        """Declare what this domain holds about a person: a
        :class:`shopcare.core.privacy.PrivacyPart` (its export and its erasure).

        :raises ValueError: if another part has the same name.
        """
        if any(known.name == part.name for known in self.privacy_parts):
            raise ValueError(f"privacy part {part.name!r} is declared twice")
        self.privacy_parts.append(part)

    def add_templates(self, folder: str | Path) -> None:
        """Look up shopcare templates in ``folder`` too (after the host's own folder, so
        the host still overrides any page)."""
        path = str(folder)
        if path not in self.template_folders:
            self.template_folders.append(path)


def get_state(app: Flask | None = None) -> State:
    """The :class:`State` of ``app`` (default: the current app).

    :raises RuntimeError: when shopcare is not mounted on the app.
    """
    target = app if app is not None else current_app
    try:
        state: State = target.extensions["shopcare"]
    except KeyError:
        raise RuntimeError(
            "shopcare is not initialised on this app: ShopCare(app, db=db)"
        ) from None
    return state
