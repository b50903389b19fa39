"""Who a Bearer key belongs to, from the key store, each answer reused briefly.

A revoked key stops working within ``API_KEY_CACHE_SECONDS`` in every gateway process:
nothing has to tell them, their cached answers simply expire.
"""

from dataclasses import dataclass
from time import monotonic

from starlette.concurrency import run_in_threadpool

from shared.api_keys import TOKEN_PATTERN, Scope, key_hash
from shared.logging import get_logger
from shared.store import Database
from shared.store import api_keys as store

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated caller: its tenant and what its key may do."""

    tenant: str
    scopes: frozenset[Scope]
    key_id: str
    rate_per_second: float
    burst: int


class KeyCache:
    def __init__(
        self, db: Database, ttl: float, rate: float, burst: int, max_entries: int = 10_000
    ) -> None:
        self._db = db
        self._ttl = ttl
        self._rate = rate
        self._burst = burst
        self._max = max_entries
        self._entries: dict[str, tuple[float, Caller | None]] = {}

    async def lookup(self, token: str) -> Caller | None:
        """The caller whose active key this is; None for anything else."""
        if not TOKEN_PATTERN.fullmatch(token):
            return None  # not even shaped like a key: no store read
        digest = key_hash(token)
        now = monotonic()
        hit = self._entries.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        caller = await run_in_threadpool(self._load, digest)
        self._entries.pop(digest, None)
        if len(self._entries) >= self._max:  # the oldest answer goes first
            self._entries.pop(next(iter(self._entries)))
        self._entries[digest] = (now + self._ttl, caller)
        return caller

    def _load(self, digest: str) -> Caller | None:
        with self._db.session() as db:
            row = store.find_active(db, digest)
            if row is None:
                return None
            return Caller(
                tenant=row.tenant,
                scopes=store.scopes_of(row),
                key_id=row.id,
                rate_per_second=self._rate if row.rate_per_second is None else row.rate_per_second,
                burst=self._burst if row.burst is None else row.burst,
            )


class KeyStoreRefused(RuntimeError):
    """The key store is not fit for this environment."""


def check_key_store(db: Database, production: bool) -> None:
    """At start-up: production refuses development keys (``summarization run`` makes
    them, with every scope); any environment says when no key exists (nobody can call)."""
    with db.session() as session:
        development = store.active_development_keys(session)
        active = store.list_keys(session)
    if production and development:
        raise KeyStoreRefused(
            f"development API key(s) {', '.join(development)} are active in production:"
            " revoke them (summarization keys revoke <id>)"
        )
    if not active:
        log.warning("no_api_keys", hint="summarization keys create --tenant <name>")
