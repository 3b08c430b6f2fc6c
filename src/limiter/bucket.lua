-- invent-api: one shared limiter bucket (src/limiter/bucket.lua), the algorithm of bucket.rs and
-- window.rs run atomically inside Redis. Times are the server's microseconds (TIME), so the clocks of
-- the client hosts do not matter.
--
-- KEYS[1]  state hash: tat, paused, cut_at, cut_low, total
-- KEYS[2]  window log, a list of "first:last:count" groups, oldest first
-- ARGV     op ("acquire" | "throttle"), requests, window, interval, tolerance, recovery (µs),
--          then for acquire the limit (µs, -1: none), for throttle the server's wait (µs, -1: none)
-- acquire  -> {booked (1|0), wait, pause, at}: booked, sleep `wait`; or refused (wait > limit),
--             nothing booked. `pause` is the shared pause still to run.
-- throttle -> {pause, new rate in millionths of the configured one, or -1 when already cut}
--
-- Numbers are integers up to ~2^54, exact in Lua's doubles; they are written with '%d' because
-- Lua prints 16-digit numbers as 1.7e+15.

if redis.replicate_commands then
  redis.replicate_commands() -- Redis < 5 refuses writes after TIME without it; a no-op since
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local state_key, log_key = KEYS[1], KEYS[2]
local op = ARGV[1]
local requests = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local interval = tonumber(ARGV[4])
local tolerance = tonumber(ARGV[5])
local recovery = tonumber(ARGV[6])
local arg = tonumber(ARGV[7])
local SAME_THROTTLE, MIN_RATE, GROUPS = 1000000, 1 / 16, 1024

local s = redis.call('HMGET', state_key, 'tat', 'paused', 'cut_at', 'cut_low', 'total')
local tat = tonumber(s[1]) or 0
local paused = tonumber(s[2]) or 0
local cut_at = tonumber(s[3])
local cut_low = tonumber(s[4])
local total = tonumber(s[5]) or 0

local function int(x)
  return string.format('%d', math.ceil(x))
end

local function group(index)
  local entry = redis.call('LINDEX', log_key, index)
  if not entry then
    return nil
  end
  local first, last, count = string.match(entry, '^(%d+):(%d+):(%d+)$')
  return tonumber(first), tonumber(last), tonumber(count)
end

-- Fraction of the configured rate allowed now: climbs linearly from the cut back to 1.
local function rate()
  if not cut_at or not cut_low then
    return 1
  end
  local progress = math.max(now - cut_at, 0) / math.max(recovery, 1)
  return cut_low + (1 - cut_low) * math.min(progress, 1)
end

-- Drops groups out of the window ending now, and groups older than the `requests` newest bookings.
local function forget()
  while true do
    local first, last, count = group(0)
    if not first then
      total = 0
      return
    end
    if last + window <= now or total - count >= requests then
      redis.call('LPOP', log_key)
      total = total - count
    else
      return
    end
  end
end

-- The state matters until the last booking leaves the window, the pause ends, the GCRA schedule is
-- reached and the rate has recovered; after that, missing keys mean exactly the same.
local function expire()
  local _, last = group(-1)
  local horizon = math.max(tat, paused, (last or 0) + window, (cut_at or 0) + recovery)
  local ttl = int(math.max(horizon - now, 0) / 1000 + 1000)
  redis.call('PEXPIRE', state_key, ttl)
  redis.call('PEXPIRE', log_key, ttl)
end

if op == 'acquire' then
  forget()
  local from = math.max(tat, now)
  local at = math.max(from - tolerance, now, paused)
  if total >= requests then
    local _, oldest = group(0)
    at = math.max(at, oldest + window)
  end
  at = math.ceil(at)
  if arg >= 0 and at - now > arg then
    return {0, at - now, math.max(paused - now, 0), at}
  end
  tat = math.max(from, at) + interval / rate()
  local first, last, count = group(-1)
  if first and at - first <= math.floor(window / GROUPS) then
    redis.call('LSET', log_key, -1, int(first) .. ':' .. int(math.max(last, at)) .. ':' .. int(count + 1))
  else
    local booked = math.max(at, last or 0)
    redis.call('RPUSH', log_key, int(booked) .. ':' .. int(booked) .. ':1')
  end
  total = total + 1
  forget()
  redis.call('HSET', state_key, 'tat', int(tat), 'total', int(total))
  expire()
  return {1, at - now, math.max(paused - now, 0), at}
end

if op == 'throttle' then
  local resume = now + math.max(arg, 0)
  paused = math.max(paused, resume)
  tat = math.max(tat, resume + tolerance)
  local cut = -1
  if not (cut_at and now < cut_at + SAME_THROTTLE) then
    cut_low = math.max(rate() / 2, MIN_RATE)
    cut_at = now
    cut = math.floor(cut_low * 1000000)
  end
  redis.call('HSET', state_key, 'tat', int(tat), 'paused', int(paused), 'cut_at', int(cut_at),
    'cut_low', string.format('%.17g', cut_low))
  expire()
  return {math.max(paused - now, 0), cut}
end

return redis.error_reply('invent-api limiter: unknown op ' .. tostring(op))
