import type { Logger, Probot } from "probot";

/** A job the server runs on a timer, on one replica at a time (the lock is named after the job). */
export interface PeriodicJob {
  /** Also the lock name: use the same name wherever else the job runs. */
  name: string;
  intervalMs: number;
  /** How long a crashed replica can block the job; defaults to the interval. */
  lockTtlMs?: number;
  run(probot: Probot, log: Logger): Promise<void>;
}
