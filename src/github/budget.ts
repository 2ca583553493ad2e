// The GitHub API budget: what each installation has left (from the `x-ratelimit-*` headers of every
// response), what each evaluation spent, and whether the app should slow down. GitHub gives each
// installation about 5,000 REST requests an hour plus a separate GraphQL point budget; an answer of
// 304 Not Modified to a conditional request is not counted against it.
import { AsyncLocalStorage } from "node:async_hooks";
import { statusOf, type GitHubClient } from "./client.js";

export interface RateLimit {
  installation: string;
  resource: string;
  limit: number;
  remaining: number;
  /** Epoch milliseconds when the window resets. */
  resetAt: number;
}

export interface Spending {
  /** Every request sent to GitHub. */
  requests: number;
  /** Requests GitHub counts against the rate limit (all but 304 Not Modified). */
  counted: number;
  /** 304 answers served from our cache. */
  notModified: number;
  /** Requests that change something (REST POST/PATCH/PUT/DELETE; the GraphQL endpoint is a read). */
  writes: number;
}

export interface BudgetLog {
  warn(obj: object, msg: string): void;
}

/** Below this share of the limit left, the app slows down (LOW_BUDGET_RATIO, default 0.1). */
export const LOW_BUDGET_RATIO = envNumber("LOW_BUDGET_RATIO", 0.1);
/** How much longer the coalescing window gets when the budget is low. */
export const LOW_BUDGET_SLOWDOWN = envNumber("LOW_BUDGET_SLOWDOWN", 10);

export class ApiBudget {
  private readonly limits = new Map<string, RateLimit>();
  private readonly warned = new Map<string, number>();
  /** Every request made through watched clients. */
  readonly totals: Spending = emptySpending();
  /** What evaluations spent, summed, and how many there were (average = sum / count; for metrics). */
  readonly evaluations = { count: 0, spent: emptySpending() };

  constructor(
    private readonly now: () => number = Date.now,
    private readonly lowRatio = LOW_BUDGET_RATIO,
  ) {}

  /** Notes the rate-limit headers of one response. */
  record(installation: string, headers: Record<string, string | number | undefined> | undefined): void {
    const limit = Number(headers?.["x-ratelimit-limit"]);
    const remaining = Number(headers?.["x-ratelimit-remaining"]);
    const reset = Number(headers?.["x-ratelimit-reset"]);
    if (!Number.isFinite(limit) || !Number.isFinite(remaining) || limit <= 0) return;
    const resource = String(headers?.["x-ratelimit-resource"] ?? "core");
    this.limits.set(`${installation}|${resource}`, {
      installation,
      resource,
      limit,
      remaining,
      resetAt: Number.isFinite(reset) ? reset * 1000 : this.now() + 3_600_000,
    });
  }

  /** Adds one evaluation's spending to the totals. */
  recordEvaluation(spent: Spending): void {
    this.evaluations.count += 1;
    for (const key of Object.keys(spent) as (keyof Spending)[]) this.evaluations.spent[key] += spent[key];
  }

  /** Every installation's last known limits, for metrics and logs. */
  snapshot(): RateLimit[] {
    return [...this.limits.values()];
  }

  /** The resource that is running low for this installation, if any (a past reset no longer counts). */
  low(installation: string): RateLimit | null {
    const now = this.now();
    for (const limit of this.limits.values()) {
      if (limit.installation === installation && limit.resetAt > now && limit.remaining < limit.limit * this.lowRatio) return limit;
    }
    return null;
  }

  /** 1 normally; LOW_BUDGET_SLOWDOWN when the budget is low (and says so in the log, once per reset window). */
  slowdown(installation: string, log: BudgetLog): number {
    const low = this.low(installation);
    if (!low) return 1;
    this.warnOnce(low, log);
    return LOW_BUDGET_SLOWDOWN;
  }

  /** Milliseconds to wait before spending more on background work (0 when the budget is fine). */
  pauseBeforeBackgroundWork(installation: string, log: BudgetLog): number {
    const low = this.low(installation);
    if (!low) return 0;
    this.warnOnce(low, log);
    return Math.max(0, low.resetAt - this.now());
  }

  private warnOnce(low: RateLimit, log: BudgetLog): void {
    const key = `${low.installation}|${low.resource}`;
    if (this.warned.get(key) === low.resetAt) return;
    this.warned.set(key, low.resetAt);
    log.warn(
      { installation: low.installation, resource: low.resource, remaining: low.remaining, limit: low.limit, resetAt: new Date(low.resetAt).toISOString() },
      "GitHub API budget is low: slowing down evaluations and pausing re-evaluations until the limit resets (checks are not failed)",
    );
  }
}

/** The process-wide budget. */
export const apiBudget = new ApiBudget();

const spendingScope = new AsyncLocalStorage<Spending>();

/** Runs `work` and reports the GitHub requests it made (through clients watched by `watchBudget`). */
export async function measureSpending<T>(work: () => Promise<T>): Promise<{ result: T; spent: Spending }> {
  const spent = emptySpending();
  const result = await spendingScope.run(spent, work);
  return { result, spent };
}

/**
 * Counts every request of this client against its installation's budget and the current
 * `measureSpending` scope. Install it before `useConditionalRequests` so that it sees the 304s.
 */
export function watchBudget(octokit: GitHubClient, installation: string, budget: ApiBudget = apiBudget): void {
  octokit.hook.wrap("request", async (request, options) => {
    const isWrite = options.method !== "GET" && options.method !== "HEAD" && options.url !== "/graphql";
    try {
      const response = await request(options);
      count(budget, 200, isWrite);
      budget.record(installation, response.headers as Record<string, string>);
      return response;
    } catch (error) {
      const status = statusOf(error) ?? 0;
      count(budget, status, isWrite);
      budget.record(installation, (error as { response?: { headers?: Record<string, string> } }).response?.headers);
      throw error;
    }
  });
}

function count(budget: ApiBudget, status: number, isWrite: boolean): void {
  for (const spent of [budget.totals, spendingScope.getStore()]) {
    if (!spent) continue;
    spent.requests += 1;
    if (status === 304) spent.notModified += 1;
    else spent.counted += 1;
    if (isWrite) spent.writes += 1;
  }
}

function emptySpending(): Spending {
  return { requests: 0, counted: 0, notModified: 0, writes: 0 };
}

function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
