// Conditional requests: every GET remembers the answer's ETag and sends it back as `If-None-Match`
// next time. An unchanged resource then comes back as 304 Not Modified, which GitHub does not count
// against the rate limit, and the remembered answer is returned instead. Applies to the policy file
// reads, team members and permissions (once their short in-memory cache expires), PR lists.
// Entries are per installation (answers depend on who asks) and the cache is bounded.
import { LRUCache } from "lru-cache";
import { statusOf, type GitHubClient } from "./client.js";

interface CachedResponse {
  etag: string;
  status: number;
  url: string;
  headers: Record<string, unknown>;
  data: unknown;
}

/** The cache's budget until configureConditionalRequests is called (commands and tests keep it). */
export const DEFAULT_ETAG_CACHE_MB = 64;

function newEtagCache(mb: number): LRUCache<string, CachedResponse> {
  return new LRUCache<string, CachedResponse>({
    max: 20_000,
    maxSize: Math.max(1, mb) * 1024 * 1024,
    sizeCalculation: (entry) => Math.max(1, (typeof entry.data === "string" ? entry.data.length : JSON.stringify(entry.data)?.length ?? 0) + entry.url.length),
  });
}

// `let`: lru-cache fixes a cache's size budget when it is made, so configuring it makes a new one.
export let etagCache = newEtagCache(DEFAULT_ETAG_CACHE_MB);

/** Sets the remembered answers' budget in MB (ETAG_CACHE_MB, from src/settings.ts); called at start-up, it forgets what was remembered. */
export function configureConditionalRequests(mb: number): void {
  etagCache = newEtagCache(mb);
}

export function useConditionalRequests(octokit: GitHubClient, scope: string): void {
  octokit.hook.wrap("request", async (request, options) => {
    if (options.method !== "GET") return request(options);
    const parsed = octokit.request.endpoint.parse(options);
    const accept = String((parsed.headers as Record<string, unknown>).accept ?? "");
    const key = `${scope}|${accept}|${parsed.url}`;
    const cached = etagCache.get(key);
    // Octokit's hook chain hands every hook the same options object, so the header is set on it.
    if (cached) options.headers = { ...options.headers, "if-none-match": cached.etag };
    try {
      const response = await request(options);
      const etag = (response.headers as Record<string, unknown>).etag;
      if (typeof etag === "string" && etag) {
        etagCache.set(key, { etag, status: response.status, url: response.url, headers: { ...response.headers }, data: response.data });
      }
      return response;
    } catch (error) {
      if (cached && statusOf(error) === 304) {
        // Same answer as last time; the headers of the 304 carry the current rate limit.
        const fresh = (error as { response?: { headers?: Record<string, unknown> } }).response?.headers ?? {};
        return { status: cached.status, url: cached.url, headers: { ...cached.headers, ...pickRateLimit(fresh) }, data: cached.data } as Awaited<ReturnType<typeof request>>;
      }
      throw error;
    }
  });
}

function pickRateLimit(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.startsWith("x-ratelimit-")));
}
