// Nothing lost (SPEC §12): the work a delivery starts is written to the app's database before the
// delivery is answered, and marked done when done. If the process dies in between (an evaluation
// waiting in its coalescing window, a follow-up or incident about to be opened), the runner of the
// next start — or another replica, once the lease expires — does it (src/infra/durable-work.ts).
// The markers of the issues and comments keep "exactly once" true when a job runs twice. Without a
// database (or while it is unreachable) the work simply runs, as before: durability, never a delay.
import { isTransientFailure, rateLimitOf } from "../github/transient-errors.js";
import type { DurableWork, PendingJob } from "../infra/durable-work.js";
import type { ServiceDependencies, ServiceLog } from "./dependencies.js";

export type PendingKind = "evaluate" | "merged_pull" | "push";

export interface RememberedJob {
  kind: PendingKind;
  key: string;
  payload: unknown;
  /** A repeat while it runs is the same work (a redelivered merge or push), not a reason to run again. */
  repeatIsSameWork?: boolean;
}

/**
 * Records the job (before the delivery is answered); true when it is in the database. A failure to
 * record is logged, never thrown.
 */
export async function rememberWork(deps: ServiceDependencies, job: RememberedJob, log: Pick<ServiceLog, "warn">): Promise<boolean> {
  const work = deps.pendingWork?.();
  if (!work) return false;
  try {
    await work.record(job);
    return true;
  } catch (error) {
    log.warn({ err: error, job: job.key }, "could not record pending work (the database may be unreachable); the work runs anyway");
    return false;
  }
}

/**
 * The work that opens issues (a merge's follow-up or incident, a push's incident): recorded, then run
 * by one holder at a time across replicas and within this process. A delivery whose job another run
 * holds leaves the job to that run (the storm of redeliveries GitHub or a user can send). When the
 * database is missing or unreachable it simply runs, and the issues' markers keep it once.
 */
export async function rememberAndRunOnce(
  deps: ServiceDependencies,
  job: Omit<RememberedJob, "repeatIsSameWork">,
  log: Pick<ServiceLog, "warn" | "info">,
  fn: () => Promise<void>,
): Promise<"ran" | "left to the run holding it"> {
  const work = deps.pendingWork?.();
  const recorded = work ? await rememberWork(deps, { ...job, repeatIsSameWork: true }, log) : false;
  if (!work || !recorded) {
    await fn();
    return "ran";
  }
  const claimed = await work.claim(job.key, { exclusive: true }).then(
    (held) => ({ held }),
    () => null,
  );
  if (!claimed) {
    await fn();
    return "ran";
  }
  if (!claimed.held) {
    log.info({ job: job.key }, "this work is already running (another delivery of the same event); left to that run");
    return "left to the run holding it";
  }
  await finishClaimed(work, claimed.held, fn, () => undefined);
  return "ran";
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
  return work && job ? finishClaimed(work, job, fn, failureOf) : fn();
}

async function finishClaimed<T>(work: DurableWork, job: PendingJob, fn: () => Promise<T>, failureOf: (result: T) => unknown): Promise<T> {
  let result: T;
  try {
    result = await fn();
  } catch (error) {
    await work.fail(job, error, rateLimitOf(error)?.retryAt).catch(() => undefined);
    throw error;
  }
  const failure = failureOf(result);
  if (failure !== undefined && isTransientFailure(failure)) await work.fail(job, failure, rateLimitOf(failure)?.retryAt).catch(() => undefined);
  else await work.complete(job).catch(() => undefined);
  return result;
}
