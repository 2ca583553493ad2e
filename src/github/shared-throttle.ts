// GitHub's rate limits shared by the replicas through Redis (Bottleneck's clustering) — and this
// process's own limits while Redis is unreachable. Given only a Redis connection, the throttling
// plugin sends every GitHub request through Redis, so with Redis gone every request failed and no
// verdict was published (SPEC §12: verdicts go on while Redis is away). Here each request picks its
// limiter when it is made: the shared one while Redis answers, the in-process one otherwise, and the
// shared one again as soon as the client has reconnected. A request the shared limiter failed
// before it started (Redis went away meanwhile, or came back empty) goes through the in-process one:
// it was never sent, so it is sent once. Bottleneck 2 does not recover a limiter whose Redis keys are
// gone on Redis 7 (it looks for "SETTINGS_KEY_NOT_FOUND", Redis 7 answers "ERR SETTINGS_KEY_NOT_FOUND";
// SGrondin/bottleneck#219), so such a limiter is dropped and made again on the next request.
import Bottleneck from "bottleneck";

/**
 * The limiters @octokit/plugin-throttling makes for itself, with its ids and limits: replicas
 * running a version without this file share the same Redis keys.
 */
const LIMITERS = {
  global: { id: "octokit-global", maxConcurrent: 10 },
  auth: { id: "octokit-auth", maxConcurrent: 1 },
  search: { id: "octokit-search", maxConcurrent: 1, minTime: 2_000 },
  write: { id: "octokit-write", maxConcurrent: 1, minTime: 1_000 },
  notifications: { id: "octokit-notifications", maxConcurrent: 1, minTime: 3_000 },
} as const;

/** The plugin's Redis TTL of a limiter's keys (2 minutes). */
const REDIS_TTL_MS = 2 * 60_000;

/** What the plugin asks of a limiter: `schedule(jobOptions, fn, ...args)`, always with the options first. */
export interface ThrottleLimiter {
  schedule(options: Bottleneck.JobOptions, fn: (...args: unknown[]) => PromiseLike<unknown>, ...args: unknown[]): Promise<unknown>;
}

/** What the plugin asks of a group: the limiter of one id (an installation). */
export interface ThrottleGroup {
  key(id: string): ThrottleLimiter;
}

export type ThrottleGroups = Record<keyof typeof LIMITERS, ThrottleGroup>;

/** ioredis's client state; "ready" once connected (and again after a reconnect). */
type WithClients = { client?: { status?: string }; subscriber?: { status?: string } };

/** True while both of the connection's clients (commands, and the pub/sub that wakes queued jobs) are connected. */
export function redisAnswers(connection: InstanceType<typeof Bottleneck.IORedisConnection>): boolean {
  const { client, subscriber } = connection as unknown as WithClients;
  return client?.status === "ready" && subscriber?.status === "ready";
}

/**
 * The plugin's five groups (pass them in its `throttle` options), each shared through `connection`
 * while `shared()` says Redis answers and kept in this process otherwise. Make them once per process.
 */
export function sharedThrottleGroups(
  connection: InstanceType<typeof Bottleneck.IORedisConnection>,
  shared: () => boolean = () => redisAnswers(connection),
): ThrottleGroups {
  const groups = {} as ThrottleGroups;
  for (const [name, settings] of Object.entries(LIMITERS) as [keyof typeof LIMITERS, (typeof LIMITERS)[keyof typeof LIMITERS]][]) {
    const clustered = new Bottleneck.Group({ ...settings, timeout: REDIS_TTL_MS, connection });
    const local = new Bottleneck.Group({ ...settings, timeout: REDIS_TTL_MS });
    groups[name] = { key: (id) => limiterWithFallback(clustered, local, id, shared) };
  }
  return groups;
}

/** Redis lost the limiter's keys (restarted empty, or they expired): Bottleneck 2 cannot re-create them itself. */
const KEYS_LOST = /\b(SETTINGS_KEY_NOT_FOUND|UNKNOWN_CLIENT)\b/;

/** Bottleneck's typings list schedule's arities one by one; the plugin passes one or two arguments. */
const limiterOf = (group: Bottleneck.Group, id: string) => group.key(id) as unknown as ThrottleLimiter;

function limiterWithFallback(clustered: Bottleneck.Group, local: Bottleneck.Group, id: string, shared: () => boolean): ThrottleLimiter {
  return {
    schedule(options, fn, ...args) {
      if (!shared()) return limiterOf(local, id).schedule(options, fn, ...args);
      const limiter = clustered.key(id);
      let started = false;
      const job = (...jobArgs: unknown[]) => {
        started = true;
        return fn(...jobArgs);
      };
      return (limiter as unknown as ThrottleLimiter).schedule(options, job, ...args).catch(async (error: unknown) => {
        // Failed by the request itself (GitHub's answer): never sent twice.
        if (started) throw error;
        // Made again on the next request (once: the jobs that failed with it do not drop its successor).
        if (KEYS_LOST.test(error instanceof Error ? error.message : String(error)) && clustered.key(id) === limiter) await clustered.deleteKey(id).catch(() => false);
        return limiterOf(local, id).schedule(options, fn, ...args);
      });
    },
  };
}
