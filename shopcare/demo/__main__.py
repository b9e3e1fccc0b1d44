"""``python -m shopcare.demo seed|serve|flask --database PATH`` (also the ``shopcare-demo`` script).

python -m shopcare.demo seed --database instance/demo.sqlite
python -m shopcare.demo serve --database instance/demo.sqlite --port 5000
python -m shopcare.demo flask --database instance/demo.sqlite shopcare work   # any `flask` command
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shopcare.demo.seed import SHOPPER, STAFF

DEFAULT_DATABASE = "instance/demo.sqlite"


def database_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def cmd_seed(args: argparse.Namespace) -> int:
    from shopcare.demo.app import create_app
    from shopcare.demo.extensions import db
    from shopcare.demo.seed import seed

    path: Path = args.database
    if path.exists():
        if not args.force:
            print(f"{path} already exists; use --force to start again", file=sys.stderr)
            return 1
        path.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    app = create_app(database_url(path))
    ctx = seed(app, seed=args.seed, days=args.days)
    with app.app_context():
        db.engine.dispose()
    report = ", ".join(f"{count} {name}" for name, count in ctx.report.items())
    print(f"Seeded {path}: {report}.")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from shopcare.demo.app import create_app
    from shopcare.demo.seed import create_tables

    path: Path = args.database
    path.parent.mkdir(parents=True, exist_ok=True)
    fresh = not path.exists()
    app = create_app(database_url(path))
    create_tables(app)
    url = f"http://{args.host}:{args.port}/"
    care_url = url.rstrip("/") + app.config["SHOPCARE_URL_PREFIX"] + "/"
    print(f"Casa Verde is open at {url}  (customer care: {care_url})")
    print(f"  shopper: {SHOPPER[0]} / {SHOPPER[1]}")
    print(f"  staff:   {STAFF[0]} / {STAFF[1]}")
    if fresh:
        print(f"  the database is empty: run `python -m shopcare.demo seed --database {path}`")
    app.run(host=args.host, port=args.port, threaded=True, debug=args.debug, use_reloader=False)
    return 0


def cmd_flask(args: argparse.Namespace) -> int:
    """Run a ``flask`` command (``shopcare work``, ``shopcare outbox list`` …) on the demo."""
    from flask.cli import FlaskGroup

    from shopcare.demo.app import create_app

    url = database_url(args.database)
    group = FlaskGroup(create_app=lambda: create_app(url), load_dotenv=False)
    group.main(args=args.rest, prog_name="shopcare-demo flask", standalone_mode=False)
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="shopcare-demo", description="Casa Verde, the shopcare demo shop."
    )
    commands = top.add_subparsers(dest="command", required=True)

    seed = commands.add_parser("seed", help="create and fill a demo database")
    seed.add_argument("--database", type=Path, default=Path(DEFAULT_DATABASE))
    seed.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    seed.add_argument("--days", type=int, default=365, help="days of history (default 365)")
    seed.add_argument("--force", action="store_true", help="replace an existing database")
    seed.set_defaults(run=cmd_seed)

    serve = commands.add_parser("serve", help="serve the shop with Flask's development server")
    serve.add_argument("--database", type=Path, default=Path(DEFAULT_DATABASE))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--debug", action="store_true", help="Flask debug mode (never in public)")
    serve.set_defaults(run=cmd_serve)

    flask = commands.add_parser(
        "flask", help="run a flask command on the demo, e.g. `shopcare work` or `shopcare --help`"
    )
    flask.add_argument("--database", type=Path, default=Path(DEFAULT_DATABASE))
    flask.add_argument("rest", nargs=argparse.REMAINDER, help="the flask command and its options")
    flask.set_defaults(run=cmd_flask)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
