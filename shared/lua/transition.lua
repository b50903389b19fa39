-- Apply one lifecycle transition to a task's status record, atomically.
--
-- KEYS[1] the task's status hash        KEYS[2] the outcome stream (completed / failed)
-- KEYS[3] the tasks dead-letter stream  KEYS[4] the index of active (non-terminal) tasks
-- KEYS[5] (optional) the dispatcher's "already sent" record: when it exists, change nothing
-- ARGV[1] new public status             ARGV[2] event timestamp (epoch seconds, float)
-- ARGV[3] 1 when the status is terminal ARGV[4] record TTL in seconds
-- ARGV[5] outcome envelope ("" = publish nothing)
-- ARGV[6] MAXLEN (approximate) of the streams written here
-- ARGV[7] 1 when the event may create a missing record (it names one of our tasks)
-- ARGV[8] dead-letter entry as a JSON object of strings ("" = none)
-- ARGV[9] the task id                  ARGV[10..] field, value pairs to set on the record
--
-- Rules (order-tolerant projection, as celery.events.state does it):
--   * a terminal record never changes again (a late STARTED never overwrites SUCCESS);
--   * a non-terminal event older than the record's last event is ignored;
--   * created_at is written only by the transition that creates the record;
--   * the terminal transition, its outcome event and its dead letter are written
--     together, once, however many times the terminal event arrives.
-- Returns 0 ignored, 1 applied, 2 applied and the outcome event published.

if KEYS[5] and redis.call('EXISTS', KEYS[5]) == 1 then
  return 0
end
local cur = redis.call('HMGET', KEYS[1], 'terminal', 'ts')
if cur[1] == '1' then
  return 0
end
if (not cur[2]) and ARGV[7] ~= '1' then
  return 0
end
local ts = tonumber(ARGV[2])
local terminal = ARGV[3] == '1'
if (not terminal) and cur[2] and ts < tonumber(cur[2]) then
  return 0
end

local fields = {'status', ARGV[1], 'ts', ARGV[2], 'terminal', ARGV[3]}
for i = 10, #ARGV, 2 do
  if ARGV[i] ~= 'created_at' or not cur[2] then
    fields[#fields + 1] = ARGV[i]
    fields[#fields + 1] = ARGV[i + 1]
  end
end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))

if not terminal then
  return 1
end
redis.call('ZREM', KEYS[4], ARGV[9])
if ARGV[8] ~= '' then
  local entry = {}
  for name, value in pairs(cjson.decode(ARGV[8])) do
    entry[#entry + 1] = name
    entry[#entry + 1] = value
  end
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', unpack(entry))
end
if ARGV[5] ~= '' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', '__data__', ARGV[5])
  return 2
end
return 1
