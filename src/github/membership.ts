// Short-lived caches for who belongs to a team and who may write to a repository. Both change
// rarely but matter for security: a removed CTO must stop counting within minutes, so entries
// expire after MEMBERSHIP_CACHE_SECONDS (default 300).
import { LRUCache } from "lru-cache";
import type { Permission } from "../policy/snapshot.js";

const ttl = Math.max(0, Number(process.env.MEMBERSHIP_CACHE_SECONDS ?? 300)) * 1000;

export const memberCache = new LRUCache<string, string[]>({ max: 5_000, ttl: ttl || 1 });
export const permissionCache = new LRUCache<string, Permission>({ max: 50_000, ttl: ttl || 1 });

/** For tests and after a membership change is known (e.g. a `membership` webhook). */
export function clearMembershipCaches(): void {
  memberCache.clear();
  permissionCache.clear();
}
