"""``summarization``: the operator's command line."""

import argparse
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
    args = parser.parse_args(argv)

    settings = CommonSettings()
    configure_logging("cli", settings.log_level, settings.log_format)
    if args.command == "run":
        from services.cli.supervisor import run as run_all

        return run_all(demo=not args.no_demo)
    if args.command == "demo":
        from services.cli.demo import load_demo

        load_demo(args.url)
        return 0
    from contracts.export import main as export

    return export([])


if __name__ == "__main__":
    sys.exit(main())
