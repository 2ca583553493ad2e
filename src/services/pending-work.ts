// Nothing lost (SPEC §12): the work a delivery starts is written to the app's database before the
// delivery is answered, and marked done when done. If the process dies in between (an evaluation
// waiting in its coalescing window, a follow-up or incident about to be opened), the runner of the
// next start — or another replica, once the lease expires — does it (src/infra/durable-work.ts).
// The markers of the issues and comments keep "exactly once" true when a job runs twice. Without a
// database (or while it is unreachable) the work simply runs, as before: durability, never a delay.
import { isTransientFailure, rateLimitOf } from "../github/transient-errors.js";
import type { DurableWork } from "../infra/durable-work.js";
import type { ServiceDependencies, ServiceLog } from "./dependencies.js";

export type PendingKind = "evaluate" | "merged_pull" | "push";

/** Records the job (before the delivery is answered); a failure to record is logged, never thrown. */
export async function rememberWork(deps: ServiceDependencies, job: { kind: PendingKind; key: string; payload: unknown }, log: Pick<ServiceLog, "warn">): Promise<void> {
  const work = deps.pendingWork?.();
  if (!work) return;
  try {
    await work.record(job);
  } catch (error) {
    log.warn({ err: error, job: job.key }, "could not record pending work (the database may be unreachable); the work runs anyway");
  }
}

/**
 * Runs remembered work: claims it (so no other replica runs it meanwhile), runs `fn`, then marks it
 * done — or, when `fn` failed in a way worth retrying, leaves it for the runner with backoff.
 */
export async function runRememberedWork<T>(
  deps: ServiceDependencies,
  key: string,
  fn: () => Promise<T>,
  failureOf: (result: T) => unknown = () => undefined,
): Promise<T> {
  const work: DurableWork | null | undefined = deps.pendingWork?.();
  const job = work ? await work.claim(key).catch(() => null) : null;
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    if (work && job) await work.fail(job, error, rateLimitOf(error)?.retryAt).catch(() => undefined);
    throw error;
  }
  if (work && job) {
    const failure = failureOf(result);
    if (failure !== undefined && isTransientFailure(failure)) await work.fail(job, failure, rateLimitOf(failure)?.retryAt).catch(() => undefined);
    else await work.complete(job).catch(() => undefined);
  }
  return result;
}
