/**
 * The Lua that makes each step atomic in Redis. Keys are computed inside the
 * scripts from the prefix (standalone Redis or a primary with replicas; Redis
 * Cluster's slot rules are not followed).
 */

/**
 * Append one event to a room's log and apply the retention bounds, oldest
 * first: count, age (field a), bytes (hash logBytes). Expects locals
 * `service, logKey, bytesKey, room, seq, event, payload, at, bytes, maxEvents, maxAgeMs, maxBytes, now`.
 * A room's log also expires as a whole once idle for maxAgeMs.
 */
const APPEND_AND_TRIM = `
redis.call('XADD', logKey, seq .. '-0', 'e', event, 'p', payload, 'a', at, 'b', bytes, 's', service)
local held = redis.call('HINCRBY', bytesKey, room, bytes)
local len = redis.call('XLEN', logKey)
local oldest = now - maxAgeMs
local cutId = nil
local removed = 0
local freed = 0
local scanned = 0
local from = '-'
while scanned < 1000 do
  local batch = redis.call('XRANGE', logKey, from, '+', 'COUNT', 16)
  if #batch == 0 then break end
  local stop = false
  for _, entry in ipairs(batch) do
    local fields = entry[2]
    local a, b = 0, 0
    for i = 1, #fields, 2 do
      if fields[i] == 'a' then a = tonumber(fields[i + 1]) elseif fields[i] == 'b' then b = tonumber(fields[i + 1]) end
    end
    if (len - removed) > maxEvents or a < oldest or (held - freed) > maxBytes then
      removed = removed + 1
      freed = freed + b
      cutId = entry[1]
    else
      stop = true
      break
    end
    scanned = scanned + 1
  end
  if stop or #batch < 16 then break end
  from = '(' .. batch[#batch][1]
end
if cutId then
  if removed >= len then
    redis.call('DEL', logKey)
    redis.call('HDEL', bytesKey, room)
  else
    local cutSeq = tonumber(string.match(cutId, '^(%d+)'))
    redis.call('XTRIM', logKey, 'MINID', (cutSeq + 1) .. '-0')
    redis.call('HINCRBY', bytesKey, room, -freed)
  end
end
if removed < len then redis.call('PEXPIRE', logKey, maxAgeMs) end
`;

/**
 * The event log's own append (contract tests, and any use of the log outside
 * the cluster's commit). KEYS: none. ARGV: logKey, bytesKey, room, seq, event,
 * payload, at, bytes, maxEvents, maxAgeMs, maxBytes, now.
 */
export const APPEND_SCRIPT = `
local logKey, bytesKey, room = ARGV[1], ARGV[2], ARGV[3]
local seq, event, payload = tonumber(ARGV[4]), ARGV[5], ARGV[6]
local at, bytes = tonumber(ARGV[7]), tonumber(ARGV[8])
local maxEvents, maxAgeMs, maxBytes, now = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])
local service = ''
` + APPEND_AND_TRIM + `
return 1
`;

/**
 * One transaction of a node, atomically: check the versions of the entities
 * it read, write its entities (bumping their versions), sequence its events
 * (HINCRBY head; epoch HSETNX to the generation), append each to its room's
 * log with retention, and add the whole transaction, resolved, to the tx
 * stream every node reads. Nothing is written when a version does not match.
 *
 * ARGV: prefix, now, maxEvents, maxAgeMs, maxBytes, txMaxLen, node, generation,
 *   nEntities, then per entity: store, id, expectedVersion, deleted ('1'/'0'), json,
 *   nEvents, then per event: service, room, event, payloadJson, bytes.
 * Returns {'ok', txId} or {'conflict', store, id}.
 */
export const COMMIT_SCRIPT = `
local prefix, now = ARGV[1], tonumber(ARGV[2])
local maxEvents, maxAgeMs, maxBytes, txMaxLen = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local node, generation = ARGV[7], ARGV[8]
local nEntities = tonumber(ARGV[9])
local base = 10
for i = 0, nEntities - 1 do
  local o = base + i * 5
  local current = tonumber(redis.call('HGET', prefix .. ':entity-version:' .. ARGV[o], ARGV[o + 1]) or '0')
  if current ~= tonumber(ARGV[o + 2]) then return {'conflict', ARGV[o], ARGV[o + 1]} end
end
local parts = {}
for i = 0, nEntities - 1 do
  local o = base + i * 5
  local store, id, deleted, json = ARGV[o], ARGV[o + 1], ARGV[o + 3], ARGV[o + 4]
  local version = redis.call('HINCRBY', prefix .. ':entity-version:' .. store, id, 1)
  if deleted == '1' then
    redis.call('HDEL', prefix .. ':entity:' .. store, id)
    parts[#parts + 1] = '{"store":' .. cjson.encode(store) .. ',"id":' .. cjson.encode(id) .. ',"version":' .. version .. ',"value":null}'
  else
    redis.call('HSET', prefix .. ':entity:' .. store, id, json)
    parts[#parts + 1] = '{"store":' .. cjson.encode(store) .. ',"id":' .. cjson.encode(id) .. ',"version":' .. version .. ',"value":' .. json .. '}'
  end
end
local entitiesJson = table.concat(parts, ',')
base = base + nEntities * 5
local nEvents = tonumber(ARGV[base])
base = base + 1
local bytesKey = prefix .. ':log-bytes'
parts = {}
for i = 0, nEvents - 1 do
  local o = base + i * 5
  local service, room, event, payload, bytes = ARGV[o], ARGV[o + 1], ARGV[o + 2], ARGV[o + 3], tonumber(ARGV[o + 4])
  local seq = redis.call('HINCRBY', prefix .. ':heads', room, 1)
  redis.call('HSETNX', prefix .. ':epochs', room, generation)
  local epoch = redis.call('HGET', prefix .. ':epochs', room)
  local logKey = prefix .. ':log:' .. room
  local at = now
` + APPEND_AND_TRIM + `
  parts[#parts + 1] = '{"service":' .. cjson.encode(service) .. ',"room":' .. cjson.encode(room) .. ',"seq":' .. seq
    .. ',"event":' .. cjson.encode(event) .. ',"payload":' .. payload .. ',"at":' .. now .. ',"bytes":' .. bytes
    .. ',"epoch":' .. cjson.encode(epoch) .. '}'
end
local message = '{"node":' .. cjson.encode(node) .. ',"entities":[' .. entitiesJson .. '],"events":[' .. table.concat(parts, ',') .. ']}'
local txId = redis.call('XADD', prefix .. ':tx', 'MAXLEN', '~', txMaxLen, '*', 'm', message)
return {'ok', txId}
`;

/**
 * Forget a room's history (its entity was cleaned up). The head and epoch
 * stay: numbers keep counting up, so a client resuming from before the drop
 * finds its range gone and gets a snapshot, never another life's events.
 * ARGV: logKey, bytesKey, room.
 */
export const DROP_SCRIPT = `
redis.call('DEL', ARGV[1])
redis.call('HDEL', ARGV[2], ARGV[3])
return 1
`;
