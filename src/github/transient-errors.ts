// The two ways GitHub can fail the app for a while rather than for good: it does not answer in time,
// or its rate limit asks to wait longer than the app waits. Both are thrown by the resilience
// plugin (src/github/resilience.ts) once its retries and waits are used up, and both fail the work
// closed; their words for the check are here so that describeFailure (src/github/client.ts) says
// what happened without knowing the plugin.

/** GitHub did not answer (headers and body) within the request timeout. */
export class GitHubTimeoutError extends Error {
  override readonly name = "GitHubTimeoutError";
  constructor(
    readonly timeoutMs: number,
    /** `METHOD /route/{template}` of the request that hung. */
    readonly route: string,
  ) {
    super(`GitHub did not answer ${route} within ${formatDuration(timeoutMs)}`);
  }
}

/** A rate limit whose wait is longer than the app waits (or that was hit again after its waits). */
export class GitHubRateLimitError extends Error {
  override readonly name = "GitHubRateLimitError";
  constructor(
    /** `secondary` (retry-after, abuse detection) or `primary` (the hourly budget is used up). */
    readonly kind: "secondary" | "primary",
    /** When GitHub said the request may be made again. */
    readonly retryAt: Date,
    /** What GitHub asked for, and what the app was willing to wait, in ms. */
    readonly waitMs: number,
    readonly maxWaitMs: number,
    /** GitHub's own error (403 or 429). */
    override readonly cause: unknown,
    /** 403 or 429, as GitHub answered, so that code reading the status still sees it. */
    readonly status: number | undefined,
  ) {
    super(
      `GitHub's ${kind} rate limit asks to wait ${formatDuration(waitMs)} (until ${retryAt.toISOString()}), longer than the ${formatDuration(maxWaitMs)} the app waits`,
    );
  }
}

/** The timeout error in an error or its causes (@octokit/request wraps what fetch throws). */
export function timeoutOf(error: unknown): GitHubTimeoutError | undefined {
  return findInCauses(error, GitHubTimeoutError);
}

export function rateLimitOf(error: unknown): GitHubRateLimitError | undefined {
  return findInCauses(error, GitHubRateLimitError);
}

function findInCauses<T>(error: unknown, type: new (...args: never[]) => T): T | undefined {
  let current = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    if (current instanceof type) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Whether running the work again later can succeed: GitHub did not answer, was rate limited, failed
 * (5xx) or could not be reached. Not for a 4xx (a missing permission, a deleted repository): the
 * check already says what to fix, and a new event or Re-run tries again.
 */
export function isTransientFailure(error: unknown): boolean {
  if (timeoutOf(error) || rateLimitOf(error)) return true;
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" && status >= 500;
}

/** The check's words for a timeout or a rate limit the app did not wait out; undefined for anything else. */
export function describeTransientFailure(error: unknown): { reason: string; remedy: string } | undefined {
  const timeout = timeoutOf(error);
  if (timeout) {
    return {
      reason: `GitHub did not answer within ${formatDuration(timeout.timeoutMs)}; the check will be retried.`,
      remedy: "Nothing to do: the app evaluates again by itself. If this keeps happening, GitHub may be having trouble (https://www.githubstatus.com); Re-run evaluates again at once.",
    };
  }
  const limited = rateLimitOf(error);
  if (limited) {
    const which = limited.kind === "primary" ? "API rate limit for this installation is used up" : "secondary rate limit (too many requests at once) was hit";
    return {
      reason: `GitHub's ${which}: it asks to wait ${formatDuration(limited.waitMs)}, until ${limited.retryAt.toISOString()}, longer than the app waits during an evaluation (${formatDuration(limited.maxWaitMs)}). The check will be retried.`,
      remedy: `Nothing to do: the app evaluates again after the limit resets; Re-run after ${limited.retryAt.toISOString()} evaluates at once.`,
    };
  }
  return undefined;
}

/** "15 s", "2 min", "1 h 5 min": for people, not parsers. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
