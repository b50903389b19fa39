"""``summarization``: the operator's command line."""

import argparse
import contextlib
import sys

from shared.logging import configure_logging
from shared.settings import CommonSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="summarization", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start every service (and Redis if none is reachable)")
    run.add_argument("--no-demo", action="store_true", help="do not load the demo sessions")
    demo = sub.add_parser("demo", help="load the demo sessions into a running gateway")
    demo.add_argument("--url", default="http://127.0.0.1:8000")
    sub.add_parser("export-schemas", help="write contracts/schemas/*.json")
    flower = sub.add_parser("flower", help="start Flower (Celery monitoring) with basic auth")
    flower.add_argument("flower_args", nargs=argparse.REMAINDER, help="passed on to Flower")
    redrive = sub.add_parser("redrive", help="list dead letters, or submit them again")
    redrive.add_argument("action", choices=["list", "submit"])
    redrive.add_argument("--dlq", choices=["requested", "tasks", "all"], default="all")
    redrive.add_argument("--id", action="append", default=[], help="entry id (repeatable)")
    redrive.add_argument("--match", help="entries whose reason or task id contains this")
    redrive.add_argument("--all", action="store_true", help="every entry of --dlq")
    redrive.add_argument("--dry-run", action="store_true", help="show, do not submit")
    alerts = sub.add_parser("alert-log", help="an Alertmanager webhook that logs each alert")
    alerts.add_argument("--host", default="0.0.0.0")
    alerts.add_argument("--port", type=int, default=9095)
    args = parser.parse_args(argv)

    settings = CommonSettings()
    configure_logging("cli", settings.log_level, settings.log_format)
    if args.command == "run":
        from services.cli.supervisor import run as run_all

        return run_all(demo=not args.no_demo)
    if args.command == "flower":
        from services.cli.flower import start_flower
        from services.cli.settings import FlowerSettings

        return start_flower(FlowerSettings(), args.flower_args)
    if args.command == "redrive":
        return _redrive(args, settings)
    if args.command == "alert-log":
        from services.cli.alert_log import AlertLog

        with contextlib.suppress(KeyboardInterrupt):
            AlertLog(args.port, args.host).serve_forever()
        return 0
    if args.command == "demo":
        from services.cli.demo import load_demo

        load_demo(args.url)
        return 0
    from contracts.export import main as export

    return export([])


def _redrive(args: argparse.Namespace, settings: CommonSettings) -> int:
    import json

    from services.cli.redrive import Redrive
    from shared.celery_app import make_celery
    from shared.redis_client import sync_redis

    tool = Redrive(settings, sync_redis(settings.redis_url), make_celery(settings))
    if args.action == "list":
        for letter in tool.entries(args.dlq):
            print(json.dumps(letter.as_dict()))
        return 0
    if not (args.id or args.match or args.all):
        print("choose entries with --id, --match or --all", file=sys.stderr)
        return 2
    chosen = tool.select(args.dlq, args.id, args.match, args.all)
    for letter in chosen:
        print(
            f"would redrive {letter.entry_id} ({letter.task_id})"
            if args.dry_run
            else tool.submit(letter)
        )
    print(f"{len(chosen)} entr{'y' if len(chosen) == 1 else 'ies'} selected", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
