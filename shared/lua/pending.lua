-- Create a task's status record as PENDING, unless it exists (then change nothing).
--
-- KEYS[1] the task's status hash   KEYS[2] the index of active tasks
-- ARGV[1] TTL in seconds           ARGV[2] the task id   ARGV[3] creation time (epoch s)
-- ARGV[4..] field, value pairs
-- Returns 1 when created, 0 when the record was already there.

if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
redis.call('ZADD', KEYS[2], 'NX', ARGV[3], ARGV[2])
return 1
