-- Trim a stream by age without losing work: entries that any consumer group has not
-- yet read, or has read but not acknowledged, are kept whatever their age.
--
-- KEYS[1] the stream   ARGV[1] the age cut-off as a stream id ("<ms>-0")
-- Returns the number of entries trimmed.

local function older(a, b)
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am < bm or (am == bm and as < bs)
end

if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local cutoff = ARGV[1]
for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local info = {}
  for i = 1, #group, 2 do
    info[group[i]] = group[i + 1]
  end
  -- the first entry this group has not read yet: just after last-delivered-id
  local last = info['last-delivered-id']
  local ms, seq = string.match(last, '(%d+)-(%d+)')
  local unread = ms .. '-' .. tostring(tonumber(seq) + 1)
  if older(unread, cutoff) then
    cutoff = unread
  end
  local pending = redis.call('XPENDING', KEYS[1], info['name'])
  if pending[1] > 0 and older(pending[2], cutoff) then
    cutoff = pending[2]
  end
end
return redis.call('XTRIM', KEYS[1], 'MINID', cutoff)
