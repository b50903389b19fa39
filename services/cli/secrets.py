"""``summarization secrets``: the secrets compose.yaml reads, made once and kept.

From ``deploy/redis/acl.toml`` (one Redis user per component): ``users.acl`` for
``redis-server --aclfile`` (password hashes only; the default user may only PING, for
the health check) and ``<component>.env`` with that component's Redis and store URLs.
Also the PostgreSQL, Flower and Grafana passwords. A password already in the output
directory is kept, so running it again changes nothing but what the ACL file changed.
"""

import hashlib
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_USER = "user default on nopass resetkeys resetchannels -@all +ping"
"""Unauthenticated clients may PING (compose's health check) and nothing else."""


@dataclass(frozen=True)
class RedisUser:
    name: str
    keys: list[str]
    channels: list[str]
    commands: str

    def acl_line(self, password: str) -> str:
        digest = hashlib.sha256(password.encode()).hexdigest()
        rules = [f"user {self.name} on #{digest} resetkeys resetchannels"]
        rules += [f"~{pattern}" for pattern in self.keys]
        rules += [f"&{pattern}" for pattern in self.channels]
        rules.append(self.commands)
        return " ".join(rules)


def load_users(path: Path) -> list[RedisUser]:
    config: dict[str, Any] = tomllib.loads(path.read_text())
    commands = config.get("defaults", {}).get("commands", "-@all")
    return [
        RedisUser(
            name, user.get("keys", []), user.get("channels", []), user.get("commands", commands)
        )
        for name, user in config["users"].items()
    ]


def _kept(path: Path, name: str) -> str:
    """The value of ``name`` in an env file made before, else a new password."""
    if path.exists():
        found = re.search(rf"^{name}=(.*)$", path.read_text(), re.M)
        if found:
            return found.group(1)
    return secrets.token_urlsafe(24)


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def make_secrets(
    acl: Path, out: Path, redis_host: str = "redis:6379", database_host: str = "postgres:5432"
) -> list[Path]:
    """Write every secret file into ``out``; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    postgres = out / "postgres.env"
    pg_password = _kept(postgres, "POSTGRES_PASSWORD")
    _write(postgres, [f"POSTGRES_PASSWORD={pg_password}"])
    database_url = f"postgresql://summarization:{pg_password}@{database_host}/summarization"
    written = [postgres]
    acl_lines = [DEFAULT_USER]
    for user in load_users(acl):
        env = out / f"{user.name}.env"
        password = _kept(env, "REDIS_PASSWORD")
        acl_lines.append(user.acl_line(password))
        base = f"redis://{user.name}:{password}@{redis_host}"
        _write(
            env,
            [
                f"REDIS_PASSWORD={password}",
                f"REDIS_URL={base}/0",
                f"CELERY_BROKER_URL={base}/0",
                f"CELERY_RESULT_BACKEND={base}/1",
                f"DATABASE_URL={database_url}",
            ],
        )
        written.append(env)
    users = out / "users.acl"
    _write(users, acl_lines)
    flower, grafana = out / "flower-auth.env", out / "grafana.env"
    _write(
        flower,
        [f"FLOWER_BASIC_AUTH=admin:{_kept(flower, 'FLOWER_BASIC_AUTH').removeprefix('admin:')}"],
    )
    _write(
        grafana,
        [
            "GF_SECURITY_ADMIN_USER=admin",
            f"GF_SECURITY_ADMIN_PASSWORD={_kept(grafana, 'GF_SECURITY_ADMIN_PASSWORD')}",
            "GF_AUTH_ANONYMOUS_ENABLED=false",
        ],
    )
    metrics_key = out / "prometheus-gateway.key"
    if not metrics_key.exists():
        metrics_key.touch(mode=0o600)  # filled with an admin key once the store is up
    return [*written, users, flower, grafana, metrics_key]
