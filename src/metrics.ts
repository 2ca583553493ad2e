// Prometheus metrics, served at GET /metrics. One registry per process; handlers record through the
// small functions below so that metric names and labels are defined in exactly one place.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export const registry = new Registry();
// Event-loop lag is sampled once a second: the default (every 10 ms) wakes an idle server 100 times a second.
collectDefaultMetrics({ register: registry, prefix: "change_policy_process_", eventLoopMonitoringPrecision: 1_000 });

const evaluations = new Counter({
  name: "change_policy_evaluations_total",
  help: "Pull request evaluations, by change class and check conclusion.",
  labelNames: ["class", "conclusion"] as const,
  registers: [registry],
});

const evaluationSeconds = new Histogram({
  name: "change_policy_evaluation_duration_seconds",
  help: "Time from the start of an evaluation to the check being written (or skipped).",
  labelNames: ["class"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

const githubRequests = new Counter({
  name: "change_policy_github_requests_total",
  help: "GitHub API requests, by route template (e.g. GET /repos/{owner}/{repo}/pulls/{pull_number}) and HTTP status.",
  labelNames: ["method", "route", "status"] as const,
  registers: [registry],
});

const rateLimitRemaining = new Gauge({
  name: "change_policy_github_rate_limit_remaining",
  help: "The x-ratelimit-remaining header of the most recent GitHub API response, by rate-limit resource (core, graphql, search).",
  labelNames: ["resource"] as const,
  registers: [registry],
});

const followUpsOpen = new Gauge({
  name: "change_policy_followup_reviews_open",
  help: "Open post-implementation review issues of emergency changes, as of the last sweep.",
  registers: [registry],
});

const followUpsOverdue = new Gauge({
  name: "change_policy_followup_reviews_overdue",
  help: "Open post-implementation review issues past their due time, as of the last sweep.",
  registers: [registry],
});

const incidentsOpened = new Counter({
  name: "change_policy_incidents_opened_total",
  help: "Security incident issues opened, by kind (direct_push, bypass).",
  labelNames: ["kind"] as const,
  registers: [registry],
});

const errors = new Counter({
  name: "change_policy_errors_total",
  help: "Failures that stopped a piece of work, by where they happened (evaluation, followup, incident, sweep, webhook).",
  labelNames: ["where"] as const,
  registers: [registry],
});

const checkWrites = new Counter({
  name: "change_policy_check_writes_total",
  help: "Check runs created or updated, by conclusion.",
  labelNames: ["conclusion"] as const,
  registers: [registry],
});

const skippedWrites = new Counter({
  name: "change_policy_check_writes_skipped_total",
  help: "Check writes skipped because the check already showed the same result (API calls saved).",
  registers: [registry],
});

const evaluationRequests = new Histogram({
  name: "change_policy_evaluation_github_requests",
  help: "GitHub API requests one evaluation spent, by kind: counted (against the rate limit), not_modified (304, free), writes.",
  labelNames: ["kind"] as const,
  buckets: [0, 1, 2, 3, 4, 5, 8, 13, 21, 34, 55],
  registers: [registry],
});

const githubTimeouts = new Counter({
  name: "change_policy_github_timeouts_total",
  help: "GitHub requests abandoned because GitHub did not answer within the timeout (GITHUB_REQUEST_TIMEOUT_MS), by route template.",
  labelNames: ["method", "route"] as const,
  registers: [registry],
});

const githubRetries = new Counter({
  name: "change_policy_github_retries_total",
  help: "GitHub requests sent again after a failure, by reason (timeout, network, server_error, graphql_error).",
  labelNames: ["reason"] as const,
  registers: [registry],
});

const ledgerErrors = new Counter({
  name: "change_policy_ledger_errors_total",
  help: "Failed ledger writes (each failed attempt; the entry waits and is retried) and entries the ledger could not take, by reason (open, append, invalid, queue_full).",
  labelNames: ["reason"] as const,
  registers: [registry],
});

const rateLimitWaits = new Counter({
  name: "change_policy_github_rate_limit_waits_total",
  help: "Waits for a GitHub rate limit before retrying a request, by kind (secondary: retry-after; primary: until x-ratelimit-reset).",
  labelNames: ["kind"] as const,
  registers: [registry],
});

const rateLimitWaitSeconds = new Counter({
  name: "change_policy_github_rate_limit_wait_seconds_total",
  help: "Seconds spent waiting for GitHub rate limits, by kind.",
  labelNames: ["kind"] as const,
  registers: [registry],
});

const rateLimitGiveUps = new Counter({
  name: "change_policy_github_rate_limit_failures_total",
  help: "Requests failed (closed) because a GitHub rate limit asked to wait longer than allowed or was hit again after every wait, by kind.",
  labelNames: ["kind"] as const,
  registers: [registry],
});

/** A request abandoned after the timeout (src/github/resilience.ts). */
export function recordGitHubTimeout(method: string, route: string): void {
  githubTimeouts.inc({ method, route });
}

export function recordGitHubRetry(reason: string): void {
  githubRetries.inc({ reason });
}

export function recordGitHubRateLimitWait(kind: string, seconds: number): void {
  rateLimitWaits.inc({ kind });
  rateLimitWaitSeconds.inc({ kind }, seconds);
}

export function recordGitHubRateLimitGiveUp(kind: string): void {
  rateLimitGiveUps.inc({ kind });
}

const ledgerWaiting = new Gauge({
  name: "change_policy_ledger_entries_waiting",
  help: "Ledger entries waiting in memory to be written (non-zero while the database is unreachable).",
  registers: [registry],
});

/** One failed ledger write attempt, or an entry the ledger could not take. */
export function recordLedgerError(reason: "open" | "append" | "invalid" | "queue_full" | string): void {
  ledgerErrors.inc({ reason });
}

export function recordLedgerWaiting(count: number): void {
  ledgerWaiting.set(count);
}

/** What one evaluation spent (from src/github/budget.ts's measureSpending). */
export function recordEvaluationSpending(spent: { counted: number; notModified: number; writes: number }): void {
  evaluationRequests.observe({ kind: "counted" }, spent.counted);
  evaluationRequests.observe({ kind: "not_modified" }, spent.notModified);
  evaluationRequests.observe({ kind: "writes" }, spent.writes);
}

/** One finished evaluation: `class` is the change class (or `none`/`invalid_config`), `conclusion` the check's. */
export function recordEvaluation(changeClass: string, conclusion: string, seconds: number): void {
  evaluations.inc({ class: changeClass, conclusion });
  evaluationSeconds.observe({ class: changeClass }, seconds);
}

/** A check run write (`written: true`) or a write avoided because nothing changed. */
export function recordCheckWrite(conclusion: string, written: boolean): void {
  if (written) checkWrites.inc({ conclusion });
  else skippedWrites.inc();
}

export function recordFollowUps(open: number, overdue: number): void {
  followUpsOpen.set(open);
  followUpsOverdue.set(overdue);
}

export function recordIncidentOpened(kind: "direct_push" | "bypass" | string): void {
  incidentsOpened.inc({ kind });
}

export function recordError(where: string): void {
  errors.inc({ where });
}

/** Records one GitHub response (or failure) — called by `instrumentOctokit`, usable by anything else. */
export function recordGitHubResponse(
  method: string,
  route: string,
  status: number | undefined,
  headers: Record<string, string | number | undefined> | undefined,
): void {
  githubRequests.inc({ method, route, status: status === undefined ? "network_error" : String(status) });
  const remaining = headers?.["x-ratelimit-remaining"];
  if (remaining !== undefined && remaining !== "") {
    const value = Number(remaining);
    if (Number.isFinite(value)) rateLimitRemaining.set({ resource: String(headers?.["x-ratelimit-resource"] ?? "core") }, value);
  }
}

/** The minimal Octokit shape we hook into (so the CLI's and tests' clients qualify too). */
interface HookableOctokit {
  hook: {
    after(name: "request", fn: (response: { status: number; headers: Record<string, string | number | undefined> }, options: RouteOptions) => void): void;
    error(name: "request", fn: (error: unknown, options: RouteOptions) => unknown): void;
  };
}
interface RouteOptions {
  method?: string;
  url?: string;
}

/**
 * Counts every request the client makes by route template and status, and tracks the rate limit.
 * Works as an Octokit plugin (`ProbotOctokit.plugin(instrumentOctokit)`) or on one instance.
 */
export function instrumentOctokit(octokit: HookableOctokit): Record<string, never> {
  octokit.hook.after("request", (response, options) => {
    recordGitHubResponse(options.method ?? "GET", routeOf(options), response.status, response.headers);
  });
  octokit.hook.error("request", (error, options) => {
    const failure = error as { status?: number; response?: { headers?: Record<string, string | number | undefined> } };
    recordGitHubResponse(options.method ?? "GET", routeOf(options), failure.status, failure.response?.headers);
    throw error;
  });
  return {};
}

/** The URL template (`/repos/{owner}/{repo}`), never the filled-in URL: bounded label cardinality. */
function routeOf(options: RouteOptions): string {
  const url = options.url ?? "";
  return url.startsWith("http") ? "absolute_url" : url.split("?")[0]!;
}

export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
