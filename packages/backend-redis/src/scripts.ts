import { createHash } from "node:crypto";
import type { Cluster, Redis } from "ioredis";

/** A Lua script run with EVALSHA, loaded with EVAL the first time a server lacks it. */
export class LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;

  constructor(name: string, source: string) {
    this.name = name;
    this.source = source;
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  /**
   * Run the script. Arguments go as one flat array (ioredis flattens it), so batches of
   * any size never hit the engine's limit on function arguments.
   */
  async run(client: Redis | Cluster, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const argv = [keys.length, ...keys, ...args];
    try {
      return await client.call("evalsha", [this.sha, ...argv]);
    } catch (error) {
      // A restarted or flushed server forgets scripts; EVAL loads it again. Running it again
      // is safe: the server answered NOSCRIPT, so this call did nothing.
      if (!String((error as Error)?.message).startsWith("NOSCRIPT")) throw error;
      return client.call("eval", [this.source, ...argv]);
    }
  }
}

// Every script checks that its table (or project) still exists before it writes, so a handle
// kept across a delete never resurrects keys. Scripts answer a status string first instead
// of raising errors, so that callers map them to Themis errors without parsing messages.

// Lua's unpack() is limited to a few thousand values: commands with many arguments are
// issued in chunks of this many.
const CHUNK = `local CHUNK = 1000`;

// Appends, updates and deletes carry an operation id. ioredis re-sends a command whose reply
// was lost when it reconnects, and this backend retries too; the operation id, remembered for
// ten minutes, makes the second delivery a no-op instead of a second write (which could undo
// a newer update by another client, report a delete that happened as NOT_FOUND, or refuse an
// append that happened as ALREADY_EXISTS).
const OPS = `
local function seen(ops, op, now)
  redis.call('ZREMRANGEBYSCORE', ops, '-inf', now - 600000)
  return redis.call('ZSCORE', ops, op)
end`;

// After a refused ZADD NX of an append's ids was taken back: the first id (ARGV from
// `first`, every `step`-th) that is still ordered (stored) or repeats an earlier one of
// the batch. Only the refusal path pays this second lookup.
const TAKEN = `
local function taken_id(order, first, step)
  local met = {}
  for i = first, #ARGV, step do
    local id = ARGV[i]
    if met[id] or redis.call('ZSCORE', order, id) then return id end
    met[id] = true
  end
  return ''
end`;

// An append's operation id is drawn once per call: a second delivery of an append that
// happened answers "ok" and writes nothing (no second copy, no ALREADY_EXISTS for its own
// rows), while an append of an id stored by any other write is refused, writing nothing.

/**
 * A whole append of a few rows in one EVALSHA (one command instead of a MULTI of three).
 * KEYS: index, rows, order, seq, ops. ARGV: table name, op id, now (ms), then id, json pairs.
 * Answers {'ok'}, {'missing_table'} or {'exists', id}; only 'ok' writes anything.
 */
export const appendFewScript = new LuaScript(
  "appendFew",
  `${OPS}
${TAKEN}
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return {'missing_table'} end
if seen(KEYS[5], ARGV[2], tonumber(ARGV[3])) then return {'ok'} end
local n = (#ARGV - 3) / 2
local seq = tonumber(redis.call('GET', KEYS[4]) or '0')
local members = {}
for i = 1, n do
  members[2 * i - 1] = seq + i
  members[2 * i] = ARGV[2 + 2 * i]
end
-- Orders and checks the ids in one pass (see appendCheckScript).
if redis.call('ZADD', KEYS[3], 'NX', unpack(members)) < n then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], seq + 1, seq + n)
  return {'exists', taken_id(KEYS[3], 4, 2)}
end
redis.call('INCRBY', KEYS[4], n)
redis.call('HSET', KEYS[2], unpack(ARGV, 4, #ARGV))
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[2])
return {'ok'}`,
);

/**
 * The first part of a large append, run in one MULTI before the native HSETs of the rows
 * (so the row JSON never passes through Lua, which would cost a copy each way) and
 * {@link appendFinishScript}. It decides whether the append may happen: 'ok',
 * 'missing_table', 'seen' (a second delivery) or 'exists' with the id.
 *
 * The ids are ordered and checked in one pass: `ZADD NX` with fresh sequence numbers adds
 * each id that is not in the order sorted set and leaves one that is untouched. The order
 * holds exactly the ids of the stored rows (every write changes both in one atomic step),
 * so fewer ids added than sent means an id is taken (or repeated in the batch); the ids this
 * batch added are the only members scored above the old sequence number, and one
 * ZREMRANGEBYSCORE takes them back. This replaced an HMGET of every id before the ZADD:
 * one lookup per id instead of two (issue 18). Only the refusal path looks ids up again,
 * to name the one taken.
 *
 * On 'ok' the HSETs that follow in the same MULTI store the rows (nothing can run in
 * between). When the append must not happen, the rows hash is renamed to `stash` (O(1)),
 * so the HSETs write into a fresh hash that appendFinishScript drops before renaming the
 * stash back: the stored rows come out unchanged, byte for byte. It leaves the verdict in
 * the `verdict` hash; both keys exist only inside the MULTI.
 * KEYS: index, rows, order, seq, ops, stash, verdict. ARGV: table name, op id, now (ms), then the ids.
 */
export const appendCheckScript = new LuaScript(
  "appendCheck",
  `${OPS}
${CHUNK}
${TAKEN}
local verdict, taken = 'ok', nil
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then
  verdict = 'missing_table'
elseif seen(KEYS[5], ARGV[2], tonumber(ARGV[3])) then
  verdict = 'seen'
else
  local n = #ARGV - 3
  local seq = tonumber(redis.call('GET', KEYS[4]) or '0')
  local added, members, m = 0, {}, 0
  for i = 4, #ARGV do
    members[m + 1] = seq + i - 3
    members[m + 2] = ARGV[i]
    m = m + 2
    if m >= 2 * CHUNK or i == #ARGV then
      added = added + redis.call('ZADD', KEYS[3], 'NX', unpack(members, 1, m))
      m = 0
      -- A chunk with a taken id refuses the batch: the later chunks need not be added.
      if added < i - 3 then break end
    end
  end
  if added < n then
    redis.call('ZREMRANGEBYSCORE', KEYS[3], seq + 1, seq + n)
    verdict, taken = 'exists', taken_id(KEYS[3], 4, 1)
  else
    redis.call('INCRBY', KEYS[4], n)
    redis.call('ZADD', KEYS[5], ARGV[3], ARGV[2])
  end
end
redis.call('DEL', KEYS[6], KEYS[7])
if verdict ~= 'ok' and redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[6]) end
redis.call('HSET', KEYS[7], 'verdict', verdict, 'id', taken or '')
return {verdict}`,
);

/**
 * The last part of a large append, after {@link appendCheckScript} and the HSETs, in the
 * same MULTI. KEYS: rows, stash, verdict. When the check refused the append, drops what the
 * HSETs wrote and puts the stashed rows back. Answers {'ok'}, {'missing_table'} or
 * {'exists', id}.
 */
export const appendFinishScript = new LuaScript(
  "appendFinish",
  `local found = redis.call('HMGET', KEYS[3], 'verdict', 'id')
redis.call('DEL', KEYS[3])
local verdict = found[1]
if not verdict then return redis.error_reply('ERR themis append: the check before the rows did not run') end
if verdict == 'ok' then return {'ok'} end
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('RENAME', KEYS[2], KEYS[1]) end
if verdict == 'seen' then return {'ok'} end
if verdict == 'exists' then return {'exists', found[2]} end
return {verdict}`,
);

/** Replace a row in place. KEYS: index, rows, ops. ARGV: table name, id, json, op id, now (ms). */
export const updateScript = new LuaScript(
  "update",
  `${OPS}
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return {'missing_table'} end
if seen(KEYS[3], ARGV[4], tonumber(ARGV[5])) then return {'ok'} end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then return {'missing_row'} end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[4])
return {'ok'}`,
);

/** Delete a row. KEYS: index, rows, order, ops. ARGV: table name, id, op id, now (ms). */
export const deleteRowScript = new LuaScript(
  "deleteRow",
  `${OPS}
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return {'missing_table'} end
if seen(KEYS[4], ARGV[3], tonumber(ARGV[4])) then return {'ok'} end
if redis.call('HDEL', KEYS[2], ARGV[2]) == 0 then return {'missing_row'} end
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[3])
return {'ok'}`,
);

// Creating and deleting tables and projects carry an operation id too: a second delivery of
// a create that happened answers "ok", not ALREADY_EXISTS, and of a delete that happened "ok",
// not NOT_FOUND. Tables record theirs in the project's ops sorted set (ten minutes).

/**
 * Create an empty table. KEYS: project marker, index, rows, order, seq, ops, project ops.
 * ARGV: name, op id, now (ms). Stale keys of the name are removed first.
 */
export const createTableScript = new LuaScript(
  "createTable",
  `${OPS}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing_project'} end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  if seen(KEYS[7], ARGV[2], tonumber(ARGV[3])) then return {'ok'} end
  return {'exists'}
end
redis.call('UNLINK', KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[7], ARGV[3], ARGV[2])
return {'ok'}`,
);

/** Delete a table. KEYS: index, rows, order, seq, ops, project ops. ARGV: name, op id, now (ms). */
export const deleteTableScript = new LuaScript(
  "deleteTable",
  `${OPS}
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then
  if seen(KEYS[6], ARGV[2], tonumber(ARGV[3])) then return {'ok'} end
  return {'missing_table'}
end
redis.call('UNLINK', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
redis.call('ZADD', KEYS[6], ARGV[3], ARGV[2])
return {'ok'}`,
);

/**
 * Create a project's marker unless it exists. KEYS: marker. ARGV: layout, createdAt, op id.
 * Answers {'created'} or {'exists', layout, op id that created it}.
 */
export const createProjectScript = new LuaScript(
  "createProject",
  `local found = redis.call('HMGET', KEYS[1], 'layout', 'createdBy')
if found[1] then return {'exists', found[1], found[2] or ''} end
redis.call('HSET', KEYS[1], 'layout', ARGV[1], 'createdAt', ARGV[2], 'createdBy', ARGV[3])
return {'created'}`,
);

/**
 * Delete a project's keys. KEYS: marker, dataset index, experiment index, project ops,
 * tombstone, then every key of every table. ARGV: op id, number of datasets, their names,
 * then the experiments' names. When the tables changed since the caller listed them, nothing
 * is deleted ('changed': list again and retry), so every key a script touches is one it was
 * given. The tombstone (the op id, for ten minutes) lets a second delivery answer "ok".
 */
export const deleteProjectScript = new LuaScript(
  "deleteProject",
  `if redis.call('EXISTS', KEYS[1]) == 0 then
  if redis.call('GET', KEYS[5]) == ARGV[1] then return {'ok'} end
  return {'missing_project'}
end
local datasets = tonumber(ARGV[2])
local function same(index, first, last)
  if redis.call('SCARD', index) ~= last - first + 1 then return false end
  for i = first, last do
    if redis.call('SISMEMBER', index, ARGV[i]) == 0 then return false end
  end
  return true
end
if not same(KEYS[2], 3, 2 + datasets) or not same(KEYS[3], 3 + datasets, #ARGV) then return {'changed'} end
redis.call('UNLINK', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
for start = 6, #KEYS, 500 do
  redis.call('UNLINK', unpack(KEYS, start, math.min(start + 499, #KEYS)))
end
redis.call('SET', KEYS[5], ARGV[1], 'PX', 600000)
return {'ok'}`,
);
