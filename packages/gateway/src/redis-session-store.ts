import type { Clock } from "./clock.ts";
import type { RedisGate } from "./redis-gate.ts";
import type {
  BackendRef,
  CreateOutcome,
  SessionLimits,
  SessionRecord,
  SessionStore,
} from "./session-store.ts";

// KEYS: the record, the identity's sessions, every session. ARGV: now, ttl, max, per identity, key, record.
// Expired members leave the counts first; a session is counted until its record expires.
const CREATE = `
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[3]) then return 'full' end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 'identityFull' end
local expires = tonumber(ARGV[1]) + tonumber(ARGV[2])
redis.call('ZADD', KEYS[3], expires, ARGV[5])
redis.call('ZADD', KEYS[2], expires, ARGV[5])
redis.call('PEXPIRE', KEYS[3], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'record', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 'created'
`;

// KEYS: the record. ARGV: field, expected id ('' for none), next. The stored value afterwards.
const SWAP = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local current = redis.call('HGET', KEYS[1], ARGV[1])
local id = ''
if current then id = cjson.decode(current).id end
if id == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return ARGV[3]
end
return current
`;

// KEYS: the record, the identity's sessions, every session. ARGV: ttl, expires, key.
const TOUCH = `
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 1 then
  redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[3])
  redis.call('ZADD', KEYS[3], 'XX', ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[3], ARGV[1])
end
return 1
`;

// KEYS: the record, the identity's sessions, every session. ARGV: ttl, expires, key, then field/value pairs.
const RESTORE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for index = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[index], ARGV[index + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
return 1
`;

const BACKEND = "b:";
const SUBSCRIPTION = "s:";

type Immutable = Pick<
  SessionRecord,
  "identity" | "protocolVersion" | "capabilities" | "clientInfo"
>;

/** The part of a record that never changes, stored as one field. */
const fixedPart = (record: SessionRecord): string =>
  JSON.stringify({
    identity: record.identity,
    protocolVersion: record.protocolVersion,
    capabilities: record.capabilities,
    clientInfo: record.clientInfo,
  } satisfies Immutable);

/**
 * Session records in Redis, for every replica: one hash per session (its
 * fixed part, each backend session, the log level, each subscription), whose
 * fields change one at a time so that replicas never overwrite each other,
 * and per-identity and global counts kept as sorted sets of expiry times.
 * Records expire `ttlMs` after their last use, in Redis itself.
 */
export class RedisSessionStore implements SessionStore {
  readonly shared = true;
  readonly #gate: RedisGate;
  readonly #prefix: string;
  readonly #clock: Clock;

  constructor(gate: RedisGate, prefix: string, clock: Clock) {
    this.#gate = gate;
    this.#prefix = prefix;
    this.#clock = clock;
  }

  #record(key: string): string {
    return `${this.#prefix}:session:${key}`;
  }
  #owned(identity: string): string {
    return `${this.#prefix}:sessions:${identity}`;
  }
  get #all(): string {
    return `${this.#prefix}:sessions`;
  }

  async create(key: string, record: SessionRecord, limits: SessionLimits): Promise<CreateOutcome> {
    return this.#gate.run<CreateOutcome>(
      "EVAL",
      CREATE,
      3,
      this.#record(key),
      this.#owned(record.identity),
      this.#all,
      this.#clock.now(),
      limits.ttlMs,
      limits.max,
      limits.perIdentity,
      key,
      fixedPart(record),
    );
  }

  async load(key: string): Promise<SessionRecord | undefined> {
    const fields = await this.#gate.run<string[]>("HGETALL", this.#record(key));
    if (!Array.isArray(fields) || fields.length === 0) return undefined;
    let fixed: Immutable | undefined;
    const record: SessionRecord = {
      identity: "",
      protocolVersion: "",
      capabilities: {},
      clientInfo: {},
      backends: {},
      logLevel: undefined,
      subscriptions: [],
    };
    for (let index = 0; index < fields.length; index += 2) {
      const field = fields[index] as string;
      const value = fields[index + 1] as string;
      if (field === "record") fixed = JSON.parse(value) as Immutable;
      else if (field === "logLevel") record.logLevel = value;
      else if (field.startsWith(BACKEND))
        record.backends[field.slice(BACKEND.length)] = JSON.parse(value) as BackendRef;
      else if (field.startsWith(SUBSCRIPTION))
        record.subscriptions.push(field.slice(SUBSCRIPTION.length));
    }
    // Only a touch of a record that just expired can leave fields without their fixed part.
    return fixed ? { ...record, ...fixed } : undefined;
  }

  async swapBackend(
    key: string,
    label: string,
    expected: string | undefined,
    next: BackendRef,
  ): Promise<BackendRef | undefined> {
    const stored = await this.#gate.run<string | null>(
      "EVAL",
      SWAP,
      1,
      this.#record(key),
      `${BACKEND}${label}`,
      expected ?? "",
      JSON.stringify(next),
    );
    return typeof stored === "string" ? (JSON.parse(stored) as BackendRef) : undefined;
  }

  async update(
    key: string,
    change: { logLevel?: string; subscribe?: string; unsubscribe?: string },
  ): Promise<void> {
    const record = this.#record(key);
    const pending: Array<Promise<unknown>> = [];
    if (change.logLevel !== undefined)
      pending.push(this.#gate.run("HSET", record, "logLevel", change.logLevel));
    if (change.subscribe !== undefined)
      pending.push(this.#gate.run("HSET", record, `${SUBSCRIPTION}${change.subscribe}`, "1"));
    if (change.unsubscribe !== undefined)
      pending.push(this.#gate.run("HDEL", record, `${SUBSCRIPTION}${change.unsubscribe}`));
    await Promise.all(pending);
  }

  async restore(key: string, record: SessionRecord, ttlMs: number): Promise<void> {
    const fields: string[] = ["record", fixedPart(record)];
    for (const [label, ref] of Object.entries(record.backends))
      fields.push(`${BACKEND}${label}`, JSON.stringify(ref));
    if (record.logLevel !== undefined) fields.push("logLevel", record.logLevel);
    for (const uri of record.subscriptions) fields.push(`${SUBSCRIPTION}${uri}`, "1");
    await this.#gate.run(
      "EVAL",
      RESTORE,
      3,
      this.#record(key),
      this.#owned(record.identity),
      this.#all,
      ttlMs,
      this.#clock.now() + ttlMs,
      key,
      ...fields,
    );
  }

  touch(key: string, identity: string, ttlMs: number): void {
    this.#gate.send(
      "EVAL",
      TOUCH,
      3,
      this.#record(key),
      this.#owned(identity),
      this.#all,
      ttlMs,
      this.#clock.now() + ttlMs,
      key,
    );
  }

  async delete(key: string, identity: string): Promise<void> {
    await Promise.all([
      this.#gate.run("DEL", this.#record(key)),
      this.#gate.run("ZREM", this.#owned(identity), key),
      this.#gate.run("ZREM", this.#all, key),
    ]);
  }

  sweep(): void {
    // Redis expires its own records.
  }

  async close(): Promise<void> {
    // The client is the caller's; nothing of ours is open.
  }
}
