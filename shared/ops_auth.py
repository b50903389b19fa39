"""Who may read an ops server's ``/metrics`` once it is exposed beyond loopback.

On loopback the metrics are the host operator's. An ops server that listens on another
address (``OPS_HOST``) serves them to an admin key only (``Authorization: Bearer ...``,
the keys of ``summarization keys``), unless ``OPS_METRICS_PUBLIC`` opens them. Answers are
reused for ``API_KEY_CACHE_SECONDS``, as the gateway does: a revoked key stops working
within that time, without a restart.
"""

import ipaddress
import threading
from collections.abc import Callable
from time import monotonic

from shared.api_keys import TOKEN_PATTERN, Scope, key_hash
from shared.logging import get_logger
from shared.store import Database
from shared.store import api_keys as store

log = get_logger(__name__)

Authorize = Callable[[str | None], bool]
"""Given the request's ``Authorization`` header (or None): may it read the metrics?"""


class AdminKeys:
    def __init__(self, db: Database, ttl: float, max_entries: int = 1_000) -> None:
        self._db = db
        self._ttl = ttl
        self._max = max_entries
        self._answers: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def __call__(self, authorization: str | None) -> bool:
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not TOKEN_PATTERN.fullmatch(token):
            return False  # not even shaped like a key: no store read
        digest = key_hash(token)
        now = monotonic()
        with self._lock:
            hit = self._answers.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        allowed = self._load(digest)
        with self._lock:
            if len(self._answers) >= self._max:
                self._answers.pop(next(iter(self._answers)))
            self._answers[digest] = (now + self._ttl, allowed)
        return allowed

    def _load(self, digest: str) -> bool:
        try:
            with self._db.session() as session:
                row = store.find_active(session, digest)
                return row is not None and Scope.ADMIN in store.scopes_of(row)
        except Exception as exc:  # the key store unreachable: refuse, and say why
            log.warning("ops_key_store_unavailable", error=f"{type(exc).__name__}: {exc}")
            return False


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_authorization(
    host: str, public: bool, database_url: str, ttl: float
) -> Authorize | None:
    """The check an ops server on ``host`` applies to ``/metrics``; None: open."""
    if public or is_loopback(host):
        return None
    return AdminKeys(Database(database_url), ttl)
