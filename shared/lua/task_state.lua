-- The one writer of a task's status record: every change to it is one of the named
-- transitions below, applied atomically with what goes with it (the active index, the
-- failure chain, the status-changes feed, the outcome event, the dead letter).
--
-- TERMINAL (statuses) and TARGET (transition name -> the status it leads to) are prepended
-- by shared/task_state/script.py, generated from the Python enums: never written here.
--
-- KEYS[1] the status record (hash)     KEYS[2] the failure chain (hash: attempt -> JSON)
-- KEYS[3] the index of active tasks    KEYS[4] the dispatcher's "already sent" record
-- KEYS[5] the status-changes stream    KEYS[6] the outcome stream (completed / failed)
-- KEYS[7] the tasks dead-letter stream
-- ARGV[1] transition name   ARGV[2] task id   ARGV[3] when (epoch seconds)
-- ARGV[4] record TTL (s)    ARGV[5] MAXLEN of outcome and dead-letter streams
-- ARGV[6] MAXLEN of the status-changes stream
-- ARGV[7] the outcome event's envelope ("": none)
-- ARGV[8] the dead letter, a JSON object of strings ("": none); the script adds the
--         failure chain (errors) and the request's idempotency_key from the record
-- ARGV[9] the attempt ("": not known)  ARGV[10] this attempt's failure, JSON ("": none)
-- ARGV[11..] field, value pairs to set on the record
--
-- Rules (order-tolerant, as celery.events.state): a finished record never changes but
-- by a redrive (a late STARTED never overwrites SUCCESS); a non-terminal step older than
-- the record's last is ignored (its failure still joins the chain); the terminal
-- transition, its outcome event and its dead letter are written together, once,
-- however often the step arrives.
--
-- Returns {code, value}: code 0 ignored, 1 applied, 2 applied and the outcome published
-- (accept: 1 created, 0 already there, -1 the task was already sent); value: accept the
-- attempts the task already had (a redriven task's), start the record's created_at.

local name, task_id, ts = ARGV[1], ARGV[2], ARGV[3]
local target = TARGET[name]
if not target then
  return redis.error_reply('unknown transition: ' .. tostring(name))
end
local cur = redis.call('HMGET', KEYS[1], 'terminal', 'ts', 'attempts', 'created_at')
local exists = cur[2] ~= false
local finished = cur[1] == '1'
local sent = redis.call('EXISTS', KEYS[4]) == 1

local function write(terminal)
  local fields = {'status', target, 'ts', ts, 'terminal', terminal and '1' or '0',
                  'transition', name}
  for i = 11, #ARGV, 2 do
    if ARGV[i] ~= 'created_at' or not exists then
      fields[#fields + 1] = ARGV[i]
      fields[#fields + 1] = ARGV[i + 1]
    end
  end
  redis.call('HSET', KEYS[1], unpack(fields))
  redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
  local change = {'task_id', task_id, 'transition', name, 'status', target, 'ts', ts}
  if ARGV[9] ~= '' then
    change[#change + 1] = 'attempt'
    change[#change + 1] = ARGV[9]
  end
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[6], '*', unpack(change))
end

if name == 'accept' then
  if sent then
    return {-1, 0}
  end
  if exists then
    return {0, tonumber(cur[3] or '0') or 0}
  end
  write(false)
  redis.call('ZADD', KEYS[3], 'NX', ts, task_id)
  return {1, 0}
end

if name == 'redrive' then
  if exists and not finished then
    return {0, ''}
  end
  redis.call('HDEL', KEYS[1], 'error', 'error_type', 'retryable', 'summary', 'started_at',
             'finished_at', 'projected_at')
  redis.call('HINCRBY', KEYS[1], 'redrives', 1)
  write(false)
  redis.call('ZADD', KEYS[3], ts, task_id)
  redis.call('DEL', KEYS[4])
  return {1, ''}
end

if name == 'refuse' then
  if sent then
    return {0, ''}
  end
elseif not exists then
  return {0, ''}
end
if finished then
  return {0, ''}
end
if ARGV[10] ~= '' then  -- kept even from a step applied late: the chain is per attempt
  redis.call('HSETNX', KEYS[2], ARGV[9], ARGV[10])
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
end
local terminal = TERMINAL[target] == true
if (not terminal) and exists and tonumber(ts) < tonumber(cur[2]) then
  return {0, ''}
end

write(terminal)
if not terminal then
  return {1, name == 'start' and (cur[4] or '') or ''}
end

redis.call('ZREM', KEYS[3], task_id)
if ARGV[8] ~= '' then
  local entry = {}
  for field, value in pairs(cjson.decode(ARGV[8])) do
    entry[#entry + 1] = field
    entry[#entry + 1] = value
  end
  local chain = redis.call('HGETALL', KEYS[2])
  local links = {}
  for i = 1, #chain, 2 do
    links[#links + 1] = {tonumber(chain[i]), chain[i + 1]}
  end
  table.sort(links, function(a, b) return a[1] < b[1] end)
  local parts = {}
  for i, link in ipairs(links) do
    parts[i] = link[2]
  end
  entry[#entry + 1] = 'errors'
  entry[#entry + 1] = '[' .. table.concat(parts, ',') .. ']'
  local key = redis.call('HGET', KEYS[1], 'idempotency_key')
  if key then
    entry[#entry + 1] = 'idempotency_key'
    entry[#entry + 1] = key
  end
  redis.call('XADD', KEYS[7], 'MAXLEN', '~', ARGV[5], '*', unpack(entry))
end
if ARGV[7] == '' then
  return {1, ''}
end
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[5], '*', '__data__', ARGV[7])
return {2, ''}
