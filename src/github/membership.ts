// Short-lived caches for who belongs to a team and who may write to a repository. Both change
// rarely but matter for security: a removed CTO must stop counting within minutes, so entries
// expire after MEMBERSHIP_CACHE_SECONDS (default 300; the server sets it from its settings at start-up).
import { LRUCache } from "lru-cache";
import type { Permission } from "../policy/snapshot.js";

/** The caches' lifetime until configureMembershipCache is called (commands and tests keep it). */
export const DEFAULT_MEMBERSHIP_CACHE_SECONDS = 300;
const ttlOf = (seconds: number) => Math.max(0, seconds) * 1000 || 1; // 0 = no caching: 1 ms, as lru-cache needs a lifetime
const ttl = ttlOf(DEFAULT_MEMBERSHIP_CACHE_SECONDS);

/** The caches' clock; tests move it forward to prove that entries expire. */
export const membershipClock = { offsetMs: 0, now: () => performance.now() + membershipClock.offsetMs };

// Once an entry expires, the next read is a conditional request (src/github/conditional-requests.ts):
// an unchanged list costs a 304, which is not counted against the rate limit; a changed one is read.
export const memberCache = new LRUCache<string, string[]>({ max: 5_000, ttl, ttlResolution: 0, perf: membershipClock });
export const permissionCache = new LRUCache<string, Permission>({ max: 50_000, ttl, ttlResolution: 0, perf: membershipClock });

/** Sets how long an entry holds (MEMBERSHIP_CACHE_SECONDS, from src/settings.ts); applies to entries stored from now on. */
export function configureMembershipCache(seconds: number): void {
  memberCache.ttl = permissionCache.ttl = ttlOf(seconds);
}

/** For tests and after a membership change is known (e.g. a `membership` webhook). */
export function clearMembershipCaches(): void {
  memberCache.clear();
  permissionCache.clear();
}
