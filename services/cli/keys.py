"""``summarization keys``: make, list and revoke the API keys of calling services.

    summarization keys create --tenant billing --scopes submit,read [--rate 20 --burst 40]
    summarization keys list [--all]
    summarization keys revoke <key id>

Keys live (hashed) in the store at ``DATABASE_URL``; the gateways read them from there,
so a new key works at once and a revoked one stops within ``API_KEY_CACHE_SECONDS``.
``create`` prints the key on stdout, alone, once: it cannot be shown again.
"""

import argparse
import json
import sys

from sqlalchemy.orm import Session

from shared.api_keys import Scope, parse_scopes
from shared.redaction import reveal
from shared.store import ApiKeyRow, Database
from shared.store import api_keys as store


def add_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    keys = sub.add_parser("keys", help="make, list or revoke API keys")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a key and print it (once)")
    create.add_argument("--tenant", required=True, help="the calling service (owner of its data)")
    create.add_argument(
        "--scopes", default="submit,read", help="comma-separated: submit, read, admin"
    )
    create.add_argument("--rate", type=float, help="requests per second (0: no limit)")
    create.add_argument("--burst", type=int, help="requests at once before the rate applies")
    create.add_argument("--note", help="what the key is for")
    listing = actions.add_parser("list", help="one JSON object per key (never the key)")
    listing.add_argument("--all", action="store_true", help="revoked keys too")
    revoke = actions.add_parser("revoke", help="revoke a key by its id")
    revoke.add_argument("key_id")


def run(args: argparse.Namespace, database_url: str) -> int:
    db = Database(database_url)
    try:
        db.create_schema()
        with db.session() as session:
            if args.action == "create":
                return _create(session, args)
            if args.action == "list":
                for row in store.list_keys(session, include_revoked=args.all):
                    print(json.dumps(describe(row)))
                return 0
            if store.revoke_key(session, args.key_id):
                print(f"revoked {args.key_id}", file=sys.stderr)
                return 0
            print(f"no active key {args.key_id}", file=sys.stderr)
            return 1
    finally:
        db.dispose()


def _create(session: Session, args: argparse.Namespace) -> int:
    try:
        scopes: frozenset[Scope] = parse_scopes(args.scopes)
        if (args.rate is not None and args.rate < 0) or (args.burst is not None and args.burst < 1):
            raise ValueError("--rate must be >= 0 and --burst >= 1")
        made = store.create_key(
            session,
            args.tenant,
            scopes,
            rate_per_second=args.rate,
            burst=args.burst,
            note=args.note,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"key {made.row.id} for tenant {made.row.tenant} ({made.row.scopes});"
        " shown once, keep it secret:",
        file=sys.stderr,
    )
    reveal(made.token)  # stdout masks keys: this one is shown on purpose, once
    return 0


def describe(row: ApiKeyRow) -> dict[str, object]:
    return {
        "id": row.id,
        "tenant": row.tenant,
        "scopes": row.scopes.split(","),
        "rate_per_second": row.rate_per_second,
        "burst": row.burst,
        "development": row.development,
        "note": row.note,
        "created_at": row.created_at.isoformat(),
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def development_key(database_url: str, current: str = "") -> tuple[str, bool]:
    """The key ``summarization run`` hands out: ``current`` when it is an active key of
    the store, else a new development key (every scope, the default tenant) that replaces
    the earlier ones. (key, made now)."""
    from shared.api_keys import DEFAULT_TENANT, key_hash

    db = Database(database_url)
    try:
        db.create_schema()
        with db.session() as session:
            if current and store.find_active(session, key_hash(current)) is not None:
                return current, False
            store.revoke_development_keys(session)
            made = store.create_key(
                session,
                DEFAULT_TENANT,
                frozenset(Scope),
                development=True,
                note="made by summarization run",
            )
            return made.token, True
    finally:
        db.dispose()
