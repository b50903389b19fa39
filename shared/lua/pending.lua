-- Create a task's status record as PENDING, unless it exists (then change nothing).
--
-- KEYS[1] the task's status hash   KEYS[2] the index of active tasks
-- KEYS[3] (optional) the dispatcher's "already sent" record of this task
-- ARGV[1] TTL in seconds           ARGV[2] the task id   ARGV[3] creation time (epoch s)
-- ARGV[4..] field, value pairs
-- Returns {code, attempts}: code -1 when the task was already sent (nothing written), 1
-- when the record was created, 0 when it was already there; attempts: the record's attempts
-- so far (a redriven task's earlier runs).

if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then
  return {-1, 0}
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0') or 0}
end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[2])
return {1, 0}
