import { createHash, randomUUID } from "node:crypto";
import { assertKnownKeys, assertOptions, assertString, optionKeys } from "@mcp-prod/internal";
import { closedStoreError } from "./memory-store.ts";
import { pollDelay } from "./polling.ts";
import { type Claim, type ClaimRequest, IdempotencyStore, type StoredRecord } from "./store.ts";

/**
 * The part of an ioredis client (`Redis` or `Cluster`) the store relies on.
 * Typed structurally so the package's types do not need ioredis installed.
 */
export type RedisClientLike = {
  set(
    key: string,
    value: string,
    px: "PX",
    milliseconds: number,
    nx: "NX",
    get: "GET",
  ): Promise<string | null>;
  evalsha(sha: string, numberOfKeys: number, ...args: Array<string | number>): Promise<unknown>;
  eval(script: string, numberOfKeys: number, ...args: Array<string | number>): Promise<unknown>;
};

/** Options of {@link createRedisStore}. */
export type RedisStoreOptions = {
  /** An ioredis client; the store never closes it. */
  readonly redis: RedisClientLike;
  /**
   * Prefix of the Redis keys.
   * @default "mcp-prod:idempotency:"
   */
  readonly prefix?: string;
  /**
   * Names the store in events and metrics.
   * @default "redis"
   */
  readonly name?: string;
};

const REDIS_STORE_KEYS = optionKeys<RedisStoreOptions>({ redis: true, prefix: true, name: true });

/*
 * A record is one string: `<state>:<expiresAt>:<token>:<fingerprint>:<result>`,
 * state `p` (in progress) or `c` (completed), expiresAt in ms on the callers'
 * clock (so that a record's logical expiry does not depend on the server's),
 * the token the owner's, empty once completed.
 */

/** Takes a free or expired key (answers nothing), or answers the record there. One round trip. */
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v then
  local e = tonumber(string.match(v, '^%a:(%d+):'))
  if e and e > tonumber(ARGV[3]) then return v end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`;

/** Stores the result (ARGV[2], PX ARGV[3]) or drops the record (no ARGV[2]) when the owner's token (ARGV[1]) still holds it. */
const FINISH = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local t = string.match(v, '^%a:%d+:([^:]*):')
if t ~= ARGV[1] then return 0 end
if ARGV[2] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('DEL', KEYS[1])
end
return 1
`;

function sha1(text: string): string {
  return createHash("sha1").update(text).digest("hex");
}

const CLAIM_SHA = sha1(CLAIM);
const FINISH_SHA = sha1(FINISH);

function parse(value: string): StoredRecord | undefined {
  const match = /^([pc]):(\d+):([^:]*):([^:]*):/.exec(value);
  if (match === null) return undefined;
  const fingerprint = match[4] as string;
  return match[1] === "c"
    ? { state: "completed", fingerprint, result: value.slice(match[0].length) }
    : { state: "inProgress", fingerprint };
}

function expiresAt(value: string): number {
  return Number(/^[pc]:(\d+):/.exec(value)?.[1] ?? 0);
}

class RedisStore extends IdempotencyStore {
  readonly name: string;
  readonly #redis: RedisClientLike;
  readonly #prefix: string;
  #closed = false;

  constructor(redis: RedisClientLike, prefix: string, name: string) {
    super();
    this.#redis = redis;
    this.#prefix = prefix;
    this.name = name;
  }

  /** Runs a script by its digest, loading it once when the server does not know it. */
  async #script(script: string, sha: string, args: Array<string | number>): Promise<unknown> {
    try {
      return await this.#redis.evalsha(sha, 1, ...args);
    } catch (error) {
      if (!String((error as { message?: unknown })?.message).startsWith("NOSCRIPT")) throw error;
      return this.#redis.eval(script, 1, ...args);
    }
  }

  async claim(request: ClaimRequest): Promise<Claim> {
    if (this.#closed) throw closedStoreError(this.name);
    const { key, fingerprint, inProgressTtlMs } = request;
    const redisKey = this.#prefix + key;
    for (let attempt = 0; ; attempt++) {
      const now = Date.now();
      const token = randomUUID();
      const value = `p:${now + inProgressTtlMs}:${token}:${fingerprint}:`;
      // First a plain SET NX GET (Redis 7): takes a free key, or answers the record there.
      if (attempt === 0) {
        const found = await this.#redis.set(
          redisKey,
          value,
          "PX",
          Math.ceil(inProgressTtlMs),
          "NX",
          "GET",
        );
        if (found === null || found === undefined)
          return { status: "acquired", lease: this.#lease(redisKey, token, fingerprint) };
        const record = parse(String(found));
        // A record past its expiry on the callers' clock is taken over by the script below.
        if (record !== undefined && expiresAt(String(found)) > now)
          return { status: "found", record };
        continue;
      }
      const found = await this.#script(CLAIM, CLAIM_SHA, [
        redisKey,
        value,
        Math.ceil(inProgressTtlMs),
        now,
      ]);
      if (found === null || found === undefined || found === false)
        return { status: "acquired", lease: this.#lease(redisKey, token, fingerprint) };
      const record = parse(String(found));
      if (record !== undefined) return { status: "found", record };
    }
  }

  #lease(redisKey: string, token: string, fingerprint: string) {
    return {
      complete: async (result: string | undefined, ttlMs: number) => {
        if (result === undefined) {
          await this.#script(FINISH, FINISH_SHA, [redisKey, token]);
          return;
        }
        const value = `c:${Date.now() + ttlMs}::${fingerprint}:${result}`;
        await this.#script(FINISH, FINISH_SHA, [redisKey, token, value, Math.ceil(ttlMs)]);
      },
      release: async () => {
        await this.#script(FINISH, FINISH_SHA, [redisKey, token]);
      },
    };
  }

  async wait(_key: string, timeoutMs: number, attempt: number, signal: AbortSignal | undefined) {
    if (this.#closed) throw closedStoreError(this.name);
    await pollDelay(timeoutMs, attempt, signal);
  }

  close(): Promise<void> {
    this.#closed = true;
    this.removeAllListeners();
    return Promise.resolve();
  }
}

/**
 * A store in Redis, shared by every replica that uses the same server and
 * `prefix` (Redis 7 or newer). A replay is one round trip (`SET NX GET`,
 * which takes a free key or answers the record there), a first call two
 * (that, then a Lua script that stores the result if the key is still the
 * call's). A
 * duplicate that finds the first call running polls with a backoff from
 * 10 ms to 250 ms, within `waitTimeoutMs`. The client is the caller's:
 * `close()` leaves it open.
 *
 * @example
 * ```ts
 * import { Redis } from "ioredis";
 * import { createRedisStore, withIdempotency } from "@mcp-prod/idempotency";
 *
 * const store = createRedisStore({ redis: new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379") });
 * ```
 */
export function createRedisStore(options: RedisStoreOptions): IdempotencyStore {
  assertOptions(options);
  assertKnownKeys(options, REDIS_STORE_KEYS, "createRedisStore()", {
    client: "use `redis` (an ioredis client)",
    keyPrefix: "use `prefix`",
  });
  const { redis, prefix = "mcp-prod:idempotency:", name = "redis" } = options;
  if (
    typeof redis !== "object" ||
    redis === null ||
    typeof redis.evalsha !== "function" ||
    typeof redis.set !== "function" ||
    typeof redis.eval !== "function"
  )
    throw new TypeError("Expected `redis` to be an ioredis client");
  assertString(prefix, "prefix");
  assertString(name, "name");
  return new RedisStore(redis, prefix, name);
}
