"""What the routes need, made once in the lifespan (the gateway's composition root)."""

from dataclasses import dataclass
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, Request
from faststream.redis import RedisBroker

from services.gateway.idempotency import IdempotencyKeys
from services.gateway.keys import KeyCache
from services.gateway.limits import Backlog, CandidateSlots
from services.gateway.ratelimit import TokenBuckets
from services.gateway.settings import GatewaySettings
from services.gateway.status_feed import StatusFeed
from services.gateway.undispatched import Undispatched
from shared.store import Database
from shared.task_state import AsyncStateWriter


@dataclass
class Gateway:
    settings: GatewaySettings
    redis: aioredis.Redis
    broker: RedisBroker
    db: Database
    idempotency: IdempotencyKeys
    backlog: Backlog
    state: AsyncStateWriter
    undispatched: Undispatched
    keys: KeyCache
    buckets: TokenBuckets
    slots: CandidateSlots
    feed: StatusFeed


async def get_gateway(request: Request) -> Gateway:
    """An async dependency: FastAPI runs a plain ``def`` one in a thread, per request."""
    gateway: Gateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[Gateway, Depends(get_gateway)]
