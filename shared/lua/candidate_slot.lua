-- Take one of a candidate's slots for a new task, unless all are taken.
--
-- KEYS[1] the candidate's running tasks (sorted set: task id -> when it took its slot)
-- ARGV[1] slots   ARGV[2] the new task's id   ARGV[3] prefix of status records (+ task id)
-- ARGV[4] seconds after which a slot is freed whatever its task's state
-- ARGV[5] seconds a slot is held by a task that has no status record
-- Returns 1 when the slot was taken, 0 when the candidate has no free slot.
-- A task frees its slot once its status record is terminal: slots are counted here, from
-- the records the projector keeps, not kept by another writer. A task without a record
-- holds its slot a short while (its gateway is writing it, or died before it could).

local clock = redis.call('TIME')
local now = tonumber(clock[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[4]))
local running = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local active = 0
for i = 1, #running, 2 do
  local id, since = running[i], tonumber(running[i + 1])
  local terminal = redis.call('HGET', ARGV[3] .. id, 'terminal')
  if terminal == '1' or (terminal == false and now - since > tonumber(ARGV[5])) then
    redis.call('ZREM', KEYS[1], id)
  else
    active = active + 1
  end
end
if active >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
