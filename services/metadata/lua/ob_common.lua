-- Shared by the outbound scripts (prepended). T = ARGV[1], the queue's key prefix "{outbound}:";
-- every key of the queue carries that hash tag (one slot). An entry is the hash T e:<id>
-- (services.metadata.keys); its recipients are the JSON list in its field r, each
-- {a=address, s=state (RecipientState: 1 pending 2 deferred 3 delivered 4 failed), n=attempts,
--  rp=last reply, no=NOTIFY keywords (space separated), oc=ORCPT}.
local T = ARGV[1]
local function err(reason, msg) return cjson.encode({err=reason, msg=msg}) end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function pending(r) return r.s == 1 or r.s == 2 end
local function any_pending(rs)
  for _, r in ipairs(rs) do if pending(r) then return true end end
  return false
end
local function entry_map(k)
  local flat = redis.call('HGETALL', k)
  local m = {}
  for i = 1, #flat, 2 do m[flat[i]] = flat[i + 1] end
  return m
end
