// The jobs the webhook server runs on a timer (SPEC §3: "sweeps run on a timer inside the server").
// With several replicas each run takes a lock named after the job (in Redis when REDIS_URL is set),
// so only one replica runs it; `change-policy sweep` (the CronJob) should take the same lock.
import type { Logger, Probot } from "probot";

export interface PeriodicJob {
  /** Also the lock name: use the same name wherever else the job runs (e.g. the CLI). */
  name: string;
  intervalMs: number;
  /** How long a crashed replica can block the job; defaults to the interval. */
  lockTtlMs?: number;
  run(probot: Probot, log: Logger): Promise<void>;
}

/** Jobs started by src/server.ts. The emergency follow-up sweep is registered here (issue #3). */
export const periodicJobs: PeriodicJob[] = [];
