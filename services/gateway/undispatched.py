"""Requests on the stream that no dispatcher has taken yet, found by task id.

The gateway writes a task's PENDING record before its 202, but a service that XADDs a
request itself cannot: until a dispatcher reads the entry, the status view has no record
of it. A status read that finds no record looks here before it answers 404, so a
request accepted onto the stream is never reported as unknown.
"""

from collections.abc import Mapping
from datetime import UTC, datetime

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from contracts.types import DEFAULT_TENANT
from shared.status_view import record_tenant

PAGE = 500
"""Entries one script call looks at: each call holds Redis for a fraction of a millisecond."""

FIND_LUA = """
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[3])
local last = false
local function request(value)
    local ok, envelope = pcall(cjson.decode, value)
    if not ok or type(envelope) ~= 'table' then
        return nil
    end
    local data = envelope['data']
    if type(data) == 'string' then
        local parsed
        ok, parsed = pcall(cjson.decode, data)
        if ok then data = parsed end
    end
    if type(data) == 'table' then return data end
    return nil
end
for _, entry in ipairs(entries) do
    last = entry[1]
    local fields = entry[2]
    local match, tenant = false, ''
    for i = 1, #fields, 2 do
        local name, value = fields[i], fields[i + 1]
        if name == 'task_id' and value == ARGV[2] then
            match = true
        elseif name == 'tenant' then
            tenant = value
        elseif name == '__data__' then
            local data = request(value)
            if data == nil then
                match = match or string.find(value, ARGV[2], 1, true) ~= nil
            elseif data['task_id'] == ARGV[2] then
                match = true
                if type(data['tenant']) == 'string' then tenant = data['tenant'] end
            end
        end
    end
    if match then
        return {1, entry[1], tenant}
    end
end
return {0, last, ''}
"""


class Undispatched:
    """Looks for a task id among the request stream's entries the dispatchers' group has
    not acknowledged: the undelivered ones and those delivered but still pending."""

    def __init__(self, client: aioredis.Redis, stream: str, group: str, limit: int) -> None:
        self._redis = client
        self._stream = stream
        self._group = group
        self._limit = limit
        self._find = client.register_script(FIND_LUA)

    async def find(self, task_id: str) -> tuple[datetime, str] | None:
        """When the request entry for ``task_id`` was added and whose it is (its tenant,
        ``default`` when it names none), if it is still waiting."""
        start = await self._start()
        if start is None:
            return None
        looked = 0
        while looked < self._limit:
            found, last, tenant = await self._find(
                keys=[self._stream], args=[start, task_id, min(PAGE, self._limit - looked)]
            )
            if found:
                return _added_at(str(last)), str(tenant or DEFAULT_TENANT)
            if not last:
                return None
            start = f"({last}"
            looked += PAGE
        return None

    async def _start(self) -> str | None:
        """The first entry the group has not finished (XRANGE bound), or ``None`` when
        the stream does not exist."""
        try:
            groups = await self._redis.xinfo_groups(self._stream)
        except ResponseError:
            return None
        group = next((g for g in groups if g["name"] == self._group), None)
        if group is None:
            return "-"  # no dispatcher has ever read this stream: every entry waits
        if int(group["pending"]):
            summary = await self._redis.xpending(self._stream, self._group)
            return str(summary["min"])
        return f"({group['last-delivered-id']}"


def waiting_record(task_id: str, added: datetime, tenant: str) -> dict[str, str]:
    """The status record of a request still waiting on the stream."""
    return {
        "task_id": task_id,
        "tenant": tenant,
        "status": "PENDING",
        "created_at": added.isoformat(),
        "updated_at": added.isoformat(),
    }


async def visible_record(
    undispatched: Undispatched, task_id: str, record: Mapping[str, str] | None, tenant: str
) -> Mapping[str, str] | None:
    """What a caller of ``tenant`` sees of ``task_id``: its status ``record``, else its
    request still waiting on the stream; ``None`` when there is neither or it is another
    tenant's (the same answer: nothing says it exists)."""
    if record is None and (waiting := await undispatched.find(task_id)):
        record = waiting_record(task_id, *waiting)
    if record is not None and record_tenant(record) != tenant:
        return None
    return record


def _added_at(entry_id: str) -> datetime:
    return datetime.fromtimestamp(int(entry_id.split("-")[0]) / 1000, UTC)
