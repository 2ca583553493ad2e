// Every GitHub request gets a timeout, bounded retries of what is safe to repeat, and bounded waits
// for rate limits — for the server and the CLI alike, plugged in with one line:
//
//   octokitClass({ resilience: resilienceFromEnv(process.env) })   (src/github/octokit.ts), or
//   withResilience(ProbotOctokit, resilienceFromEnv(process.env))
//
// What Probot 14 already does, and why this replaces part of it (test/github/probot-builtins.test.ts
// proves each point against the installed versions):
// - No request ever times out: Octokit passes no AbortSignal to fetch, so a hung connection holds an
//   evaluation (and the delivery's work) forever. Here: every fetch, body included, is abandoned
//   after `timeoutMs` and fails with GitHubTimeoutError.
// - @octokit/plugin-retry retries every 5xx and network failure 3 times (after 1, 4, 9 s, no jitter)
//   whatever the method, so a 502 on "create issue" or "create comment" is sent again and can
//   duplicate it; and it does not retry a request that an AbortSignal ended. Here: only requests that
//   are safe to repeat are retried (GET, HEAD, PUT, PATCH, DELETE, GraphQL queries, token requests),
//   timeouts included, with exponential backoff and jitter; a POST that fails is left to the work's
//   own retry, whose markers keep it from being done twice. plugin-retry is switched off.
// - @octokit/plugin-throttling waits out a secondary rate limit only when GitHub's message says
//   "secondary rate", and the primary limit (x-ratelimit-remaining: 0) until its reset; Probot's
//   handlers always say "retry", with no bound on the wait (an hour) or the count. A 429 or 403 with
//   `retry-after` and another message is not waited for at all. Here: any of them is waited out up
//   to `maxRateLimitWaitMs` and `maxRateLimitWaits` times (never less than 1 s: no tight loop);
//   beyond that the request fails with GitHubRateLimitError — never a success. Throttling stays on
//   for what it does well: spacing writes and sharing limits across replicas (Redis).
import { parseSettings } from "../settings.js";
import type { Octokit } from "@octokit/core";
import type { ProbotOctokit } from "probot";
import { recordGitHubRateLimitGiveUp, recordGitHubRateLimitWait, recordGitHubRetry, recordGitHubTimeout } from "../metrics.js";
import { formatDuration, GitHubRateLimitError, GitHubTimeoutError } from "./transient-errors.js";

export { GitHubRateLimitError, GitHubTimeoutError } from "./transient-errors.js";

/** Time as the plugin sees it; tests pass a manual one (test/helpers/manual-clock.ts). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** In [0, 1): the jitter of backoffs. */
  random(): number;
}

export type RetryReason = "timeout" | "network" | "server_error" | "graphql_error" | "rate_limit";

/** One wait before a request is sent again. */
export interface RetryNotice {
  reason: RetryReason;
  /** `METHOD /route/{template}`. */
  route: string;
  status?: number;
  /** Which wait or retry of this request this is (1 = the first). */
  attempt: number;
  waitMs: number;
  rateLimit?: "primary" | "secondary";
}

export interface ResilienceOptions {
  /** A request (answer and body) not complete after this long is abandoned. */
  timeoutMs: number;
  /** Retries of a request that is safe to repeat, after a timeout, network failure or 5xx. */
  maxRetries: number;
  /** The first backoff; it doubles on each retry, up to maxBackoffMs; each is jittered to 50–100 %. */
  backoffMs: number;
  maxBackoffMs: number;
  /** The longest rate-limit wait (retry-after, or until x-ratelimit-reset); longer fails closed. */
  maxRateLimitWaitMs: number;
  /** Rate-limit waits per request before it fails. */
  maxRateLimitWaits: number;
  /** Told about every wait instead of the client's log (the CLI prints them). */
  onWait?: (notice: RetryNotice) => void;
  clock?: Clock;
}

/** The server: an evaluation waits at most a minute for a rate limit, then fails closed and is retried later. */
export const SERVER_RESILIENCE: Readonly<ResilienceOptions> = {
  timeoutMs: 15_000,
  maxRetries: 3,
  backoffMs: 1_000,
  maxBackoffMs: 30_000,
  maxRateLimitWaitMs: 60_000,
  maxRateLimitWaits: 3,
};

/** The CLI: a long audit waits out even the hourly reset rather than die half-way. */
export const CLI_RESILIENCE: Readonly<ResilienceOptions> = { ...SERVER_RESILIENCE, maxRateLimitWaitMs: 65 * 60_000, maxRateLimitWaits: 5 };

/**
 * GITHUB_REQUEST_TIMEOUT_MS (also in src/settings.ts), GITHUB_RETRIES and
 * GITHUB_RATE_LIMIT_MAX_WAIT_SECONDS over `base`. A value that is not a number (or out of range) is an
 * error naming it, as for the server's other settings.
 */
/** The resilience settings of the environment (src/settings.ts parses it), over the caller's defaults. */
export function resilienceFromEnv(env: Record<string, string | undefined>, base: Readonly<ResilienceOptions> = SERVER_RESILIENCE): ResilienceOptions {
  const { github } = parseSettings(env);
  return {
    ...base,
    ...(github.requestTimeoutMs !== undefined ? { timeoutMs: github.requestTimeoutMs } : {}),
    ...(github.retries !== undefined ? { maxRetries: github.retries } : {}),
    ...(github.rateLimitMaxWaitSeconds !== undefined ? { maxRateLimitWaitMs: github.rateLimitMaxWaitSeconds * 1000 } : {}),
  };
}

const realClock: Clock = {
  now: () => Date.now(),
  // Not unref'd: a CLI waiting out a rate limit has nothing else keeping it alive.
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};

/** A rate limit is never retried sooner than this, whatever the headers say. */
const MIN_RATE_LIMIT_WAIT_MS = 1_000;
/** GitHub: without retry-after, wait at least a minute after a secondary rate limit. */
const SECONDARY_FALLBACK_MS = 60_000;

/**
 * The Octokit class with timeouts, retries and rate-limit waits (see the top of this file). Works on
 * ProbotOctokit and on classes derived from it (the server's, with its own defaults); instances may
 * override the options with `new Octokit({ resilience: { … } })`.
 */
export function withResilience<C extends typeof ProbotOctokit>(Base: C, options: Partial<ResilienceOptions> = {}): C {
  return Base.plugin(resilience).defaults((instance: Record<string, unknown>) => {
    const settings: ResilienceOptions = { ...SERVER_RESILIENCE, ...options, ...(instance.resilience as Partial<ResilienceOptions> | undefined) };
    const request = (instance.request ?? {}) as { fetch?: typeof fetch };
    const throttle = instance.throttle as Record<string, unknown> | undefined;
    return {
      ...instance,
      resilience: settings,
      retry: { ...(instance.retry as object | undefined), enabled: false },
      // Throttling still paces; the waits for rate limits are this plugin's (bounded).
      throttle: { ...throttle, onRateLimit: leaveToResilience, onSecondaryRateLimit: leaveToResilience },
      request: { ...request, fetch: withTimeout(request.fetch, settings) },
    };
  }) as C;
}

const leaveToResilience = () => false;

/** The plugin part: retries and rate-limit waits around every request (the timeout is in fetch). */
export function resilience(octokit: Octokit, octokitOptions: object): Record<string, never> {
  const settings: ResilienceOptions = { ...SERVER_RESILIENCE, ...(octokitOptions as { resilience?: Partial<ResilienceOptions> }).resilience };
  octokit.hook.wrap("request", (request, options) =>
    resilientRequest(settings, octokit.log, request as unknown as SendRequest, options as unknown as RequestOptions) as never,
  );
  return {};
}

interface RequestOptions {
  method?: string;
  url?: string;
  query?: unknown;
  [key: string]: unknown;
}
interface OctokitResponse {
  status: number;
  headers: Record<string, string | number | undefined>;
  data: unknown;
}
type SendRequest = (options: RequestOptions) => Promise<OctokitResponse>;
type Log = { warn(message: string): void };

const WRAPPED = Symbol("change-policy.timeout-fetch");

/**
 * fetch that gives up after `timeoutMs` — the answer and its body: a body that stalls must fail, not
 * turn into an empty answer (@octokit/request reads a failed JSON body as ""). The caller's own
 * signal still aborts it. The base fetch is looked up on each call, so nock and tests that replace
 * globalThis.fetch see every request.
 */
export function withTimeout(base: typeof fetch | undefined, settings: Pick<ResilienceOptions, "timeoutMs" | "clock">): typeof fetch {
  if (base && WRAPPED in base) return base;
  const clock = settings.clock ?? realClock;
  const wrapped = async (input: Parameters<typeof fetch>[0], init: RequestInit = {}): Promise<Response> => {
    const controller = new AbortController();
    const callerSignal = init.signal;
    if (callerSignal?.aborted) controller.abort(callerSignal.reason);
    else callerSignal?.addEventListener("abort", () => controller.abort(callerSignal.reason), { once: true });
    let timer: unknown;
    const timedOut = new Promise<never>((_, reject) => {
      timer = clock.setTimeout(() => {
        const error = new GitHubTimeoutError(settings.timeoutMs, `${(init.method ?? "GET").toUpperCase()} ${pathOf(input)}`);
        controller.abort(error);
        reject(error);
      }, settings.timeoutMs);
    });
    timedOut.catch(() => undefined); // raced below; never an unhandled rejection
    try {
      const response = await Promise.race([(base ?? globalThis.fetch)(input, { ...init, signal: controller.signal }), timedOut]);
      const hasBody = response.body !== null && init.method?.toUpperCase() !== "HEAD" && ![101, 204, 205, 304].includes(response.status);
      const body = hasBody ? await Promise.race([response.arrayBuffer(), timedOut]) : null;
      const copy = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
      Object.defineProperty(copy, "url", { value: response.url });
      return copy;
    } finally {
      clock.clearTimeout(timer);
    }
  };
  return Object.assign(wrapped, { [WRAPPED]: true }) as typeof fetch;
}

async function resilientRequest(
  settings: ResilienceOptions,
  log: Log,
  request: SendRequest,
  options: RequestOptions,
): Promise<OctokitResponse> {
  const clock = settings.clock ?? realClock;
  const method = (options.method ?? "GET").toUpperCase();
  const template = routeOf(options.url);
  const route = `${method} ${template}`;
  const repeatable = isSafeToRepeat(method, template, options);
  let retries = 0;
  let waits = 0;
  for (;;) {
    let outcome: { response: OctokitResponse } | { error: unknown };
    try {
      outcome = { response: await request(options) };
    } catch (error) {
      outcome = { error };
    }

    const limit = rateLimitIn(outcome, clock.now());
    if (limit) {
      if (limit.waitMs > settings.maxRateLimitWaitMs || waits >= settings.maxRateLimitWaits) {
        recordGitHubRateLimitGiveUp(limit.kind);
        const cause = "error" in outcome ? outcome.error : outcome.response;
        throw new GitHubRateLimitError(limit.kind, new Date(clock.now() + limit.waitMs), limit.waitMs, settings.maxRateLimitWaitMs, cause, limit.status);
      }
      waits++;
      // Replicas that were limited together should not come back in the same millisecond.
      const waitMs = Math.max(MIN_RATE_LIMIT_WAIT_MS, limit.waitMs) + Math.floor(clock.random() * 1000);
      recordGitHubRateLimitWait(limit.kind, waitMs / 1000);
      notify(settings, log, { reason: "rate_limit", route, attempt: waits, waitMs, rateLimit: limit.kind, ...(limit.status ? { status: limit.status } : {}) });
      await sleep(clock, waitMs);
      continue;
    }

    let reason: RetryReason | undefined;
    let status: number | undefined;
    if ("response" in outcome) {
      if (!isTransientGraphqlFailure(outcome.response)) return outcome.response;
      reason = "graphql_error";
    } else {
      reason = transientReason(outcome.error);
      status = statusIn(outcome.error);
      if (reason === "timeout") recordGitHubTimeout(method, template);
    }
    if (!reason || !repeatable || retries >= settings.maxRetries) {
      if ("response" in outcome) return outcome.response; // @octokit/graphql turns its errors into an exception
      throw outcome.error;
    }
    retries++;
    const full = Math.min(settings.maxBackoffMs, settings.backoffMs * 2 ** (retries - 1));
    const waitMs = Math.round(full / 2 + (clock.random() * full) / 2);
    recordGitHubRetry(reason);
    notify(settings, log, { reason, route, attempt: retries, waitMs, ...(status ? { status } : {}) });
    await sleep(clock, waitMs);
  }
}

function notify(settings: ResilienceOptions, log: Log, notice: RetryNotice): void {
  if (settings.onWait) return settings.onWait(notice);
  const what =
    notice.reason === "rate_limit"
      ? `GitHub's ${notice.rateLimit} rate limit (${notice.status ?? "GraphQL"}) on ${notice.route}: waiting ${formatDuration(notice.waitMs)} before retrying (wait ${notice.attempt} of ${settings.maxRateLimitWaits})`
      : `GitHub ${describeReason(notice)} on ${notice.route}: retrying in ${formatDuration(notice.waitMs)} (retry ${notice.attempt} of ${settings.maxRetries})`;
  log.warn(what);
}

function describeReason(notice: RetryNotice): string {
  switch (notice.reason) {
    case "timeout":
      return "did not answer in time";
    case "network":
      return "could not be reached";
    case "graphql_error":
      return "had an internal error in a GraphQL query";
    default:
      return `answered ${notice.status ?? "a server error"}`;
  }
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

/**
 * Safe to send twice: reads, idempotent writes (PUT/PATCH/DELETE set state rather than add to it),
 * GraphQL queries and installation tokens. Creating an issue, a comment or a check run is not.
 */
function isSafeToRepeat(method: string, template: string, options: RequestOptions): boolean {
  if (method !== "POST") return true;
  // On GitHub Enterprise Server the GraphQL URL is absolute (https://HOST/api/graphql).
  const path = template === "absolute_url" ? pathOf(String(options.url)) : template;
  if (path === "/graphql" || path.endsWith("/api/graphql")) return typeof options.query === "string" && !options.query.trimStart().startsWith("mutation");
  return path.endsWith("/app/installations/{installation_id}/access_tokens");
}

function statusIn(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

function transientReason(error: unknown): RetryReason | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    if (current instanceof GitHubTimeoutError) return "timeout";
    current = (current as { cause?: unknown }).cause;
  }
  if ((error as { name?: string } | null)?.name === "AbortError") return undefined; // the caller gave up
  const status = statusIn(error);
  if (status === undefined || status < 500) return undefined;
  // @octokit/request reports a failed fetch (refused, reset, DNS) as a 500 without a response.
  return (error as { response?: unknown }).response ? "server_error" : "network";
}

/** "Something went wrong while executing your query": GitHub's GraphQL 5xx, sent with status 200. */
function isTransientGraphqlFailure(response: OctokitResponse): boolean {
  const errors = (response.data as { errors?: { message?: unknown }[] } | null)?.errors;
  return Array.isArray(errors) && errors.length > 0 && /Something went wrong while executing your query/.test(String(errors[0]?.message));
}

/** How long GitHub asks the request to wait, when the failure is a rate limit. */
function rateLimitIn(
  outcome: { response: OctokitResponse } | { error: unknown },
  now: number,
): { kind: "primary" | "secondary"; waitMs: number; status?: number } | undefined {
  const failure = "error" in outcome ? (outcome.error as { status?: unknown; message?: unknown; response?: Partial<OctokitResponse> } | null) : null;
  const response = "response" in outcome ? outcome.response : failure?.response;
  const status = typeof failure?.status === "number" ? failure.status : response?.status;
  const errors = (response?.data as { errors?: { type?: unknown }[] } | null | undefined)?.errors;
  const graphqlLimited = Array.isArray(errors) && errors.some((e) => e?.type === "RATE_LIMITED");
  if (!graphqlLimited && status !== 403 && status !== 429) return undefined;
  const headers = response?.headers ?? {};
  const only = status === 403 || status === 429 ? { status } : {};
  const retryAfter = headers["retry-after"];
  if (retryAfter !== undefined && retryAfter !== "") {
    const seconds = Number(retryAfter);
    const waitMs = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(String(retryAfter)) - now;
    if (Number.isFinite(waitMs)) return { kind: "secondary", waitMs: Math.max(0, waitMs), ...only };
  }
  const reset = Number(headers["x-ratelimit-reset"]);
  if (String(headers["x-ratelimit-remaining"]) === "0" && Number.isFinite(reset) && reset > 0) {
    // One second after the reset, as GitHub advises.
    return { kind: "primary", waitMs: Math.max(0, reset * 1000 - now + 1000), ...only };
  }
  const message = String(failure?.message ?? "");
  if (graphqlLimited) return { kind: "primary", waitMs: SECONDARY_FALLBACK_MS, ...only };
  if (status === 429 || /secondary rate limit|abuse detection/i.test(message)) return { kind: "secondary", waitMs: SECONDARY_FALLBACK_MS, ...only };
  return undefined; // a 403 that is not a rate limit: a missing permission
}

/** The URL template (`/repos/{owner}/{repo}`), never the filled-in URL: bounded metric labels. */
function routeOf(url: string | undefined): string {
  const path = (url ?? "").split("?")[0]!;
  return path.startsWith("http") ? "absolute_url" : path;
}

function pathOf(input: Parameters<typeof fetch>[0]): string {
  const text = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  try {
    return new URL(text).pathname;
  } catch {
    return text.split("?")[0]!;
  }
}
