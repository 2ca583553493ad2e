// A named lock so that, with several replicas, only one runs each periodic job (e.g. the sweep).
// With Redis: `SET key token NX PX ttl` to take it, and a Lua compare-and-delete to release it, so a
// replica never deletes a lock that expired and was taken by another. Without Redis: an in-process
// mutex, which is all a single replica needs.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";

export interface Lock {
  /**
   * Runs `fn` if this process obtains the lock `name`; otherwise does nothing and returns
   * `{ ran: false }`. `ttlMs` bounds how long a crashed holder blocks others: make it longer than
   * `fn` can take.
   */
  withLock<T>(name: string, ttlMs: number, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>;
  close(): Promise<void>;
}

const KEY_PREFIX = "change-policy:lock:";

// Deletes the key only if it still holds our token.
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export function createLock(options: { redisUrl?: string; redis?: Redis } = {}): Lock {
  if (options.redis) return redisLock(options.redis, false);
  if (options.redisUrl) return redisLock(new Redis(options.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false }), true);
  return memoryLock();
}

function redisLock(redis: Redis, owned: boolean): Lock {
  return {
    async withLock(name, ttlMs, fn) {
      const key = KEY_PREFIX + name;
      const token = randomUUID();
      const taken = await redis.set(key, token, "PX", ttlMs, "NX");
      if (taken !== "OK") return { ran: false };
      try {
        return { ran: true, value: await fn() };
      } finally {
        await redis.eval(RELEASE, 1, key, token);
      }
    },
    async close() {
      if (owned) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

function memoryLock(): Lock {
  const held = new Set<string>();
  return {
    async withLock(name, _ttlMs, fn) {
      if (held.has(name)) return { ran: false };
      held.add(name);
      try {
        return { ran: true, value: await fn() };
      } finally {
        held.delete(name);
      }
    },
    async close() {},
  };
}
