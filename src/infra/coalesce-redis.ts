// Coalescing bookkeeping shared by every replica through Redis (REDIS_URL). Per key: a hash with
// the generation (bumped by every submission on any replica), the generation last evaluated, and
// the times of the first and last submission of the burst and of the last run (a lone submission
// runs at once, see coalesce.ts); and a lock (SET NX PX) held by the one
// replica that evaluates. Each step is one Lua script, so check-and-set is atomic, and the clock is
// Redis's own (TIME), so replicas with skewed clocks agree on when a window ends. A replica that
// dies mid-evaluation loses the lock after LOCK_TTL_MS and another one takes over.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Claim, CoalesceStore, CoalesceTiming } from "./coalesce.js";

const NOW_MS = "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)";

const TOUCH = `${NOW_MS}
redis.call('HINCRBY', KEYS[1], 'gen', 1)
redis.call('HSET', KEYS[1], 'last', now)
redis.call('HSETNX', KEYS[1], 'first', now)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

const CLAIM = `${NOW_MS}
local gen = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
local done = tonumber(redis.call('HGET', KEYS[1], 'done') or '0')
if done >= gen then return {'done', 0} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'busy', 0} end
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or now)
local first = tonumber(redis.call('HGET', KEYS[1], 'first') or last)
local window = tonumber(ARGV[1])
local ranat = redis.call('HGET', KEYS[1], 'ranat')
local due = math.min(last + window, first + math.max(tonumber(ARGV[2]), window))
if gen - done == 1 and (not ranat or now - tonumber(ranat) >= window) then due = now end
if now < due then return {'wait', due - now} end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
redis.call('HDEL', KEYS[1], 'first')
return {'run', gen}`;

const RELEASE = `${NOW_MS}
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
redis.call('HSET', KEYS[1], 'ranat', now)
local gen = tonumber(ARGV[1])
local done = tonumber(redis.call('HGET', KEYS[1], 'done') or '0')
if gen > done then redis.call('HSET', KEYS[1], 'done', gen) end
local current = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
if current > gen then return 1 end
return 0`;

export interface RedisCoalesceOptions {
  /** Key prefix, so several apps can share one Redis. */
  prefix?: string;
  /** How long a replica may evaluate before another one may take over (it crashed). */
  lockTtlMs?: number;
  /** How long an idle key's bookkeeping is kept. */
  stateTtlMs?: number;
}

export class RedisCoalesceStore implements CoalesceStore {
  private readonly prefix: string;
  private readonly lockTtlMs: number;
  private readonly stateTtlMs: number;

  constructor(
    private readonly redis: Redis,
    options: RedisCoalesceOptions = {},
  ) {
    this.prefix = options.prefix ?? "change-policy:coalesce";
    this.lockTtlMs = options.lockTtlMs ?? 120_000;
    this.stateTtlMs = options.stateTtlMs ?? 24 * 3_600_000;
  }

  async touch(key: string): Promise<void> {
    await this.redis.eval(TOUCH, 1, this.stateKey(key), this.stateTtlMs);
  }

  async claim(key: string, timing: CoalesceTiming): Promise<Claim> {
    const token = randomUUID();
    const [kind, value] = (await this.redis.eval(
      CLAIM,
      2,
      this.stateKey(key),
      this.lockKey(key),
      Math.round(timing.windowMs),
      Math.round(timing.maxWaitMs),
      token,
      this.lockTtlMs,
    )) as [string, number];
    if (kind === "run") return { kind, generation: Number(value), token };
    if (kind === "wait") return { kind, ms: Math.max(1, Number(value)) };
    return { kind: kind === "busy" ? "busy" : "done" };
  }

  async release(key: string, generation: number, token: string): Promise<boolean> {
    return (await this.redis.eval(RELEASE, 2, this.stateKey(key), this.lockKey(key), generation, token)) === 1;
  }

  // The braces keep both keys of one PR in the same Redis Cluster slot.
  private stateKey(key: string): string {
    return `${this.prefix}:{${key}}:state`;
  }

  private lockKey(key: string): string {
    return `${this.prefix}:{${key}}:lock`;
  }
}
