"""The API keys table: make, find, list and revoke keys (plain functions over a session)."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.api_keys import Scope, check_tenant, key_hash, new_token
from shared.store.models import ApiKeyRow, utcnow


@dataclass(frozen=True, slots=True)
class NewKey:
    row: ApiKeyRow
    token: str
    """The whole key: shown once, never stored."""


def create_key(
    db: Session,
    tenant: str,
    scopes: frozenset[Scope],
    rate_per_second: float | None = None,
    burst: int | None = None,
    development: bool = False,
    note: str | None = None,
) -> NewKey:
    check_tenant(tenant)
    if not scopes:
        raise ValueError("a key needs at least one scope")
    key_id, token = new_token()
    row = ApiKeyRow(
        id=key_id,
        key_hash=key_hash(token),
        tenant=tenant,
        scopes=",".join(sorted(scopes)),
        rate_per_second=rate_per_second,
        burst=burst,
        development=development,
        note=note,
        created_at=utcnow(),
    )
    db.add(row)
    db.flush()
    return NewKey(row, token)


def find_active(db: Session, digest: str) -> ApiKeyRow | None:
    """The unrevoked key with this hash."""
    stmt = select(ApiKeyRow).where(ApiKeyRow.key_hash == digest, ApiKeyRow.revoked_at.is_(None))
    return db.scalars(stmt).first()


def list_keys(db: Session, include_revoked: bool = False) -> list[ApiKeyRow]:
    stmt = select(ApiKeyRow).order_by(ApiKeyRow.tenant, ApiKeyRow.created_at)
    if not include_revoked:
        stmt = stmt.where(ApiKeyRow.revoked_at.is_(None))
    return list(db.scalars(stmt))


def revoke_key(db: Session, key_id: str) -> bool:
    """Revoke a key by its id; False when no active key has it."""
    row = db.get(ApiKeyRow, key_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


def revoke_development_keys(db: Session) -> int:
    """Revoke every development key (``summarization run`` makes one per run)."""
    stmt = select(ApiKeyRow).where(ApiKeyRow.development, ApiKeyRow.revoked_at.is_(None))
    rows = list(db.scalars(stmt))
    for row in rows:
        row.revoked_at = utcnow()
    return len(rows)


def active_development_keys(db: Session) -> list[str]:
    stmt = select(ApiKeyRow.id).where(ApiKeyRow.development, ApiKeyRow.revoked_at.is_(None))
    return list(db.scalars(stmt))


def scopes_of(row: ApiKeyRow) -> frozenset[Scope]:
    return frozenset(Scope(s) for s in row.scopes.split(",") if s)
