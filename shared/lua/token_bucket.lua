-- Take one token from a key's bucket, refilled at a steady rate up to its burst.
--
-- KEYS[1] the bucket (hash: tokens, ts)   ARGV[1] tokens per second   ARGV[2] burst
-- Returns 0 when a token was taken, else the milliseconds until one will be there.
-- Time is the server's (TIME), so every gateway process sees the same clock.

local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
if tokens < 1 then
  return math.ceil((1 - tokens) / rate * 1000)
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
-- gone once it would be full again: a full bucket and no bucket are the same
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return 0
